// Package ignore decides whether a failure id is on a jail's ignore list,
// with fail2ban's ignoreip, ignoreself and ignorecommand semantics.
//
// # Entries
//
// An ignoreip value is split on spaces and commas. Each entry is one of:
//
//	192.0.2.7, 2001:db8::1          an address (IPv4-mapped IPv6 is unmapped)
//	192.0.2.0/24, 2001:db8::/32     a CIDR prefix (host bits are masked)
//	192.0.2.0/255.255.255.0         a prefix with a dotted netmask
//	host.example.org                a host name: its addresses (resolved at
//	                                start and every [Options.Refresh]; a
//	                                name that fails to resolve keeps the
//	                                addresses it had), and the name itself
//	                                for ids that are names
//	file:/etc/banpipe/ignore.list   more entries, one or more a line; # starts
//	                                a comment
//
// Loopback addresses (127.0.0.0/8, ::1) and the unspecified addresses are
// always ignored. With ignoreself, so are the machine's own addresses
// (read at start and every [Options.Refresh]).
//
// # ignorecommand
//
// The command is the administrator's shell text; the id is never put into
// it. The tags <ip>, <fid> and <F-ID> are replaced by "$1" and the command
// runs as `sh -c COMMAND bancount-ignore ID`, so the id reaches the
// command as an argument only. Exit status 0 means ignore, 1 means do not;
// anything else is an error (reported, not ignored). Answers are cached per
// id for [Options.CacheTTL] (fail2ban's ignorecache).
package ignore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a [List].
type Options struct {
	Self     bool   // ignoreself
	Command  string // ignorecommand; "" for none
	CacheTTL time.Duration
	// Refresh is how often host names are resolved again and, with
	// Self, the machine's addresses read again, in the background;
	// 0 means 5 minutes (fail2ban caches both that long), < 0 never.
	Refresh time.Duration
	// CacheMax caps the cached command answers; 0 means 10,000.
	CacheMax int
	// Timeout bounds one run of the command; 0 means 10 s.
	Timeout time.Duration
	// Resolve looks a host name up; nil uses the system resolver.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// SelfAddrs lists the machine's addresses; nil uses the interfaces.
	SelfAddrs func() ([]netip.Addr, error)
	// Warn is told about problems (a name that does not resolve, a
	// command that fails); nil discards them.
	Warn func(msg string)
}

// List is one jail's ignore list. It is safe for concurrent use.
type List struct {
	opt      Options
	prefixes []netip.Prefix
	names    []string
	resolved atomic.Pointer[[]netip.Prefix]
	self     atomic.Pointer[map[netip.Addr]struct{}]
	entries  []string

	mu    sync.Mutex
	cache map[string]cached

	refreshMu sync.Mutex                // one Refresh at a time
	byName    map[string][]netip.Prefix // each name's last good answer
}

type cached struct {
	ignore bool
	until  time.Time
}

// New parses entries (each may hold several, split on spaces and commas),
// resolves host names and reads the machine's addresses; a List with
// names or Self does that again every [Options.Refresh] for the rest of
// the process.
func New(entries []string, opt Options) (*List, error) {
	if opt.CacheTTL == 0 {
		opt.CacheTTL = 5 * time.Minute
	}
	if opt.Refresh == 0 {
		opt.Refresh = 5 * time.Minute
	}
	if opt.CacheMax == 0 {
		opt.CacheMax = 10000
	}
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Second
	}
	l := &List{opt: opt, cache: make(map[string]cached)}
	for _, e := range entries {
		if err := l.add(e, true); err != nil {
			return nil, err
		}
	}
	l.Refresh(context.Background())
	if opt.Refresh > 0 && (len(l.names) > 0 || opt.Self) {
		l.refreshEvery()
	}
	return l, nil
}

// refreshEvery refreshes l every opt.Refresh: an admin's dynamic-DNS
// name in ignoreip keeps protecting the admin after the address moves.
func (l *List) refreshEvery() {
	time.AfterFunc(l.opt.Refresh, func() {
		l.Refresh(context.Background())
		l.refreshEvery()
	})
}

// Entries returns the parsed entries, for --dump.
func (l *List) Entries() []string { return l.entries }

func (l *List) add(value string, files bool) error {
	for _, f := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if name, ok := strings.CutPrefix(f, "file:"); ok {
			if !files {
				return fmt.Errorf("%s: nested file: entry", f)
			}
			if err := l.addFile(name); err != nil {
				return err
			}
			continue
		}
		p, err := ParseEntry(f)
		if err == nil {
			l.prefixes = append(l.prefixes, p)
		} else if isHostName(f) {
			l.names = append(l.names, strings.ToLower(f))
		} else {
			return fmt.Errorf("ignoreip %q: not an address, prefix or host name", f)
		}
		l.entries = append(l.entries, f)
	}
	return nil
}

func (l *List) addFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("ignoreip file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if err := l.add(line, false); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ParseEntry parses an address or prefix entry (see the package
// documentation).
func ParseEntry(s string) (netip.Prefix, error) {
	addr, mask, hasMask := strings.Cut(s, "/")
	if hasMask && strings.Contains(mask, ".") {
		m, err := netip.ParseAddr(mask)
		if err != nil || !m.Is4() {
			return netip.Prefix{}, fmt.Errorf("invalid netmask %q", mask)
		}
		b := m.As4()
		bits, seenZero := 0, false
		for _, x := range b {
			for i := 7; i >= 0; i-- {
				if x&(1<<i) != 0 {
					if seenZero {
						return netip.Prefix{}, fmt.Errorf("invalid netmask %q", mask)
					}
					bits++
				} else {
					seenZero = true
				}
			}
		}
		s = fmt.Sprintf("%s/%d", addr, bits)
	}
	if hasMask {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		a, bits := p.Addr(), p.Bits()
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a, bits).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errors.New("address with a zone")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range s {
		if !(c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Refresh resolves the host names again and re-reads the machine's
// addresses (New has it done every [Options.Refresh]). A name that does
// not resolve now keeps its last addresses: a DNS outage must not lift
// the protection of an address that was on the list.
func (l *List) Refresh(ctx context.Context) {
	l.refreshMu.Lock()
	defer l.refreshMu.Unlock()
	if len(l.names) > 0 {
		resolve := l.opt.Resolve
		if resolve == nil {
			resolve = func(ctx context.Context, h string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", h)
			}
		}
		if l.byName == nil {
			l.byName = make(map[string][]netip.Prefix, len(l.names))
		}
		var ps []netip.Prefix
		for _, n := range l.names {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			addrs, err := resolve(c, n)
			cancel()
			if err != nil {
				l.warn(fmt.Sprintf("ignoreip %s: %v", n, err))
			} else {
				got := make([]netip.Prefix, 0, len(addrs))
				for _, a := range addrs {
					a = a.Unmap()
					got = append(got, netip.PrefixFrom(a, a.BitLen()))
				}
				l.byName[n] = got
			}
			ps = append(ps, l.byName[n]...)
		}
		l.resolved.Store(&ps)
	}
	if l.opt.Self {
		get := l.opt.SelfAddrs
		if get == nil {
			get = SelfAddrs
		}
		addrs, err := get()
		if err != nil {
			l.warn(fmt.Sprintf("ignoreself: %v", err))
			if l.self.Load() != nil {
				return // keep the addresses read before
			}
		}
		m := make(map[netip.Addr]struct{}, len(addrs))
		for _, a := range addrs {
			m[a.Unmap().WithZone("")] = struct{}{}
		}
		l.self.Store(&m)
	}
}

// SelfAddrs returns the addresses of the machine's interfaces.
func SelfAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			if x, ok := netip.AddrFromSlice(n.IP); ok {
				out = append(out, x.Unmap())
			}
		}
	}
	return out, nil
}

func (l *List) warn(msg string) {
	if l.opt.Warn != nil {
		l.opt.Warn(msg)
	}
}

// Prefixes returns the list's addresses and prefixes: its entries and the
// addresses its host names resolved to at the last Refresh (not the
// machine's own addresses, not the command's answers). fwban refuses a ban
// of a prefix that overlaps any of them.
func (l *List) Prefixes() []netip.Prefix {
	if l == nil {
		return nil
	}
	out := append([]netip.Prefix(nil), l.prefixes...)
	if r := l.resolved.Load(); r != nil {
		out = append(out, *r...)
	}
	return out
}

// Ignored reports whether id (with its address when hasAddr) is ignored,
// and by which rule: "loopback", "ignoreself rule", "ip", "dns" or
// "command".
func (l *List) Ignored(id string, addr netip.Addr, hasAddr bool) (bool, string) {
	if hasAddr {
		addr = addr.Unmap()
		if addr.IsLoopback() || addr.IsUnspecified() {
			return true, "loopback"
		}
		if m := l.self.Load(); m != nil {
			if _, ok := (*m)[addr]; ok {
				return true, "ignoreself rule"
			}
		}
		for _, p := range l.prefixes {
			if p.Contains(addr) {
				return true, "ip"
			}
		}
		if r := l.resolved.Load(); r != nil {
			for _, p := range *r {
				if p.Contains(addr) {
					return true, "dns"
				}
			}
		}
	} else {
		for _, n := range l.names {
			if strings.EqualFold(n, id) {
				return true, "dns"
			}
		}
	}
	if l.opt.Command != "" {
		if l.command(id) {
			return true, "command"
		}
	}
	return false, ""
}

// CommandArgs returns the argv that runs command for id: the tags become
// "$1" and id is passed as that argument, never as shell text.
func CommandArgs(command, id string) []string {
	script := command
	for _, tag := range []string{"<ip>", "<fid>", "<F-ID>", "<F-IP>"} {
		script = strings.ReplaceAll(script, tag, `"$1"`)
	}
	return []string{"/bin/sh", "-c", script, "bancount-ignore", id}
}

func (l *List) command(id string) bool {
	now := time.Now()
	l.mu.Lock()
	if c, ok := l.cache[id]; ok && now.Before(c.until) {
		l.mu.Unlock()
		return c.ignore
	}
	l.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), l.opt.Timeout)
	defer cancel()
	argv := CommandArgs(l.opt.Command, id)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	ignore := false
	var ee *exec.ExitError
	switch {
	case err == nil:
		ignore = true
	case errors.As(err, &ee) && ee.ExitCode() == 1:
	default:
		l.warn(fmt.Sprintf("ignorecommand for %s: %v: %s", id, err, strings.TrimSpace(stderr.String())))
		return false
	}
	l.mu.Lock()
	if len(l.cache) >= l.opt.CacheMax {
		for k, c := range l.cache {
			if !now.Before(c.until) {
				delete(l.cache, k)
			}
		}
		if len(l.cache) >= l.opt.CacheMax {
			clear(l.cache)
		}
	}
	l.cache[id] = cached{ignore: ignore, until: now.Add(l.opt.CacheTTL)}
	l.mu.Unlock()
	return ignore
}
