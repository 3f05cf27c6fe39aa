package datedetect

import (
	"sync"
	"testing"
	"time"
)

// resetCaches forgets the process-wide template caches, so that New pays
// what the first detector of a process pays.
func resetCaches() {
	defaultSets = sync.Map{}
	compiled = sync.Map{}
	yearSets = sync.Map{}
}

// newPatterns are the datepatterns of a few built-in filters.
var newPatterns = []struct{ name, pattern string }{
	{"sshd", "{^LN-BEG}"},
	{"nginx-botsearch", "{^LN-BEG}%ExY/%m/%d %H:%M:%S\n^[^\\[]*\\[(%d/%b/%Y:%H:%M:%S %z)\\]\n^[^\\[]*\\[({DATE})\n{^LN-BEG}"},
	{"default", ""},
}

// BenchmarkNew is the cost of a process's first Detector (caches empty),
// start-up work that logmatch pays once per filter.
func BenchmarkNew(b *testing.B) {
	for _, p := range newPatterns {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			c0 := cpuNow()
			for i := 0; i < b.N; i++ {
				resetCaches()
				if _, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC, Pattern: p.pattern}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestYearSetPrefixes checks yearSet's shortcut for yearRE's expressions
// against the regex itself.
func TestYearSetPrefixes(t *testing.T) {
	for y := 1990; y <= 2250; y++ {
		exY := yearRE(y)
		got, err := yearSet(exY)
		if err != nil {
			t.Fatal(err)
		}
		var want [10000]bool
		if err := yearSetRegex(exY, &want); err != nil {
			t.Fatal(err)
		}
		if *got != want {
			t.Fatalf("year %d: %s: the prefix set differs from the regex", y, exY)
		}
	}
}

// TestLazyCompile checks that dating lines the fast paths answer compiles
// no template regex, that a line they do not answer compiles the
// regexes on demand, and that New still refuses a datepattern regexp2 cannot
// compile.
func TestLazyCompile(t *testing.T) {
	resetCaches()
	d, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	compiledCount := func() int {
		n := 0
		for _, dt := range d.templates {
			if dt.t.rx != nil {
				n++
			}
		}
		return n
	}
	for _, l := range append(append([]string{}, syslogLines...), isoLines...) {
		if _, _, _, ok := d.Find(l); !ok {
			t.Fatalf("no date in %q", l)
		}
	}
	if n := compiledCount(); n != 0 {
		t.Errorf("%d template regexes compiled for lines the fast paths date", n)
	}
	// a line that is not ASCII before its date: the regexes decide
	if _, _, _, ok := d.Find("h\u00e9llo Nov 21 10:04:05 x"); !ok {
		t.Fatal("no date in the non-ASCII line")
	}
	if n := compiledCount(); n == 0 {
		t.Errorf("%d of %d template regexes compiled after one non-ASCII line, want them compiled on demand", n, len(d.templates))
	}
	for _, p := range []string{`(%d/%b`, `^[^\[]*\[({DATE}`, `%H:%M:%S(?<=x+)[`} {
		if _, err := New(Options{Pattern: p}); err == nil {
			t.Errorf("New(%q): no error", p)
		}
	}
}

// TestLazyCompileConcurrent has detectors of several goroutines compile
// the shared default templates at once (run it with -race).
func TestLazyCompileConcurrent(t *testing.T) {
	resetCaches()
	lines := []string{"h\u00e9llo Nov 21 10:04:05 x", "\u00e9 2026-11-21 10:04:05 y", "\u00e9 [21/Nov/2026:10:04:05 +0100] z", "\u00e9 1763719445 epoch"}
	var wg sync.WaitGroup
	res := make([][]time.Time, 4)
	for g := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC})
			if err != nil {
				t.Error(err)
				return
			}
			for _, l := range lines {
				tm, _, _, _ := d.Find(l)
				res[g] = append(res[g], tm)
			}
		}()
	}
	wg.Wait()
	for g := 1; g < len(res); g++ {
		for i := range lines {
			if !res[g][i].Equal(res[0][i]) {
				t.Errorf("goroutine %d, %q: %v, goroutine 0: %v", g, lines[i], res[g][i], res[0][i])
			}
		}
	}
	if res[0][0].IsZero() || res[0][2].IsZero() {
		t.Errorf("no dates: %v", res[0])
	}
}
