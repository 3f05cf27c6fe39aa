package filters_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filters"
)

// sampleLines returns the log lines (not the comments) of a sample file
// that the default options read (up to its first filterOptions switch).
func sampleLines(tb testing.TB, name string) []string {
	tb.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "# filterOptions:") && len(out) > 0 {
			break
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

func benchMatcher(b *testing.B, name string, args map[string]string) *filter.Matcher {
	b.Helper()
	def, err := filter.Load("filter.d/"+name+".conf", args, &filter.LoadOptions{FS: filters.FS, Name: name})
	if err != nil {
		b.Fatal(err)
	}
	f, err := filter.Compile(*def, filter.Options{UseDNS: "raw"})
	if err != nil {
		b.Fatal(err)
	}
	dd, err := datedetect.New(datedetect.Options{Now: f2bsample.Now, Location: f2bsample.Zone(), Pattern: def.DatePattern})
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return f2bsample.Now }
	return filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: now, Clock: now})
}

// BenchmarkSamples runs every built-in filter (default options) over its
// own sample lines, over and over; a line is one op.
func BenchmarkSamples(b *testing.B) {
	for _, name := range filters.Names() {
		b.Run(name, func(b *testing.B) {
			lines := sampleLines(b, name)
			bufs := make([][]byte, len(lines))
			for i, l := range lines {
				bufs[i] = []byte(l)
			}
			m := benchMatcher(b, name, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Line(bufs[i%len(bufs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSSHDMix runs the built-in sshd filter over an auth.log mix: one
// line in ten a failure, the rest sessions, cron and systemd noise.
func BenchmarkSSHDMix(b *testing.B) {
	noise := []string{
		"Aug 14 10:04:00 gw sshd[3400]: Accepted publickey for ops from 192.0.2.90 port 50700 ssh2: ED25519 SHA256:p0mFsrLkGqWj1AbCdEfGhIjKlMnOpQrStUvWxYz01234",
		"Aug 14 10:04:01 gw sshd[3400]: pam_unix(sshd:session): session opened for user ops(uid=1000) by (uid=0)",
		"Aug 14 10:04:02 gw CRON[4000]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
		"Aug 14 10:04:03 gw CRON[4001]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
		"Aug 14 10:04:04 gw systemd-logind[700]: New session 42 of user ops.",
		"Aug 14 10:04:05 gw systemd[1]: Started session-42.scope - Session 42 of User ops.",
		"Aug 14 10:04:06 gw CRON[4000]: pam_unix(cron:session): session closed for user root",
		"Aug 14 10:04:07 gw sudo:      ops : TTY=pts/0 ; PWD=/home/ops ; USER=root ; COMMAND=/usr/bin/apt update",
		"Aug 14 10:04:08 gw sshd[3400]: pam_unix(sshd:session): session closed for user ops",
	}
	lines := append(noise, "Aug 14 10:04:09 gw sshd[3500]: Failed password for invalid user admin from 203.0.113.77 port 40022 ssh2")
	bufs := make([][]byte, len(lines))
	for i, l := range lines {
		bufs[i] = []byte(l)
	}
	m := benchMatcher(b, "sshd", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Line(bufs[i%len(bufs)]); err != nil {
			b.Fatal(err)
		}
	}
}
