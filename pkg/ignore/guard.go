package ignore

import (
	"fmt"
	"net/netip"
	"strings"
)

// Guard refuses bans that would lock out what must stay reachable:
// everything (0.0.0.0/0, ::/0), loopback, the unspecified address, the
// client of the SSH session the program runs under ([SSHClients]), the
// machine's own addresses and the ignore list (Ignore and List). A ban is
// refused when it overlaps any of them: a single address that is one of
// them, or a prefix that holds one (0.0.0.0/1, a /24 holding an ignoreip
// address, a /64 holding the machine's address).
//
// It is the one check every ban goes through: bancount's engine for the
// prefixes it counts and escalates to, manual bans and bans adopted from a
// fleet, and fwban before it touches the firewall. The zero Guard checks
// the fixed rules only.
type Guard struct {
	Ignore []netip.Prefix // addresses and prefixes of ignoreip
	List   *List          // an ignore list (its prefixes, resolved names and, with ignoreself, own addresses); may be nil
	Admin  []netip.Addr   // the SSH client address(es)
	Self   *Own           // the machine's own addresses
}

var (
	loopback4   = netip.MustParsePrefix("127.0.0.0/8")
	loopback6   = netip.MustParsePrefix("::1/128")
	unspecified = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("::/128")}
)

// Check returns why p must not be banned, or nil.
func (g *Guard) Check(p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("no address")
	}
	p = p.Masked()
	a := p.Addr()
	if a.Zone() != "" || a.Is4In6() {
		return fmt.Errorf("refusing to ban %s: not a plain address", p)
	}
	if p.Bits() == 0 {
		return fmt.Errorf("refusing to ban %s: it is every address", p)
	}
	if p.Overlaps(loopback4) || p.Overlaps(loopback6) {
		return fmt.Errorf("refusing to ban %s: loopback", show(p))
	}
	for _, u := range unspecified {
		if p.Overlaps(u) {
			return fmt.Errorf("refusing to ban %s: the unspecified address", show(p))
		}
	}
	if g == nil {
		return nil
	}
	for _, ip := range g.Admin {
		if p.Contains(ip.Unmap()) {
			return fmt.Errorf("refusing to ban %s: the client of this SSH session (%s)", show(p), ip.Unmap())
		}
	}
	for _, ip := range g.Self.Addrs() {
		if p.Contains(ip.Unmap().WithZone("")) {
			return fmt.Errorf("refusing to ban %s: an address of this machine (%s)", show(p), ip.Unmap().WithZone(""))
		}
	}
	for _, ig := range g.Ignore {
		if p.Overlaps(ig) {
			return fmt.Errorf("refusing to ban %s: in ignoreip (%s)", show(p), show(ig))
		}
	}
	if g.List != nil {
		if what, ok := g.List.covers(p); ok {
			return fmt.Errorf("refusing to ban %s: %s", show(p), what)
		}
	}
	return nil
}

// covers reports whether p overlaps an entry of the list: its prefixes,
// the addresses of its host names, and with ignoreself the machine's own
// addresses.
func (l *List) covers(p netip.Prefix) (string, bool) {
	for _, ig := range l.prefixes {
		if p.Overlaps(ig) {
			return "in ignoreip (" + show(ig) + ")", true
		}
	}
	if r := l.resolved.Load(); r != nil {
		for _, ig := range *r {
			if p.Overlaps(ig) {
				return "in ignoreip (a host name's address " + show(ig) + ")", true
			}
		}
	}
	if m := l.self.Load(); m != nil {
		for a := range *m {
			if p.Contains(a) {
				return "an address of this machine (" + a.String() + ", ignoreself)", true
			}
		}
	}
	return "", false
}

func show(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// SSHClients returns the client addresses named by the SSH_CONNECTION
// ("client port server port") and SSH_CLIENT ("client port port") values
// given (as from os.Getenv); unparsable values are ignored.
func SSHClients(sshConnection, sshClient string) []netip.Addr {
	var out []netip.Addr
	for _, v := range []string{sshConnection, sshClient} {
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		a = a.WithZone("").Unmap()
		dup := false
		for _, b := range out {
			dup = dup || b == a
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}
