package f2bsample

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
)

// Loader loads the definition of filter name with arguments.
type Loader func(name string, args map[string]string) (*filter.Definition, error)

// DirLoader loads NAME from dir/NAME.conf, through fsys when it is not nil
// (e.g. the built-in filters' FS with dir "filter.d").
func DirLoader(fsys fs.FS, dir string) Loader {
	return func(name string, args map[string]string) (*filter.Definition, error) {
		return filter.Load(dir+"/"+name+".conf", args, &filter.LoadOptions{FS: fsys, Name: name})
	}
}

// RunEngine runs combination c through package filter, as fail2ban's
// sample test runs it (host names are not resolved), and returns the
// failures of each line.
func RunEngine(c *Combination, load Loader) ([][]Got, error) {
	def, err := load(c.Filter, c.Options)
	if err != nil {
		return nil, err
	}
	f, err := filter.Compile(*def, filter.Options{UseDNS: "raw"})
	if err != nil {
		return nil, err
	}
	// fail2ban builds its year pattern (ExYear) from the real clock, and
	// only the year inference uses the tests' "now".
	dd, err := datedetect.New(datedetect.Options{Location: Zone(), Pattern: def.DatePattern})
	if err != nil {
		return nil, err
	}
	dd.SetNow(Now)
	m := filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: func() time.Time { return Now }})
	out := make([][]Got, len(c.Lines))
	for i, l := range c.Lines {
		var res *filter.Result
		if c.Journal {
			res, err = m.LineAt([]byte(l.Text), Now)
		} else {
			res, err = m.Line([]byte(l.Text))
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", l.File, l.Lineno, err)
		}
		for _, fl := range res.Failures {
			out[i] = append(out[i], Got{Host: fl.Host, IP: fl.IP, Time: fl.Time, Groups: fl.Groups, Users: fl.Users, Attempts: fl.Attempts})
		}
	}
	return out, nil
}

// Replay replays the samples of every name in logsDir through the engine
// and returns the tally; [Tally.Judge] decides.
func Replay(t testing.TB, logsDir string, names []string, load Loader) *Tally {
	t.Helper()
	return ReplayWith(t, logsDir, names, func(c *Combination) ([][]Got, error) { return RunEngine(c, load) })
}

// Deviation is an accepted difference from fail2ban's annotations: the
// combination ("filter[key]"), the sample file's base name and line, and
// why it is accepted.
type Deviation struct {
	Combo  string
	File   string
	Lineno int
	Why    string
}

// Add adds o's counts and mismatches to t.
func (t *Tally) Add(o *Tally) {
	t.Cases += o.Cases
	t.Agree += o.Agree
	t.Unexpected += o.Unexpected
	t.Mismatches = append(t.Mismatches, o.Mismatches...)
}

// Judge fails tb unless the tally holds exactly cases annotated cases and
// every mismatch, an unannotated line that matched included, is one of
// the accepted deviations; an accepted deviation that did not occur is an
// error too (the list must stay exact). It logs the totals.
func (t *Tally) Judge(tb testing.TB, what string, cases int, accepted []Deviation) {
	tb.Helper()
	type key struct {
		combo, file string
		line        int
	}
	ok := map[key]bool{}
	for _, d := range accepted {
		ok[key{d.Combo, d.File, d.Lineno}] = true
	}
	seen := map[key]bool{}
	for _, m := range t.Mismatches {
		k := key{m.Combo, filepath.Base(m.File), m.Lineno}
		if ok[k] {
			seen[k] = true
			continue
		}
		tb.Errorf("%s: not an accepted deviation: %s", what, m)
	}
	for _, d := range accepted {
		if !seen[key{d.Combo, d.File, d.Lineno}] {
			tb.Errorf("%s: accepted deviation %s %s:%d (%s) did not occur: remove it from the list", what, d.Combo, d.File, d.Lineno, d.Why)
		}
	}
	if t.Cases != cases {
		tb.Errorf("%s: %d annotated cases read, want exactly %d", what, t.Cases, cases)
	}
	tb.Logf("%s: %d of %d annotated cases agree, %d unannotated lines matched, %d accepted deviations",
		what, t.Agree, t.Cases, t.Unexpected, len(accepted))
}

// StageTestFilters copies fail2ban's zzz-* test filters from testCfg into
// a directory under tmp where their relative include of common.conf lands
// on the stock common.conf of stockDir, and returns that directory and the
// filter names.
func StageTestFilters(tmp, testCfg, stockDir string) (string, []string, error) {
	zdir := filepath.Join(tmp, "1/2/3/4/5/6/filter.d")
	cdir := filepath.Join(tmp, "config/filter.d")
	for _, d := range []string{zdir, cdir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", nil, err
		}
	}
	cp := func(from, to string) error {
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	}
	if err := cp(filepath.Join(stockDir, "common.conf"), filepath.Join(cdir, "common.conf")); err != nil {
		return "", nil, err
	}
	var names []string
	ents, err := os.ReadDir(testCfg)
	if err != nil {
		return "", nil, err
	}
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".conf"); ok && strings.HasPrefix(n, "zzz-") {
			if err := cp(filepath.Join(testCfg, e.Name()), filepath.Join(zdir, e.Name())); err != nil {
				return "", nil, err
			}
			names = append(names, n)
		}
	}
	return zdir, names, nil
}

// Runner runs one combination and returns the failures of each line.
type Runner func(c *Combination) ([][]Got, error)

// ReplayWith is Replay with any runner (e.g. the logmatch binary).
func ReplayWith(t testing.TB, logsDir string, names []string, run Runner) *Tally {
	t.Helper()
	var tally Tally
	for _, name := range names {
		combos, err := Read(logsDir, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, c := range combos {
			got, err := run(c)
			if err != nil {
				t.Errorf("%s[%s]: %v", name, c.Key, err)
				for _, l := range c.Lines {
					if l.Expect != nil {
						tally.Cases++
					}
				}
				continue
			}
			tally.Check(c, got)
		}
	}
	return &tally
}

// Log writes the tally's mismatches and totals to t.
func (t *Tally) Log(tb testing.TB, what string) {
	tb.Helper()
	var b strings.Builder
	for _, m := range t.Mismatches {
		b.WriteString(m.String() + "\n")
	}
	if b.Len() > 0 {
		tb.Logf("%s: mismatches:\n%s", what, b.String())
	}
	tb.Logf("%s: %d of %d annotated cases agree (%.2f%%), %d unannotated lines matched",
		what, t.Agree, t.Cases, 100*float64(t.Agree)/float64(max(t.Cases, 1)), t.Unexpected)
}
