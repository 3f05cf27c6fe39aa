package firewall

import (
	"fmt"
	"net/netip"
	"strings"
)

// Guard refuses bans that would lock out what must stay reachable: loopback,
// the unspecified address, everything (0.0.0.0/0, ::/0), the addresses of
// the ignore list and the client of the SSH session the program runs under.
// A prefix is refused when it overlaps any of them, so 0.0.0.0/1 and a /8
// holding an ignored address are refused too.
type Guard struct {
	Ignore []netip.Prefix // --ignoreip and the jail's ignoreip
	Admin  []netip.Addr   // the SSH client address(es)
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
	for _, ip := range g.Admin {
		if p.Contains(ip.Unmap()) {
			return fmt.Errorf("refusing to ban %s: the client of this SSH session (%s)", show(p), ip.Unmap())
		}
	}
	for _, ig := range g.Ignore {
		if p.Overlaps(ig) {
			return fmt.Errorf("refusing to ban %s: in ignoreip (%s)", show(p), show(ig))
		}
	}
	return nil
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
