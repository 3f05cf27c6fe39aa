package filter

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Resolver looks up the addresses of a host name (usedns yes or warn).
type Resolver interface {
	LookupAddrs(ctx context.Context, host string) ([]netip.Addr, error)
}

// NetResolver resolves with the system resolver.
type NetResolver struct{ R *net.Resolver }

// LookupAddrs implements Resolver.
func (n NetResolver) LookupAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	r := n.R
	if r == nil {
		r = net.DefaultResolver
	}
	return r.LookupNetIP(ctx, "ip", host)
}

// DNSCache wraps a Resolver with fail2ban's cache (1000 names, five
// minutes) and bounds what a host name written into a log by an attacker
// can cost (fail2ban bounds none of it):
//
//   - every look-up has a deadline, Timeout (500 ms by default; fail2ban
//     waits for the system resolver, seconds per line);
//   - a name gives at most MaxAddrs addresses (16 by default: a name
//     with 2,000 addresses would otherwise make 2,000 failures of one
//     line); the first ones the resolver returned are kept;
//   - a name that gives no address (unknown, failed, timed out) is cached
//     too (negative caching), so a name whose server never answers costs
//     one deadline per TTL, not one per line.
//
// Warn, when set, is told once per look-up about a name dropped (no
// address, time-out) or cut to MaxAddrs.
type DNSCache struct {
	Resolver Resolver
	Timeout  time.Duration // per look-up; 0 means 500 ms
	TTL      time.Duration // 0 means five minutes
	Max      int           // names cached; 0 means 1000
	MaxAddrs int           // addresses kept per name; 0 means 16
	Now      func() time.Time
	Warn     func(msg string)

	mu    sync.Mutex
	cache *ttlCache[[]netip.Addr]
}

// DefaultDNSTimeout and DefaultMaxAddrs are DNSCache's defaults.
const (
	DefaultDNSTimeout = 500 * time.Millisecond
	DefaultMaxAddrs   = 16
)

// Lookup returns the addresses of host, from the cache when fresh. A failed
// or timed-out look-up gives no address (and is cached).
func (d *DNSCache) Lookup(host string) ([]netip.Addr, error) {
	d.mu.Lock()
	if d.cache == nil {
		ttl, max := d.TTL, d.Max
		if ttl <= 0 {
			ttl = 5 * time.Minute
		}
		if max <= 0 {
			max = 1000
		}
		now := d.Now
		if now == nil {
			now = time.Now
		}
		d.cache = newTTLCache[[]netip.Addr](max, ttl, now)
	}
	if v, ok := d.cache.get(host); ok {
		d.mu.Unlock()
		return v, nil
	}
	ttl := d.cache.ttl
	d.mu.Unlock()
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultDNSTimeout
	}
	limit := d.MaxAddrs
	if limit <= 0 {
		limit = DefaultMaxAddrs
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := d.Resolver
	if r == nil {
		r = NetResolver{}
	}
	addrs, err := r.LookupAddrs(ctx, host)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("no answer within %v", timeout)
	}
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if a.IsValid() && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if d.Warn != nil {
		switch {
		case len(out) == 0 && err != nil:
			d.Warn(fmt.Sprintf("dns: %s: %v: its failures are dropped (cached for %v)", host, err, ttl))
		case len(out) == 0:
			d.Warn(fmt.Sprintf("dns: %s: no address: its failures are dropped (cached for %v)", host, ttl))
		case len(out) > limit:
			d.Warn(fmt.Sprintf("dns: %s: %d addresses, kept the first %d", host, len(out), limit))
		}
	}
	if len(out) > limit {
		out = out[:limit:limit]
	}
	d.mu.Lock()
	d.cache.set(host, out)
	d.mu.Unlock()
	return out, err
}

// ttlCache is fail2ban's Utils.Cache: insertion-ordered, at most max
// entries (the oldest go first), each valid for ttl.
type ttlCache[V any] struct {
	max int
	ttl time.Duration
	now func() time.Time
	// keys[head:] are the entries in insertion order, as in m (the slots
	// before head are free: add moves the entries down rather than
	// growing)
	keys []ttlSlot[V]
	head int
	m    map[string]ttlEntry[V]
	// drop, when not nil, is given each value that leaves the cache
	// (expired, pushed out or unset), once it has left
	drop func(V)
}

type ttlEntry[V any] struct {
	v   V
	exp time.Time
}

type ttlSlot[V any] struct {
	k string
	ttlEntry[V]
}

func newTTLCache[V any](max int, ttl time.Duration, now func() time.Time) *ttlCache[V] {
	return &ttlCache[V]{max: max, ttl: ttl, now: now, m: map[string]ttlEntry[V]{}}
}

func (c *ttlCache[V]) get(k string) (V, bool) { return c.getAt(k, c.now()) }

// getAt is get at the time t.
func (c *ttlCache[V]) getAt(k string, t time.Time) (V, bool) {
	e, ok := c.m[k]
	if ok {
		if e.exp.After(t) {
			return e.v, true
		}
		c.unset(k)
	}
	var zero V
	return zero, false
}

func (c *ttlCache[V]) set(k string, v V) {
	t := c.now()
	if _, ok := c.m[k]; ok {
		c.pushOut(t)
		e := ttlEntry[V]{v, t.Add(c.ttl)}
		if _, ok := c.m[k]; ok {
			for i := c.head; i < len(c.keys); i++ {
				if c.keys[i].k == k {
					c.keys[i].ttlEntry = e
					break
				}
			}
			c.m[k] = e
			return
		}
		c.add(k, v, t)
		return
	}
	c.addAt(k, v, t)
}

// addAt is set at the time t of a key the cache does not hold.
func (c *ttlCache[V]) addAt(k string, v V, t time.Time) {
	c.pushOut(t)
	c.add(k, v, t)
}

// pushOut makes room for an entry at the time t when the cache is full:
// the oldest entries go, up to and with the first that has not expired.
func (c *ttlCache[V]) pushOut(t time.Time) {
	if len(c.m) < c.max {
		return
	}
	for c.head < len(c.keys) {
		s := c.keys[c.head]
		c.keys[c.head] = ttlSlot[V]{}
		c.head++
		delete(c.m, s.k)
		if c.drop != nil {
			c.drop(s.v)
		}
		if s.exp.After(t) && len(c.m) < c.max {
			break
		}
	}
}

// add adds the entry k, which the cache does not hold, last.
func (c *ttlCache[V]) add(k string, v V, t time.Time) {
	if len(c.keys) == cap(c.keys) && c.head > 0 {
		n := copy(c.keys, c.keys[c.head:])
		clear(c.keys[n:])
		c.keys, c.head = c.keys[:n], 0
	}
	e := ttlEntry[V]{v, t.Add(c.ttl)}
	c.keys = append(c.keys, ttlSlot[V]{k, e})
	c.m[k] = e
}

func (c *ttlCache[V]) unset(k string) {
	e, ok := c.m[k]
	if !ok {
		return
	}
	delete(c.m, k)
	for i := c.head; i < len(c.keys); i++ {
		if c.keys[i].k == k {
			copy(c.keys[i:], c.keys[i+1:])
			c.keys[len(c.keys)-1] = ttlSlot[V]{}
			c.keys = c.keys[:len(c.keys)-1]
			break
		}
	}
	if c.drop != nil {
		c.drop(e.v)
	}
}
