package banreport

import "time"

// timeline counts failures and bans per jail in fixed time buckets. The
// bucket width starts at one minute and grows along widths (each a multiple
// of the one before, so buckets merge whole) whenever the events seen span
// more than maxBuckets buckets: memory is at most maxBuckets buckets per
// series, in any input order.
type timeline struct {
	width  int64 // seconds
	step   int   // index in widths
	lo, hi int64 // first and last bucket index seen (valid when any)
	any    bool
	series map[string]*series // by jail
}

type series struct {
	fail, ban map[int64]int64 // bucket index -> count
}

const maxBuckets = 720

// widths are the bucket widths, in seconds; past the last one, the width doubles.
var widths = []int64{60, 5 * 60, 15 * 60, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400, 28 * 86400}

func newTimeline() *timeline {
	return &timeline{width: widths[0], series: make(map[string]*series)}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// add counts one failure (ban false) or ban of jail at t.
func (tl *timeline) add(jail string, t time.Time, ban bool) {
	s := tl.series[jail]
	if s == nil {
		s = &series{fail: make(map[int64]int64), ban: make(map[int64]int64)}
		tl.series[jail] = s
	}
	sec := t.Unix()
	i := floorDiv(sec, tl.width)
	if !tl.any {
		tl.lo, tl.hi, tl.any = i, i, true
	} else if i < tl.lo || i > tl.hi {
		lo, hi := min(tl.lo, i), max(tl.hi, i)
		for hi-lo+1 > maxBuckets {
			tl.coarsen()
			lo, hi = floorDiv(min(tl.lo*tl.width, sec), tl.width), floorDiv(max(tl.hi*tl.width, sec), tl.width)
		}
		tl.lo, tl.hi = lo, hi
		i = floorDiv(sec, tl.width)
	}
	if ban {
		s.ban[i]++
	} else {
		s.fail[i]++
	}
}

// coarsen moves every count to the next bucket width.
func (tl *timeline) coarsen() {
	old := tl.width
	if tl.step+1 < len(widths) {
		tl.step++
		tl.width = widths[tl.step]
	} else {
		tl.width *= 2
	}
	re := func(m map[int64]int64) map[int64]int64 {
		n := make(map[int64]int64, len(m))
		for i, c := range m {
			n[floorDiv(i*old, tl.width)] += c
		}
		return n
	}
	for _, s := range tl.series {
		s.fail, s.ban = re(s.fail), re(s.ban)
	}
	tl.lo, tl.hi = floorDiv(tl.lo*old, tl.width), floorDiv(tl.hi*old, tl.width)
}
