package banreport

import (
	"cmp"
	"slices"
)

// topK counts keys with the Space-Saving algorithm (Metwally, Agrawal and
// El Abbadi, 2005) in at most capacity counters. While fewer than capacity
// distinct keys have been seen every count is exact. After that, a new key
// takes over the counter of the smallest count c and starts at c+1 with an
// error of c: a reported count is never below the true count and exceeds it
// by at most its err, and err <= total/capacity. Every key whose true count
// is above total/capacity is in the table.
type topK[K comparable] struct {
	capacity int
	idx      map[K]*counter[K]
	heap     []*counter[K] // a min-heap on count
	total    int64
	evicted  bool
}

type counter[K comparable] struct {
	key   K
	count int64
	err   int64 // the most by which count may exceed the true count
	i     int   // position in the heap
}

func newTopK[K comparable](capacity int) *topK[K] {
	return &topK[K]{capacity: capacity, idx: make(map[K]*counter[K])}
}

// add counts n more of k.
func (t *topK[K]) add(k K, n int64) {
	t.total += n
	if c, ok := t.idx[k]; ok {
		c.count += n
		siftDown(t.heap, c.i)
		return
	}
	if len(t.heap) < t.capacity {
		c := &counter[K]{key: k, count: n, i: len(t.heap)}
		t.heap = append(t.heap, c)
		t.idx[k] = c
		siftUp(t.heap, c.i)
		return
	}
	c := t.heap[0]
	delete(t.idx, c.key)
	c.key, c.err, c.count = k, c.count, c.count+n
	t.idx[k] = c
	t.evicted = true
	siftDown(t.heap, 0)
}

// get returns k's counter, or nil when k is not tracked.
func (t *topK[K]) get(k K) *counter[K] { return t.idx[k] }

// exact reports whether every count is exact (no counter was ever taken over).
func (t *topK[K]) exact() bool { return !t.evicted }

// top returns the n largest counters, largest first; ties in the order of less.
func (t *topK[K]) top(n int, less func(a, b K) int) []counter[K] {
	all := make([]counter[K], len(t.heap))
	for i, c := range t.heap {
		all[i] = *c
	}
	slices.SortFunc(all, func(a, b counter[K]) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return less(a.key, b.key)
	})
	if len(all) > n {
		all = all[:n]
	}
	return all
}

// topMax keeps the keys with the largest values of an aggregate that only
// grows (the highest bancount of an address), exactly, in at most capacity
// entries: a key that is pushed out had a value below every kept one, and
// when it comes back with a larger value that value is its maximum.
type topMax[K comparable, V any] struct {
	capacity int
	idx      map[K]*maxEntry[K, V]
	heap     []*maxEntry[K, V] // a min-heap on value
}

type maxEntry[K comparable, V any] struct {
	key   K
	value int64
	extra V // updated on every offer that reaches the entry
	i     int
}

func newTopMax[K comparable, V any](capacity int) *topMax[K, V] {
	return &topMax[K, V]{capacity: capacity, idx: make(map[K]*maxEntry[K, V])}
}

// offer records value v for k and returns k's entry (nil when k is not
// kept); the caller updates extra.
func (t *topMax[K, V]) offer(k K, v int64) *maxEntry[K, V] {
	if e, ok := t.idx[k]; ok {
		if v > e.value {
			e.value = v
			siftDown(t.heap, e.i)
		}
		return e
	}
	if len(t.heap) < t.capacity {
		e := &maxEntry[K, V]{key: k, value: v, i: len(t.heap)}
		t.heap = append(t.heap, e)
		t.idx[k] = e
		siftUp(t.heap, e.i)
		return e
	}
	e := t.heap[0]
	if v <= e.value {
		return nil
	}
	delete(t.idx, e.key)
	var zero V
	e.key, e.value, e.extra = k, v, zero
	t.idx[k] = e
	siftDown(t.heap, 0)
	return e
}

func (t *topMax[K, V]) top(n int, less func(a, b K) int) []maxEntry[K, V] {
	all := make([]maxEntry[K, V], len(t.heap))
	for i, e := range t.heap {
		all[i] = *e
	}
	slices.SortFunc(all, func(a, b maxEntry[K, V]) int {
		if c := cmp.Compare(b.value, a.value); c != 0 {
			return c
		}
		return less(a.key, b.key)
	})
	if len(all) > n {
		all = all[:n]
	}
	return all
}

func (c *counter[K]) weight() int64     { return c.count }
func (c *counter[K]) setPos(i int)      { c.i = i }
func (e *maxEntry[K, V]) weight() int64 { return e.value }
func (e *maxEntry[K, V]) setPos(i int)  { e.i = i }

// heapItem is an element of the indexed min-heaps above: its weight, and
// where it stands in the heap (so that a changed element can be re-sifted).
type heapItem interface {
	weight() int64
	setPos(int)
}

func siftUp[E heapItem](h []E, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].weight() <= h[i].weight() {
			break
		}
		h[p], h[i] = h[i], h[p]
		h[p].setPos(p)
		h[i].setPos(i)
		i = p
	}
}

func siftDown[E heapItem](h []E, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].weight() < h[l].weight() {
			m = r
		}
		if h[i].weight() <= h[m].weight() {
			return
		}
		h[i], h[m] = h[m], h[i]
		h[i].setPos(i)
		h[m].setPos(m)
		i = m
	}
}
