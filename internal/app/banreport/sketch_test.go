package banreport

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// TestTopKBounds feeds a skewed stream with far more distinct keys than
// counters and checks Space-Saving's guarantees against exact counts: every
// reported count is an over-estimate by at most its err, err <= total/capacity,
// and every key above total/capacity is reported.
func TestTopKBounds(t *testing.T) {
	const capacity, n = 200, 200000
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.2, 1, 1<<20)
	tk := newTopK[uint64](capacity)
	exact := make(map[uint64]int64)
	for range n {
		k := z.Uint64()
		tk.add(k, 1)
		exact[k]++
	}
	if tk.exact() {
		t.Fatalf("%d distinct keys in %d counters, yet no eviction", len(exact), capacity)
	}
	bound := int64(n / capacity)
	for _, c := range tk.top(capacity, func(a, b uint64) int { return int(a) - int(b) }) {
		truth := exact[c.key]
		if c.count < truth || c.count-c.err > truth || c.err > bound {
			t.Errorf("key %d: count %d err %d, true %d (bound %d)", c.key, c.count, c.err, truth, bound)
		}
	}
	for k, v := range exact {
		if v > bound && tk.get(k) == nil {
			t.Errorf("key %d with %d > %d occurrences is not reported", k, v, bound)
		}
	}
	// The top 10 are exact here, in order.
	top := tk.top(10, func(a, b uint64) int { return int(a) - int(b) })
	for i, c := range top {
		if c.count != exact[c.key] || c.key != uint64(i) {
			t.Errorf("top %d: key %d count %d, want key %d count %d", i, c.key, c.count, i, exact[uint64(i)])
		}
	}
}

// TestTopKExactWhenSmall: with fewer keys than counters, counts are exact.
func TestTopKExactWhenSmall(t *testing.T) {
	tk := newTopK[string](3)
	for _, k := range []string{"a", "b", "a", "c", "a", "b"} {
		tk.add(k, 1)
	}
	got := tk.top(3, compareString)
	want := []struct {
		k string
		n int64
	}{{"a", 3}, {"b", 2}, {"c", 1}}
	if !tk.exact() || len(got) != 3 {
		t.Fatalf("exact %v, %d rows", tk.exact(), len(got))
	}
	for i, w := range want {
		if got[i].key != w.k || got[i].count != w.n || got[i].err != 0 {
			t.Errorf("row %d: %+v, want %s %d", i, got[i], w.k, w.n)
		}
	}
}

// TestTopMaxExact: the largest maxima are kept exactly in a small table,
// whatever the order of the values.
func TestTopMaxExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tm := newTopMax[int, struct{}](10)
	best := make(map[int]int64)
	for range 100000 {
		k, v := r.IntN(5000), int64(r.IntN(1000000))
		tm.offer(k, v)
		best[k] = max(best[k], v)
	}
	got := tm.top(10, func(a, b int) int { return a - b })
	for _, e := range got {
		if best[e.key] != e.value {
			t.Errorf("key %d: %d, want %d", e.key, e.value, best[e.key])
		}
	}
	var above int
	for _, v := range best {
		if v > got[len(got)-1].value {
			above++
		}
	}
	if above != len(got)-1 {
		t.Errorf("%d keys above the 10th, want 9", above)
	}
}

// TestDistinct: exact below the limit, within 3% of the truth above it.
func TestDistinct(t *testing.T) {
	d := newDistinct()
	for i := range 1000 {
		d.add(hashPrefix(netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), 32)))
		d.add(hashString("host"))
	}
	if n, exact := d.count(); n != 257 || !exact {
		t.Errorf("count %d exact %v, want 257 exact", n, exact)
	}
	const n = 1_000_000
	d = newDistinct()
	for i := range n {
		var b [16]byte
		b[0], b[1] = 0x20, 0x01
		b[12], b[13], b[14], b[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		d.add(hashPrefix(netip.PrefixFrom(netip.AddrFrom16(b), 128)))
	}
	got, exact := d.count()
	if exact || math.Abs(float64(got-n))/n > 0.03 {
		t.Errorf("count %d (exact %v), want about %d", got, exact, n)
	}
}

// TestTimelineBounded: a year of events in any order stays within
// maxBuckets, counts are kept whole, and the width grows by the ladder.
func TestTimelineBounded(t *testing.T) {
	tl := newTimeline()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(5, 6))
	const n = 100000
	for i := range n {
		at := start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		tl.add("sshd", at, i%10 == 0)
	}
	s := tl.series["sshd"]
	var fails, bans int64
	for i, v := range s.fail {
		if i < tl.lo || i > tl.hi {
			t.Errorf("bucket %d outside [%d, %d]", i, tl.lo, tl.hi)
		}
		fails += v
	}
	for _, v := range s.ban {
		bans += v
	}
	if fails != n-n/10 || bans != n/10 {
		t.Errorf("counted %d failures and %d bans, want %d and %d", fails, bans, n-n/10, n/10)
	}
	if span := tl.hi - tl.lo + 1; span > maxBuckets {
		t.Errorf("%d buckets, over %d", span, maxBuckets)
	}
	if tl.width != 86400 {
		t.Errorf("width %d s for a year, want one day", tl.width)
	}
}
