package filter

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

type fakeResolver struct {
	calls atomic.Int32
	addrs map[string][]netip.Addr
	block bool
}

func (r *fakeResolver) LookupAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	r.calls.Add(1)
	if r.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return r.addrs[host], nil
}

func dnsMatcher(t *testing.T, usedns string, r *fakeResolver, now *time.Time, warn *[]string) *Matcher {
	t.Helper()
	f, err := Compile(Definition{Name: "t", FailRegex: []string{`^fail from <HOST>$`}, UseDNS: usedns}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return *now }
	return NewMatcher(f, MatcherOptions{
		DNS:  &DNSCache{Resolver: r, Now: clock, Timeout: 50 * time.Millisecond},
		Warn: func(m string) { *warn = append(*warn, m) },
	})
}

func hostsIPs(res *Result) (hosts, ips []string) {
	for _, f := range res.Failures {
		hosts = append(hosts, f.Host)
		if f.IP.IsValid() {
			ips = append(ips, f.IP.String())
		}
	}
	return
}

func TestUseDNS(t *testing.T) {
	addrs := map[string][]netip.Addr{"bad.example": {netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}}
	now := time.Unix(1000, 0)
	for _, tt := range []struct {
		usedns    string
		wantHosts int
		wantIPs   int
		wantWarn  bool
		lookups   int32
	}{
		{"yes", 2, 2, false, 1},
		{"warn", 2, 2, true, 1},
		{"no", 0, 0, false, 0},  // <HOST> is an address only
		{"raw", 1, 0, false, 0}, // the name itself is the id
	} {
		r := &fakeResolver{addrs: addrs}
		var warns []string
		m := dnsMatcher(t, tt.usedns, r, &now, &warns)
		for i := 0; i < 2; i++ { // the second line is served from the cache
			res, err := m.LineAt([]byte("fail from bad.example"), now)
			if err != nil {
				t.Fatal(err)
			}
			hosts, ips := hostsIPs(res)
			if len(hosts) != tt.wantHosts || len(ips) != tt.wantIPs {
				t.Errorf("usedns=%s: hosts %q ips %q", tt.usedns, hosts, ips)
			}
			for _, h := range hosts {
				if h != "bad.example" {
					t.Errorf("usedns=%s: host %q, want the name as captured", tt.usedns, h)
				}
			}
		}
		if (len(warns) > 0) != tt.wantWarn {
			t.Errorf("usedns=%s: warnings %q", tt.usedns, warns)
		}
		if got := r.calls.Load(); got != tt.lookups {
			t.Errorf("usedns=%s: %d look-ups, want %d (cached)", tt.usedns, got, tt.lookups)
		}
		// An address in a <HOST> needs no look-up in any mode.
		res, _ := m.LineAt([]byte("fail from 198.51.100.7"), now)
		if _, ips := hostsIPs(res); len(ips) != 1 || ips[0] != "198.51.100.7/32" {
			t.Errorf("usedns=%s: address line gave %q", tt.usedns, ips)
		}
	}
}

func TestDNSCacheExpiryAndTimeout(t *testing.T) {
	now := time.Unix(1000, 0)
	r := &fakeResolver{addrs: map[string][]netip.Addr{"a.example": {netip.MustParseAddr("192.0.2.9")}}}
	d := &DNSCache{Resolver: r, Now: func() time.Time { return now }}
	d.Lookup("a.example")
	d.Lookup("a.example")
	if r.calls.Load() != 1 {
		t.Fatalf("%d look-ups before expiry, want 1", r.calls.Load())
	}
	now = now.Add(6 * time.Minute)
	d.Lookup("a.example")
	if r.calls.Load() != 2 {
		t.Fatalf("%d look-ups after expiry, want 2", r.calls.Load())
	}
	slow := &fakeResolver{block: true}
	d2 := &DNSCache{Resolver: slow, Timeout: 30 * time.Millisecond}
	start := time.Now()
	if a, _ := d2.Lookup("slow.example"); len(a) != 0 {
		t.Errorf("a timed-out look-up gave %v", a)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("look-up took %v, want it bounded by the timeout", el)
	}
}

func TestTTLCacheOrder(t *testing.T) {
	now := time.Unix(0, 0)
	c := newTTLCache[int](2, time.Minute, func() time.Time { return now })
	c.set("a", 1)
	c.set("b", 2)
	c.set("c", 3) // full: the oldest goes
	if _, ok := c.get("a"); ok {
		t.Error("a should have been dropped")
	}
	if v, ok := c.get("c"); !ok || v != 3 {
		t.Error("c missing")
	}
	now = now.Add(2 * time.Minute)
	if _, ok := c.get("b"); ok {
		t.Error("b should have expired")
	}
}
