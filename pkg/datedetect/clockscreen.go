package datedetect

import (
	"math/bits"
	"slices"
	"strings"
)

// clockScreen answers excluded's clock test for every template of a
// Detector at once. Most templates need the colon after an hour (a
// colon of clocksOf) with given bytes in front of the hour (preHour) at
// a place their start can reach; excluded asks that of one template at
// a time, for each of the line's clocks. The screen reads the bytes in
// front of each clock once, through a table that holds, for each
// distance back and each byte, the (template, hour width) pairs that
// accept that byte there: a line whose date stands mid-line (no
// datepattern, so every default template is searched) pays a few table
// reads per clock instead of a fitsClock per template and clock.
//
// Its answer for a template is excluded's, exactly: a template (with
// a fast matcher, not opaque, clockBound > 0) is excluded when no clock
// c of the line fits it with c >= clockMin (and c <= clockBound when
// anchored); with a bound (possibleBefore), also when every clock that
// fits lies past the bound's last start plus clockBound, as
// excludedBefore. TestClockScreen compares the two on every template and
// the lines of every generated service log, and FuzzClockScreen on any
// line; TestLineScreen and FuzzLineScreen the bounded ones (checkBounds).
type clockScreen struct {
	ids    uint64    // the templates the screen decides (bit = ddTemplate.id)
	always uint64    // of them, those without preHour: any clock fits
	pairT  [64]uint8 // pair bit -> template id
	// reach[n]: the pairs whose bytes all lie within n bytes before the
	// colon (fitsClock skips an hour width that reaches before the line)
	reach []uint64
	// back[o-1][b]: the pairs that accept byte b o bytes before the colon
	back [][256]uint64
	// pos[c]: the templates a clock at c can serve (clockMin <= c, and
	// c <= clockBound when anchored); pos[len(pos)-1] for c beyond
	pos []uint64
	// fit's answers for clocks at memoFrom or beyond (0: none), where
	// it reads the same number of bytes, at most 16, and uses the same
	// pos: keyed by those bytes (the words before the colon, masked),
	// direct-mapped. A line has two or three clocks whose keys change
	// with the hour or the day (an access log's "1/Nov/2026" and
	// "ov/2026:00"): 16 places, not 4, keep them apart (on the 1M-line
	// traefik log, fit ran for 13% of the clocks with 4, 0.02% with 16).
	memoFrom     int
	mask0, mask1 uint64
	memo         [1 << memoBits]fitMemo
	// for a search of the matches starting by a place last (see
	// possibleBefore): reachOf[r] holds the templates a clock r bytes
	// past last can still serve (every anchored one, the others with
	// clockBound >= r); reachOf[len-1] for r beyond. anchorTo and
	// floatTo: the largest clockBound of the anchored ones and of the
	// others.
	reachOf           []uint64
	anchorTo, floatTo int
}

// memoBits is the log2 of the places of fit's memo.
const memoBits = 4

// fitMemo is one answer of fit: the bytes before the colon (w0, the
// earlier word, and w1) and the templates.
type fitMemo struct {
	w0, w1, t uint64
	ok        bool
}

// newClockScreen builds the screen of ts, or nil when they are too many
// for its 64-bit sets (then excluded decides one template at a time).
func newClockScreen(ts []*ddTemplate) *clockScreen {
	if len(ts) > 64 {
		return nil
	}
	cs := &clockScreen{}
	type pair struct {
		p    *fastPattern
		hour int
	}
	var pairs []pair
	maxOff, maxPos := 0, 0
	for _, dt := range ts {
		p := dt.t.fast
		if p == nil || p.opaque || p.clockBound <= 0 {
			continue
		}
		cs.ids |= 1 << dt.id
		maxPos = max(maxPos, p.clockMin, p.clockBound+1)
		if p.preHour == nil {
			cs.always |= 1 << dt.id
			continue
		}
		for l := p.hourMin; l <= p.hourMax; l++ {
			if len(pairs) == 64 {
				return nil
			}
			cs.pairT[len(pairs)] = uint8(dt.id)
			pairs = append(pairs, pair{p, l})
			maxOff = max(maxOff, l+len(p.preHour))
		}
	}
	cs.reach = make([]uint64, maxOff+1)
	for n := range cs.reach {
		for b, pr := range pairs {
			if pr.hour+len(pr.p.preHour) <= n {
				cs.reach[n] |= 1 << b
			}
		}
	}
	cs.back = make([][256]uint64, maxOff)
	for o := 1; o <= maxOff; o++ {
		for b, pr := range pairs {
			k := o - pr.hour - 1 // fitsClock's k: s[j-l-1-k]
			for c := 0; c < 256; c++ {
				if k < 0 || k >= len(pr.p.preHour) || pr.p.preHour[k][c] {
					cs.back[o-1][c] |= 1 << b
				}
			}
		}
	}
	for _, dt := range ts {
		if p := dt.t.fast; cs.ids&(1<<dt.id) != 0 {
			if p.anchored {
				cs.anchorTo = max(cs.anchorTo, p.clockBound)
			} else {
				cs.floatTo = max(cs.floatTo, p.clockBound)
			}
		}
	}
	cs.reachOf = make([]uint64, cs.floatTo+2)
	for r := range cs.reachOf {
		for _, dt := range ts {
			if p := dt.t.fast; cs.ids&(1<<dt.id) != 0 && (p.anchored || p.clockBound >= r) {
				cs.reachOf[r] |= 1 << dt.id
			}
		}
	}
	cs.pos = make([]uint64, maxPos+1)
	for c := range cs.pos {
		for _, dt := range ts {
			p := dt.t.fast
			if cs.ids&(1<<dt.id) != 0 && c >= p.clockMin && (!p.anchored || c <= p.clockBound) {
				cs.pos[c] |= 1 << dt.id
			}
		}
	}
	if n := len(cs.reach) - 1; n <= 16 {
		cs.memoFrom = max(16, n, len(cs.pos)-1)
		// s[j-8:j] is w1, s[j-16:j-8] w0: fit reads their top n bytes
		if n <= 8 {
			cs.mask1 = ^uint64(0) << (8 * (8 - n))
		} else {
			cs.mask0, cs.mask1 = ^uint64(0)<<(8*(16-n)), ^uint64(0)
		}
		if n == 0 {
			cs.mask1 = 0
		}
	}
	return cs
}

// fitAt is fit, from the memo when the clock lies far enough from the
// line's start.
func (cs *clockScreen) fitAt(s string, j int) uint64 {
	if cs.memoFrom == 0 || j < cs.memoFrom {
		return cs.fit(s, j)
	}
	w0, w1 := le64(s[j-16:j-8])&cs.mask0, le64(s[j-8:j])&cs.mask1
	e := &cs.memo[(w1^w0)*0x9e3779b97f4a7c15>>(64-memoBits)]
	if !e.ok || e.w0 != w0 || e.w1 != w1 {
		*e = fitMemo{w0: w0, w1: w1, t: cs.fit(s, j), ok: true}
	}
	return e.t
}

// fit returns the templates the clock (a colon of clocksOf) at j of s
// can serve.
func (cs *clockScreen) fit(s string, j int) uint64 {
	n := min(j, len(cs.reach)-1)
	pairs := cs.reach[n]
	for o := 1; o <= n && pairs != 0; o++ {
		pairs &= cs.back[o-1][s[j-o]]
	}
	t := cs.always
	for pairs != 0 {
		b := bits.TrailingZeros64(pairs)
		pairs &= pairs - 1
		t |= 1 << cs.pairT[b]
	}
	return t & cs.pos[min(j, len(cs.pos)-1)]
}

// possibleBefore returns, of the templates the screen decides, those
// that excludedBefore(s, lim) would not exclude on the ASCII line s
// (excluded's with lim noIdx). It reads the clocks only as far as a
// match starting before lim can have its hour's colon.
func (cs *clockScreen) possibleBefore(s string, lim int, st *fstate) uint64 {
	if cs.ids == 0 || lim <= 0 {
		return 0
	}
	last := min(len(s), lim-1)
	upto := len(s)
	if lim < noIdx {
		upto = min(upto, max(last+cs.floatTo, cs.anchorTo)+1)
	}
	var t uint64
	for _, c := range st.clocksTo(s, upto) {
		f := cs.fitAt(s, c)
		if r := c - last; r > 0 {
			f &= cs.reachOf[min(r, len(cs.reachOf)-1)]
		}
		if t |= f; t == cs.ids {
			break
		}
	}
	return t
}

// lineScreen is the shared checks of every template of a Detector (at
// most 64) on one line: clockScreen for the templates with a clock,
// excluded for the other screened ones (digit runs, TAI64N's "@");
// templates without a fast matcher, or opaque ones, are never ruled out.
type lineScreen struct {
	clock  *clockScreen
	others []*ddTemplate // screened by excluded
	always uint64        // never ruled out
	// what excludedBefore needs, of each of others, in the bytes a match
	// starting by a place last can reach (prescreen): a run of run[k]
	// digits, or the byte need[k] (-1: neither, always asked); within
	// last+floatTo bytes (anchorTo for the anchored ones)
	run               []int
	need              []int
	floatTo, anchorTo int
	stride            int    // the shortest run[k] > 0 (0: none)
	needs             []byte // the bytes of need, once each
	// the same as bits of others' indexes, for prescreen: askAll, those
	// with neither (always asked); byRun[n], those whose run[k] is n or
	// less (n > 0; byRun[len-1] for n beyond); byNeed[x], those whose
	// need[k] is needs[x]
	askAll uint64
	byRun  []uint64
	byNeed []uint64
	// place[id] is the template's index in the Detector's current order
	// (reorder keeps it)
	place []uint8
}

func newLineScreen(ts []*ddTemplate) *lineScreen {
	cs := newClockScreen(ts)
	if cs == nil {
		return nil
	}
	ls := &lineScreen{clock: cs, place: make([]uint8, len(ts))}
	for i, dt := range ts {
		ls.place[dt.id] = uint8(i)
		p := dt.t.fast
		switch {
		case cs.ids&(1<<dt.id) != 0:
		case p == nil || p.opaque:
			ls.always |= 1 << dt.id
		default:
			ls.others = append(ls.others, dt)
			run, need, reach := 0, -1, 0
			switch {
			case p.digitRun > 0:
				// every case of excludedBefore with a digit run wants a
				// run of digitRun digits starting by last+digitLead
				run, reach = p.digitRun, p.digitLead+p.digitRun
			case p.hex24 >= 0:
				need, reach = '@', p.hex24+1
			case p.firstOnly >= 0 && !p.anchored:
				need, reach = p.firstOnly, 1
			}
			ls.run, ls.need = append(ls.run, run), append(ls.need, need)
			if run > 0 && (ls.stride == 0 || run < ls.stride) {
				ls.stride = run
			}
			if need >= 0 && !slices.Contains(ls.needs, byte(need)) {
				ls.needs = append(ls.needs, byte(need))
			}
			if p.anchored {
				ls.anchorTo = max(ls.anchorTo, reach)
			} else {
				ls.floatTo = max(ls.floatTo, reach)
			}
		}
	}
	ls.byRun = make([]uint64, slices.Max(append([]int{0}, ls.run...))+1)
	ls.byNeed = make([]uint64, len(ls.needs))
	for k := range ls.others {
		r, c := ls.run[k], ls.need[k]
		switch {
		case r > 0:
			for n := r; n < len(ls.byRun); n++ {
				ls.byRun[n] |= 1 << k
			}
		case c >= 0:
			ls.byNeed[slices.Index(ls.needs, byte(c))] |= 1 << k
		default:
			ls.askAll |= 1 << k
		}
	}
	return ls
}

// prescreen returns, as bits of ls.others' indexes, those of others that
// can have a match starting before lim (0 < lim < noIdx) by what each
// needs (run, need) in the line's start: one pass over the bytes the
// farthest of them can reach. A template it leaves out is one
// excludedBefore excludes (checkBounds compares placesBefore, which
// asks it first, with excludedBefore).
func (ls *lineScreen) prescreen(s string, lim int) uint64 {
	end := min(len(s), max(lim-1+ls.floatTo, ls.anchorTo))
	// the longest digit run in s[:end] of stride digits or more: such a
	// run holds one of the bytes read (every stride-th)
	longest := 0
	for j := ls.stride - 1; ls.stride > 0 && j < end; j += ls.stride {
		if !isDigit(s[j]) {
			continue
		}
		a, e := j, j+1
		for a > 0 && isDigit(s[a-1]) {
			a--
		}
		for e < end && isDigit(s[e]) {
			e++
		}
		longest = max(longest, e-a)
		j = e
	}
	// of others: those with neither a run nor a byte, those whose run
	// (longest >= run[k]) and those whose byte s[:end] holds
	at := ls.askAll
	if longest > 0 {
		at |= ls.byRun[min(longest, len(ls.byRun)-1)]
	}
	for x, c := range ls.needs {
		if strings.IndexByte(s[:end], c) >= 0 {
			at |= ls.byNeed[x]
		}
	}
	return at
}

// places returns the indexes (in the current order) of the templates
// that the shared checks do not rule out on the ASCII line s: matchTime
// searches those only.
func (ls *lineScreen) places(s string, st *fstate) uint64 {
	return ls.placesBefore(s, noIdx, st)
}

// placesBefore is places for the matches starting before lim (as
// excludedBefore).
func (ls *lineScreen) placesBefore(s string, lim int, st *fstate) uint64 {
	ids := ls.always | ls.clock.possibleBefore(s, lim, st)
	ask := ^uint64(0)
	if lim > 0 && lim < noIdx {
		ask = ls.prescreen(s, lim)
	}
	for k, dt := range ls.others {
		if ask&(1<<k) != 0 && !dt.t.fast.excludedBefore(s, lim, st) {
			ids |= 1 << dt.id
		}
	}
	var at uint64
	for ids != 0 {
		id := bits.TrailingZeros64(ids)
		ids &= ids - 1
		at |= 1 << ls.place[id]
	}
	return at
}
