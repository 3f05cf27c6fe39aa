package builtin_test

import (
	"bufio"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
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
	def, err := filter.Load("filter.d/"+name+".conf", args, &filter.LoadOptions{FS: builtin.FS, Name: name})
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

// cpuTime is the CPU time this process has used (user and system): on a
// shared machine it is steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports lines per CPU-second since start (one op is a line).
func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(b.N)/d.Seconds(), "lines/cpu-s")
	}
}

// BenchmarkSamples runs every built-in filter (default options) over its
// own sample lines, over and over; a line is one op.
func BenchmarkSamples(b *testing.B) {
	for _, name := range builtin.Names() {
		b.Run(name, func(b *testing.B) {
			lines := sampleLines(b, name)
			bufs := make([][]byte, len(lines))
			for i, l := range lines {
				bufs[i] = []byte(l)
			}
			m := benchMatcher(b, name, nil)
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := m.Line(bufs[i%len(bufs)]); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkSSHDMix runs the sshd filter over an auth.log mix: one line in
// ten a failure, the rest sessions, cron and systemd noise. "builtin" is
// ours, "fail2ban" is fail2ban's sshd.conf (when installed), on the same
// engine and lines.
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
	run := func(b *testing.B, m *filter.Matcher) {
		b.ReportAllocs()
		b.ResetTimer()
		start := cpuTime()
		for i := 0; i < b.N; i++ {
			if _, err := m.Line(bufs[i%len(bufs)]); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	}
	b.Run("builtin", func(b *testing.B) { run(b, benchMatcher(b, "sshd", nil)) })
	b.Run("fail2ban", func(b *testing.B) {
		if _, err := os.Stat(f2bFilters + "/sshd.conf"); err != nil {
			b.Skip("fail2ban's sshd.conf is not installed")
		}
		def, err := filter.Load(f2bFilters+"/sshd.conf", nil, nil)
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
		run(b, filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: now, Clock: now}))
	})
}
