package builtin_test

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/pyre"
	"golang.org/x/sys/unix"
)

// regexCall is one failregex call logmatch makes: the regex and the text it
// runs on (the message less its date, with its final \n, or the
// prefregex's content), as bytes and as runes.
type regexCall struct {
	re    *pyre.Regexp
	slots []int
	text  []byte
	runes []rune
}

// engineCalls returns the failregex calls of filter name over n lines of
// the generated log of svc: those that match, those on candidate lines
// (the text holds one literal of each of the regex's required sets, as
// the prefilter would let through) that do not, and the regexes.
func engineCalls(tb testing.TB, load f2bsample.Loader, name, svc string, n int) (match, miss []regexCall, res []*pyre.Regexp) {
	tb.Helper()
	lines, _ := serviceLog(tb, svc, n)
	def, err := load(name, nil)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
	if err != nil {
		tb.Fatal(err)
	}
	multi := f.MaxLines() > 1
	var pref *pyre.Regexp
	if p := f.PrefRegex(); p != nil {
		pref = pyre.MustCompile(p.Expanded, pyre.Options{})
	}
	for _, r := range f.FailRegexes() {
		res = append(res, pyre.MustCompile(r.Expanded, pyre.Options{Multiline: multi}))
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	dd, err := datedetect.New(datedetect.Options{Now: now, Location: time.UTC, Pattern: def.DatePattern})
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range lines {
		_, s, e, ok := dd.Find(string(l))
		msg := slices.Clone(l)
		if ok && s >= 0 && e >= s {
			msg = append(slices.Clone(l[:s]), l[e:]...)
		}
		msg = append(msg, '\n')
		if pref != nil {
			sp := make([]pyre.Span, 1)
			found, err := pref.Find([]rune(string(msg)), []int{pref.Group("content")}, sp)
			if err != nil || !found {
				continue
			}
			if sp[0].OK && sp[0].Length > 0 {
				r := []rune(string(msg))
				msg = append([]byte(string(r[sp[0].Index:sp[0].Index+sp[0].Length])), '\n')
			}
		}
		for _, re := range res {
			if !candidate(re, string(msg)) {
				continue
			}
			slots := []int{0}
			for _, nm := range re.Names() {
				slots = append(slots, re.Group(nm))
			}
			c := regexCall{re: re, slots: slots, text: msg, runes: []rune(string(msg))}
			found, err := re.Find(c.runes, nil, nil)
			if err != nil {
				tb.Fatal(err)
			}
			if found {
				match = append(match, c)
			} else {
				miss = append(miss, c)
			}
		}
	}
	return match, miss, res
}

func candidate(re *pyre.Regexp, text string) bool {
	for _, set := range re.Required() {
		if !slices.ContainsFunc(set, func(l string) bool { return strings.Contains(text, l) }) {
			return false
		}
	}
	return true
}

// threadCPU is the CPU time of the calling OS thread (the scheduler's
// nanosecond count, not rusage's ticks).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// BenchmarkRegexEngines: CPU ns per failregex call of each built-in filter
// (and, as f2b:NAME, of fail2ban's filter file of that name when fail2ban
// is installed) on its generated service log (thread CPU time, the engines interleaved
// by blocks of calls so that both see the same machine load), on the calls
// that match and on the candidate calls that do not:
//
//   - regexp2-ns: pyre's Find (regexp2) on the text's runes;
//   - engine-ns: what logmatch runs: FindASCII (pyre's byte
//     backtracker) on the bytes where it answers, else Find on the runes;
//   - runes-ns: a plain per-rune []rune conversion of the text alone
//     (pkg/filter's own appendRunes, which widens ASCII eight bytes at a
//     time, has BenchmarkAppendRunes);
//   - re2-share: the share of the calls that have an RE2 form (Go's
//     regexp: kept for comparison, not run);
//   - bt-share: the share of the calls the byte backtracker answers.
func BenchmarkRegexEngines(b *testing.B) {
	for _, svc := range authgen.Services() {
		for _, name := range authgen.ServiceFilters(svc) {
			for _, origin := range []string{"", "f2b:"} {
				load := f2bsample.DirLoader(builtin.FS, "filter.d")
				if origin != "" {
					if _, err := os.Stat(f2bFilters + "/" + name + ".conf"); err != nil {
						continue
					}
					load = f2bsample.DirLoader(nil, f2bFilters)
				}
				var match, miss []regexCall
				var loaded bool
				for _, kind := range []string{"match", "miss"} {
					b.Run(origin+name+"/"+svc+"/"+kind, func(b *testing.B) {
						if !loaded {
							match, miss, _ = engineCalls(b, load, name, svc, 4000)
							loaded = true
						}
						cs := match
						if kind == "miss" {
							cs = miss
						}
						if len(cs) == 0 {
							b.Skip("no calls")
						}
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
						out := make([]pyre.Span, 64)
						var buf []rune
						var t2, te, tr time.Duration
						var sc pyre.Scratch
						fast, bt := 0, 0
						for _, c := range cs {
							if c.re.HasRE2() {
								fast++
							}
							if _, ok := c.re.FindASCII(c.text[:len(c.text)-1], c.slots, out, &sc); ok {
								bt++
							}
						}
						const block = 256
						for done := 0; done < b.N; done += block {
							n := min(block, b.N-done)
							t0 := threadCPU()
							for i := done; i < done+n; i++ {
								c := &cs[i%len(cs)]
								if _, err := c.re.Find(c.runes, c.slots, out); err != nil {
									b.Fatal(err)
								}
							}
							t1 := threadCPU()
							for i := done; i < done+n; i++ {
								c := &cs[i%len(cs)]
								if _, ok := c.re.FindASCII(c.text[:len(c.text)-1], c.slots, out, &sc); !ok {
									if _, err := c.re.Find(c.runes, c.slots, out); err != nil {
										b.Fatal(err)
									}
								}
							}
							t2b := threadCPU()
							for i := done; i < done+n; i++ {
								c := &cs[i%len(cs)]
								buf = appendRunesBench(buf[:0], c.text)
							}
							t3 := threadCPU()
							t2 += t1 - t0
							te += t2b - t1
							tr += t3 - t2b
						}
						b.ReportMetric(float64(t2.Nanoseconds())/float64(b.N), "regexp2-ns")
						b.ReportMetric(float64(te.Nanoseconds())/float64(b.N), "engine-ns")
						b.ReportMetric(float64(tr.Nanoseconds())/float64(b.N), "runes-ns")
						b.ReportMetric(float64(fast)/float64(len(cs)), "re2-share")
						b.ReportMetric(float64(bt)/float64(len(cs)), "bt-share")
					})
				}
			}
		}
	}
}

// appendRunesBench is a plain per-rune decode of valid UTF-8 (the
// conversion regexp2 needs; pkg/filter's appendRunes is unexported).
func appendRunesBench(dst []rune, b []byte) []rune {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			dst = append(dst, rune(b[0]))
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		dst = append(dst, r)
		b = b[n:]
	}
	return dst
}

// BenchmarkRegexCompile: pyre.Compile of the prefregex, every failregex
// and every ignoreregex of each built-in filter (the RE2 form is made on
// first use, not here), per filter; cpu-us/op is the process's CPU time.
func BenchmarkRegexCompile(b *testing.B) {
	for _, name := range builtin.Names() {
		def, err := filter.Load("filter.d/"+name+".conf", nil, &filter.LoadOptions{FS: builtin.FS, Name: name})
		if err != nil {
			b.Fatal(err)
		}
		f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
		if err != nil {
			b.Fatal(err)
		}
		var exprs []string
		for _, r := range append(f.FailRegexes(), f.IgnoreRegexes()...) {
			exprs = append(exprs, r.Expanded)
		}
		if p := f.PrefRegex(); p != nil {
			exprs = append(exprs, p.Expanded)
		}
		b.Run(name, func(b *testing.B) {
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				for _, e := range exprs {
					pyre.MustCompile(e, pyre.Options{})
				}
			}
			b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}
