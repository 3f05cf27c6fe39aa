package netnstest

import (
	"net/netip"
	"testing"
	"time"
)

// TestPair checks the pair itself: every client address reaches a
// listening port, a closed port refuses, and a port blocked with DROP in the
// server namespace times out.
func TestPair(t *testing.T) {
	p := New(t)
	p.Listen(t, 2222)
	for _, src := range addrs() {
		p.Expect(t, src, 2222, Connected)
		p.Expect(t, src, 2223, Refused)
	}
	Run(t, p.Server, "iptables", "-w", "10", "-A", "INPUT", "-p", "tcp", "--dport", "2222", "-s", Client4.String(), "-j", "DROP")
	start := time.Now()
	p.Expect(t, Client4, 2222, TimedOut)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("dial took %v", d)
	}
	p.Expect(t, Client4b, 2222, Connected)
}

func addrs() []netip.Addr { return []netip.Addr{Client4, Client4b, Client6, Client6b} }
