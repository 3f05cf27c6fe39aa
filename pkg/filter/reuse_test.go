package filter

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// sshdFilter compiles the built-in sshd filter with args.
func sshdFilter(tb testing.TB, args map[string]string) *Filter {
	tb.Helper()
	def, err := Load("filter.d/sshd.conf", args, &LoadOptions{FS: builtin.FS})
	if err != nil {
		tb.Fatal(err)
	}
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

var reuseNow = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// reuseDates is a date detector of f for newReuseMatcher.
func reuseDates(tb testing.TB, f *Filter) *datedetect.Detector {
	dd, err := datedetect.New(datedetect.Options{Now: reuseNow, Location: time.UTC, Pattern: f.Def.DatePattern})
	if err != nil {
		tb.Fatal(err)
	}
	return dd
}

// newReuseMatcher is a Matcher of f with Matches and Groups, and with
// logmatch's -j 1 options (ReuseCaptures, ReuseStrings) when reuse; the
// multi-line cache's clock is *clock.
func newReuseMatcher(f *Filter, dd *datedetect.Detector, reuse bool, clock *time.Time) *Matcher {
	return NewMatcher(f, MatcherOptions{Dates: dd, Now: func() time.Time { return reuseNow }, Clock: func() time.Time { return *clock },
		Matches: true, ReuseCaptures: reuse, ReuseStrings: reuse})
}

// TestReuseStringsOnServiceLogs: on the generated log of its service,
// every built-in filter (sshd in each of its modes) and fail2ban's
// filter.d file of the same name (authgen.Cases, a subtest each) give,
// line by line, the same Result (failures with every group, users and
// lines) with ReuseCaptures and ReuseStrings as without: a line's strings
// are then written into a buffer reused from line to line, the
// multi-line cache copies what it keeps into the buffers of its failure
// dicts, and the dicts it lets go are used again. The cache's clock moves
// a second a line, so sessions expire (after five minutes) as well as
// being forgotten (mlfforget) and pushed out (more than 100).
func TestReuseStringsOnServiceLogs(t *testing.T) {
	n := 30000
	if testing.Short() || testenv.Race {
		n = 3000
	}
	recycled := 0
	for c, log := range authgen.Cases(authgen.Options{Lines: n, Seed: 1}) {
		t.Run(c.Name(), func(t *testing.T) {
			f := loadCase(t, c)
			clock := reuseNow
			reuse := newReuseMatcher(f, reuseDates(t, f), true, &clock)
			plain := newReuseMatcher(f, reuseDates(t, f), false, &clock)
			hits := 0
			for _, line := range log {
				clock = clock.Add(time.Second)
				got := sameLine(t, reuse, plain, line, "reused strings")
				if got.Regex >= 0 {
					hits++
				}
			}
			if hits == 0 {
				t.Fatal("no failregex matched: the test exercises nothing")
			}
			if c.Filter == "sshd" {
				recycled += len(reuse.pool)
			}
		})
	}
	if recycled == 0 {
		t.Error("the multi-line cache let no failure dict go: its reuse was not tested")
	}
}

// TestSSHDFailureLinesAllocs: the built-in sshd filter, with logmatch's
// -j 1 options, allocates nothing on the lines a failregex matches once
// it has run over them (the strings of a line in one buffer, the
// multi-line cache's failure dicts used again, their strings in their
// own buffers).
func TestSSHDFailureLinesAllocs(t *testing.T) {
	if testenv.Race {
		t.Skip("allocation counts differ under -race")
	}
	log, err := authgen.Lines(authgen.Options{Lines: 100000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	clock := reuseNow
	f := sshdFilter(t, nil)
	m := newReuseMatcher(f, reuseDates(t, f), true, &clock)
	m.opts.NoGroups = true
	var lines [][]byte
	failures := 0
	for _, l := range log {
		res, err := m.Line(l)
		if err != nil {
			t.Fatal(err)
		}
		if res.Regex >= 0 {
			lines = append(lines, l)
			failures += len(res.Failures)
		}
	}
	if len(lines) < 5000 || failures < 3000 {
		t.Fatalf("%d lines matched, %d failures: too few", len(lines), failures)
	}
	allocs := testing.AllocsPerRun(2, func() {
		for _, l := range lines {
			if _, err := m.Line(l); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Logf("%v allocations over %d matched lines", allocs, len(lines))
	if allocs > 0 {
		t.Errorf("%v allocations over %d matched lines, want 0", allocs, len(lines))
	}
}

// FuzzReuseStrings: the built-in sshd filter (aggressive: every
// failregex) gives the same Results with logmatch's -j 1 options
// (ReuseCaptures, ReuseStrings) as without, over any sequence of lines:
// the input's lines, each as a line of an sshd session (the first byte's
// low bits pick the pid, so sessions interleave) or as it is when it
// starts with a digit or a letter past 'Z'. The cache's clock moves
// 37 seconds a line: sessions also expire.
func FuzzReuseStrings(f *testing.F) {
	for _, s := range []string{
		"\x01Failed password for invalid user x from 192.0.2.7 port 22 ssh2\n\x01Failed password for invalid user y from 192.0.2.7 port 22 ssh2\n\x01Accepted password for z from 192.0.2.7 port 22 ssh2",
		"\x02Failed publickey for root from 192.0.2.9 port 22 ssh2: RSA SHA256:x\n\x03Invalid user a b from 2001:db8::1 port 1\n\x02error: maximum authentication attempts exceeded for root from 192.0.2.9 port 22 ssh2 [preauth]",
		"\x04pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.4  user=root\n\x04Disconnecting authenticating user root 198.51.100.4 port 9: Too many authentication failures [preauth]\n\x04Connection closed by authenticating user root 198.51.100.4 port 9 [preauth]",
		"\x05User root not allowed because account is locked\n\x05Connection closed by 203.0.113.5 port 4 [preauth]\n\x05Received disconnect from 203.0.113.5 port 4:11: Bye Bye [preauth]",
		"Nov 21 00:00:01 web01 sshd[7]: Failed none for invalid user  from 192.0.2.1 port 2 ssh2",
	} {
		f.Add(s)
	}
	fl := sshdFilter(f, map[string]string{"mode": "aggressive"})
	// (a date detector for each: the two see the same lines)
	dd1, dd2 := reuseDates(f, fl), reuseDates(f, fl)
	var clock time.Time
	f.Fuzz(func(t *testing.T, in string) {
		clock = reuseNow
		reuse := newReuseMatcher(fl, dd1, true, &clock)
		plain := newReuseMatcher(fl, dd2, false, &clock)
		var line []byte
		for i, l := range strings.Split(in, "\n") {
			clock = clock.Add(37 * time.Second)
			line = line[:0]
			if l != "" && (l[0] >= '0' && l[0] <= '9' || l[0] > 'Z') {
				line = append(line, l...)
			} else {
				pid := 0
				if l != "" {
					pid, l = int(l[0]&7), l[1:]
				}
				line = fmt.Appendf(line, "Nov 21 00:%02d:%02d web01 sshd[%d]: %s", i/60%60, i%60, 100+pid, l)
			}
			sameLine(t, reuse, plain, line, "reused strings")
		}
	})
}

// sameLine runs line through ref, then m, and fails unless both give the
// same result (what names m's option, which ref goes without); it
// returns m's.
func sameLine(t *testing.T, m, ref *Matcher, line []byte, what string) *Result {
	t.Helper()
	want, err := ref.Line(line)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Line(line)
	if err != nil {
		t.Fatal(err)
	}
	if !sameResult(got, want) {
		t.Fatalf("on %q:\n%s %+v\nwithout %+v", line, what, got, want)
	}
	return got
}
