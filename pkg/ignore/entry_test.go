package ignore

import (
	"net/netip"
	"testing"
)

// TestParseEntryExact pins the prefix each entry form stands for: dotted
// netmasks bit by bit, and IPv4-mapped addresses and prefixes as IPv4.
func TestParseEntryExact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{"192.0.2.0/24", "192.0.2.0/24"},
		{"192.0.2.77/24", "192.0.2.0/24"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"2001:db8:1:2::/48", "2001:db8:1::/48"},
		{"10.9.0.0/255.255.0.0", "10.9.0.0/16"},
		{"10.9.0.0/255.254.0.0", "10.8.0.0/15"},
		{"10.9.128.0/255.255.128.0", "10.9.128.0/17"},
		{"203.0.113.64/255.255.255.192", "203.0.113.64/26"},
		{"203.0.113.7/255.255.255.254", "203.0.113.6/31"},
		{"203.0.113.7/255.255.255.255", "203.0.113.7/32"},
		{"203.0.113.7/0.0.0.0", "0.0.0.0/0"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{"::ffff:192.0.2.7/128", "192.0.2.7/32"},
		{"::ffff:203.0.113.128/121", "203.0.113.128/25"},
		{"::ffff:0.0.0.0/96", "0.0.0.0/0"},
	} {
		got, err := ParseEntry(c.in)
		if err != nil {
			t.Errorf("ParseEntry(%q): %v", c.in, err)
			continue
		}
		if want := netip.MustParsePrefix(c.want); got != want {
			t.Errorf("ParseEntry(%q) = %v, want %v", c.in, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/255.0.255.0", "10.0.0.0/0.255.255.255", "10.0.0.0/255.255.255.1", "10.0.0.0/ffff::", "10.0.0.0/256.0.0.0"} {
		if p, err := ParseEntry(bad); err == nil {
			t.Errorf("ParseEntry(%q) = %v, want an error", bad, p)
		}
	}
}
