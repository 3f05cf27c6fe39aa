package filter

import (
	"bytes"
	"strings"
)

// syslogPrefix finds, without running the prefregex, where the content of
// a syslog line starts for the prefregexes of the common sshd shape
//
//	^<F-MLFID>%(__prefix_line)s</F-MLFID>[(fatal|error): [PAM: ]]<F-CONTENT>...</F-CONTENT>$
//
// (logtype=file, the built-in common.conf and fail2ban's). It handles only
// the plain shapes "[spaces]HOST DAEMON[PID]: [fatal: |error: [PAM: ]]X..."
// and "[spaces]HOST X..." where X cannot start any optional part of the
// prefix (another program's line: the content starts at X), in ASCII, where the regex's first path (every optional part tried first,
// every repetition greedy) succeeds, which is then the match a backtracking
// engine returns; on anything else it reports that it is unsure and the
// prefregex runs. TestSyslogPrefixAgainstRegex and FuzzSyslogPrefix check
// it against the regex.
type syslogPrefix struct {
	daemons []string // the program names the prefregex accepts
	// anyContent: the content is ".+" (fail2ban's) rather than "\S.*";
	// either way the fast path requires a visible ASCII character first.
	anyContent bool
	// starts holds the texts one of which each optional part after the
	// host begins with (kernel:, @vserver_, the daemon and its "[pid]:",
	// "(" and "[" forms, "[ID", fatal: and error:): after the host, text
	// that begins with none of them is the content.
	starts []string
	first  [256]bool // the first bytes of starts
}

// optionalAt reports whether an optional part of the prefix may begin at
// the start of b.
func (p *syslogPrefix) optionalAt(b []byte) bool {
	if len(b) == 0 || !p.first[b[0]] {
		return false
	}
	for _, s := range p.starts {
		if s[0] == b[0] && len(b) >= len(s) && string(b[:len(s)]) == s {
			return true
		}
	}
	return false
}

// The expanded prefregex shapes the fast path knows, with "\x00" where the
// daemon pattern stands (twice).
var syslogPrefixShapes = []struct {
	shape      string
	anyContent bool
}{
	{ // the built-in common.conf, logtype=file, and sshd.conf
		`^(?P<mlfid>(?:\[\])?\s*(?:<[^.>\s]+\.[^.>\s]+>\s+)?(?:\S+\s+)?(?:kernel:\s?\[ *[0-9]+\.[0-9]+\]:?\s+)?(?:@vserver_\S+\s+)?(?:(?:[(\[]?` +
			"\x00" + `(?:\([^)\s]*\))?[)\]]?:?(?:\[[0-9]+\])?:?|(?:\[[0-9]+\])?:\s+[(\[]?` +
			"\x00" + `(?:\([^)\s]*\))?[)\]]?:?)\s+)?(?:\[ID [0-9]+ \S+\]\s+)?)(?:(?:fatal|error): (?:PAM: )?)?(?P<content>\S.*)$`,
		false,
	},
	{ // fail2ban's common.conf and sshd.conf
		`^(?P<mlfid>(?:\[\])?\s*(?:<[^.]+\.[^.]+>\s+)?(?:\S+\s+)?(?:kernel:\s?\[ *\d+\.\d+\]:?\s+)?(?:@vserver_\S+\s+)?(?:(?:(?:\[\d+\])?:\s+[\[\(]?` +
			"\x00" + `(?:\(\S+\))?[\]\)]?:?|[\[\(]?` +
			"\x00" + `(?:\(\S+\))?[\]\)]?:?(?:\[\d+\])?:?)\s+)?(?:\[ID \d+ \S+\]\s+)?)(?:(?:error|fatal): (?:PAM: )?)?(?P<content>.+)$`,
		true,
	},
}

// newSyslogPrefix returns the fast matcher for pref, or nil when pref is
// not one of the known shapes (or its daemon pattern is not a plain name,
// optionally with one "(?:-suffix)?").
func newSyslogPrefix(pref *Regex) *syslogPrefix {
	if pref == nil || len(pref.alts) > 0 || len(pref.skiplines) > 0 {
		return nil
	}
	for _, g := range pref.groups {
		if g.name != "mlfid" && g.name != "content" {
			return nil
		}
	}
	exp := pref.Expanded
	for _, s := range syslogPrefixShapes {
		parts := strings.Split(s.shape, "\x00")
		if !strings.HasPrefix(exp, parts[0]) {
			continue
		}
		rest := exp[len(parts[0]):]
		i := strings.Index(rest, parts[1])
		if i <= 0 {
			continue
		}
		d := rest[:i]
		if exp != parts[0]+d+parts[1]+d+parts[2] {
			continue
		}
		names := daemonNames(d)
		if names == nil {
			return nil
		}
		starts := []string{"kernel:", "@vserver_", "(", "[", ":", "fatal: ", "error: ", names[0]}
		p := &syslogPrefix{daemons: names, anyContent: s.anyContent, starts: starts}
		for _, st := range starts {
			p.first[st[0]] = true
		}
		return p
	}
	return nil
}

// daemonNames reads "name" or "name(?:-suffix)?" (letters, digits, '_'
// and '-' only), nil otherwise.
func daemonNames(d string) []string {
	base, opt := d, ""
	if i := strings.Index(d, "(?:"); i >= 0 {
		if !strings.HasSuffix(d, ")?") {
			return nil
		}
		base, opt = d[:i], d[i+3:len(d)-2]
		if opt == "" || !plainName(opt) {
			return nil
		}
	}
	if base == "" || !plainName(base) || base == "kernel" {
		return nil
	}
	if opt == "" {
		return []string{base}
	}
	return []string{base, base + opt}
}

func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			return false
		}
	}
	return true
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// visible reports a printable ASCII character other than space: \S in
// Python's sense, and not the start of any multi-byte sequence.
func visible(c byte) bool { return c > ' ' && c < 0x7f }

// match returns the end of the mlfid group and the start of the content
// (byte offsets, equal to rune offsets: everything before is ASCII), or
// ok=false when unsure. noNewline is the caller's promise that buf holds
// no '\n' (MatcherOptions.NoNewlines): the search for one is skipped.
func (p *syslogPrefix) match(buf []byte, noNewline bool) (mlfEnd, content int, ok bool) {
	i := 0
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	// the host: \S+ then \s+ (a '[' could be "[]" or "[ID", a '<' the
	// BSD "<facility.level>")
	h := i
	for i < len(buf) && visible(buf[i]) {
		i++
	}
	if i == h || buf[h] == '<' || buf[h] == '[' || i == len(buf) || buf[i] != ' ' {
		return 0, 0, false
	}
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	if i == len(buf) || !visible(buf[i]) {
		return 0, 0, false
	}
	// DAEMON[PID]: then \s+. The daemon's name is read first when the
	// line may start with it: a known name is an optional part (every
	// name begins with daemons[0], one of starts), so optionalAt need
	// not compare it again; otherwise optionalAt decides, and a line
	// where an optional part starts but no known name does is unsure.
	d := i
	known := false
	if buf[i] == p.daemons[0][0] {
		for i < len(buf) && nameByte(buf[i]) {
			i++
		}
		for _, n := range p.daemons {
			if string(buf[d:i]) == n {
				known = true
				break
			}
		}
	}
	if !known {
		if p.optionalAt(buf[d:]) {
			return 0, 0, false
		}
		// another program: no optional part of the prefix can start
		// here, the content does (after the host)
		if !noNewline && bytes.IndexByte(buf[d:], '\n') >= 0 {
			return 0, 0, false
		}
		return d, d, true
	}
	if i == len(buf) || buf[i] != '[' {
		return 0, 0, false
	}
	i++
	ds := i
	for i < len(buf) && buf[i] >= '0' && buf[i] <= '9' {
		i++
	}
	if i == ds || i+2 >= len(buf) || buf[i] != ']' || buf[i+1] != ':' || buf[i+2] != ' ' {
		return 0, 0, false
	}
	i += 2
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	mlfEnd = i
	rest := buf[i:]
	// (the first byte first: most messages start with none of these)
	if len(rest) > 0 && rest[0] == '[' && bytes.HasPrefix(rest, []byte("[ID ")) {
		return 0, 0, false
	}
	if len(rest) > 0 && (rest[0] == 'f' || rest[0] == 'e') &&
		(bytes.HasPrefix(rest, []byte("fatal: ")) || bytes.HasPrefix(rest, []byte("error: "))) {
		i += 7
		if bytes.HasPrefix(buf[i:], []byte("PAM: ")) {
			i += 5
		}
	}
	if i == len(buf) || !visible(buf[i]) || !noNewline && bytes.IndexByte(buf[i:], '\n') >= 0 {
		return 0, 0, false
	}
	return mlfEnd, i, true
}
