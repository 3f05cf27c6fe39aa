// Package authgen writes a synthetic but realistic syslog auth.log for
// benchmarks: a seeded generator (math/rand/v2, PCG), so the same seed gives
// the same bytes.
//
// About 10% of the lines are sshd authentication failures in the shapes
// OpenSSH 8 and 9 write on Debian (failed passwords and public keys, invalid
// users, pam_unix authentication failures, connections closed or
// disconnected before authentication, too many attempts, banner-exchange
// and key-exchange errors). The other 90% are the noise a server logs:
// accepted logins, pam_unix session lines, cron sessions and commands,
// systemd-logind and session scopes, sudo, and kernel UFW blocks.
//
// Attacks come from a pool of addresses in which a few are very busy (a
// Zipf distribution): documentation ranges (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 2001:db8::/32) and random public IPv4 addresses. Lines
// are in time order, one host, syslog dates ("Nov  2 10:04:05").
//
// With Options.Service, Generate writes the log of another server program
// (Services); FilterCases and Cases list, for tests, the built-in filters
// that read each log (sshd in its modes) and fail2ban's filter files of
// the same names.
package authgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Options configure Generate.
type Options struct {
	Lines int       // number of lines; 0 means 1,000,000
	Seed  uint64    // the same seed gives the same log
	Start time.Time // time of the first line; zero means 2026-11-21 00:00:00 UTC
	Host  string    // syslog host name; "" means web01
	// Service is the log written: "" or "auth" for the sshd auth.log,
	// else one of Services() (the log of other programs, for the other
	// built-in filters; see ServiceFilters).
	Service string
}

// Stats counts what Generate wrote.
type Stats struct {
	Lines    int
	Failures int // sshd failure lines
}

// FailureRatio is the share of sshd failure lines.
const FailureRatio = 0.10

type gen struct {
	r        *rand.Rand
	w        *bufio.Writer
	t        time.Time
	host     string
	attack   []string // attacker addresses, busiest first
	zipf     *rand.Zipf
	users    []string // local users
	ips      []string // addresses the local users come from
	session  int
	kernelUp float64
	buf      []byte
	// a service line's attacker and user (see expand)
	lineIP, lineUser string
}

// Generate writes opts.Lines lines to w.
func Generate(w io.Writer, opts Options) (Stats, error) {
	if opts.Lines == 0 {
		opts.Lines = 1_000_000
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	}
	if opts.Host == "" {
		opts.Host = "web01"
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x6a09e667f3bcc909))
	g := &gen{
		r:        r,
		w:        bufio.NewWriterSize(w, 1<<16),
		t:        opts.Start,
		host:     opts.Host,
		users:    []string{"alice", "bob", "carol", "deploy", "backup", "git", "root"},
		session:  100 + r.IntN(900),
		kernelUp: 1000 + r.Float64()*1e6,
	}
	g.zipf = rand.NewZipf(r, 1.2, 8, 3999)
	for i := 0; i < 4000; i++ {
		g.attack = append(g.attack, g.attackerIP())
	}
	for i := 0; i < 12; i++ {
		g.ips = append(g.ips, g.docIP())
	}
	if opts.Service != "" && opts.Service != "auth" {
		s := findService(opts.Service)
		if s == nil {
			return Stats{}, fmt.Errorf("unknown service %q (want one of %s)", opts.Service, strings.Join(Services(), ", "))
		}
		return g.service(s, opts)
	}
	// Spread the lines over about 23 hours.
	step := float64(23*time.Hour) / float64(opts.Lines)
	var st Stats
	for i := 0; i < opts.Lines; i++ {
		g.t = g.t.Add(time.Duration(g.r.ExpFloat64() * step))
		fail := g.r.Float64() < FailureRatio
		if fail {
			g.failure()
			st.Failures++
		} else {
			g.noise()
		}
		st.Lines++
	}
	return st, g.w.Flush()
}

var invalidUsers = []string{"admin", "test", "user", "oracle", "postgres", "ubuntu", "guest", "ftpuser",
	"support", "pi", "git", "hadoop", "minecraft", "teamspeak", "nagios", "jenkins", "odoo", "dev",
	"administrator", "usuario", "steam", "es", "mysql", "sysadmin", "www-data", "tomcat", "ansible", "xxx"}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) pid() int  { return 1000 + g.r.IntN(4_000_000) }
func (g *gen) port() int { return 1024 + g.r.IntN(64511) }

// docIP is an address of a documentation range.
func (g *gen) docIP() string {
	switch g.r.IntN(4) {
	case 0:
		return "192.0.2." + strconv.Itoa(1+g.r.IntN(254))
	case 1:
		return "198.51.100." + strconv.Itoa(1+g.r.IntN(254))
	case 2:
		return "203.0.113." + strconv.Itoa(1+g.r.IntN(254))
	}
	var a [16]byte
	a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
	for i := 4; i < 16; i++ {
		if i < 8 || g.r.IntN(3) == 0 {
			a[i] = byte(g.r.IntN(256))
		}
	}
	return netip.AddrFrom16(a).String()
}

// attackerIP is a documentation address (40%) or a random public IPv4.
func (g *gen) attackerIP() string {
	if g.r.IntN(10) < 4 {
		return g.docIP()
	}
	for {
		a := [4]byte{byte(1 + g.r.IntN(223)), byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))}
		ip := netip.AddrFrom4(a)
		if ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || a[0] == 0 || a[0] == 100 && a[1]&0xc0 == 64 {
			continue
		}
		return ip.String()
	}
}

func (g *gen) attacker() string { return g.attack[g.zipf.Uint64()] }

// head writes "Mon DD HH:MM:SS host prog[pid]: ".
func (g *gen) head(prog string, pid int) {
	g.buf = g.t.AppendFormat(g.buf[:0], time.Stamp)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.host...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, prog...)
	if pid > 0 {
		g.buf = append(g.buf, '[')
		g.buf = strconv.AppendInt(g.buf, int64(pid), 10)
		g.buf = append(g.buf, ']')
	}
	g.buf = append(g.buf, ": "...)
}

func (g *gen) emit(prog string, pid int, format string, args ...any) {
	g.head(prog, pid)
	g.buf = fmt.Appendf(g.buf, format, args...)
	g.buf = append(g.buf, '\n')
	g.w.Write(g.buf)
}

var keyTypes = []string{"RSA", "ED25519", "ECDSA"}

func (g *gen) fingerprint() string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, 43)
	for i := range b {
		b[i] = b64[g.r.IntN(64)]
	}
	return string(b)
}

// failure writes one sshd failure line.
func (g *gen) failure() {
	ip, port, pid := g.attacker(), g.port(), g.pid()
	user := g.pick(invalidUsers)
	valid := g.r.IntN(4) == 0
	if valid {
		user = g.pick([]string{"root", "root", "root", "alice", "git"})
	}
	switch n := g.r.IntN(100); {
	case n < 30:
		if valid {
			g.emit("sshd", pid, "Failed password for %s from %s port %d ssh2", user, ip, port)
		} else {
			g.emit("sshd", pid, "Failed password for invalid user %s from %s port %d ssh2", user, ip, port)
		}
	case n < 48:
		g.emit("sshd", pid, "Invalid user %s from %s port %d", user, ip, port)
	case n < 62:
		if valid {
			g.emit("sshd", pid, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=%s", ip, user)
		} else {
			g.emit("sshd", pid, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s", ip)
		}
	case n < 72:
		if valid {
			g.emit("sshd", pid, "Connection closed by authenticating user %s %s port %d [preauth]", user, ip, port)
		} else {
			g.emit("sshd", pid, "Connection closed by invalid user %s %s port %d [preauth]", user, ip, port)
		}
	case n < 78:
		if valid {
			g.emit("sshd", pid, "error: maximum authentication attempts exceeded for %s from %s port %d ssh2 [preauth]", user, ip, port)
		} else {
			g.emit("sshd", pid, "error: maximum authentication attempts exceeded for invalid user %s from %s port %d ssh2 [preauth]", user, ip, port)
		}
	case n < 84:
		if valid {
			g.emit("sshd", pid, "Disconnected from authenticating user %s %s port %d [preauth]", user, ip, port)
		} else {
			g.emit("sshd", pid, "Disconnected from invalid user %s %s port %d [preauth]", user, ip, port)
		}
	case n < 88:
		g.emit("sshd", pid, "Received disconnect from %s port %d:11: Bye Bye [preauth]", ip, port)
	case n < 91:
		g.emit("sshd", pid, "banner exchange: Connection from %s port %d: invalid format", ip, port)
	case n < 93:
		g.emit("sshd", pid, "Unable to negotiate with %s port %d: no matching key exchange method found. Their offer: diffie-hellman-group14-sha1,diffie-hellman-group1-sha1 [preauth]", ip, port)
	case n < 95:
		g.emit("sshd", pid, "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=%s", ip, user)
	case n < 97:
		g.emit("sshd", pid, "Failed publickey for %s from %s port %d ssh2: %s SHA256:%s", user, ip, port, g.pick(keyTypes), g.fingerprint())
	case n < 99:
		g.emit("sshd", pid, "Disconnecting authenticating user %s %s port %d: Too many authentication failures [preauth]", user, ip, port)
	default:
		g.emit("sshd", pid, "Connection reset by %s port %d [preauth]", ip, port)
	}
}

var cronCmds = []string{
	"command -v debian-sa1 > /dev/null && debian-sa1 1 1",
	"cd / && run-parts --report /etc/cron.hourly",
	"[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi",
	"/usr/local/bin/backup.sh >/dev/null 2>&1",
}

var sudoCmds = []string{"/usr/bin/apt update", "/usr/bin/systemctl restart nginx", "/usr/bin/journalctl -u ssh", "/usr/bin/tail -f /var/log/auth.log"}

// noise writes one ordinary line.
func (g *gen) noise() {
	user := g.pick(g.users[:6])
	uid := 1000 + g.r.IntN(6)
	ip, port, pid := g.pick(g.ips), g.port(), g.pid()
	switch n := g.r.IntN(100); {
	case n < 12:
		g.emit("sshd", pid, "Accepted publickey for %s from %s port %d ssh2: %s SHA256:%s", user, ip, port, g.pick(keyTypes), g.fingerprint())
	case n < 15:
		g.emit("sshd", pid, "Accepted password for %s from %s port %d ssh2", user, ip, port)
	case n < 27:
		g.emit("sshd", pid, "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)", user, uid)
	case n < 38:
		g.emit("sshd", pid, "pam_unix(sshd:session): session closed for user %s", user)
	case n < 44:
		g.emit("sshd", pid, "Received disconnect from %s port %d:11: disconnected by user", ip, port)
	case n < 50:
		g.emit("sshd", pid, "Disconnected from user %s %s port %d", user, ip, port)
	case n < 60:
		g.emit("CRON", pid, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")
	case n < 68:
		g.emit("CRON", pid, "(root) CMD (%s)", g.pick(cronCmds))
	case n < 76:
		g.emit("CRON", pid, "pam_unix(cron:session): session closed for user root")
	case n < 80:
		g.session++
		g.emit("systemd-logind", 612, "New session %d of user %s.", g.session, user)
	case n < 83:
		g.emit("systemd-logind", 612, "Session %d logged out. Waiting for processes to exit.", g.session-g.r.IntN(5))
	case n < 86:
		g.emit("systemd-logind", 612, "Removed session %d.", g.session-g.r.IntN(5))
	case n < 88:
		g.emit("systemd", 1, "Started session-%d.scope - Session %d of User %s.", g.session, g.session, user)
	case n < 90:
		g.emit("systemd", pid, "pam_unix(systemd-user:session): session opened for user %s(uid=%d) by (uid=0)", user, uid)
	case n < 93:
		g.emit("sudo", pid, "   %s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=%s", user, g.r.IntN(4), user, g.pick(sudoCmds))
	case n < 95:
		g.emit("sudo", pid, "pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=%d)", user, uid)
	case n < 96:
		g.emit("sudo", pid, "pam_unix(sudo:session): session closed for user root")
	default:
		g.kernelUp += g.r.Float64() * 10
		src := g.attacker()
		proto := "PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0"
		g.emit("kernel", 0, "[%.6f] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=%s DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=%d ID=%d "+proto,
			g.kernelUp, src, 40+g.r.IntN(200), g.r.IntN(65536), g.port(), g.pick([]string{"23", "3389", "8080", "445", "5900"}))
	}
}
