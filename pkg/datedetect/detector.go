package datedetect

import (
	"fmt"
	"math/bits"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"

	"github.com/banpipe/banpipe/pkg/pyre"
)

// Options configure a Detector.
type Options struct {
	// Now is the reference "now" for year-less and day-less dates; the
	// zero value means time.Now() at each call.
	Now time.Time
	// Location is the zone of dates that carry none; nil means time.Local.
	Location *time.Location
	// Pattern is a fail2ban datepattern; "" means the default templates.
	// Several patterns go one per line.
	Pattern string
}

// ddTemplate is a template with this detector's bookkeeping (fail2ban's
// DateDetectorTemplate).
type ddTemplate struct {
	t        *template
	hits     int64   // times it won
	rawHits  int64   // times its regex matched (DateTemplate.hits)
	lastUsed float64 // wall clock, seconds
	distance int     // start of the last winning match
	id       int     // its place in the list at New (the order changes)
}

func (dt *ddTemplate) weight() float64 {
	d := dt.distance
	if d < 1 {
		d = 1
	}
	return float64(dt.hits) * dt.t.weight / float64(d)
}

// Detector finds dates in log lines as fail2ban's DateDetector does,
// including its adaptive template order. A Detector keeps state between
// lines and is not safe for concurrent use.
type Detector struct {
	now       time.Time
	loc       *time.Location
	templates []*ddTemplate
	known     map[string]bool

	unusedTime  float64
	lastPos     int
	lastPosB    rune // -1: none
	lastPosA    rune
	lastEnd     int
	lastEndB    rune
	lastEndA    rune
	lastTempl   int
	firstUnused int

	clock  func() float64
	noFast bool // tests: regex path only
	// tests: every template of matchTime's search looks for its match
	// anywhere in the line (no bound)
	noBound bool
	fst     fstate
	// the templates' shared checks at once (built at the first search
	// over all templates; nil when they do not fit it)
	lscreen *lineScreen
	lsBuilt bool

	m       match    // findLast's
	same    sameDate // what findLast's m was read from
	mt      [2]match // matchTime's: the current template's and the best so far
	today   nowCache
	aheadOf time.Time // dayAhead's now
	ahead   time.Time
	days    [2]dayCache
	dayNext int
	minute  minuteCache

	// per-line scratch
	runes  []rune
	rvalid bool
	pfx    int  // leading bytes known to be ASCII
	pfxEnd bool // pfx stops at a non-ASCII byte
}

const noIdx = 0x7fffffff

// The template bookkeeping needs the wall clock only to the second (a
// template unused for 5 minutes may be displaced), so it reads a clock
// that a background goroutine advances four times a second instead of
// calling time.Now for every line.
var (
	coarseOnce sync.Once
	coarseNS   atomic.Int64
)

func coarseClock() float64 {
	coarseOnce.Do(func() {
		coarseNS.Store(time.Now().UnixNano())
		go func() {
			for t := range time.Tick(250 * time.Millisecond) {
				coarseNS.Store(t.UnixNano())
			}
		}()
	})
	return float64(coarseNS.Load()) / 1e9
}

// New returns a Detector for opts. A pattern that fail2ban would refuse
// (unknown %-code, bad regex, duplicate template) is an error naming it.
func New(opts Options) (*Detector, error) {
	d := &Detector{
		now:        opts.Now,
		loc:        opts.Location,
		known:      map[string]bool{},
		unusedTime: 300,
		lastPos:    1, lastPosB: -1, lastPosA: -1,
		lastEnd: noIdx, lastEndB: -1, lastEndA: -1,
		lastTempl: noIdx,
		clock:     coarseClock,
	}
	if d.loc == nil {
		d.loc = time.Local
	}
	ref := d.now
	if ref.IsZero() {
		ref = time.Now()
	}
	exY := yearRE(ref.Year())
	if strings.TrimSpace(opts.Pattern) == "" {
		if err := d.addDefaults(exY, nil, "", true); err != nil {
			return nil, err
		}
		return d, nil
	}
	for _, p := range regexp.MustCompile(`\n+`).Split(opts.Pattern, -1) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if err := d.appendPattern(p, exY); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// appendPattern is fail2ban's DateDetector.appendTemplate(str).
func (d *Detector) appendPattern(pattern, exY string) error {
	key := pattern
	if !strings.Contains(pattern, "%") {
		key = strings.ToUpper(pattern)
	}
	var t *template
	var err error
	switch {
	case key == "{^LN-BEG}":
		return d.addDefaults(exY, func(t *template) bool { return t.flags&flagLineBegin != 0 }, "", true)
	case key == "{DEFAULT}":
		return d.addDefaults(exY, nil, "", true)
	case strings.Contains(key, "{DATE}"):
		return d.addDefaults(exY, nil, pattern, false)
	case key == "{NONE}":
		t, err = patternTemplate("{UNB}^", key, exY)
	default:
		t, err = patternTemplate(pattern, key, exY)
	}
	if err != nil {
		return fmt.Errorf("datepattern %q: %w", pattern, err)
	}
	if err := t.compile(); err != nil {
		return err
	}
	if err := t.compileNow(); err != nil {
		return err
	}
	return d.appendTemplate(t, false)
}

func (d *Detector) appendTemplate(t *template, ignoreDup bool) error {
	if d.known[t.name] {
		if ignoreDup {
			return nil
		}
		return fmt.Errorf("datepattern %q: there is already a template with name %s", t.displayPattern(), t.name)
	}
	d.known[t.name] = true
	d.templates = append(d.templates, &ddTemplate{t: t, distance: noIdx, id: len(d.templates)})
	return nil
}

// addDefaults is fail2ban's addDefaultTemplate.
func (d *Detector) addDefaults(exY string, filter func(*template) bool, preMatch string, all bool) error {
	ds, err := defaults(exY)
	if err != nil {
		return err
	}
	ignoreDup := len(d.templates) > 0
	list := ds.all
	if !all {
		list = ds.plain
	}
	checked := false
	for _, t := range list {
		if filter != nil && !filter(t) {
			continue
		}
		if preMatch != "" {
			wrap := func(s string) string {
				u := unboundPattern(s)
				r, _ := replaceTokens(preMatch, dateTokens, u)
				return r
			}
			t2, err := anchoredTemplate(t, wrap, exY)
			if err != nil {
				return fmt.Errorf("datepattern %q: %w", preMatch, err)
			}
			if err := t2.compile(); err != nil {
				return err
			}
			if !checked {
				// the user's text around {DATE} is the same in every
				// copy: compiling the first proves it (the others'
				// regexes compile on first use)
				if err := t2.compileNow(); err != nil {
					return err
				}
				checked = true
			}
			t = t2
		} else if err := t.compileShared(); err != nil {
			return err
		}
		if err := d.appendTemplate(t, ignoreDup); err != nil {
			return err
		}
	}
	return nil
}

// SetNow sets the reference "now" (the zero time means the clock).
func (d *Detector) SetNow(t time.Time) { d.now = t }

func (d *Detector) nowTime() time.Time {
	if d.now.IsZero() {
		return time.Now()
	}
	return d.now
}

// TemplateStat is one template's name and the number of lines it dated.
type TemplateStat struct {
	Name string
	Hits int64
}

// Stats returns every template with the number of lines it dated, in the
// detector's current (adaptive) order, as fail2ban-regex lists them.
func (d *Detector) Stats() []TemplateStat {
	out := make([]TemplateStat, len(d.templates))
	for i, dt := range d.templates {
		out[i] = TemplateStat{Name: dt.t.name, Hits: dt.hits}
	}
	return out
}

// match is one template match; positions are in runes (= bytes for ASCII
// lines).
type match struct {
	start, end   int // whole match
	gstart, gend int // Python's group 1: the date text
	rm           *regexp2.Match
	rx           *templateRE // the template's regex (regex matches)
	fast         bool
	f            dateFields // fast path only
}

// release drops a rune buffer grown by a very long line, and the regex
// match that refers to it.
func (d *Detector) release() {
	if cap(d.runes) > 1<<16 {
		d.runes = nil
	}
	d.mt[0].rm, d.mt[1].rm = nil, nil
}

func (d *Detector) prepare(line string) {
	d.rvalid = false
	d.pfx, d.pfxEnd = 0, false
	// a caller may reuse a line's memory for the next one (logmatch's
	// block reader): keep nothing from a line past its Find
	d.fst.mapValid, d.fst.mapLine = false, ""
}

// asciiTo reports whether the first n bytes of line are ASCII (then byte
// and rune positions agree up to n). It scans each byte once per line.
func (d *Detector) asciiTo(line string, n int) bool {
	if n > len(line) {
		n = len(line)
	}
	i := d.pfx
	if i >= n {
		return true
	}
	if d.pfxEnd {
		return false
	}
	// sixteen bytes at a time while they are ASCII (up to 15 past n: a
	// caller asking byte by byte, as at does, gets blocks), then byte by
	// byte
	for ; i < n && i+16 <= len(line); i += 16 {
		if (le64(line[i:i+8])|le64(line[i+8:i+16]))&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < n; i++ {
		if line[i] >= utf8.RuneSelf {
			d.pfx, d.pfxEnd = i, true
			return false
		}
	}
	d.pfx = i
	return true
}

// le64 is the first eight bytes of b as a little-endian word (one load).
func le64(b string) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// ascii reports whether the whole line is ASCII. Its answer once known
// (d.pfx at the line's end) is read inline; asciiRest finds it.
func (d *Detector) ascii(line string) bool {
	return d.pfx >= len(line) || d.asciiRest(line)
}

func (d *Detector) asciiRest(line string) bool {
	if d.pfxEnd {
		return false
	}
	if asciiOnly(line[d.pfx:]) {
		d.pfx = len(line)
		return true
	}
	return d.asciiTo(line, len(line))
}

func (d *Detector) lineRunes(line string) []rune {
	if !d.rvalid {
		d.runes = d.runes[:0]
		for _, r := range line {
			d.runes = append(d.runes, r)
		}
		d.rvalid = true
	}
	return d.runes
}

func (d *Detector) lineLen(line string) int {
	if d.ascii(line) {
		return len(line)
	}
	return len(d.lineRunes(line))
}

// at returns the character at rune index i, or -1 outside the line. A
// place below d.pfx (known ASCII, within the line) is read inline; atRest
// answers the others.
func (d *Detector) at(line string, i int) rune {
	if uint(i) < uint(d.pfx) {
		return rune(line[i])
	}
	return d.atRest(line, i)
}

func (d *Detector) atRest(line string, i int) rune {
	if i < 0 {
		return -1
	}
	if i < d.pfx || d.asciiTo(line, i+1) {
		if i >= len(line) {
			return -1
		}
		return rune(line[i])
	}
	r := d.lineRunes(line)
	if i >= len(r) {
		return -1
	}
	return r[i]
}

// matchDate searches t in line between rune positions pos and endpos (as
// Python's pattern.search(line, pos, endpos)).
func (d *Detector) matchDate(dt *ddTemplate, line string, pos, endpos int, m *match) bool {
	return d.matchDateBefore(dt, line, pos, endpos, noIdx, m)
}

// matchDateBefore is matchDate for a match starting before rune position
// lim: the leftmost match when it starts there, else none (matchTime's
// search asks that of a template whose match further on could not
// change its answer; a fast search then reads the line's map only as
// far as such a match can reach).
func (d *Detector) matchDateBefore(dt *ddTemplate, line string, pos, endpos, lim int, m *match) bool {
	t := dt.t
	if t.fast != nil && !d.noFast && pos == 0 && endpos == noIdx && t.fast.happy != nil {
		// the common case: an anchored template on the whole line
		if t.fast.happy(t.fast, line, m) && d.asciiTo(line, m.end+1) {
			if m.start >= lim {
				return false
			}
			dt.rawHits++
			return true
		}
	}
	if t.fast != nil && !d.noFast && t.fast.opaque && pos == 0 && endpos < noIdx {
		// an opaque matcher answers only at 0: it needs the line ASCII up
		// to endpos (the regex sees no further), not the whole line
		e := min(endpos, len(line))
		if d.asciiTo(line, e) && t.fast.happy(t.fast, line[:e], m) {
			if m.start >= lim {
				return false
			}
			dt.rawHits++
			return true
		}
	}
	n := d.lineLen(line)
	if endpos > n {
		endpos = n
	}
	if pos > endpos || pos >= lim {
		return false
	}
	if t.fast != nil && !d.noFast && d.ascii(line) {
		switch t.fast.searchBefore(line[:endpos], pos, lim, &d.fst, m) {
		case fastMatch:
			if m.start >= lim {
				return false
			}
			dt.rawHits++
			return true
		case fastNoMatch:
			return false
		}
	}
	rx, err := t.regexp()
	if err != nil {
		return false
	}
	r := d.lineRunes(line)
	var rm *regexp2.Match
	err = pyre.Confirmed(matchTimeout, func() (err error) {
		rm, err = rx.re.FindRunesMatchStartingAt(r[:endpos], pos)
		return err
	})
	if err != nil || rm == nil || rm.RuneIndex >= lim {
		return false
	}
	g := rm.GroupByNumber(rx.spanNum)
	*m = match{start: rm.RuneIndex, end: rm.RuneIndex + rm.RuneLength, rm: rm, rx: rx}
	if g != nil && len(g.Captures) > 0 {
		m.gstart, m.gend = g.RuneIndex, g.RuneIndex+g.RuneLength
	} else {
		m.gstart, m.gend = -1, -1
	}
	dt.rawHits++
	return true
}

func isAlnum(r rune) bool {
	return r >= 0 && (unicode.IsLetter(r) || unicode.IsNumber(r))
}

// matchTime is fail2ban's DateDetector.matchTime, literally: first the last
// winning template (in the same place when it is not anchored), then a
// search over all templates with its "distance collision" rules, then the
// winner's bookkeeping and bubble-up.
//
// The match it returns is one of d.mt, good until the next Find: a
// template's match goes to d.mt[cur], and a candidate kept as the best
// so far stays in its buffer while cur moves to the other one.
func (d *Detector) matchTime(line string) (*match, *ddTemplate, bool) {
	cur := 0
	m := &d.mt[cur]
	matched := false
	type found struct {
		buf   int // the d.mt holding the match
		dist  int
		end   int
		i     int
		valid bool
	}
	best := found{dist: noIdx, end: noIdx, i: -1}
	keep := func(distance, endpos, i int) {
		best = found{buf: cur, dist: distance, end: endpos, i: i, valid: true}
		cur ^= 1
		m = &d.mt[cur]
	}
	ignoreBySearch := noIdx
	i := d.lastTempl
	var dt *ddTemplate
	var distance, endpos int
	if i < len(d.templates) {
		dt = d.templates[i]
		t := dt.t
		if t.flags&(flagLineBegin|flagLineEnd) != 0 {
			matched = d.matchDate(dt, line, 0, noIdx, m)
			ignoreBySearch = i
		} else {
			if t.fast == nil || t.fast.happy == nil {
				// dt's search below (matchDateBefore without a happy
				// path) asks whether the whole line is ASCII (lineLen)
				// in any case: asked first, in one pass, it spares the
				// character questions before it (at) their scans of the
				// line's start, which they then read below d.pfx
				d.ascii(line)
			}
			distance, endpos = d.lastPos, d.lastEnd
			before := d.at(line, distance-1)
			cur := d.at(line, distance)
			after := d.at(line, endpos)
			endBefore := rune(-1)
			if endpos-1 >= 0 {
				endBefore = d.at(line, endpos-1)
			}
			if (before == d.lastPosB || (cur == d.lastPosA && !isAlnum(d.lastPosA))) &&
				(after == d.lastEndA || (endBefore == d.lastEndB && !isAlnum(d.lastEndB))) {
				matched = d.matchDate(dt, line, distance, endpos, m)
			} else {
				matched = d.matchDate(dt, line, 0, noIdx, m)
				ignoreBySearch = i
			}
		}
		if matched {
			distance, endpos = m.start, m.end
			if !(len(d.templates) == 1 || t.flags&(flagLineBegin|flagLineEnd) != 0 ||
				(distance == d.lastPos && endpos == d.lastEnd)) {
				keep(distance, endpos, i)
				matched = false
			}
		}
	}
	if !matched {
		// the fast matchers' shared checks rule most templates out
		// without a search (an ASCII line: the fast path's domain)
		screen := !d.noFast && d.ascii(line)
		var places uint64 // with ls: the indexes the search tries
		var ls *lineScreen
		if screen {
			if !d.lsBuilt {
				d.lscreen, d.lsBuilt = newLineScreen(d.templates), true
			}
			if ls = d.lscreen; ls != nil {
				// the bound of every template's search below but the
				// last's (see there): best.dist only falls, and
				// min(dt.distance, d.lastPos) <= d.lastPos
				lim := max(best.dist, d.lastPos+1)
				if d.noBound {
					lim = noIdx
				}
				places = ls.placesBefore(line, lim, &d.fst)
				if lim < noIdx {
					// the last template: a match anywhere counts (its
					// bit is set already when one before lim can be)
					k := len(d.templates) - 1
					if p := d.templates[k].t.fast; places&(1<<uint(k)) == 0 && (p == nil || !p.excluded(line, &d.fst)) {
						places |= 1 << uint(k)
					}
				}
			}
		}
		i = 0
		for i < len(d.templates) {
			if ls != nil {
				// skip to the next template the checks leave
				rest := places >> uint(i)
				if rest == 0 {
					break
				}
				i += bits.TrailingZeros64(rest)
			}
			if i == ignoreBySearch {
				i++
				continue
			}
			dt = d.templates[i]
			t := dt.t
			// A match of a template (not the last, not anchored) that
			// starts at bound or later takes the "distance collision"
			// branch below (distance > min(dt.distance, d.lastPos)) and
			// is not kept (distance >= best.dist): it changes nothing
			// but rawHits, which only the "distance == 0" break reads,
			// whose answer the collision test gives anyway (0 >
			// dt.distance and 0 > d.lastPos are false). So its search
			// asks for a match starting before bound only.
			bound := noIdx
			if i+1 < len(d.templates) && t.flags&(flagLineBegin|flagLineEnd) == 0 && !d.noBound {
				bound = max(best.dist, min(dt.distance, d.lastPos)+1)
			}
			if ls == nil && screen && t.fast != nil && t.fast.excludedBefore(line, bound, &d.fst) {
				matched = false
				i++
				continue
			}
			matched = d.matchDateBefore(dt, line, 0, noIdx, bound, m)
			if matched {
				distance, endpos = m.start, m.end
				if i+1 >= len(d.templates) {
					break
				}
				if t.flags&(flagLineBegin|flagLineEnd) != 0 {
					break
				}
				if distance == 0 && dt.hits > 0 && d.templates[i+1].rawHits == 0 {
					break
				}
				if distance > dt.distance || distance > d.lastPos {
					if distance < best.dist {
						keep(distance, endpos, i)
					}
					matched = false
					i++
					continue
				}
				break
			}
			i++
		}
		if !matched && best.valid {
			m, distance, endpos, i = &d.mt[best.buf], best.dist, best.end, best.i
			dt = d.templates[i]
			matched = true
		}
	}
	if !matched {
		return nil, nil, false
	}
	dt.hits++
	dt.lastUsed = d.clock()
	dt.distance = distance
	if d.firstUnused == i {
		d.firstUnused++
	}
	d.lastPos, d.lastPosB, d.lastPosA = distance, d.at(line, distance-1), d.at(line, distance)
	eb := rune(-1)
	if len(line) > 0 {
		if endpos-1 >= 0 {
			eb = d.at(line, endpos-1)
		} else {
			eb = d.at(line, d.lineLen(line)-1) // Python's line[-1]
		}
	}
	d.lastEnd, d.lastEndB, d.lastEndA = endpos, eb, d.at(line, endpos)
	if i != 0 && i != d.lastTempl {
		i = d.reorder(i)
	}
	d.lastTempl = i
	return m, dt, true
}

// reorder is fail2ban's _reorderTemplate (bubble up).
func (d *Detector) reorder(num int) int {
	if num == 0 {
		return num
	}
	ts := d.templates
	dt := ts[num]
	untime := dt.lastUsed - d.unusedTime
	weight := dt.weight()
	pos := num / 2
	if d.firstUnused < num {
		pos = d.firstUnused
	}
	moveable := func() bool {
		return weight > ts[pos].weight() || untime > ts[pos].lastUsed
	}
	if !moveable() {
		if pos == num-1 {
			return num
		}
		pos = num - 1
		if !moveable() {
			return num
		}
	}
	copy(ts[pos+1:num+1], ts[pos:num])
	ts[pos] = dt
	if d.lscreen != nil {
		for k := pos; k <= num; k++ {
			d.lscreen.place[ts[k].id] = uint8(k)
		}
	}
	for d.firstUnused < len(ts) && ts[d.firstUnused].hits > 0 {
		d.firstUnused++
	}
	return pos
}

// Find searches line for a date and returns its time and the byte span
// [start,end) of the date text (fail2ban cuts that span out of the line
// before the failregexes run).
//
// ok is false when no template matches (start == end == 0), and also when
// a template matches text that is not a valid date (30 Feb, hour 29, an
// unknown zone): then [start,end) is that text, which fail2ban still cuts
// out. A template that matches empty text ({NONE}, optional patterns)
// gives ok with start == end and the time "now" (fail2ban's processLine
// then takes the last date when it is under a minute old, as package
// filter does).
func (d *Detector) Find(line string) (t time.Time, start, end int, ok bool) {
	var dt Date
	start, end, ok = d.FindDate(line, &dt)
	return dt.Time(), start, end, ok
}

// findLast is matchTime for the common case, without its copies: the
// last winning template is anchored at the line start and its happy path
// accepts the line (the date text may start later, as the access-log
// date after "^[^\[]*\["). It returns the match (d.m), or nil when the
// general path must decide. The bookkeeping is matchTime's for an
// anchored template that wins again (no reorder: it is already the last
// template).
func (d *Detector) findLast(line string) *match {
	i := d.lastTempl
	if d.noFast || i >= len(d.templates) {
		return nil
	}
	dt := d.templates[i]
	tp := dt.t
	if tp.fast == nil || tp.fast.happy == nil || tp.kind != kindPattern || tp.flags&(flagLineBegin|flagLineEnd) == 0 {
		return nil
	}
	m := &d.m
	if !d.same.hit(dt, line) {
		d.same.dt = nil
		if !tp.fast.happy(tp.fast, line, m) || m.start != 0 || m.gstart < 0 || m.gend <= m.gstart || m.end <= 0 {
			return nil
		}
		d.same.keep(dt, line, m)
	}
	// a happy path accepts ASCII bytes only, so [0,end) is ASCII
	d.pfx = m.end
	if m.end < len(line) && line[m.end] >= utf8.RuneSelf {
		return nil
	}
	dt.rawHits++
	dt.hits++
	dt.lastUsed = d.clock()
	dt.distance = 0
	if d.firstUnused == i {
		d.firstUnused++
	}
	d.lastPos, d.lastPosB, d.lastPosA = 0, -1, rune(line[0])
	d.lastEnd, d.lastEndB, d.lastEndA = m.end, rune(line[m.end-1]), d.at(line, m.end)
	d.lastTempl = i
	return m
}

// sameDate is the start of the last line whose date findLast read with
// the syslog happy path (happySyslog), for the next line that starts
// with the same bytes: most lines of a busy log share their second with
// the line before. happySyslog reads no byte past its match's end plus
// one, and only the bytes it reads decide its answer (and whether the
// line is longer than what it reads); without a year it reads no other
// state (the years table decides only a year). So a line whose first
// end+2 bytes are those (or that is the same line, when the line was
// shorter) gets the same match, which d.m still holds: findLast is the
// only writer of d.m, and drops sameDate before any other happy path
// writes it.
type sameDate struct {
	dt  *ddTemplate // nil: none
	key readKey     // the line's first end+2 bytes
}

// sameMax bounds the bytes sameDate keeps.
const sameMax = 40

// keep remembers line, whose date m the happy path of dt found.
func (s *sameDate) keep(dt *ddTemplate, line string, m *match) {
	if !dt.t.fast.syslog || m.f.is(keyY) || m.end+2 > sameMax {
		return
	}
	s.key.keep(line, m.end+2)
	s.dt = dt
}

// hit reports whether line starts as the line keep kept for dt.
func (s *sameDate) hit(dt *ddTemplate, line string) bool {
	return s.dt == dt && s.key.holds(line)
}

// readKey is what a parse read of a string, for the memos of a parse
// whose answer depends on those bytes only (sameDate, happyAt): the
// string's first bytes up to the parse's reach, or the whole string when
// it ended sooner (all). Another string gets the same answer when it
// holds the key: it starts with those bytes and, when all, ends there
// too (the parse saw the end of the string, which it may have asked).
type readKey struct {
	key [readKeyMax]byte
	n   int  // the bytes kept
	all bool // the string ended within its reach: key is all of it
}

// readKeyMax bounds the bytes a readKey keeps.
const readKeyMax = 48

// keep keeps s's bytes up to reach, and reports whether they fit (else
// the key is left as it was).
func (k *readKey) keep(s string, reach int) bool {
	n := min(len(s), reach)
	if n > readKeyMax {
		return false
	}
	k.n, k.all = n, len(s) < reach
	copy(k.key[:], s[:n])
	return true
}

// holds reports whether s starts with the kept bytes, and ends there when
// the kept string did.
func (k *readKey) holds(s string) bool {
	return len(s) >= k.n && (!k.all || len(s) == k.n) && s[:k.n] == string(k.key[:k.n])
}

func (d *Detector) byteOffset(line string, runeIdx int) int {
	n := 0
	for i := range line {
		if n == runeIdx {
			return i
		}
		n++
	}
	return len(line)
}
