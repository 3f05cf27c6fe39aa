package filter

import (
	"reflect"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// TestFastPathOnGeneratedLog runs a generated auth.log (the benchmark's
// generator) through the built-in sshd filter in every mode, and through
// fail2ban's sshd.conf in its default mode (authgen.Cases of the auth
// log, a subtest each; a missing fail2ban file skips its subtest, or
// fails it under CI), with the fast machinery (syslog prefix matcher,
// start sets, required literals, the forget-only shortcut) and without
// it (literal scan off, prefregex always run): every line must give the
// same hit and the same failures.
func TestFastPathOnGeneratedLog(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 3000
	}
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for c, log := range authgen.Cases(authgen.Options{Lines: n, Seed: 7, Service: "auth"}) {
		if c.Fail2ban() && c.Mode != "normal" {
			continue // fail2ban's sshd in its default mode only
		}
		t.Run(c.Name(), func(t *testing.T) {
			fast := loadCase(t, c)
			if fast.fastPref == nil {
				t.Fatal("no fast prefix path")
			}
			slow, _ := Compile(fast.Def, Options{UseDNS: "no"})
			slow.pre, slow.fastPref, slow.starts = nil, nil, nil
			k := 0
			clock := func() time.Time { return t0.Add(time.Duration(k) * time.Second) }
			a := NewMatcher(fast, MatcherOptions{Clock: clock})
			b := NewMatcher(slow, MatcherOptions{Clock: clock})
			hits, fails := 0, 0
			for i, l := range log {
				l = l[15:] // the matcher sees the line with the date cut
				k = i
				ra, err1 := a.LineAt(l, t0)
				fa, ia := append([]Failure(nil), ra.Failures...), ra.Regex
				rb, err2 := b.LineAt(l, t0)
				if err1 != nil || err2 != nil {
					t.Fatalf("%q: %v, %v", l, err1, err2)
				}
				if ia != rb.Regex || len(fa)+len(rb.Failures) > 0 && !reflect.DeepEqual(fa, rb.Failures) {
					t.Fatalf("line %d %q: fast path gives regex %d %+v, the regexes %d %+v", i+1, l, ia, fa, rb.Regex, rb.Failures)
				}
				if ia >= 0 {
					hits++
				}
				fails += len(fa)
			}
			if hits == 0 || fails == 0 {
				t.Fatalf("%d hits, %d failures: the test exercises nothing", hits, fails)
			}
			t.Logf("%d lines, %d hits, %d failures, identical", len(log), hits, fails)
		})
	}
}

// TestNoGroups checks that NoGroups drops Failure.Groups and nothing else.
func TestNoGroups(t *testing.T) {
	def, err := Load("filter.d/sshd.conf", nil, &LoadOptions{FS: builtin.FS})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(" web01 sshd[7]: Failed password for root from 192.0.2.9 port 22 ssh2")
	a := NewMatcher(f, MatcherOptions{})
	b := NewMatcher(f, MatcherOptions{NoGroups: true})
	ra, _ := a.LineAt(line, time.Unix(0, 0))
	fa := append([]Failure(nil), ra.Failures...)
	rb, _ := b.LineAt(line, time.Unix(0, 0))
	if len(fa) != 1 || len(rb.Failures) != 1 {
		t.Fatalf("failures %+v, %+v", fa, rb.Failures)
	}
	if fa[0].Groups["ip4"] != "192.0.2.9" || rb.Failures[0].Groups != nil {
		t.Fatalf("groups %v, with NoGroups %v", fa[0].Groups, rb.Failures[0].Groups)
	}
	fa[0].Groups = nil
	if !reflect.DeepEqual(fa[0], rb.Failures[0]) {
		t.Fatalf("NoGroups changes more than Groups: %+v vs %+v", fa[0], rb.Failures[0])
	}
}
