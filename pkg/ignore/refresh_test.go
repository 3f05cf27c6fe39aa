package ignore

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// answers is a lookup whose answer the test changes while a List or an
// Own uses it.
type answers struct {
	mu    sync.Mutex
	addrs []netip.Addr
	err   error
	calls int
}

func (a *answers) set(err error, addrs ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.addrs, a.err = nil, err
	for _, s := range addrs {
		a.addrs = append(a.addrs, netip.MustParseAddr(s))
	}
}

func (a *answers) get() ([]netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	return a.addrs, a.err
}

func (a *answers) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
	}
}

func refused(g *Guard, s string) bool {
	return g.Check(netip.MustParsePrefix(prefixOf(s))) != nil
}

// TestListRefresh: an ignoreip host name whose address moves (an admin's
// dynamic-DNS name) protects the new address after the next refresh, and
// a name that stops resolving keeps protecting the address it had.
func TestListRefresh(t *testing.T) {
	dns := &answers{}
	dns.set(nil, "198.51.100.20")
	var warned sync.Map
	l, err := New([]string{"home.example.org"}, Options{Refresh: time.Millisecond,
		Resolve: func(context.Context, string) ([]netip.Addr, error) { return dns.get() },
		Warn:    func(msg string) { warned.Store(msg, true) }})
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{List: l}
	if !refused(g, "198.51.100.0/24") || refused(g, "203.0.113.0/24") {
		t.Fatalf("at start: want 198.51.100.20 protected only, got %v", l.Prefixes())
	}
	dns.set(nil, "203.0.113.30")
	waitFor(t, "the moved address protected", func() bool { return refused(g, "203.0.113.0/24") })
	if refused(g, "198.51.100.0/24") {
		t.Errorf("the old address is still protected after the name moved: %v", l.Prefixes())
	}
	if ok, _ := l.Ignored("203.0.113.30", netip.MustParseAddr("203.0.113.30"), true); !ok {
		t.Error("a failure from the moved address is not ignored")
	}

	dns.set(errors.New("SERVFAIL"))
	n := dns.count()
	waitFor(t, "two more look-ups", func() bool { return dns.count() >= n+2 })
	if !refused(g, "203.0.113.0/24") {
		t.Errorf("a failed look-up dropped the name's address: %v", l.Prefixes())
	}
	found := false
	warned.Range(func(k, _ any) bool { found = found || strings.Contains(k.(string), "SERVFAIL"); return true })
	if !found {
		t.Error("the failed look-up was not reported")
	}
}

// TestListNoRefresh: Refresh < 0 resolves once.
func TestListNoRefresh(t *testing.T) {
	dns := &answers{}
	dns.set(nil, "198.51.100.20")
	if _, err := New([]string{"home.example.org"}, Options{Refresh: -1,
		Resolve: func(context.Context, string) ([]netip.Addr, error) { return dns.get() }}); err != nil {
		t.Fatal(err)
	}
	if n := dns.count(); n != 1 {
		t.Errorf("%d look-ups, want 1", n)
	}
}

// TestOwnRefresh: an address the machine gains while running is
// protected once the addresses read are older than the TTL; a failed
// read keeps the addresses read before and is reported once.
func TestOwnRefresh(t *testing.T) {
	ifaces := &answers{}
	ifaces.set(nil, "192.0.2.200")
	var warns []string
	var mu sync.Mutex
	o := NewOwn(ifaces.get, func(err error) { mu.Lock(); warns = append(warns, err.Error()); mu.Unlock() })
	o.ttl = time.Millisecond
	g := &Guard{Self: o}
	if !refused(g, "192.0.2.0/24") || refused(g, "198.51.100.0/24") {
		t.Fatalf("at start: want 192.0.2.200 protected only, got %v", o.Addrs())
	}
	ifaces.set(nil, "192.0.2.200", "198.51.100.5")
	waitFor(t, "the new address protected", func() bool { return refused(g, "198.51.100.0/24") })

	ifaces.set(errors.New("netlink: no buffer space"))
	n := ifaces.count()
	waitFor(t, "two failed reads", func() bool { o.Addrs(); return ifaces.count() >= n+2 })
	if !refused(g, "198.51.100.5") || !refused(g, "192.0.2.200") {
		t.Errorf("a failed read dropped the addresses: %v", o.Addrs())
	}
	mu.Lock()
	if len(warns) != 1 || !strings.Contains(warns[0], "no buffer space") {
		t.Errorf("warnings %q, want the failure once", warns)
	}
	mu.Unlock()
	var none *Own
	if got := none.Addrs(); got != nil {
		t.Errorf("nil Own holds %v", got)
	}
}
