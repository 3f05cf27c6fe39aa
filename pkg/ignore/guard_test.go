package ignore

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	g := Guard{
		Ignore: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/28"), netip.MustParsePrefix("2001:db8:1::/48")},
		Admin:  SSHClients("198.51.100.9 50000 192.0.2.1 22", "2001:db8:2::9 50000 22"),
		Self:   OwnOf(netip.MustParseAddr("192.0.2.200"), netip.MustParseAddr("2001:db8:5::1")),
	}
	tests := []struct {
		in   string
		want string // "" = allowed
	}{
		{"192.0.2.7", ""},
		{"2001:db8::7", ""},
		{"192.0.2.0/24", "this machine"},
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.0.0.0/0", "every address"},
		{"::/0", "every address"},
		{"0.0.0.0/1", "loopback"}, // covers 127/8 and 0.0.0.0
		{"64.0.0.0/2", "loopback"},
		{"::/64", "loopback"},
		{"192.0.0.0/2", "SSH session"}, // also covers ignoreip 203.0.113.0/28
		{"203.0.0.0/8", "ignoreip"},
		{"203.0.113.5", "ignoreip"},
		{"203.0.113.0/24", "ignoreip"},
		{"203.0.113.16", ""},
		{"2001:db8:1:2::3", "ignoreip"},
		{"198.51.100.9", "SSH session"},
		{"198.51.100.0/24", "SSH session"},
		{"2001:db8:2::9", "SSH session"},
		{"198.51.100.10", ""},
		{"192.0.2.200", "this machine"},
		{"192.0.2.128/25", "this machine"},
		{"192.0.2.0/25", ""},
		{"2001:db8:5::/64", "this machine"},
		{"2001:db8:5:1::/64", ""},
	}
	for _, tt := range tests {
		p := netip.MustParsePrefix(prefixOf(tt.in))
		err := g.Check(p)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%s) = %v, want allowed", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Check(%s) = %v, want an error about %q", tt.in, err, tt.want)
		}
	}
	if err := g.Check(netip.Prefix{}); err == nil || err.Error() != "no address" {
		t.Errorf("Check(zero) = %v", err)
	}
}

func prefixOf(s string) string {
	if strings.Contains(s, "/") {
		return s
	}
	a := netip.MustParseAddr(s)
	return netip.PrefixFrom(a, a.BitLen()).String()
}

func TestGuardList(t *testing.T) {
	l, err := New([]string{"203.0.113.7", "ns.example.org"}, Options{Self: true,
		Resolve: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("198.51.100.20")}, nil
		},
		SelfAddrs: func() ([]netip.Addr, error) { return []netip.Addr{netip.MustParseAddr("2001:db8:9::1")}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	g := Guard{List: l}
	for _, tt := range []struct{ in, want string }{
		{"203.0.113.0/24", "ignoreip (203.0.113.7)"},
		{"198.51.100.0/24", "host name's address 198.51.100.20"},
		{"2001:db8:9::/64", "this machine (2001:db8:9::1, ignoreself)"},
		{"2001:db8:8::/64", ""},
		{"203.0.113.8", ""},
	} {
		err := g.Check(netip.MustParsePrefix(prefixOf(tt.in)))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%s) = %v, want allowed", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Check(%s) = %v, want an error about %q", tt.in, err, tt.want)
		}
	}
	var zero *Guard
	if err := zero.Check(netip.MustParsePrefix("127.0.0.0/16")); err == nil {
		t.Error("nil Guard: loopback allowed")
	}
}

func TestSSHClients(t *testing.T) {
	got := SSHClients("::ffff:192.0.2.9 1 2 3", "192.0.2.9 1 2")
	if len(got) != 1 || got[0] != netip.MustParseAddr("192.0.2.9") {
		t.Errorf("SSHClients = %v, want [192.0.2.9]", got)
	}
	if got := SSHClients("", "garbage"); len(got) != 0 {
		t.Errorf("SSHClients(garbage) = %v", got)
	}
}
