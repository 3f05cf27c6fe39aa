package event

import (
	"net/netip"
	"testing"
)

// TestParseIPExact pins what ParseIP's documentation promises: an address
// is a full-length prefix, host bits of a prefix are masked, and an
// IPv4-mapped address or prefix becomes IPv4, also in a decoded event.
func TestParseIPExact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{"2001:db8::7", "2001:db8::7/128"},
		{"203.0.113.77/24", "203.0.113.0/24"},
		{"2001:db8:1:2::3/64", "2001:db8:1:2::/64"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.7/128", "192.0.2.7/32"},
		{"::ffff:203.0.113.77/120", "203.0.113.0/24"},
		{"::ffff:198.51.100.0/112", "198.51.0.0/16"},
	} {
		want := netip.MustParsePrefix(c.want)
		got, err := ParseIP(c.in)
		if err != nil || got != want {
			t.Errorf("ParseIP(%q) = %v, %v; want %v", c.in, got, err, want)
		}
		var e Event
		if err := Decode([]byte(`{"action":"ban","jail":"j","ip":"`+c.in+`"}`), &e); err != nil || e.IP != want || e.ID() != FormatPrefix(want) {
			t.Errorf("Decode ip %q: IP %v ID %q, %v; want %v", c.in, e.IP, e.ID(), err, want)
		}
	}
	for _, bad := range []string{"192.0.2.7/33", "fe80::1%eth0", "192.0.2", ""} {
		if p, err := ParseIP(bad); err == nil {
			t.Errorf("ParseIP(%q) = %v, want an error", bad, p)
		}
	}
}
