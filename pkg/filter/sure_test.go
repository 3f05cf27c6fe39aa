package filter

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/pyre"
)

// TestSureMatchOnServiceLogs: on every line of the generated log of every
// service, for every built-in filter (sshd in every mode) and fail2ban's
// file of the same name (authgen.Cases, a subtest each; a missing
// fail2ban file skips its subtest, or fails it under CI), a failregex's
// sure-match walker (pyre's SureMatch, the regex-free part of the
// forget-only shortcut) says "matches" only where the regex matches,
// pyre's ExactMatch, where it knows, says what the regex says, and pyre's
// FindASCII (the byte backtracker runFail uses on ASCII content), where it
// knows, finds the regex's match with the same groups: on the whole line
// and on the content the fast syslog prefix finds.
func TestSureMatchOnServiceLogs(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	sure, sureForget, exact, bt := 0, 0, 0, 0
	var sc pyre.Scratch
	for c, lines := range authgen.Cases(authgen.Options{Lines: n, Seed: 3}) {
		t.Run(c.Name(), func(t *testing.T) {
			f := loadCase(t, c)
			for i, l := range lines {
				texts := [][]byte{l}
				if f.fastPref != nil && len(l) > 15 {
					if _, cs, ok := f.fastPref.match(l[15:], false); ok {
						texts = append(texts, l[15+cs:])
					}
				}
				for _, text := range texts {
					for k, r := range f.fail {
						if pyre.IsASCII(text) {
							// the byte backtracker: regexp2's match and groups
							got, want := make([]pyre.Span, len(r.slots)), make([]pyre.Span, len(r.slots))
							if gf, known := r.re.FindASCII(text, r.slots, got, &sc); known {
								bt++
								wf, err := r.re.Find(append(appendRunes(nil, text), '\n'), r.slots, want)
								if err != nil {
									t.Fatal(err)
								}
								if gf != wf || wf && !sameSpans(got, want) {
									t.Fatalf("failregex %d, line %d %q: FindASCII %v %v, the regex %v %v", k+1, i+1, text, gf, got, wf, want)
								}
							}
						}
						match, known := r.re.ExactMatch(text)
						if known {
							exact++
						}
						if !r.re.SureMatch(text) && !known {
							continue
						}
						found, err := r.re.Find(append(appendRunes(nil, text), '\n'), nil, nil)
						if err != nil {
							t.Fatal(err)
						}
						if known && match != found {
							t.Fatalf("failregex %d, line %d %q: ExactMatch %v, the regex %v", k+1, i+1, text, match, found)
						}
						if !r.re.SureMatch(text) {
							continue
						}
						sure++
						if r.sureForget {
							sureForget++
						}
						if !found {
							t.Fatalf("failregex %d, line %d %q: sure match, the regex says no", k+1, i+1, text)
						}
					}
				}
			}
		})
	}
	if sure == 0 || sureForget == 0 || exact == 0 || bt == 0 {
		t.Fatalf("%d sure matches, %d of forget-only regexes, %d exact answers, %d backtracker answers: the test exercises nothing", sure, sureForget, exact, bt)
	}
	t.Logf("%d sure matches (%d of forget-only regexes), each a regex match; %d exact answers, each the regex's; %d byte backtracker answers, each the regex's match and groups", sure, sureForget, exact, bt)
}

// loadCase compiles the filter file of c; fail2ban's is required
// (testenv.RequireFile: fails under CI, skips elsewhere).
func loadCase(t *testing.T, c authgen.FilterCase) *Filter {
	t.Helper()
	if c.Fail2ban() {
		testenv.RequireFile(t, c.Path, "fail2ban")
	}
	def, err := Load(c.Path, c.Args(), &LoadOptions{FS: c.FS})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sameSpans compares the groups of two matches: the same groups took
// part, at the same places.
func sameSpans(a, b []pyre.Span) bool {
	for i := range a {
		if a[i].OK != b[i].OK || a[i].OK && (a[i].Index != b[i].Index || a[i].Length != b[i].Length) {
			return false
		}
	}
	return true
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// FuzzSureForget runs three lines of one session (or two) through the
// built-in sshd filter (aggressive) and fail2ban's sshd.conf when
// installed, with the fast path (syslog prefix, start sets, the
// forget-only shortcut and its sure-match walker) and with the regexes
// only: the hits and failures must agree.
func FuzzSureForget(f *testing.F) {
	f.Add("Accepted publickey for alice from 198.51.100.114 port 10199 ssh2", "Failed password for root from 192.0.2.1 port 22 ssh2", "Received disconnect from 192.0.2.177 port 63220:11: disconnected by user", true)
	f.Add("Connection closed by 203.0.113.4 port 5 [preauth]", "Received disconnect from 2001:db8::b4 port 36043:11: bye", "Accepted keyboard-interactive/pam for u from 192.0.2.9 port 1 ssh2", false)
	f.Add("User x not allowed because account is locked", "Accepted password for x from 192.0.2.5", "Disconnected from authenticating user x 192.0.2.5 port 2 [preauth]", true)
	type pair struct{ fast, slow *Filter }
	var filters []pair
	add := func(def *Definition, err error) {
		if err != nil {
			f.Fatal(err)
		}
		fast, err := Compile(*def, Options{UseDNS: "no"})
		if err != nil {
			f.Fatal(err)
		}
		slow, _ := Compile(*def, Options{UseDNS: "no"})
		slow.pre, slow.fastPref, slow.starts = nil, nil, nil
		filters = append(filters, pair{fast, slow})
	}
	add(Load("filter.d/sshd.conf", map[string]string{"mode": "aggressive"}, &LoadOptions{FS: builtin.FS}))
	if fileExists("/etc/fail2ban/filter.d/sshd.conf") {
		add(Load("/etc/fail2ban/filter.d/sshd.conf", map[string]string{"mode": "aggressive"}, nil))
	}
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, a, b, c string, samePID bool) {
		if len(a)+len(b)+len(c) > 600 {
			return
		}
		pid := []string{"7", "7", "7"}
		if !samePID {
			pid[1] = "8"
		}
		for _, p := range filters {
			clock := func() time.Time { return t0 }
			ma := NewMatcher(p.fast, MatcherOptions{Clock: clock})
			mb := NewMatcher(p.slow, MatcherOptions{Clock: clock})
			for i, msg := range []string{a, b, c} {
				l := []byte(" web01 sshd[" + pid[i] + "]: " + msg)
				ra, err1 := ma.LineAt(l, t0)
				fa, ia := append([]Failure(nil), ra.Failures...), ra.Regex
				rb, err2 := mb.LineAt(l, t0)
				if (err1 == nil) != (err2 == nil) {
					t.Fatalf("%q: errors %v, %v", l, err1, err2)
				}
				if ia != rb.Regex || len(fa)+len(rb.Failures) > 0 && !reflect.DeepEqual(fa, rb.Failures) {
					t.Fatalf("%s: line %d %q: fast path gives regex %d %+v, the regexes %d %+v", p.fast.Def.Name, i+1, l, ia, fa, rb.Regex, rb.Failures)
				}
			}
		}
	})
}

// TestForgetOnlyOnServiceLogs: every filter case (authgen.Cases: every
// built-in filter, sshd in its four modes, and fail2ban's file of the
// same name; a missing fail2ban file skips its subtest, or fails it under
// CI) gives, on every line of its service's generated log, the hit and
// the failures it gives with the regexes only (no literal prefilter, fast
// syslog prefix or start index, so no forget-only shortcut: sureForget,
// its walker's address node, the start index without a forget-only
// regex's literal sets).
func TestForgetOnlyOnServiceLogs(t *testing.T) {
	n := 3000
	if testing.Short() || testenv.Race {
		n = 500
	}
	t0 := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return t0 }
	forgets := 0
	for c, lines := range authgen.Cases(authgen.Options{Lines: n, Seed: 11}) {
		t.Run(c.Name(), func(t *testing.T) {
			fast := loadCase(t, c)
			slow := loadCase(t, c)
			slow.pre, slow.fastPref, slow.starts = nil, nil, nil
			dates := func() DateFinder {
				dd, err := datedetect.New(datedetect.Options{Now: t0, Location: time.UTC, Pattern: fast.Def.DatePattern})
				if err != nil {
					t.Fatal(err)
				}
				return dd
			}
			a := NewMatcher(fast, MatcherOptions{Dates: dates(), Now: clock, Clock: clock})
			b := NewMatcher(slow, MatcherOptions{Dates: dates(), Now: clock, Clock: clock})
			for i, l := range lines {
				ra, err1 := a.Line(l)
				fa, ia := append([]Failure(nil), ra.Failures...), ra.Regex
				rb, err2 := b.Line(l)
				if err1 != nil || err2 != nil {
					t.Fatalf("line %d: %v, %v", i+1, err1, err2)
				}
				if ia != rb.Regex || len(fa)+len(rb.Failures) > 0 && !reflect.DeepEqual(fa, rb.Failures) {
					t.Fatalf("line %d %q: fast path regex %d %+v, the regexes %d %+v", i+1, l, ia, fa, rb.Regex, rb.Failures)
				}
				if ia >= 0 && fast.fail[ia].sureForget {
					forgets++
				}
			}
		})
	}
	if forgets == 0 {
		t.Fatal("no line matched a forget-only regex: the test exercises nothing")
	}
}
