package filter_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/filter"
)

// TestFailureAddress pins the "ip" a failure gets from each kind of id: an
// <F-ID> that is an address literal gets it as its address, one that is not
// gets none; <ADDR>/<CIDR> and <SUBNET> keep their prefix length (host bits
// masked, mapped addresses unmapped).
func TestFailureAddress(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		regex, line, host, ip string // ip "" for none
	}{
		{`^id <F-ID>\S+</F-ID>$`, "id 192.0.2.7", "192.0.2.7", "192.0.2.7/32"},
		{`^id <F-ID>\S+</F-ID>$`, "id 2001:db8::7", "2001:db8::7", "2001:db8::7/128"},
		{`^id <F-ID>\S+</F-ID>$`, "id ::ffff:192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7/32"},
		{`^id <F-ID>\S+</F-ID>$`, "id alice", "alice", ""},
		{`^id <F-ID>\S+</F-ID>$`, "id 192.0.2.7x", "192.0.2.7x", ""},
		{`^net <ADDR>/<CIDR>$`, "net 192.0.2.77/24", "192.0.2.77", "192.0.2.0/24"},
		{`^net <ADDR>/<CIDR>$`, "net 2001:db8:1:2::3/48", "2001:db8:1:2::3", "2001:db8:1::/48"},
		{`^net <SUBNET>$`, "net 198.51.100.9/28", "198.51.100.9", "198.51.100.0/28"},
		{`^net <SUBNET>$`, "net 2001:db8::1/64", "2001:db8::1", "2001:db8::/64"},
		{`^net <SUBNET>$`, "net 203.0.113.5", "203.0.113.5", "203.0.113.5/32"},
		{`^from <HOST>$`, "from 192.0.2.8", "192.0.2.8", "192.0.2.8/32"},
	} {
		f, err := filter.Compile(filter.Definition{Name: "t", FailRegex: []string{c.regex}, UseDNS: "no"}, filter.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.regex, err)
		}
		res, _ := filter.NewMatcher(f, filter.MatcherOptions{}).LineAt([]byte(c.line), at)
		if len(res.Failures) != 1 {
			t.Errorf("%s on %q: %d failures, want 1", c.regex, c.line, len(res.Failures))
			continue
		}
		fl := res.Failures[0]
		var want netip.Prefix
		if c.ip != "" {
			want = netip.MustParsePrefix(c.ip)
		}
		if fl.Host != c.host || fl.IP != want {
			t.Errorf("%s on %q: host %q ip %v, want %q %v", c.regex, c.line, fl.Host, fl.IP, c.host, want)
		}
	}
}
