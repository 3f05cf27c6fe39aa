package builtin_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

type fuzzFilter struct {
	f       *filter.Filter
	pattern string
}

var (
	fuzzOnce    sync.Once
	fuzzFilters []fuzzFilter
	fuzzErr     error
)

// fuzzSet compiles every built-in filter once, in its most permissive mode
// where it has one.
func fuzzSet() ([]fuzzFilter, error) {
	fuzzOnce.Do(func() {
		for _, n := range builtin.Names() {
			var args map[string]string
			for _, a := range options[n] {
				if a["mode"] == "aggressive" {
					args = a
				}
			}
			def, err := filter.Load("filter.d/"+n+".conf", args, &filter.LoadOptions{FS: builtin.FS, Name: n})
			if err != nil {
				fuzzErr = err
				return
			}
			f, err := filter.Compile(*def, filter.Options{UseDNS: "raw"})
			if err != nil {
				fuzzErr = err
				return
			}
			fuzzFilters = append(fuzzFilters, fuzzFilter{f, def.DatePattern})
		}
	})
	return fuzzFilters, fuzzErr
}

// FuzzFilters feeds lines to the built-in filters. Whatever the line, a
// filter must answer within its match timeout, and every failure it
// reports must name a host that is written in that very line: no address
// comes from nowhere (each line gets a fresh matcher, so no session state
// carries an address over).
func FuzzFilters(f *testing.F) {
	for i, n := range builtin.Names() {
		for _, l := range sampleLines(f, n) {
			f.Add(uint8(i), l)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, line string) {
		set, err := fuzzSet()
		if err != nil {
			t.Fatal(err)
		}
		ff := set[int(which)%len(set)]
		dd, err := datedetect.New(datedetect.Options{Now: f2bsample.Now, Location: f2bsample.Zone(), Pattern: ff.pattern})
		if err != nil {
			t.Fatal(err)
		}
		now := func() time.Time { return f2bsample.Now }
		m := filter.NewMatcher(ff.f, filter.MatcherOptions{Dates: dd, Now: now, Clock: now})
		res, err := m.Line([]byte(line))
		if err != nil {
			t.Fatalf("%s: %v", ff.f.Name(), err)
		}
		for _, fl := range res.Failures {
			if fl.Host == "" || !strings.Contains(line, strings.Trim(fl.Host, "[]")) {
				t.Errorf("%s: failure host %q is not in the line %q", ff.f.Name(), fl.Host, line)
			}
		}
	})
}
