package datedetect

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
)

// checkLineScreen compares, on one line, the shared checks matchTime
// takes from lineScreen with excluded asked of each template alone (and
// the regex of each template they rule out finds nothing there), and
// the second-byte check of search with a walk of the template at every
// start it rules out. d has dated the lines before (its order moved).
func checkLineScreen(t *testing.T, d *Detector, line string) {
	t.Helper()
	d.prepare(line)
	if !d.ascii(line) {
		return
	}
	if !d.lsBuilt {
		d.lscreen, d.lsBuilt = newLineScreen(d.templates), true
	}
	ls := d.lscreen
	if ls == nil {
		t.Fatalf("%d templates: no screen", len(d.templates))
	}
	places := ls.places(line, &d.fst)
	for i, dt := range d.templates {
		if int(ls.place[dt.id]) != i {
			t.Fatalf("template %s at %d, the screen has it at %d", dt.t.name, i, ls.place[dt.id])
		}
		p := dt.t.fast
		want := p == nil || !p.excluded(line, &d.fst)
		if got := places&(1<<i) != 0; got != want {
			t.Fatalf("%q: template %s: screen says possible %v, excluded says %v", line, dt.t.name, got, want)
		}
		if !want {
			// ruled out: the template's regex finds nothing in the line
			rx, err := dt.t.regexp()
			if err != nil {
				t.Fatal(err)
			}
			if m, err := rx.re.FindRunesMatch([]rune(line)); err != nil || m != nil {
				t.Fatalf("%q: template %s ruled out, its regex finds %v (%v)", line, dt.t.name, m, err)
			}
		}
		if p == nil || p.second == nil {
			continue
		}
		for g := 0; g+1 < len(line); g++ {
			k := p.second[line[g]]
			if k == 0 || p.secondSets[k][line[g+1]>>6]&(1<<(line[g+1]&63)) != 0 {
				continue
			}
			var m match
			if st := p.at(line, g, &d.fst, &m); st != fastNoMatch {
				t.Fatalf("%q: template %s: start %d ruled out by its second byte, the walk says %v %+v", line, dt.t.name, g, st, m)
			}
		}
	}
	d.Find(line)
}

// secondLines start dates with one-digit days and months, after a space
// and a zero, where the second-byte check must let every way through.
var secondLines = []string{
	"on 5-11-2026 10:00:12 x",
	"x 5/Nov/2026:10:00:00 +0100 y",
	"x  5/Nov/2026:10:00:00 y",
	"x 05/Nov/2026:10:00:00 y",
	"x 0 5/Nov/2026:10:00:00 y",
	"at 7/21/2026:10:00:06 z",
	"d 9-Nov-2026 10:00:00",
	"d 9-Nov-2026 1:00:00 PM",
	"e 7-21-2026 9:00:01.5",
	"f 3/1/26 4:05:06",
	"g 0 1/2/2026 0:00:00",
}

// screenPatterns are datepatterns whose templates the screen decides:
// the default templates, and the ones built around {DATE}.
var screenPatterns = []string{"", "{^LN-BEG}", `^[^\[]*\[({DATE})`, `^{DATE}`, "{DATE}"}

// TestLineScreen: lineScreen's answer for every template equals
// excluded's (and the second-byte check rules out only starts with no
// match) on the screen lines and 300 lines of every generated service
// log, also moved mid-line, with each datepattern of screenPatterns;
// and so do the bounded checks (checkBounds).
func TestLineScreen(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	var logs [][]string
	logs = append(logs, screenLines, fastEdgeLines, secondLines, boundLines, boundOffsetLines())
	for _, svc := range authgen.Services() {
		var b bytes.Buffer
		if _, err := authgen.Generate(&b, authgen.Options{Lines: 300, Seed: 5, Service: svc}); err != nil {
			t.Fatal(err)
		}
		var lines, moved []string
		sc := bufio.NewScanner(&b)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			moved = append(moved, strings.Repeat("7", len(lines)%5)+" "+sc.Text())
		}
		logs = append(logs, lines, moved)
	}
	for _, pattern := range screenPatterns {
		d, err := New(Options{Now: now, Location: time.UTC, Pattern: pattern})
		if err != nil {
			t.Fatal(err)
		}
		for k, lines := range logs {
			for j, l := range lines {
				if k < 5 || j%3 == 0 {
					// the bounded checks (slow: many bounds): the
					// hand-written lines, a third of the logs'
					checkBounds(t, d, l)
				}
				checkLineScreen(t, d, l)
			}
		}
	}
}

// FuzzLineScreen: as TestLineScreen on any line, after lines that set
// the adaptive order.
func FuzzLineScreen(f *testing.F) {
	for _, l := range screenLines {
		f.Add(l, uint8(0))
	}
	for i, l := range secondLines {
		f.Add(l, uint8(i))
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line string, sel uint8) {
		d, err := New(Options{Now: now, Location: time.UTC, Pattern: screenPatterns[int(sel)%len(screenPatterns)]})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{screenLines[int(sel)%len(screenLines)], line, screenLines[0], line} {
			checkBounds(t, d, l)
			checkLineScreen(t, d, l)
		}
	})
}

// TestNextEpochStart compares nextEpochStart with its definition on
// strings of the letters that matter.
func TestNextEpochStart(t *testing.T) {
	ref := func(s string, i int) int {
		for j := max(i, 0); j <= len(s); j++ {
			if j == 0 || j == 1 && s[0] == '[' ||
				j >= 6 && s[j-6:j] == "audit(" && (j == 6 || !isWordByte(s[j-7])) {
				return j
			}
		}
		return -1
	}
	const letters = "audit( [x1"
	rnd := uint32(1)
	for n := 0; n < 20000; n++ {
		var b []byte
		for k := 0; k < n%40; k++ {
			rnd = rnd*1664525 + 1013904223
			if rnd>>28 < 6 {
				b = append(b, "audit("...)
			} else {
				b = append(b, letters[int(rnd>>8)%len(letters)])
			}
		}
		s := string(b)
		for i := 0; i <= len(s)+1; i++ {
			if got, want := nextEpochStart(s, i), ref(s, i); got != want {
				t.Fatalf("nextEpochStart(%q, %d) = %d, want %d", s, i, got, want)
			}
		}
	}
}

// TestAsciiTo: any sequence of asciiTo calls on a line, after ascii or
// not, answers whether its first n bytes are ASCII, as the definition
// does.
func TestAsciiTo(t *testing.T) {
	rnd := uint32(7)
	next := func(n int) int {
		rnd = rnd*1664525 + 1013904223
		return int(rnd>>8) % n
	}
	for range 20000 {
		b := make([]byte, next(80))
		for k := range b {
			b[k] = byte('a' + next(26))
			if next(40) == 0 {
				b[k] = 0x80 + byte(next(128))
			}
		}
		line := string(b)
		d := &Detector{}
		d.prepare(line)
		if next(2) == 0 {
			// the whole line first (ascii, by the map), then prefixes
			want := true
			for k := 0; k < len(line); k++ {
				want = want && line[k] < 0x80
			}
			if got := d.ascii(line); got != want {
				t.Fatalf("ascii(%q) = %v, want %v", line, got, want)
			}
		}
		for range 6 {
			n := next(len(line) + 3)
			want := true
			for k := 0; k < n && k < len(line); k++ {
				if line[k] >= 0x80 {
					want = false
				}
			}
			if got := d.asciiTo(line, n); got != want {
				t.Fatalf("asciiTo(%q, %d) = %v, want %v", line, n, got, want)
			}
		}
	}
}

// checkFitMemo compares fitAt (the memo) with fit on every clock of
// line, for the screen of each datepattern of screenPatterns.
func checkFitMemo(t *testing.T, screens []*clockScreen, line string) {
	t.Helper()
	var st fstate
	for _, cs := range screens {
		for _, c := range st.clocksOf(line) {
			if got, want := cs.fitAt(line, c), cs.fit(line, c); got != want {
				t.Fatalf("%q: clock at %d: the memo gives templates %#x, fit %#x", line, c, got, want)
			}
		}
	}
}

// fitScreens returns the clock screens of the datepatterns of
// screenPatterns that keep a memo of fit.
func fitScreens(tb testing.TB) []*clockScreen {
	var screens []*clockScreen
	for _, pattern := range screenPatterns {
		d, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC, Pattern: pattern})
		if err != nil {
			tb.Fatal(err)
		}
		if ls := newLineScreen(d.templates); ls != nil && ls.clock.memoFrom > 0 {
			screens = append(screens, ls.clock)
		}
	}
	if len(screens) == 0 {
		tb.Fatal("no screen keeps a memo: the test exercises nothing")
	}
	return screens
}

// TestFitMemo: fit's memo gives fit's answer on every clock of 1,000
// lines of every generated service log (also moved mid-line) and of the
// screen lines (also after 30 spaces), and of copies of every tenth such
// line where one byte before a colon changes
// (each byte fit reads, and the one before), one line after the other so
// that the memo holds the answer for the line before.
func TestFitMemo(t *testing.T) {
	screens := fitScreens(t)
	var logs [][]string
	for _, ls := range [][]string{screenLines, fastEdgeLines, secondLines} {
		// also far from the line's start, where the memo answers
		far := make([]string, len(ls))
		for i, l := range ls {
			far[i] = strings.Repeat(" ", 30) + l
		}
		logs = append(logs, ls, far)
	}
	for _, svc := range authgen.Services() {
		var b bytes.Buffer
		if _, err := authgen.Generate(&b, authgen.Options{Lines: 1000, Seed: 5, Service: svc}); err != nil {
			t.Fatal(err)
		}
		var lines, moved []string
		sc := bufio.NewScanner(&b)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			moved = append(moved, strings.Repeat("7", len(lines)%23)+" "+sc.Text())
		}
		logs = append(logs, lines, moved)
	}
	hits := 0
	var st fstate
	for _, lines := range logs {
		for i, l := range lines {
			checkFitMemo(t, screens, l)
			if i%10 != 0 && len(lines) > 100 {
				continue
			}
			for _, c := range st.clocksOf(l) {
				if c < screens[0].memoFrom {
					continue
				}
				hits++
				for o := 1; o <= 17 && o <= c; o++ {
					b := []byte(l)
					for _, x := range []byte{'0', '/', ' ', 'a', 'T', ':', 0x80} {
						b[c-o] = x
						checkFitMemo(t, screens, string(b))
						checkFitMemo(t, screens, l)
					}
				}
			}
		}
	}
	if hits == 0 {
		t.Fatal("no clock far enough from a line's start: the test exercises nothing")
	}
}

// FuzzFitMemo: as TestFitMemo on any line, the memo kept from the lines
// before.
func FuzzFitMemo(f *testing.F) {
	for _, l := range screenLines {
		f.Add(l)
	}
	f.Add(`192.0.2.64 - - [21/Nov/2026:00:00:00 +0000] "GET /about/ HTTP/2.0" 200 52547 "-" "x" 863 "web@docker" "http://172.18.0.4:80" 366ms`)
	screens := fitScreens(f)
	f.Fuzz(func(t *testing.T, line string) {
		checkFitMemo(t, screens, line)
		checkFitMemo(t, screens, "         "+line)
	})
}
