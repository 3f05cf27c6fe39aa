package filter

import (
	"bufio"
	"bytes"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// asciiMatcher is a Matcher of a filter file (builtin: the built-in
// one of that name, else fail2ban's), with logmatch's options.
func asciiMatcher(t *testing.T, name string, args map[string]string, builtinFS bool) *Matcher {
	t.Helper()
	path, lo := "/etc/fail2ban/filter.d/"+name+".conf", (*LoadOptions)(nil)
	if builtinFS {
		path, lo = "filter.d/"+name+".conf", &LoadOptions{FS: builtin.FS, Name: name}
	}
	def, err := Load(path, args, lo)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	dd, err := datedetect.New(datedetect.Options{Now: now, Location: time.UTC, Pattern: def.DatePattern})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	return NewMatcher(f, MatcherOptions{Dates: dd, Now: clock, Clock: clock, Matches: true})
}

// TestASCIILines: on the generated log of its service, every built-in
// filter (each of its modes) and fail2ban's filter.d file of the same name
// give, line by line, the same Result (failures with every group, the
// failregex and ignoreregex hit) whether the regexes of a line without
// the fast syslog prefix run on pyre's byte backtracker (an ASCII line)
// or on regexp2 alone; and the failures found are many.
func TestASCIILines(t *testing.T) {
	testenv.RequireFile(t, "/etc/fail2ban/filter.d/sshd.conf", "fail2ban")
	n := 20000
	if testing.Short() {
		n = 2000
	}
	failures := 0
	for _, svc := range authgen.Services() {
		var log bytes.Buffer
		if _, err := authgen.Generate(&log, authgen.Options{Lines: n, Seed: 1, Service: svc}); err != nil {
			t.Fatal(err)
		}
		for _, name := range authgen.ServiceFilters(svc) {
			conf, err := fs.ReadFile(builtin.FS, "filter.d/"+name+".conf")
			if err != nil {
				t.Fatal(err)
			}
			type variant struct {
				args    map[string]string
				builtin bool
			}
			vs := []variant{{nil, true}, {nil, false}}
			for _, mode := range []string{"aggressive", "ddos", "extra", "fallback"} {
				if strings.Contains(string(conf), "mdre-"+mode) {
					vs = append(vs, variant{map[string]string{"mode": mode}, true})
				}
			}
			for _, v := range vs {
				fast := asciiMatcher(t, name, v.args, v.builtin)
				slow := asciiMatcher(t, name, v.args, v.builtin)
				sc := bufio.NewScanner(bytes.NewReader(log.Bytes()))
				for sc.Scan() {
					line := sc.Bytes()
					got, err := fast.Line(line)
					if err != nil {
						t.Fatal(err)
					}
					noASCII = true
					want, err := slow.Line(line)
					noASCII = false
					if err != nil {
						t.Fatal(err)
					}
					if !sameResult(got, want) {
						t.Fatalf("%s %v (built-in %v) on %q:\nbyte backtracker %+v\nregexp2 %+v", name, v.args, v.builtin, line, got, want)
					}
					failures += len(got.Failures)
				}
			}
		}
	}
	if failures < n/2 {
		t.Errorf("%d failures found, want many more", failures)
	}
	t.Logf("%d failures, each the same with and without the byte backtracker", failures)
}

// sameResult reports whether two Results are equal, their times
// compared as values (a Result's time is its Matcher's).
func sameResult(a, b *Result) bool {
	if a.Time() != b.Time() {
		return false
	}
	x, y := *a, *b
	x.date, y.date, x.t, y.t = nil, nil, time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}
