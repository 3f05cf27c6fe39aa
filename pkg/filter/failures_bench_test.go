package filter_test

import (
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// sshdFailureLines returns the lines of authgen's auth.log (n lines, seed
// 1) on which a failregex of the built-in sshd filter matches, in order.
func sshdFailureLines(tb testing.TB, n int) [][]byte {
	tb.Helper()
	log, err := authgen.Lines(authgen.Options{Lines: n, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	m := sshdLogMatcher(tb)
	var out [][]byte
	for _, l := range log {
		res, err := m.Line(l)
		if err != nil {
			tb.Fatal(err)
		}
		if res.Regex >= 0 {
			out = append(out, l)
		}
	}
	return out
}

// sshdLogMatcher is the built-in sshd filter's Matcher with logmatch's
// options at -j 1.
func sshdLogMatcher(tb testing.TB) *filter.Matcher {
	tb.Helper()
	def, err := filter.Load("filter.d/sshd.conf", nil, &filter.LoadOptions{FS: builtin.FS})
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
	return filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: func() time.Time { return now }, Clock: func() time.Time { return now },
		NoGroups: true, Matches: true, ReuseCaptures: true, ReuseStrings: true})
}

// BenchmarkSSHDFailureLines runs the built-in sshd filter, as logmatch
// does at -j 1, over the failure lines of authgen's auth.log (every line
// a failregex matches, about one in ten of the log), in order and over
// again; one op is one line: allocs/op are a failure line's allocations.
func BenchmarkSSHDFailureLines(b *testing.B) {
	lines := sshdFailureLines(b, 200000)
	benchLines(b, sshdLogMatcher(b), lines)
}
