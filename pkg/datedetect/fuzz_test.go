package datedetect

import (
	"testing"
	"time"
)

var fuzzPreludes = []string{
	"",
	"Nov 21 10:00:00 web01 sshd[1]: x",
	"2026-11-21T10:00:00Z web01 x",
	`192.0.2.1 - - [21/Nov/2026:10:00:00 +0100] "GET /" 200`,
	"server mysqld[1000]: 051009 10:05:30 [Warning] Access denied",
}

// fuzzPatterns are the datepatterns with fast matchers.
var fuzzPatterns = append([]string{"", "{^LN-BEG}", `^[^\[]*\[({DATE})`, `^{DATE}`}, filterPatterns...)

// FuzzFind checks that Find never panics, returns a span inside the line
// on rune boundaries, and that the fast path and the regex path agree,
// also after a first line has set the adaptive state.
func FuzzFind(f *testing.F) {
	for _, l := range fastEdgeLines {
		f.Add(l, uint8(0))
	}
	g := newLineGen(42)
	for i := 0; i < 200/scale; i++ {
		f.Add(g.line(), uint8(i))
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line string, sel uint8) {
		pattern := fuzzPatterns[int(sel)%len(fuzzPatterns)]
		fast, err := New(Options{Now: now, Location: time.UTC, Pattern: pattern})
		if err != nil {
			t.Fatal(err)
		}
		slow, _ := New(Options{Now: now, Location: time.UTC, Pattern: pattern})
		slow.noFast = true
		prelude := fuzzPreludes[int(sel)/len(fuzzPatterns)%len(fuzzPreludes)]
		for _, l := range []string{prelude, line, line, prelude, line} {
			ft, fs, fe, fok := fast.Find(l)
			st, ss, se, sok := slow.Find(l)
			if fs != ss || fe != se || fok != sok || !ft.Equal(st) {
				t.Fatalf("%q: fast %v [%d:%d] %v, regex %v [%d:%d] %v", l, ft, fs, fe, fok, st, ss, se, sok)
			}
			if fs < 0 || fe < fs || fe > len(l) {
				t.Fatalf("%q: span [%d:%d] outside the line", l, fs, fe)
			}
			if fe > fs && (!boundary(l, fs) || !boundary(l, fe)) {
				t.Fatalf("%q: span [%d:%d] cuts a character", l, fs, fe)
			}
			if !fok && fs == fe && fs != 0 {
				t.Fatalf("%q: empty span at %d without a date", l, fs)
			}
		}
	})
}

// boundary reports whether i starts a character of s as Go decodes it
// (an invalid byte is one character) or is len(s).
func boundary(s string, i int) bool {
	if i == len(s) {
		return true
	}
	for j := range s {
		if j == i {
			return true
		}
		if j > i {
			break
		}
	}
	return false
}
