package datedetect

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// lineGen generates log lines with dates in the shapes fail2ban's default
// templates know, with random values (some out of range), zones,
// fractions, prefixes and damage, for the comparisons with fail2ban and
// between the fast and the regex path.
type lineGen struct {
	r      *rand.Rand
	shape  int // -1: random
	prefix string
}

func newLineGen(seed uint64) *lineGen {
	return &lineGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), shape: -1}
}

func (g *lineGen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *lineGen) chance(p float64) bool { return g.r.Float64() < p }

var monthNames = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
var dayNames = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func (g *lineGen) year() int {
	if g.chance(0.1) {
		return g.pick2(1999, 2031, 2099, 2000, 1970)
	}
	return 2003 + g.r.IntN(27)
}

func (g *lineGen) pick2(v ...int) int { return v[g.r.IntN(len(v))] }

func (g *lineGen) num(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// fields returns month, day, hour, minute, second; mostly valid.
func (g *lineGen) fields() (mo, d, h, mi, s int) {
	mo, d, h, mi, s = g.num(1, 12), g.num(1, 28), g.num(0, 23), g.num(0, 59), g.num(0, 59)
	if g.chance(0.05) {
		switch g.r.IntN(6) {
		case 0:
			d = g.pick2(29, 30, 31)
		case 1:
			mo = g.pick2(0, 13, 19)
		case 2:
			h = g.pick2(24, 29)
		case 3:
			mi = 60
		case 4:
			s = g.pick2(60, 61)
		case 5:
			d = g.pick2(0, 32, 39)
		}
	}
	return
}

func (g *lineGen) monthName(mo int) string {
	if mo < 1 || mo > 12 {
		return g.pick("Foo", "Mai", "Okt")
	}
	n := monthNames[mo-1]
	switch {
	case g.chance(0.03):
		return strings.ToUpper(n)
	case g.chance(0.03):
		return strings.ToLower(n)
	}
	return n
}

func (g *lineGen) frac(seps string) string {
	if !g.chance(0.3) {
		return ""
	}
	n := g.num(1, 7)
	var b strings.Builder
	b.WriteByte(seps[g.r.IntN(len(seps))])
	for i := 0; i < n; i++ {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

func (g *lineGen) zone() string {
	return g.pick("Z", "UTC", "GMT", "+0100", "-0500", "+01:00", "-05:30", "+02", "+1345", "+2400", "CET", "utc", "XYZ")
}

// date returns one date text in a random shape.
func (g *lineGen) date() string {
	mo, d, h, mi, s := g.fields()
	y := g.year()
	k := g.r.IntN(14)
	if g.shape >= 0 {
		k = g.shape
	}
	switch k {
	case 0, 1, 2, 3: // syslog
		var b strings.Builder
		if g.chance(0.2) {
			b.WriteString(dayNames[g.r.IntN(7)] + " ")
		}
		b.WriteString(g.monthName(mo))
		if d < 10 && g.chance(0.7) {
			fmt.Fprintf(&b, "  %d", d)
		} else {
			fmt.Fprintf(&b, " %02d", d)
		}
		if h < 10 && g.chance(0.2) {
			fmt.Fprintf(&b, "  %d:%02d:%02d", h, mi, s)
		} else {
			fmt.Fprintf(&b, " %02d:%02d:%02d", h, mi, s)
		}
		b.WriteString(g.frac("."))
		if g.chance(0.2) {
			fmt.Fprintf(&b, " %d", y)
		}
		return b.String()
	case 4, 5, 6: // ISO 8601
		sep := g.pick("-", "-", "-", "/", ".")
		t := g.pick("T", " ", "  ", "T")
		var b strings.Builder
		fmt.Fprintf(&b, "%d%s%02d%s%02d%s%02d:%02d:%02d", y, sep, mo, sep, d, t, h, mi, s)
		if g.chance(0.05) {
			b.Reset()
			fmt.Fprintf(&b, "%d%s%d%s%d%s%d:%d:%d", y, sep, mo, sep, d, t, h, mi, s)
		}
		b.WriteString(g.frac(".,"))
		if g.chance(0.4) {
			b.WriteString(g.pick("", "", " ", "  "))
			b.WriteString(g.zone())
		}
		return b.String()
	case 7, 8: // Apache
		z := ""
		if g.chance(0.8) {
			z = " " + g.pick("+0000", "+0100", "-0700", "+05:30", "Z", "+02")
		}
		if g.chance(0.7) {
			return fmt.Sprintf("[%02d/%s/%d:%02d:%02d:%02d%s]", d, g.monthName(mo), y, h, mi, s, z)
		}
		return fmt.Sprintf("%02d-%s-%d %02d:%02d:%02d%s%s", d, g.monthName(mo), y, h, mi, s, g.frac("."), z)
	case 9:
		return fmt.Sprintf("%d%d", g.num(1000000000, 1999999999), g.pick2(0, 1, 2))[:10] + g.frac(".")
	case 10:
		return fmt.Sprintf("@4000000%09x%08x", g.num(0x40000000, 0x6fffffff), g.r.IntN(1000000000))
	case 11:
		return fmt.Sprintf("%02d%02d%02d %2d:%02d:%02d", y%100, mo, d, h, mi, s)
	case 12:
		return fmt.Sprintf("%s %d, %d %d:%02d:%02d %s", g.monthName(mo), d, y, g.num(1, 12), mi, s, g.pick("AM", "PM", "am"))
	default:
		return fmt.Sprintf("%02d:%02d:%02d", h, mi, s)
	}
}

var messages = []string{
	" web01 sshd[4321]: Failed password for invalid user admin from 192.0.2.7 port 51234 ssh2",
	" web01 sshd[77]: Accepted publickey for alice from 198.51.100.4 port 40022 ssh2: ED25519 SHA256:abc",
	" host CRON[99]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
	"[sshd] error: PAM: Authentication failure",
	" mysqld: 130322 11:46:11 [Warning] Access denied for user 'root'@'192.0.2.1'",
	" server: foreign input 2003-03-07 17:05:01 test",
	" kernel: [UFW BLOCK] IN=eth0 SRC=203.0.113.9",
	"",
	"x",
	" \u00e9t\u00e9 caf\u00e9 \u2603",
}

// line returns one log line: prefix, date, message, sometimes damaged.
func (g *lineGen) line() string {
	var b strings.Builder
	if g.prefix != "" {
		b.WriteString(g.prefix)
	} else if g.chance(0.25) {
		b.WriteString(g.pick("<13>", "[", "##", "bogus-prefix ", "server mysqld[1000]: ", "a", "\u00e9 ", "audit(", "  "))
	}
	if !g.chance(0.05) {
		b.WriteString(g.date())
	}
	if g.chance(0.05) {
		b.WriteString(g.pick("X", "7", "_", "\u00e9", ".5", ":12", " 2026", "]", ")"))
	}
	b.WriteString(messages[g.r.IntN(len(messages))])
	s := b.String()
	if g.chance(0.02) && len(s) > 3 {
		i := g.r.IntN(len(s))
		s = s[:i] + g.pick("\xff", "\x00", "\t", "\x1c") + s[i+1:]
	}
	return s
}

// stream returns n lines; mostly one shape at a time, as real logs are.
func (g *lineGen) stream(n int) []string {
	out := make([]string, 0, n)
	for len(out) < n {
		if g.chance(0.5) {
			out = append(out, g.line())
			continue
		}
		// a run of lines of one shape
		g.shape = g.r.IntN(14)
		if g.chance(0.3) {
			g.prefix = g.pick("<13>", "[", "server mysqld[1000]: ", "x ")
		}
		k := g.num(2, 30)
		for i := 0; i < k && len(out) < n; i++ {
			out = append(out, g.line())
		}
		g.shape, g.prefix = -1, ""
	}
	return out
}
