package builtin_test

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// serviceLog returns n lines of authgen's log of service svc (seed 1) and
// the number of failure lines in it.
func serviceLog(tb testing.TB, svc string, n int) ([][]byte, int) {
	tb.Helper()
	var b bytes.Buffer
	st, err := authgen.Generate(&b, authgen.Options{Lines: n, Seed: 1, Service: svc})
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out, st.Failures
}

func serviceMatcher(tb testing.TB, name string) *filter.Matcher {
	tb.Helper()
	def, err := filter.Load("filter.d/"+name+".conf", nil, &filter.LoadOptions{FS: builtin.FS, Name: name})
	if err != nil {
		tb.Fatal(err)
	}
	f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	dd, err := datedetect.New(datedetect.Options{Now: now, Location: time.UTC, Pattern: def.DatePattern})
	if err != nil {
		tb.Fatal(err)
	}
	clock := func() time.Time { return now }
	return filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: clock, Clock: clock, NoGroups: true})
}

// TestServiceLogs: every built-in filter finds failures, each with an
// address and its line's date, in the generated log of its service (the
// logs of scripts/bench-filters.sh), and no more than the log has failure
// lines.
func TestServiceLogs(t *testing.T) {
	covered := map[string]bool{}
	for _, svc := range authgen.Services() {
		lines, fails := serviceLog(t, svc, 3000)
		for _, name := range authgen.ServiceFilters(svc) {
			covered[name] = true
			m := serviceMatcher(t, name)
			n := 0
			for i, l := range lines {
				res, err := m.Line(l)
				if err != nil {
					t.Fatalf("%s on %s line %d: %v", name, svc, i+1, err)
				}
				for _, f := range res.Failures {
					if !f.IP.IsValid() {
						t.Errorf("%s on %s line %d: failure without an address: %q", name, svc, i+1, l)
					}
					if !res.HasDate || f.Time.Year() != 2026 {
						t.Errorf("%s on %s line %d: date %v (found %v): %q", name, svc, i+1, f.Time, res.HasDate, l)
					}
					n++
				}
			}
			if n == 0 || n > fails {
				t.Errorf("%s on the %s log: %d failures, want 1..%d (the generator's failure lines)", name, svc, n, fails)
			}
		}
	}
	for _, name := range builtin.Names() {
		if !covered[name] {
			t.Errorf("built-in filter %s has no generated log (authgen.ServiceFilters)", name)
		}
	}
}

// BenchmarkServiceLogs runs every built-in filter over 20,000 lines of
// the generated log of its service; a line is one op.
func BenchmarkServiceLogs(b *testing.B) {
	for _, svc := range authgen.Services() {
		var lines [][]byte
		for _, name := range authgen.ServiceFilters(svc) {
			b.Run(name+"/"+svc, func(b *testing.B) {
				if lines == nil {
					lines, _ = serviceLog(b, svc, 20000)
				}
				m := serviceMatcher(b, name)
				b.ReportAllocs()
				b.ResetTimer()
				start := cpuTime()
				for i := 0; i < b.N; i++ {
					if _, err := m.Line(lines[i%len(lines)]); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, start)
			})
		}
	}
}
