package filter

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// refCache is ttlCache as it was written first (a key list and the map,
// every step a look-up): what ttlCache must do.
type refCache struct {
	max  int
	ttl  time.Duration
	keys []string
	m    map[string]ttlEntry[int]
}

func (c *refCache) get(k string, t time.Time) (int, bool) {
	e, ok := c.m[k]
	if ok {
		if e.exp.After(t) {
			return e.v, true
		}
		c.unset(k)
	}
	return 0, false
}

func (c *refCache) set(k string, v int, t time.Time) {
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
	c.m[k] = ttlEntry[int]{v, t.Add(c.ttl)}
}

func (c *refCache) unset(k string) {
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

// FuzzTTLCache: ttlCache (its key slots moved down rather than grown,
// the values it lets go given to drop, addAt for a key it does not hold)
// answers as refCache over any sequence of gets, sets and unsets on a
// clock that moves on, and drop gets exactly the values that left it.
func FuzzTTLCache(f *testing.F) {
	f.Add(uint64(1), 5, 300)
	f.Add(uint64(2), 100, 4000)
	f.Add(uint64(3), 1, 50)
	f.Fuzz(func(t *testing.T, seed uint64, max, n int) {
		max, n = 1+abs(max)%120, abs(n)%5000
		r := rand.New(rand.NewPCG(seed, 1))
		now := time.Unix(0, 0)
		c := newTTLCache[int](max, time.Minute, func() time.Time { return now })
		// every value given is held, dropped once or replaced by a set
		dropped, replaced, given := map[int]bool{}, 0, 0
		c.drop = func(v int) {
			if dropped[v] {
				t.Fatalf("drop(%d) twice", v)
			}
			dropped[v] = true
		}
		ref := &refCache{max: max, ttl: time.Minute, m: map[string]ttlEntry[int]{}}
		keys := 1 + r.IntN(3*max)
		for i := range n {
			now = now.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
			k := strconv.Itoa(r.IntN(keys))
			switch op := r.IntN(10); {
			case op < 4:
				v, ok := c.get(k)
				rv, rok := ref.get(k, now)
				if v != rv || ok != rok {
					t.Fatalf("op %d: get(%s) = %d %v, want %d %v", i, k, v, ok, rv, rok)
				}
			case op < 8:
				old, had := c.m[k]
				if !had && op < 6 {
					c.addAt(k, i, now)
				} else {
					c.set(k, i)
				}
				if had && !dropped[old.v] {
					replaced++
				}
				given++
				ref.set(k, i, now)
			default:
				c.unset(k)
				ref.unset(k)
			}
			var got []string
			for _, s := range c.keys[c.head:] {
				got = append(got, s.k)
				if e := c.m[s.k]; e != s.ttlEntry {
					t.Fatalf("op %d: slot %s holds %v, the map %v", i, s.k, s.ttlEntry, e)
				}
			}
			if !slices.Equal(got, ref.keys) || len(c.m) != len(ref.m) {
				t.Fatalf("op %d: keys %v (%d), want %v (%d)", i, got, len(c.m), ref.keys, len(ref.m))
			}
			if len(c.m)+len(dropped)+replaced != given {
				t.Fatalf("op %d: %d held, %d dropped, %d replaced of %d given", i, len(c.m), len(dropped), replaced, given)
			}
			for k, e := range ref.m {
				if dropped[e.v] {
					t.Fatalf("op %d: %s = %d dropped but held", i, k, e.v)
				}
				if c.m[k] != e {
					t.Fatalf("op %d: %s = %v, want %v", i, k, c.m[k], e)
				}
			}
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
