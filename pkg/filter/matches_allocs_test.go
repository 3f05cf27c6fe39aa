package filter

import (
	"os"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
)

// TestMatchesCostNothingOnOtherLines checks that keeping the failures' log
// text (MatcherOptions.Matches) adds no allocation to the lines that are not
// failures, with the built-in sshd filter: the text is copied only when a
// failregex matched.
func TestMatchesCostNothingOnOtherLines(t *testing.T) {
	if testenv.Race {
		t.Skip("allocation counts differ under -race")
	}
	def, err := Load("filter.d/sshd.conf", nil, &LoadOptions{FS: os.DirFS("builtin")})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 10, 4, 5, 0, time.UTC)
	lines := [][]byte{
		[]byte("web01 CRON[1201]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"),
		[]byte("web01 sshd[1201]: Received disconnect from 192.0.2.7 port 50022:11: disconnected by user"),
		[]byte("web01 sshd[1201]: pam_unix(sshd:session): session closed for user root"),
	}
	allocs := func(matches bool) float64 {
		m := NewMatcher(f, MatcherOptions{NoGroups: true, Matches: matches})
		return testing.AllocsPerRun(200, func() {
			for _, l := range lines {
				if res, err := m.LineAt(l, at); err != nil || len(res.Failures) != 0 {
					t.Fatalf("%s: %v %+v", l, err, res)
				}
			}
		})
	}
	without, with := allocs(false), allocs(true)
	if with != without {
		t.Errorf("%v allocations per 3 lines that are no failure with Matches, %v without", with, without)
	}
	// and a failure does carry its line
	m := NewMatcher(f, MatcherOptions{NoGroups: true, Matches: true})
	line := "web01 sshd[1202]: Failed password for root from 192.0.2.7 port 50022 ssh2"
	res, err := m.LineAt([]byte(line), at)
	if err != nil || len(res.Failures) != 1 || len(res.Failures[0].Lines) != 1 || res.Failures[0].Lines[0] != line {
		t.Errorf("failure lines: %v %+v", err, res)
	}
}

// TestReuseCapturesSlicesAllocs: with ReuseCaptures a failure's Users and Lines
// come from buffers the Matcher reuses (two allocations less per failure)
// and still hold the failure's user and line.
func TestReuseCapturesSlicesAllocs(t *testing.T) {
	if testenv.Race {
		t.Skip("allocation counts differ under -race")
	}
	def, err := Load("filter.d/sshd.conf", nil, &LoadOptions{FS: os.DirFS("builtin")})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 10, 4, 5, 0, time.UTC)
	line := "web01 sshd[1202]: Failed password for root from 192.0.2.7 port 50022 ssh2"
	allocs := func(reuse bool) float64 {
		m := NewMatcher(f, MatcherOptions{NoGroups: true, Matches: true, ReuseCaptures: reuse})
		return testing.AllocsPerRun(200, func() {
			res, err := m.LineAt([]byte(line), at)
			if err != nil || len(res.Failures) != 1 {
				t.Fatalf("%v %+v", err, res)
			}
			fl := res.Failures[0]
			if len(fl.Lines) != 1 || fl.Lines[0] != line || len(fl.Users) != 1 || fl.Users[0] != "root" {
				t.Fatalf("reuse %v: lines %q, users %q", reuse, fl.Lines, fl.Users)
			}
		})
	}
	without, with := allocs(false), allocs(true)
	if with > without-2 {
		t.Errorf("%v allocations per failure with ReuseCaptures, %v without: want two less", with, without)
	}
}
