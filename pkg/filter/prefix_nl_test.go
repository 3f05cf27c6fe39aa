package filter

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
)

// matchBefore is syslogPrefix.match as it was before it read the daemon's
// name first and before it took the caller's promise of no '\n' (the slow
// path the tests compare it with): optionalAt first, then the name again.
func (p *syslogPrefix) matchBefore(buf []byte) (mlfEnd, content int, ok bool) {
	i := 0
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	h := i
	for i < len(buf) && visible(buf[i]) {
		i++
	}
	if i == h || buf[h] == '<' || buf[h] == '[' || i == len(buf) || buf[i] != ' ' {
		return 0, 0, false
	}
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	if i == len(buf) || !visible(buf[i]) {
		return 0, 0, false
	}
	if !p.optionalAt(buf[i:]) {
		if bytes.IndexByte(buf[i:], '\n') >= 0 {
			return 0, 0, false
		}
		return i, i, true
	}
	d := i
	for i < len(buf) && nameByte(buf[i]) {
		i++
	}
	known := false
	for _, n := range p.daemons {
		if string(buf[d:i]) == n {
			known = true
			break
		}
	}
	if !known || i == len(buf) || buf[i] != '[' {
		return 0, 0, false
	}
	i++
	ds := i
	for i < len(buf) && buf[i] >= '0' && buf[i] <= '9' {
		i++
	}
	if i == ds || i+2 >= len(buf) || buf[i] != ']' || buf[i+1] != ':' || buf[i+2] != ' ' {
		return 0, 0, false
	}
	i += 2
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	mlfEnd = i
	rest := buf[i:]
	if len(rest) > 0 && rest[0] == '[' && bytes.HasPrefix(rest, []byte("[ID ")) {
		return 0, 0, false
	}
	if len(rest) > 0 && (rest[0] == 'f' || rest[0] == 'e') &&
		(bytes.HasPrefix(rest, []byte("fatal: ")) || bytes.HasPrefix(rest, []byte("error: "))) {
		i += 7
		if bytes.HasPrefix(buf[i:], []byte("PAM: ")) {
			i += 5
		}
	}
	if i == len(buf) || !visible(buf[i]) || bytes.IndexByte(buf[i:], '\n') >= 0 {
		return 0, 0, false
	}
	return mlfEnd, i, true
}

// checkMatchBefore compares match with matchBefore on buf: without the
// promise always, with it when buf holds no '\n'.
func checkMatchBefore(t testing.TB, name string, p *syslogPrefix, buf []byte) (fast bool) {
	m0, c0, ok0 := p.matchBefore(buf)
	m1, c1, ok1 := p.match(buf, false)
	if m0 != m1 || c0 != c1 || ok0 != ok1 {
		t.Fatalf("%s: %q: match %d %d %v, before %d %d %v", name, buf, m1, c1, ok1, m0, c0, ok0)
	}
	if bytes.IndexByte(buf, '\n') < 0 {
		m2, c2, ok2 := p.match(buf, true)
		if m0 != m2 || c0 != c2 || ok0 != ok2 {
			t.Fatalf("%s: %q: match with no newline %d %d %v, before %d %d %v", name, buf, m2, c2, ok2, m0, c0, ok0)
		}
	}
	return ok0
}

// TestSyslogPrefixOnServiceLogs: the fast prefix matchers (built-in
// sshd.conf and fail2ban's) give what they gave before reading the
// daemon's name once and taking the promise of no '\n', on every line of
// every service's generated log, as a Matcher sees it (the date cut out by
// sshd's datepattern), whole, and past its first 15 and 16 bytes.
func TestSyslogPrefixOnServiceLogs(t *testing.T) {
	n := 20000
	if testenv.Race {
		n = 4000 // the regexes ten times slower
	}
	if testing.Short() {
		n = 2000
	}
	fs := prefixFilters(t)
	fast, all := 0, 0
	for _, svc := range authgen.Services() {
		lines, err := authgen.Lines(authgen.Options{Lines: n, Seed: 1, Service: svc})
		if err != nil {
			t.Fatal(err)
		}
		for name, f := range fs {
			dd := reuseDates(t, f)
			var cut []byte
			for _, l := range lines {
				bufs := [][]byte{l}
				if _, s, e, ok := dd.Find(string(l)); ok && s >= 0 && e >= s {
					cut = append(append(cut[:0], l[:s]...), l[e:]...)
					bufs = append(bufs, cut)
				}
				if len(l) > 16 {
					bufs = append(bufs, l[15:], l[16:])
				}
				for _, b := range bufs {
					all++
					if checkMatchBefore(t, name+" on "+svc, f.fastPref, b) {
						fast++
					}
				}
			}
		}
	}
	if fast == 0 || fast == all {
		t.Fatalf("%d of %d lines on the fast path: the test exercises one side only", fast, all)
	}
	t.Logf("%d of %d lines on the fast path, each as before", fast, all)
}

// TestNoNewlinesOnServiceLogs: every filter of every service's generated
// log (authgen.Cases: built-in, in each mode, and fail2ban's file) gives,
// line by line, the same Result with MatcherOptions.NoNewlines as
// without (the logs' lines hold no '\n', as logmatch's readers cut them).
func TestNoNewlinesOnServiceLogs(t *testing.T) {
	n := 5000
	if testing.Short() || testenv.Race {
		n = 1000 // -race: the regexes ten times slower
	}
	fast := 0
	for c, log := range authgen.Cases(authgen.Options{Lines: n, Seed: 1}) {
		t.Run(c.Name(), func(t *testing.T) {
			f := loadCase(t, c)
			clock := reuseNow
			a := newReuseMatcher(f, reuseDates(t, f), false, &clock)
			b := newReuseMatcher(f, reuseDates(t, f), false, &clock)
			b.opts.NoNewlines = true
			for _, line := range log {
				clock = clock.Add(time.Second)
				sameLine(t, b, a, line, "NoNewlines")
			}
			if f.fastPref != nil {
				fast++
			}
		})
	}
	if fast == 0 {
		t.Fatal("no filter with the fast prefix matcher: the test exercises nothing")
	}
}

// FuzzSyslogPrefixBefore checks match against matchBefore (with and
// without the promise of no '\n') on arbitrary lines.
func FuzzSyslogPrefixBefore(f *testing.F) {
	for _, s := range []string{
		" web01 sshd[123]: Accepted publickey for root from 192.0.2.1 port 22 ssh2",
		" h sshd[1]: error: PAM: x",
		" h sshd-session[1]: fatal: x",
		" h sshd[1]: [ID 1 a.b] x",
		" h sshdx[1]: x",
		" h sshd-sessio[1]: x",
		" h s x",
		" h sx[1]: x\ny",
		" h CRON[1]: x\ny",
		" h sshd[1]: x\ny",
		" h sshd: x",
	} {
		f.Add(s)
	}
	fs := prefixFilters(f)
	f.Fuzz(func(t *testing.T, line string) {
		for name, flt := range fs {
			checkMatchBefore(t, name, flt.fastPref, []byte(line))
		}
	})
}

// markEager is the start index's answer with every literal set asked at
// once: it sets in cand the failregexes whose start set content meets,
// with their literal sets (and those without a start set), and reports
// whether there is any. It is the reference markStarts, which asks the
// sets lazily, is compared with.
func markEager(s *startIndex, content []byte, cand []bool) bool {
	pend := make([]bool, len(cand))
	found := s.markStarts(content, cand, pend)
	for i, p := range pend {
		if p {
			cand[i] = s.litsMet(content, i)
		}
	}
	return found
}

// checkMarkBefore compares the start index s with before (the same
// failregexes' index with every start string) on content, and s's lazy
// marking (markStarts, the literal sets of the pending failregexes asked
// afterwards, as runFail asks them) with its eager one (markEager).
func checkMarkBefore(t testing.TB, name string, s, before *startIndex, content []byte) bool {
	got, want := make([]bool, len(s.noSet)), make([]bool, len(s.noSet))
	gf, wf := markEager(s, content, got), markEager(before, content, want)
	if gf != wf || !slices.Equal(got, want) {
		t.Fatalf("%s: %q: mark %v %v, with every start string %v %v", name, content, gf, got, wf, want)
	}
	lazy, pend := make([]bool, len(s.noSet)), make([]bool, len(s.noSet))
	for i := range pend {
		lazy[i], pend[i] = true, true // (markStarts sets them all)
	}
	lf := s.markStarts(content, lazy, pend)
	first := slices.Index(lazy, true)
	if first >= 0 && pend[first] {
		t.Fatalf("%s: %q: markStarts left the literal sets of its first failregex %d to ask", name, content, first)
	}
	for i, p := range pend {
		if p {
			if !lazy[i] {
				t.Fatalf("%s: %q: markStarts: failregex %d pending, not a candidate", name, content, i)
			}
			lazy[i] = s.litsMet(content, i)
		}
	}
	if lf != gf || !slices.Equal(lazy, got) {
		t.Fatalf("%s: %q: markStarts %v %v (literal sets asked after), mark %v %v", name, content, lf, lazy, gf, got)
	}
	return wf
}

func startsBefore(f *Filter) *startIndex {
	keepLongerStarts = true
	defer func() { keepLongerStarts = false }()
	return newStartIndex(f.fail)
}

// TestStartIndexOnServiceLogs: the start index of every filter that has
// one (authgen.Cases: built-in, in each mode, and fail2ban's file) marks
// on every line of every service's generated log (its content as the
// fast prefix finds it, or the message) what it marked with every start
// string; some indexes have fewer.
func TestStartIndexOnServiceLogs(t *testing.T) {
	n := 5000
	if testing.Short() || testenv.Race {
		n = 1000 // -race: the regexes ten times slower
	}
	var logs [][]byte
	for _, svc := range authgen.Services() {
		lines, err := authgen.Lines(authgen.Options{Lines: n, Seed: 1, Service: svc})
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, lines...)
	}
	fewer, marked := 0, 0
	for c := range authgen.Cases(authgen.Options{Lines: 1, Seed: 1}) {
		t.Run(c.Name(), func(t *testing.T) {
			f := loadCase(t, c)
			if f.starts == nil {
				return
			}
			before := startsBefore(f)
			if entries(f.starts) < entries(before) {
				fewer++
			}
			dd := reuseDates(t, f)
			var cut []byte
			for _, l := range logs {
				if _, s, e, ok := dd.Find(string(l)); ok && s >= 0 && e >= s {
					cut = append(append(cut[:0], l[:s]...), l[e:]...)
				} else {
					cut = append(cut[:0], l...)
				}
				// (the content the fast prefix finds, else the message:
				// markEager answers on any text)
				content := cut
				if f.fastPref != nil {
					if _, cs, ok := f.fastPref.match(cut, false); ok {
						content = cut[cs:]
					}
				}
				if checkMarkBefore(t, c.Name(), f.starts, before, content) {
					marked++
				}
			}
		})
	}
	if fewer == 0 || marked == 0 {
		t.Fatalf("%d indexes with fewer start strings, %d contents marked: the test exercises nothing", fewer, marked)
	}
	t.Logf("%d indexes with fewer start strings, %d contents marked, each as before", fewer, marked)
}

func entries(s *startIndex) int {
	n := 0
	for _, es := range s.byFirst {
		n += len(es)
	}
	return n
}

// FuzzStartIndex checks the start index of the sshd filters (built-in in
// each mode, fail2ban's) against the index with every start string on
// arbitrary contents.
func FuzzStartIndex(f *testing.F) {
	for _, s := range []string{
		"Failed publickey for root from 192.0.2.1 port 22 ssh2",
		"Failed publickey for invalid user x from 192.0.2.1 port 22 ssh2",
		"Failed password for invalid user x from 192.0.2.1 port 22 ssh2",
		"Received disconnect from 192.0.2.1 port 22:11: Bye",
		"Received disconnect from ::1: 3: x: Auth fail",
		"Disconnecting from 192.0.2.1: Change of username or service not allowed: (a,b) -> (c,d)",
		"maximum authentication attempts exceeded for invalid user x from 192.0.2.1",
		"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.1",
	} {
		f.Add(s)
	}
	type pair struct{ s, before *startIndex }
	var idx []pair
	for _, mode := range authgen.FilterModes("sshd") {
		g := sshdFilter(f, map[string]string{"mode": mode})
		idx = append(idx, pair{g.starts, startsBefore(g)})
	}
	for _, g := range prefixFilters(f) {
		idx = append(idx, pair{g.starts, startsBefore(g)})
	}
	f.Fuzz(func(t *testing.T, content string) {
		for i, p := range idx {
			checkMarkBefore(t, fmt.Sprint("index ", i), p.s, p.before, []byte(content))
		}
	})
}

// BenchmarkPrefixStarts runs the fast prefix and the start index of the
// built-in sshd filter (aggressive: every failregex) over the messages of
// a generated auth.log (date cut out), as find does: "now" as they are,
// "before" as they were (matchBefore, every start string, the '\n' looked
// for). One op is one line.
func BenchmarkPrefixStarts(b *testing.B) {
	f := sshdFilter(b, map[string]string{"mode": "aggressive"})
	lines, err := authgen.Lines(authgen.Options{Lines: 100000, Seed: 1, Service: "auth"})
	if err != nil {
		b.Fatal(err)
	}
	dd := reuseDates(b, f)
	for i, l := range lines {
		if _, s, e, ok := dd.Find(string(l)); ok && s >= 0 && e >= s {
			lines[i] = append(append([]byte(nil), l[:s]...), l[e:]...)
		}
	}
	before := startsBefore(f)
	cand, pend := make([]bool, len(f.fail)), make([]bool, len(f.fail))
	for _, mode := range []string{"now", "before"} {
		b.Run(mode, func(b *testing.B) {
			marked := 0
			for i := 0; b.Loop(); i++ {
				l := lines[i%len(lines)]
				var cs int
				var ok bool
				if mode == "now" {
					_, cs, ok = f.fastPref.match(l, true)
					ok = ok && f.starts.markStarts(l[cs:], cand, pend)
				} else {
					_, cs, ok = f.fastPref.matchBefore(l)
					ok = ok && markEager(before, l[cs:], cand)
				}
				if ok {
					marked++
				}
			}
			b.ReportMetric(float64(marked)/float64(b.N), "marked/line")
		})
	}
}
