package datedetect

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
)

// boundPair is a Detector whose search asks each template for a match
// starting before its bound (as Find does) and one that searches every
// template over the whole line (noBound), both on the same path (fast,
// or the regex only) and on the same deterministic clock.
type boundPair struct{ bound, whole *Detector }

func newBoundPair(t testing.TB, pattern string, noFast bool) boundPair {
	t.Helper()
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	var p boundPair
	for _, d := range []**Detector{&p.bound, &p.whole} {
		var err error
		if *d, err = New(Options{Now: now, Location: time.UTC, Pattern: pattern}); err != nil {
			t.Fatal(err)
		}
		(*d).noFast = noFast
		var tick float64
		(*d).clock = func() float64 { tick++; return tick }
	}
	p.whole.noBound = true
	return p
}

// state is what a Detector keeps from a line that can change a later
// answer or Stats: the order, each template's hits and distance and
// last use, the last winner and its place (all but rawHits, which only
// the "distance == 0" break reads, whose answer does not depend on it).
func (d *Detector) state() string {
	var b strings.Builder
	for _, dt := range d.templates {
		fmt.Fprintf(&b, "%d:%d/%d/%v ", dt.id, dt.hits, dt.distance, dt.lastUsed)
	}
	fmt.Fprintf(&b, "| last %d pos %d %d %d end %d %d %d unused %d", d.lastTempl, d.lastPos, d.lastPosB, d.lastPosA,
		d.lastEnd, d.lastEndB, d.lastEndA, d.firstUnused)
	return b.String()
}

// check dates line with both and wants the same answer (time, span,
// ok) and the same state after it.
func (p boundPair) check(t testing.TB, line string) {
	t.Helper()
	bt, bs, be, bok := p.bound.Find(line)
	wt, ws, we, wok := p.whole.Find(line)
	if bs != ws || be != we || bok != wok || !bt.Equal(wt) {
		t.Fatalf("%q: bounded %v [%d:%d] %v, whole line %v [%d:%d] %v", line, bt, bs, be, bok, wt, ws, we, wok)
	}
	if b, w := p.bound.state(), p.whole.state(); b != w {
		t.Fatalf("%q: state after it\nbounded    %s\nwhole line %s", line, b, w)
	}
	if !slices.Equal(p.bound.Stats(), p.whole.Stats()) {
		t.Fatalf("%q: Stats %v, whole line %v", line, p.bound.Stats(), p.whole.Stats())
	}
}

// boundPatterns are the datepatterns the bound is checked with: the
// default templates (fail2ban's files without a datepattern, such as
// traefik-auth.conf), those built around {DATE}, the keywords, and two
// of unanchored patterns.
var boundPatterns = []string{"", "{DATE}", "{^LN-BEG}", `^[^\[]*\[({DATE})`, `^{DATE}`,
	"EPOCH\n{DEFAULT}", "TAI64N\n%d/%b/%Y:%H:%M:%S\n%ExY-%m-%d %H:%M:%S",
	"%d/%b/%Y:%H:%M:%S\n%ExY-%m-%d %H:%M:%S$\nTAI64N", "%d/%b/%Y:%H:%M:%S\n%ExY-%m-%d %H:%M:%S$\n%m/%d/%y %H:%M:%S", "%d/%b/%Y:%H:%M:%S\nEPOCH\n%ExY-%m-%d %H:%M:%S"}

// boundLines have a second date after the first, which the rules take
// although it starts past the others' bound: the last template's (the
// default templates end with TAI64N), one anchored at the line's end,
// an epoch after "audit(". They follow a line dated at 2 by the
// template of the first date, which their search then reserves.
var boundLines = []string{
	"a: 21/Nov/2026:10:00:00 b 2026-11-21 10:00:01",
	"ab 21/Nov/2026:10:00:00 b @4000000041f4104f00000000 c",
	"abc 21/Nov/2026:10:00:00 b @4000000041f4104f00000000",
	"abc 21/Nov/2026:10:00:00 b 2026-11-21 10:00:01",
	"abc 21/Nov/2026:10:00:00 b audit(1763805600.123:7) x",
	"2026-11-21 10:00:01 a 21/Nov/2026:10:00:00",
	"x @4000000041f4104f00000000 21/Nov/2026:10:00:00 2026-11-21 10:00:01",
	"Nov 21 10:00:00 x 21/Nov/2026:10:00:00 @4000000041f4104f00000000",
}

// serviceLines returns n lines of the generated log of svc, and the
// same lines moved mid-line by 0 to 6 bytes (the date's place changes
// from line to line, as the address's length moves it in an access log).
func serviceLines(t testing.TB, svc string, n int) (lines, moved []string) {
	t.Helper()
	var b bytes.Buffer
	if _, err := authgen.Generate(&b, authgen.Options{Lines: n, Seed: 3, Service: svc}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		moved = append(moved, strings.Repeat("1", len(lines)*7%5)+strings.Repeat(" ", len(lines)%3)+sc.Text())
	}
	return lines, moved
}

// TestBoundedSearch: matchTime's search with each template bounded (a
// match starting at its bound or later is taken as none) gives, line by
// line, the same answer and leaves the same state (order, hits,
// distances, the last winner, Stats) as the search over the whole line,
// on every generated service log (as written and moved mid-line), with
// the default templates, the datepatterns of boundPatterns and those of
// fail2ban's filter files for the service, on the fast path and on the
// regex path.
func TestBoundedSearch(t *testing.T) {
	n := 1500 / scale
	for _, svc := range authgen.Services() {
		lines, moved := serviceLines(t, svc, n)
		for k := 0; k+1 < len(lines); k += 50 {
			// a line of boundLines now and then, after one dated by the
			// same template at another place (which the line's search
			// then reserves), also moved
			l := boundLines[k/50%len(boundLines)]
			lines[k], lines[k+1] = "q 21/Nov/2026:09:59:59 z", l
			moved[k], moved[k+1] = lines[k], strings.Repeat("1 ", k%4)+l
		}
		patterns := slices.Clone(boundPatterns)
		for _, name := range authgen.ServiceFilters(svc) {
			if p := filterDatePattern(name); p != "" {
				patterns = append(patterns, p)
			}
		}
		for _, pattern := range patterns {
			for _, noFast := range []bool{false, true} {
				if share := min(100, 500/scale); noFast && len(lines) > share {
					// the regex path is slow (under -race most of all):
					// its share
					lines, moved = lines[:share], moved[:share]
				}
				for _, ls := range [][]string{lines, moved} {
					p := newBoundPair(t, pattern, noFast)
					for _, l := range ls {
						p.check(t, l)
					}
				}
				// the two mixed: the winner changes place and template
				p := newBoundPair(t, pattern, noFast)
				for k := range lines {
					p.check(t, lines[k])
					p.check(t, moved[(k*7)%len(moved)])
				}
			}
		}
	}
}

// FuzzBoundedSearch: as TestBoundedSearch on any line, between lines that
// set the adaptive order and the last winner's place.
func FuzzBoundedSearch(f *testing.F) {
	for i, l := range screenLines {
		f.Add(l, uint8(i))
	}
	for i, l := range boundLines {
		f.Add(l, uint8(i*9))
	}
	for i, l := range fastEdgeLines {
		f.Add(l, uint8(i))
	}
	for i, l := range secondLines {
		f.Add(l, uint8(i))
	}
	f.Add(`198.51.100.183 - - [21/Nov/2026:00:00:00 +0000] "GET /about/ HTTP/2.0" 200 52547 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" 863 "web@docker" "http://172.18.0.4:80" 366ms`, uint8(0))
	f.Fuzz(func(t *testing.T, line string, sel uint8) {
		pattern := boundPatterns[int(sel)%len(boundPatterns)]
		p := newBoundPair(t, pattern, sel&0x80 != 0)
		pre := screenLines[int(sel>>3)%len(screenLines)]
		for _, l := range []string{pre, line, "12 " + line, line, pre, line[:len(line)/2], line, "1" + line, line} {
			p.check(t, l)
		}
	})
}

// boundOffsetLines have dates of the templates the bounded checks find
// by their digit runs, "@" or "(" at every offset modulo 8 (runsTo reads
// every eighth byte).
func boundOffsetLines() []string {
	var ls []string
	for k := range 17 {
		pre := strings.Repeat("x", k)
		for _, d := range []string{"20261121T100000 x", "20261121 10:00:00 y", "261121 10:00:00", "261121  10:00:00",
			"@4000000041f4104f00000000 z", "audit(1763805600.123:7) a", "[1763805600] b", "1763805600 c"} {
			ls = append(ls, pre+" "+d, pre+d, pre+"12345678 "+d)
		}
	}
	return ls
}

// checkBounds compares, on one ASCII line and for bounds from 0 past the
// line's end, each template's bounded checks with the unbounded ones:
// placesBefore with excludedBefore (exactly), excludedBefore with the
// template's leftmost match (none starting before the bound when it
// excludes), and searchBefore with search (the leftmost match when it
// starts before the bound, else none). d has dated the lines before.
func checkBounds(t *testing.T, d *Detector, line string) {
	t.Helper()
	d.prepare(line)
	if !d.ascii(line) {
		return
	}
	if !d.lsBuilt {
		d.lscreen, d.lsBuilt = newLineScreen(d.templates), true
	}
	ls := d.lscreen
	st := &d.fst
	// each template's leftmost match (start), -1 for none
	first := make([]int, len(d.templates))
	whole := make([]match, len(d.templates)) // search's answer
	wholeR := make([]fastStatus, len(d.templates))
	for i, dt := range d.templates {
		first[i] = -1
		switch r := fastNoMatch; {
		case dt.t.fast != nil:
			r = dt.t.fast.search(line, 0, st, &whole[i])
			if wholeR[i] = r; r == fastMatch {
				first[i] = whole[i].start
			}
			if r != fastUnknown {
				continue
			}
			fallthrough
		default:
			rx, err := dt.t.regexp()
			if err != nil {
				t.Fatal(err)
			}
			if rm, err := rx.re.FindRunesMatch([]rune(line)); err == nil && rm != nil {
				first[i] = rm.RuneIndex
			}
		}
	}
	lims := []int{0, 1, 2, 3, len(line) / 2, len(line), len(line) + 1, len(line) + 40, noIdx}
	for k := 4; k < len(line); k += 1 + k/4 {
		lims = append(lims, k)
	}
	for _, f := range first {
		lims = append(lims, f, f+1)
	}
	slices.Sort(lims)
	for _, lim := range slices.Compact(lims) {
		if lim < 0 {
			continue
		}
		// each from an empty map of the line (as the first question
		// of a Find), which the bounded checks fill only in part
		st.mapValid = false
		places := ls.placesBefore(line, lim, st)
		for i, dt := range d.templates {
			p := dt.t.fast
			if p == nil {
				continue
			}
			st.mapValid = false
			ex := p.excludedBefore(line, lim, st)
			if got := places&(1<<i) != 0; got == ex {
				t.Fatalf("%q: template %s, bound %d: screen says possible %v, excludedBefore says %v", line, dt.t.name, lim, got, ex)
			}
			if ex && first[i] >= 0 && first[i] < lim {
				t.Fatalf("%q: template %s, bound %d: excluded, its leftmost match starts at %d", line, dt.t.name, lim, first[i])
			}
			// searchBefore may be sure where search is not (it stops
			// sooner): then the leftmost match (the regex's) decides
			var m match
			st.mapValid = false
			got := p.searchBefore(line, 0, lim, st, &m)
			want, w := wholeR[i], whole[i]
			switch {
			case got == fastNoMatch && first[i] >= 0 && first[i] < lim,
				got == fastMatch && (first[i] < 0 || m.start != first[i] || m.start >= lim),
				got == fastMatch && want == fastMatch && (m.start != w.start || m.end != w.end || m.gstart != w.gstart || m.gend != w.gend || m.f != w.f),
				got == fastUnknown && want != fastUnknown:
				t.Fatalf("%q: template %s, bound %d: searchBefore %v %+v, search %v %+v, leftmost match at %d", line, dt.t.name, lim, got, m, want, w, first[i])
			}
		}
	}
}
