package filter

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// reuseMatcher is a Matcher of a filter file (builtin: the built-in one
// of that name, else fail2ban's) with Matches and Groups, and with
// logmatch's -j 1 options (ReuseCaptures, ReuseStrings) when reuse; the
// multi-line cache's clock is *clock.
func reuseMatcher(tb testing.TB, name string, args map[string]string, builtinFS, reuse bool, clock *time.Time) *Matcher {
	tb.Helper()
	f := reuseFilter(tb, name, args, builtinFS)
	return newReuseMatcher(f, reuseDates(tb, f), reuse, clock)
}

// reuseFilter compiles a filter file for reuseMatcher.
func reuseFilter(tb testing.TB, name string, args map[string]string, builtinFS bool) *Filter {
	tb.Helper()
	path, lo := "/etc/fail2ban/filter.d/"+name+".conf", (*LoadOptions)(nil)
	if builtinFS {
		path, lo = "filter.d/"+name+".conf", &LoadOptions{FS: builtin.FS, Name: name}
	}
	def, err := Load(path, args, lo)
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

// newReuseMatcher is reuseMatcher's Matcher of f.
func newReuseMatcher(f *Filter, dd *datedetect.Detector, reuse bool, clock *time.Time) *Matcher {
	return NewMatcher(f, MatcherOptions{Dates: dd, Now: func() time.Time { return reuseNow }, Clock: func() time.Time { return *clock },
		Matches: true, ReuseCaptures: reuse, ReuseStrings: reuse})
}

// TestReuseStringsOnServiceLogs: on the generated log of its service,
// every built-in filter (each of its modes) and fail2ban's filter.d file
// of the same name give, line by line, the same Result (failures with
// every group, users and lines) with ReuseCaptures and ReuseStrings as
// without: a line's strings are then written into a buffer reused from
// line to line, the multi-line cache copies what it keeps into the
// buffers of its failure dicts, and the dicts it lets go are used again.
// The cache's clock moves a second a line, so sessions expire (after five
// minutes) as well as being forgotten (mlfforget) and pushed out (more
// than 100).
func TestReuseStringsOnServiceLogs(t *testing.T) {
	testenv.RequireFile(t, "/etc/fail2ban/filter.d/sshd.conf", "fail2ban")
	n := 30000
	if testing.Short() {
		n = 3000
	}
	failures, recycled := 0, 0
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
					if name == "sshd" {
						vs = append(vs, variant{map[string]string{"mode": mode}, false})
					}
				}
			}
			for _, v := range vs {
				clock := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
				reuse := reuseMatcher(t, name, v.args, v.builtin, true, &clock)
				plain := reuseMatcher(t, name, v.args, v.builtin, false, &clock)
				sc := bufio.NewScanner(bytes.NewReader(log.Bytes()))
				for sc.Scan() {
					clock = clock.Add(time.Second)
					line := sc.Bytes()
					want, err := plain.Line(line)
					if err != nil {
						t.Fatal(err)
					}
					got, err := reuse.Line(line)
					if err != nil {
						t.Fatal(err)
					}
					if !sameResult(got, want) {
						t.Fatalf("%s %v (built-in %v) on %q:\nreused strings %+v\nwithout %+v", name, v.args, v.builtin, line, got, want)
					}
					failures += len(got.Failures)
				}
				recycled += len(reuse.pool)
			}
		}
	}
	if failures < n/2 || recycled == 0 {
		t.Errorf("%d failures, %d failure dicts let go by the cache at the end: the test did not test", failures, recycled)
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
	var log bytes.Buffer
	if _, err := authgen.Generate(&log, authgen.Options{Lines: 100000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	m := reuseMatcher(t, "sshd", nil, true, true, &clock)
	m.opts.NoGroups = true
	var lines [][]byte
	failures := 0
	for _, l := range bytes.Split(bytes.TrimSuffix(log.Bytes(), []byte("\n")), []byte("\n")) {
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
	fl := reuseFilter(f, "sshd", map[string]string{"mode": "aggressive"}, true)
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
			want, err := plain.Line(line)
			if err != nil {
				t.Fatal(err)
			}
			got, err := reuse.Line(line)
			if err != nil {
				t.Fatal(err)
			}
			if !sameResult(got, want) {
				t.Fatalf("on %q:\nreused strings %+v\nwithout %+v", line, got, want)
			}
		}
	})
}
