package filter

import (
	"context"
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
// minutes, failures cached too) and bounds every look-up by Timeout.
type DNSCache struct {
	Resolver Resolver
	Timeout  time.Duration // per look-up; 0 means 3 seconds
	TTL      time.Duration // 0 means five minutes
	Max      int           // 0 means 1000
	Now      func() time.Time

	mu    sync.Mutex
	cache *ttlCache[[]netip.Addr]
}

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
	d.mu.Unlock()
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := d.Resolver
	if r == nil {
		r = NetResolver{}
	}
	addrs, err := r.LookupAddrs(ctx, host)
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if a.IsValid() && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	d.mu.Lock()
	d.cache.set(host, out)
	d.mu.Unlock()
	return out, err
}

// ttlCache is fail2ban's Utils.Cache: insertion-ordered, at most max
// entries (the oldest go first), each valid for ttl.
type ttlCache[V any] struct {
	max  int
	ttl  time.Duration
	now  func() time.Time
	keys []string
	m    map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v   V
	exp time.Time
}

func newTTLCache[V any](max int, ttl time.Duration, now func() time.Time) *ttlCache[V] {
	return &ttlCache[V]{max: max, ttl: ttl, now: now, m: map[string]ttlEntry[V]{}}
}

func (c *ttlCache[V]) get(k string) (V, bool) {
	e, ok := c.m[k]
	if ok {
		if e.exp.After(c.now()) {
			return e.v, true
		}
		c.unset(k)
	}
	var zero V
	return zero, false
}

func (c *ttlCache[V]) set(k string, v V) {
	t := c.now()
	if len(c.m) >= c.max {
		for len(c.keys) > 0 {
			ck := c.keys[0]
			c.keys = c.keys[1:]
			ce := c.m[ck]
			delete(c.m, ck)
			if ce.exp.After(t) && len(c.m) < c.max {
				break
			}
		}
	}
	if _, ok := c.m[k]; !ok {
		c.keys = append(c.keys, k)
	}
	c.m[k] = ttlEntry[V]{v, t.Add(c.ttl)}
}

func (c *ttlCache[V]) unset(k string) {
	if _, ok := c.m[k]; !ok {
		return
	}
	delete(c.m, k)
	for i, x := range c.keys {
		if x == k {
			c.keys = append(c.keys[:i], c.keys[i+1:]...)
			break
		}
	}
}
