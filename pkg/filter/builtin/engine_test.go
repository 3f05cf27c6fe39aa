package builtin_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/pyre"
)

// engineRegex is one regex of a filter as pkg/filter compiles it.
type engineRegex struct {
	where string // filter, option set and role, for messages
	re    *pyre.Regexp
	slots []int
}

// filterRegexes returns the prefregex, failregexes and ignoreregexes of
// every option set the sample logs in dir use with filter name (loaded by
// load), and of its defaults, each Python pattern once.
func filterRegexes(tb testing.TB, origin, dir, name string, load f2bsample.Loader, seen map[string]bool) []engineRegex {
	tb.Helper()
	sets := []map[string]string{nil}
	if combos, err := f2bsample.Read(dir, name); err == nil {
		for _, c := range combos {
			sets = append(sets, c.Options)
		}
	}
	var out []engineRegex
	for _, opts := range sets {
		def, err := load(name, opts)
		if err != nil {
			continue // an option set of another fail2ban version
		}
		f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
		if err != nil {
			continue
		}
		multi := f.MaxLines() > 1
		add := func(role string, r *filter.Regex, ml bool) {
			key := fmt.Sprint(ml, r.Expanded)
			if seen[key] {
				return
			}
			seen[key] = true
			re := pyre.MustCompile(r.Expanded, pyre.Options{Multiline: ml})
			slots := []int{0}
			for _, n := range re.Names() {
				slots = append(slots, re.Group(n))
			}
			out = append(out, engineRegex{fmt.Sprintf("%s %s %v %s", origin, name, opts, role), re, slots})
		}
		if p := f.PrefRegex(); p != nil {
			add("prefregex", p, false)
		}
		for i, r := range f.FailRegexes() {
			add(fmt.Sprintf("failregex %d", i+1), r, multi)
		}
		for i, r := range f.IgnoreRegexes() {
			add(fmt.Sprintf("ignoreregex %d", i+1), r, multi)
		}
	}
	return out
}

// allEngineRegexes: every built-in filter's regexes and, when fail2ban is
// installed, every stock filter's that has a sample log.
func allEngineRegexes(tb testing.TB) []engineRegex {
	seen := map[string]bool{}
	var all []engineRegex
	for _, name := range builtin.Names() {
		all = append(all, filterRegexes(tb, "built-in", "testdata", name, f2bsample.DirLoader(builtin.FS, "filter.d"), seen)...)
	}
	if _, err := os.Stat(f2bFilters); err == nil {
		for _, name := range f2bsample.Names(f2bLogs, f2bFilters) {
			all = append(all, filterRegexes(tb, "fail2ban", f2bLogs, name, f2bsample.DirLoader(nil, f2bFilters), seen)...)
		}
	}
	return all
}

// engineTexts: the lines of every generated service log and of the sample
// logs (built-in and fail2ban's), each with its final \n as the regexes
// see it, and also less its first 16 bytes (roughly, the date cut out).
func engineTexts(tb testing.TB, n int) [][]byte {
	var out [][]byte
	add := func(l []byte) {
		out = append(out, append(slices.Clip(l), '\n'))
		if len(l) > 16 {
			out = append(out, append(slices.Clone(l[16:]), '\n'))
		}
	}
	for _, svc := range authgen.Services() {
		lines, _ := serviceLog(tb, svc, n)
		for _, l := range lines {
			add(l)
		}
	}
	for _, dir := range []string{"testdata", f2bLogs} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			data, err := os.ReadFile(dir + "/" + e.Name())
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if l := sc.Bytes(); len(l) > 0 && l[0] != '#' {
					add(slices.Clone(l))
				}
			}
		}
	}
	return out
}

// agree runs re on text with both engines and describes any difference
// (match, or the span of the match or of a named group); "" when they
// agree or FindBytes declines the text. ran reports whether it ran.
func agree(re *pyre.Regexp, slots []int, text []byte) (diff string, ran, found bool) {
	want := make([]pyre.Span, len(slots))
	got := make([]pyre.Span, len(slots))
	gf, ok := re.FindBytes(text, slots, got)
	if !ok {
		return "", false, false
	}
	wf, err := re.Find([]rune(string(text)), slots, want)
	if err != nil {
		return "", false, false
	}
	if gf != wf {
		return fmt.Sprintf("regexp2 found %v, RE2 %v", wf, gf), true, wf
	}
	if wf && !slices.Equal(got, want) {
		return fmt.Sprintf("spans: regexp2 %v, RE2 %v (groups %v)", want, got, re.Names()), true, true
	}
	// and without groups (the ignoreregex call)
	if mf, _ := re.FindBytes(text, nil, nil); mf != wf {
		return fmt.Sprintf("match-only: regexp2 %v, RE2 %v", wf, mf), true, wf
	}
	return "", true, wf
}

// TestRE2Agrees: the RE2 form (pyre's FindBytes, Go's regexp on bytes) of
// every built-in and stock fail2ban regex that has one finds what regexp2
// finds, with the same match and group spans, on the generated service
// logs and the sample logs: every text that holds the regex's required
// literals, and every 13th other text.
func TestRE2Agrees(t *testing.T) {
	all := allEngineRegexes(t)
	n, every := 200, 13
	switch {
	case testenv.Race:
		n, every = 20, 59 // regexp2 is about ten times slower
	case testing.Short():
		n, every = 50, 29
	}
	texts := engineTexts(t, n)
	var forms, runs, matches, fails int
	perFilter := map[string][2]int{}
	for _, r := range all {
		key := strings.Join(strings.Fields(r.where)[:2], " ")
		c := perFilter[key]
		c[1]++
		if !r.re.HasRE2() {
			perFilter[key] = c
			continue
		}
		c[0]++
		perFilter[key] = c
		forms++
		for i, text := range texts {
			if i%every != 0 && !candidate(r.re, string(text)) {
				continue
			}
			diff, ran, found := agree(r.re, r.slots, text)
			if ran {
				runs++
			}
			if found {
				matches++
			}
			if diff != "" {
				fails++
				if fails <= 20 {
					t.Errorf("%s: %q\n  on %q: %s\n  RE2 form: %s", r.where, r.re.String(), text, diff, r.re.RE2())
				}
			}
		}
	}
	keys := make([]string, 0, len(perFilter))
	for k := range perFilter {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%s: %d of %d regexes have an RE2 form", k, perFilter[k][0], perFilter[k][1])
	}
	t.Logf("%d regexes, %d with an RE2 form; %d texts; %d comparisons, %d of them matches; %d differences", len(all), forms, len(texts), runs, matches, fails)
	if forms < 100 || matches < 1000 {
		t.Errorf("too little compared: %d RE2 forms, %d matches", forms, matches)
	}
}

// FuzzRE2Lines mutates log lines under a regex chosen among every built-in
// and stock regex with an RE2 form: both engines must agree (match, match
// span, group spans).
func FuzzRE2Lines(f *testing.F) {
	var all []engineRegex
	for _, r := range allEngineRegexes(f) {
		if r.re.HasRE2() {
			all = append(all, r)
		}
	}
	for i, text := range engineTexts(f, 20) {
		if i%11 == 0 {
			f.Add(uint16(i), string(text))
		}
	}
	f.Fuzz(func(t *testing.T, pick uint16, text string) {
		if len(all) == 0 || len(text) > 2000 {
			return
		}
		r := all[int(pick)%len(all)]
		if diff, _, _ := agree(r.re, r.slots, []byte(text)); diff != "" {
			t.Errorf("%s: %q\n  on %q: %s\n  RE2 form: %s", r.where, r.re.String(), text, diff, r.re.RE2())
		}
	})
}
