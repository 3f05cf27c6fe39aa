package filter

import (
	"bufio"
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// prefilterCases are the logs and built-in filters BenchmarkPrefilter
// measures.
var prefilterCases = []struct{ svc, filter string }{
	{"nginx-access", "nginx-botsearch"},
	{"nginx-access", "nginx-bad-request"},
	{"apache-access", "apache-badbots"},
	{"nginx-error", "nginx-http-auth"},
	{"nginx-error", "nginx-botsearch"},
	{"apache-error", "apache-auth"},
	{"mail", "postfix"},
	{"mail", "dovecot"},
	{"exim", "exim"},
	{"auth", "sshd"},
	{"fail2ban", "recidive"},
}

// cutLines returns n lines of the generated log of svc as filter name's
// regexes see them: with the date found by its datepattern cut out.
func cutLines(tb testing.TB, svc, name string, n int) (*Filter, [][]byte) {
	tb.Helper()
	def, err := Load("filter.d/"+name+".conf", nil, &LoadOptions{FS: builtin.FS, Name: name})
	if err != nil {
		tb.Fatal(err)
	}
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		tb.Fatal(err)
	}
	dd, err := datedetect.New(datedetect.Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC, Pattern: def.DatePattern})
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := authgen.Generate(&b, authgen.Options{Lines: n, Seed: 1, Service: svc}); err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		l := sc.Bytes()
		_, s, e, _ := dd.Find(string(l))
		out = append(out, append(append([]byte(nil), l[:s]...), l[e:]...))
	}
	return f, out
}

// BenchmarkPrefilter measures the literal prefilter alone on the date-cut
// lines of generated service logs (one op is a line); quiet/line is the
// share of lines it finds no failregex can match.
func BenchmarkPrefilter(b *testing.B) {
	for _, c := range prefilterCases {
		b.Run(c.filter+"/"+c.svc, func(b *testing.B) {
			f, lines := cutLines(b, c.svc, c.filter, 20000)
			if f.pre == nil {
				b.Skip("no prefilter")
			}
			st := f.pre.newState()
			cand := make([]bool, len(f.fail))
			quiet := 0
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuNow()
			for i := 0; i < b.N; i++ {
				if !st.scan(lines[i%len(lines)], cand) {
					quiet++
				}
			}
			b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/line")
			b.ReportMetric(float64(quiet)/float64(b.N), "quiet/line")
		})
	}
}

// cpuNow is the CPU time (user and system) this process has used, in ns:
// on a shared machine it is steadier than wall time.
func cpuNow() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// TestPrefilterOnServiceLogs runs every built-in filter over the
// generated log of its service with the literal prefilter (and the other
// fast machinery) and without (every regex runs on every line): every line
// must give the same hit and the same failures, past the prefilter's first
// plan and its first replan; with the plan's choice, and with the searches
// (with and without the screen) and the one pass forced.
func TestPrefilterOnServiceLogs(t *testing.T) {
	for _, mode := range []string{"auto", "search", "screen", "pass"} {
		t.Run(mode, func(t *testing.T) {
			if mode != "auto" {
				pass, screen := mode == "pass", mode == "screen"
				forcePass, forceScreen = &pass, &screen
				defer func() { forcePass, forceScreen = nil, nil }()
			}
			prefilterOnServiceLogs(t)
		})
	}
}

// screenStates returns a prefState of every built-in filter and fail2ban's
// stock file of the same name (when installed) that can have a screen,
// planned on the first lines of its service's log with the screen forced.
func screenStates(tb testing.TB) (names []string, states []*prefState, lines [][]byte) {
	tb.Helper()
	on := true
	forceScreen = &on
	defer func() { forceScreen = nil }()
	for _, svc := range authgen.Services() {
		for i, name := range authgen.ServiceFilters(svc) {
			f, ls := cutLines(tb, svc, name, 1000)
			if i == 0 {
				lines = append(lines, ls...)
			}
			flts := []*Filter{f}
			if def, err := Load("/etc/fail2ban/filter.d/"+name+".conf", nil, nil); err == nil {
				if g, err := Compile(*def, Options{UseDNS: "no"}); err == nil {
					flts = append(flts, g)
				}
			}
			for j, f := range flts {
				if f.pre == nil {
					continue
				}
				st := f.pre.newState()
				cand := make([]bool, len(f.fail))
				for _, l := range ls[:sampleFirst] {
					st.scan(l, cand)
				}
				if st.pass {
					// a pass leaves no room for the screen: plan
					// without it
					off := false
					forcePass = &off
					st.plan()
					forcePass = nil
				}
				if st.screen == nil {
					continue
				}
				names = append(names, fmt.Sprintf("%s (%s) on %s", name, []string{"built-in", "fail2ban's"}[j], svc))
				states = append(states, st)
			}
		}
	}
	return names, states, lines
}

// checkScreen checks the screen's answer on buf against the definition:
// each screened set is met when buf contains one of its literals, and the
// screen passes buf when one of them is (its answer).
func checkScreen(t *testing.T, name string, st *prefState, buf []byte) bool {
	st.gen++
	if st.gen == 0 {
		clear(st.setGen)
		st.gen = 1
	}
	got := st.screen.any(st, buf)
	want := false
	for _, k := range st.screen.sets {
		met := slices.ContainsFunc(st.p.sets[k], func(l int32) bool { return bytes.Contains(buf, st.p.lits[l]) })
		if st.setGen[k] != st.gen || st.setOK[k] != met {
			t.Fatalf("%s: %q: set %d (%q): screen says %v, its literals %v", name, buf, k, st.p.sets[k], st.setOK[k], met)
		}
		want = want || met
	}
	if got != want {
		t.Fatalf("%s: %q: the screen passes it %v, its sets %v", name, buf, got, want)
	}
	return got
}

// TestPrefilterScreen checks the screen of every filter that can have one
// (built-in and fail2ban's stock files), planned on its own log, on every
// service log's lines and on variants that carry the screened literals
// (at the line's edges, twice, overlapping their anchor bytes).
func TestPrefilterScreen(t *testing.T) {
	names, states, lines := screenStates(t)
	if len(states) < 2 {
		t.Fatalf("only %d filters with a screen: the test exercises little", len(states))
	}
	met := 0
	for i, st := range states {
		var lits [][]byte
		for _, k := range st.screen.sets {
			for _, l := range st.p.sets[k] {
				lits = append(lits, st.p.lits[l])
			}
		}
		for j, l := range lines {
			checkScreen(t, names[i], st, l)
			lit := lits[j%len(lits)]
			for _, v := range [][]byte{
				lit, lit[1:], lit[:len(lit)-1],
				append(append(slices.Clone(lit), l...), lit...),
				append(slices.Clone(l[:len(l)/2]), append(slices.Clone(lit), l[len(l)/2:]...)...),
				append(slices.Clone(lit[:len(lit)-1]), lit...),
			} {
				if checkScreen(t, names[i], st, v) {
					met++
				}
			}
		}
	}
	if met == 0 {
		t.Fatal("no line met a screened set: the test exercises nothing")
	}
	t.Logf("%d filters with a screen: %s", len(names), strings.Join(names, ", "))
}

// FuzzPrefilterScreen checks the screens of TestPrefilterScreen on fuzzed
// lines.
func FuzzPrefilterScreen(f *testing.F) {
	names, states, lines := screenStates(f)
	for i, l := range lines {
		if i%500 == 0 {
			f.Add(l)
		}
	}
	f.Add([]byte("rejected RCPT rejected RCPT"))
	f.Fuzz(func(t *testing.T, line []byte) {
		for i, st := range states {
			checkScreen(t, names[i], st, line)
		}
	})
}

func prefilterOnServiceLogs(t *testing.T) {
	n := replanEvery + 2000
	if testing.Short() {
		n = 3000
	}
	t0 := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return t0 }
	for _, svc := range authgen.Services() {
		for _, name := range authgen.ServiceFilters(svc) {
			fast, lines := cutLines(t, svc, name, n)
			slow, _ := Compile(fast.Def, Options{UseDNS: "no"})
			slow.pre, slow.fastPref, slow.starts = nil, nil, nil
			a := NewMatcher(fast, MatcherOptions{Now: clock, Clock: clock})
			b := NewMatcher(slow, MatcherOptions{Now: clock, Clock: clock})
			hits := 0
			for i, l := range lines {
				ra, err1 := a.LineAt(l, t0)
				fa, ia := append([]Failure(nil), ra.Failures...), ra.Regex
				rb, err2 := b.LineAt(l, t0)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s on %s line %d: %v, %v", name, svc, i+1, err1, err2)
				}
				if ia != rb.Regex || len(fa)+len(rb.Failures) > 0 && !reflect.DeepEqual(fa, rb.Failures) {
					t.Fatalf("%s on %s line %d %q: with the prefilter regex %d %+v, without %d %+v", name, svc, i+1, l, ia, fa, rb.Regex, rb.Failures)
				}
				if ia >= 0 {
					hits++
				}
			}
			if hits == 0 {
				t.Fatalf("%s on %s: no hits: the test exercises nothing", name, svc)
			}
			t.Logf("%s on %s: %d lines, %d hits, identical", name, svc, len(lines), hits)
		}
	}
}

// FuzzPrefilterFilters checks that the literal prefilter (its literal sets,
// the one-pass search of large sets, bracketGuard, the syslog fast path)
// never changes a result of any built-in filter: each line, as the
// regexes see it (date cut), goes through every built-in filter with and
// without it.
func FuzzPrefilterFilters(f *testing.F) {
	type pair struct {
		name      string
		with, off *Matcher
	}
	var pairs []pair
	for _, svc := range authgen.Services() {
		for _, name := range authgen.ServiceFilters(svc) {
			fast, lines := cutLines(f, svc, name, 400)
			for i, l := range lines {
				if i%40 == 0 {
					f.Add(string(l))
				}
			}
			slow, _ := Compile(fast.Def, Options{UseDNS: "no"})
			slow.pre, slow.fastPref, slow.starts = nil, nil, nil
			pairs = append(pairs, pair{name, NewMatcher(fast, MatcherOptions{}), NewMatcher(slow, MatcherOptions{})})
		}
	}
	t0 := time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 2000 {
			return
		}
		for _, p := range pairs {
			ra, err1 := p.with.LineAt([]byte(line), t0)
			fa, ia := append([]Failure(nil), ra.Failures...), ra.Regex
			rb, err2 := p.off.LineAt([]byte(line), t0)
			if (err1 == nil) != (err2 == nil) || ia != rb.Regex || len(fa)+len(rb.Failures) > 0 && !reflect.DeepEqual(fa, rb.Failures) {
				t.Fatalf("%s: %q: with the prefilter regex %d %+v (%v), without %d %+v (%v)", p.name, line, ia, fa, err1, rb.Regex, rb.Failures, err2)
			}
		}
	})
}

// TestWord8 checks startIndex's quick check: a content that starts with a
// literal always passes it (whatever the lengths, 0 bytes included), and
// it rejects a content whose first bytes differ.
func TestWord8(t *testing.T) {
	lits := []string{"a", "Ab", "Accepted ", "Connection closed by", "x\x00y", "\x00", "12345678", "1234567"}
	for _, l := range lits {
		head, mask := word8([]byte(l))
		for _, content := range []string{l, l + " rest", l + "\x00", l[:len(l)-1], "", "B" + l, strings.ToUpper(l) + "z"} {
			w, _ := word8([]byte(content))
			quick := w&mask == head
			if strings.HasPrefix(content, l) && !quick {
				t.Errorf("%q starts with %q but the quick check rejects it", content, l)
			}
			if len(content) >= 8 && len(l) >= 8 && content[:8] != l[:8] && quick {
				t.Errorf("%q and %q differ in their first 8 bytes but the quick check passes", content, l)
			}
		}
	}
}
