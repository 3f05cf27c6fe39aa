package datedetect

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fastTemplates returns the default templates that have a fast matcher.
func fastTemplates(t testing.TB, now time.Time) []*template {
	ds, err := defaults(yearRE(now.Year()))
	if err != nil {
		t.Fatal(err)
	}
	var out []*template
	for _, tp := range ds.all {
		// (a Detector that appends a default template compiles it)
		if err := tp.compileShared(); err != nil {
			t.Fatal(err)
		}
		if tp.fast != nil {
			out = append(out, tp)
		}
	}
	if len(out) != len(ds.all) {
		for _, tp := range ds.all {
			if tp.fast == nil {
				t.Errorf("no fast matcher for %s: %s", tp.name, tp.regex)
			}
		}
		t.Fatalf("%d of %d default templates have a fast matcher", len(out), len(ds.all))
	}
	return out
}

// checkFastEqualsRegex compares, for one template and line, the fast
// matcher with the regex at every start position the detector uses.
func checkFastEqualsRegex(t testing.TB, d *Detector, tp *template, line string) (compared bool) {
	if !isASCII(line) {
		return false
	}
	dt := &ddTemplate{t: tp}
	for _, pos := range []int{0, 1, len(line) / 2} {
		for _, endpos := range []int{len(line), len(line) - 1} {
			if endpos < pos || endpos < 0 {
				continue
			}
			d.prepare(line)
			d.noFast = false
			var fm, rm match
			fs := tp.fast.search(line[:endpos], pos, &d.fst, &fm)
			if fs == fastUnknown {
				continue
			}
			d.prepare(line)
			d.noFast = true
			rok := d.matchDate(dt, line, pos, endpos, &rm)
			if (fs == fastMatch) != rok {
				t.Errorf("%s on %q [%d:%d]: fast %v, regex %v", tp.name, line, pos, endpos, fs == fastMatch, rok)
				return true
			}
			if !rok {
				continue
			}
			if fm.start != rm.start || fm.end != rm.end || fm.gstart != rm.gstart || fm.gend != rm.gend {
				t.Errorf("%s on %q [%d:%d]: fast span %d-%d group %d-%d, regex %d-%d group %d-%d",
					tp.name, line, pos, endpos, fm.start, fm.end, fm.gstart, fm.gend, rm.start, rm.end, rm.gstart, rm.gend)
				return true
			}
			var fd, rd Date
			fok, rok2 := d.dateOf(tp, line, &fm, &fd), d.dateOf(tp, line, &rm, &rd)
			ft, rt := fd.Time(), rd.Time()
			if fok != rok2 || !ft.Equal(rt) {
				t.Errorf("%s on %q: fast time %v %v, regex %v %v", tp.name, line, ft, fok, rt, rok2)
			}
			compared = true
		}
	}
	return compared
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// TestFastPathEqualsRegex runs the fast matchers and the regexes over many
// generated lines and wants identical matches, groups and times.
func TestFastPathEqualsRegex(t *testing.T) {
	for _, now := range nows {
		d, err := New(Options{Now: now, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		tps := fastTemplates(t, now)
		g := newLineGen(uint64(now.Unix()))
		n := 0
		for i := 0; i < 4000/scale; i++ {
			line := g.line()
			for _, tp := range tps {
				if checkFastEqualsRegex(t, d, tp, line) {
					n++
				}
			}
			if t.Failed() {
				return
			}
		}
		t.Logf("%v: %d comparisons", now, n)
	}
}

// TestFastPathDetector runs streams through a detector with and without
// the fast path and wants the same results line by line (spans, times,
// template statistics).
func TestFastPathDetector(t *testing.T) {
	for i, now := range nows {
		pattern := fuzzPatterns[i%len(fuzzPatterns)]
		fast, _ := New(Options{Now: now, Location: time.UTC, Pattern: pattern})
		slow, _ := New(Options{Now: now, Location: time.UTC, Pattern: pattern})
		slow.noFast = true
		// The template order adapts to the wall clock; both detectors
		// must see the same one for their statistics to agree.
		fixed := func() float64 { return float64(now.Unix()) }
		fast.clock, slow.clock = fixed, fixed
		g := newLineGen(uint64(now.Unix()) + 7)
		for j, line := range g.stream(5000 / scale) {
			if j%3 == 0 {
				line = "192.0.2.1 - - [" + line
			}
			ft, fs, fe, fok := fast.Find(line)
			st, ss, se, sok := slow.Find(line)
			if fs != ss || fe != se || fok != sok || !ft.Equal(st) {
				t.Fatalf("%q: fast %v %d-%d %v, regex %v %d-%d %v", line, ft, fs, fe, fok, st, ss, se, sok)
			}
		}
		fst, sst := fast.Stats(), slow.Stats()
		for i := range fst {
			if fst[i] != sst[i] {
				t.Fatalf("stats differ at %d: fast %v, regex %v", i, fst[i], sst[i])
			}
		}
	}
}

// Hand-picked lines at the edges of the fast matchers.
var fastEdgeLines = []string{
	"Nov 22 10:00:00 h", "Nov  2 10:00:00 h", "Nov 2 10:00:00 h", "nov 22 10:00:00 h", "NOV 22 10:00:00 h",
	"Sun Nov 22 10:00:00 h", "Sun  Nov 22 10:00:00", "Nov 22  9:00:00 h", "Nov 22 9:0:0 h", "Nov 31 10:00:00 h",
	"Nov 22 10:00:00.1234567 h", "Nov 22 10:00:00.123456 2026 h", "Nov 22 10:00:00 20261", "Nov 22 10:00:00 2026x",
	"Nov 22 10:00:00x", "Nov 22 10:00:00_", "Nov 22 10:00:0", "Nov 22 29:00:00 h", "Nov 22 10:60:61 h",
	"##Nov 22 10:00:00", "###Nov 22 10:00:00", "<13>Nov 22 10:00:00", "[Nov 22 10:00:00]", " Nov 22 10:00:00",
	"Nov 22 10:00:00", "Nov 22 10:00:00 ", "Nov 22 10:00:00.", "Nov 22 10:00:00.5", "Nov 22 10:00:00 2031",
	"2026-11-22 10:00:00 x", "2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123+01:00", "2026-11-22 10:00:00  +0100",
	"2026/11/22 10:00:00", "2026.11.22 10:00:00", "2026-11/22 10:00:00", "2026-1-2 1:2:3", "2026-11-22  1:00:00",
	"2026-11-22 10:00:00,5 UTC", "2026-11-22 10:00:00 utc", "2026-11-22 10:00:00GMT", "2026-11-22 10:00:00 +01",
	"2026-11-22 10:00:00 +0130x", "2026-11-22 10:00:00 +013", "2026-11-22 10:00:00\t\tZ", "2026-11-22 10:00:00 \x1cZ",
	"2026-11-22 10:00:00Zulu", "1999-11-22 10:00:00", "2026-13-22 10:00:00", "2026-02-30 10:00:00",
	"192.0.2.1 - - [22/Nov/2026:10:00:00 +0100] \"GET / HTTP/1.1\" 200", "[22/nov/2026:10:00:00 z]", "22-Nov-2026 10:00:00.5 -07:00",
	"x22/Nov/2026:10:00:00", "x 2/Nov/2026:10:00:00", "22/Nov-2026:10:00:00", "22/Nov/2026 10:00:00 UTC", "22/Nov/20261:10:00:00",
	"22/Nov/2026:10:00:00 +0100 22/Nov/2026:11:00:00", "", "x", "Nov", "2026", "22/Nov/2026:",
}

func TestFastPathEdges(t *testing.T) {
	now := nows[0]
	d, _ := New(Options{Now: now, Location: time.UTC})
	n := 0
	for _, tp := range fastTemplates(t, now) {
		for _, line := range fastEdgeLines {
			for _, pre := range []string{"", "x ", "##", "a"} {
				for _, suf := range []string{"", " h", "1", "."} {
					if checkFastEqualsRegex(t, d, tp, pre+line+suf) {
						n++
					}
				}
			}
		}
	}
	if n < 300 {
		t.Errorf("only %d comparisons made", n)
	}
	if !strings.Contains(fastEdgeLines[0], "Nov") {
		t.Fatal("edge lines changed")
	}
}

// TestFastPathDATEPatterns checks the fast matchers of the templates that
// the datepatterns ^{DATE} and ^[^\[]*\[({DATE}) (fail2ban's access-log
// filters) expand to.
func TestFastPathDATEPatterns(t *testing.T) {
	now := nows[0]
	g := newLineGen(99)
	// ^{DATE} also gives fail2ban's {^LN-BEG} EPOCH and TAI64N templates
	// ("^EPOCH", "^TAI64N"); ^<...> and ^MON-... become ^^ patterns.
	for _, tc := range []struct {
		pat  string
		fast int
	}{{`^{DATE}`, 15}, {`^[^\[]*\[({DATE})`, 13}} {
		pat := tc.pat
		d, err := New(Options{Now: now, Location: time.UTC, Pattern: pat})
		if err != nil {
			t.Fatal(err)
		}
		var tps []*template
		for _, dt := range d.templates {
			if dt.t.fast != nil {
				tps = append(tps, dt.t)
			}
		}
		if len(tps) != tc.fast {
			t.Errorf("%s: %d of %d templates have a fast matcher, want %d", pat, len(tps), len(d.templates), tc.fast)
		}
		n := 0
		for i := 0; i < 3000/scale; i++ {
			line := g.line()
			if i%2 == 0 {
				line = `192.0.2.1 - - [` + line
			}
			for _, tp := range tps {
				if checkFastEqualsRegex(t, d, tp, line) {
					n++
				}
			}
			if t.Failed() {
				return
			}
		}
		t.Logf("%s: %d comparisons", pat, n)
	}
}

// TestHappyPathsHaveShapes checks that every happy path is keyed by a
// template regex that has a fast matcher (a typo would leave it unused).
func TestHappyPathsHaveShapes(t *testing.T) {
	for re := range happyPaths {
		if _, ok := fastShapes()[re]; !ok {
			t.Errorf("happy path without a shape: %s", re)
		}
	}
}

// exYShapeRE is the regular expression exYAt stands for.
var exYShapeRE = regexp.MustCompile(`\(\?P<Y>[0-9\[\]\(\)\?:|]+\\d\)`)

// FuzzExYAt compares exYAt with the regular expression it stands for.
func FuzzExYAt(f *testing.F) {
	for _, y := range []int{1, 1999, 2001, 2026, 2100, 9999} {
		f.Add("^(?:\\W{0,2})?(" + yearRE(y) + "(?P<_sep>[-/.])")
	}
	f.Add(`(?P<Y>(?P<Y>1\d)`)
	f.Add(`(?P<Y>\d)(?P<Y>1|2\d)`)
	f.Add(`(?P<Y>12\x(?P<Y>3\d)`)
	f.Fuzz(func(t *testing.T, s string) {
		i, j := exYAt(s)
		loc := exYShapeRE.FindStringIndex(s)
		if loc == nil {
			loc = []int{-1, -1}
		}
		if i != loc[0] || j != loc[1] {
			t.Fatalf("exYAt(%q) = %d, %d; the regexp: %v", s, i, j, loc)
		}
	})
}
