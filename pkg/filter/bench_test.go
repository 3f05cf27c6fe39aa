package filter_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// authLog returns n syslog auth.log lines from a seeded generator: about
// 10% sshd failures in the shapes sshd writes, the rest the usual noise
// (accepted logins, sessions, disconnects, cron, systemd, sudo).
func authLog(n int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	ip := func() string {
		return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}
	users := []string{"root", "admin", "test", "oracle", "ubuntu", "git", "postgres", "user"}
	fails := []string{
		"Failed password for %[2]s from %[1]s port %[3]d ssh2",
		"Failed password for invalid user %[2]s from %[1]s port %[3]d ssh2",
		"Invalid user %[2]s from %[1]s port %[3]d",
		"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%[1]s  user=%[2]s",
		"error: maximum authentication attempts exceeded for %[2]s from %[1]s port %[3]d ssh2 [preauth]",
		"Disconnecting authenticating user %[2]s %[1]s port %[3]d: Too many authentication failures [preauth]",
	}
	noise := []string{
		"sshd[%[4]d]: Accepted publickey for %[2]s from %[1]s port %[3]d ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4",
		"sshd[%[4]d]: pam_unix(sshd:session): session opened for user %[2]s(uid=1000) by (uid=0)",
		"sshd[%[4]d]: pam_unix(sshd:session): session closed for user %[2]s",
		"sshd[%[4]d]: Received disconnect from %[1]s port %[3]d:11: disconnected by user",
		"sshd[%[4]d]: Disconnected from user %[2]s %[1]s port %[3]d",
		"CRON[%[4]d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
		"CRON[%[4]d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
		"CRON[%[4]d]: pam_unix(cron:session): session closed for user root",
		"systemd-logind[%[4]d]: New session %[3]d of user %[2]s.",
		"systemd-logind[%[4]d]: Session %[3]d logged out. Waiting for processes to exit.",
		"sudo: %[2]s : TTY=pts/0 ; PWD=/home/%[2]s ; USER=root ; COMMAND=/usr/bin/apt update",
		"kernel: [%[3]d.123456] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55 SRC=%[1]s DST=192.0.2.1 LEN=40 PROTO=TCP SPT=%[3]d DPT=23",
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	out := make([][]byte, n)
	for i := range out {
		t := start.Add(time.Duration(i) * 2 * time.Second)
		stamp := t.Format(time.Stamp)
		u, p, pid := users[r.IntN(len(users))], 1024+r.IntN(60000), 1000+r.IntN(30000)
		var msg string
		if r.IntN(10) == 0 {
			msg = "sshd[" + fmt.Sprint(pid) + "]: " + fmt.Sprintf(fails[r.IntN(len(fails))], ip(), u, p)
		} else {
			msg = fmt.Sprintf(noise[r.IntN(len(noise))], ip(), u, p, pid)
		}
		out[i] = []byte(stamp + " web01 " + msg)
	}
	return out
}

func benchFilter(b *testing.B, load func() (*filter.Definition, error)) {
	def, err := load()
	if err != nil {
		b.Skip(err)
	}
	f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	dd, err := datedetect.New(datedetect.Options{Now: now, Location: time.UTC, Pattern: def.DatePattern})
	if err != nil {
		b.Fatal(err)
	}
	// as logmatch runs it (no Failure.Groups, lines cut at '\n')
	m := filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: func() time.Time { return now }, NoGroups: true, NoNewlines: true})
	benchLines(b, m, authLog(100000))
}

// benchLines runs m over lines, in order and over again; one op is one
// line. It reports the failures found per line and, the machine being
// shared, the CPU time per line: the figure to compare.
func benchLines(b *testing.B, m *filter.Matcher, lines [][]byte) {
	failures := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res, err := m.Line(lines[i%len(lines)])
		if err != nil {
			b.Fatal(err)
		}
		failures += len(res.Failures)
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(failures)/float64(b.N), "failures/line")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/line")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "lines/cpu-s")
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSSHD runs the built-in sshd filter (normal mode), date
// detection included, over a generated auth.log; one op is one line.
func BenchmarkSSHD(b *testing.B) {
	benchFilter(b, func() (*filter.Definition, error) {
		return filter.Load("filter.d/sshd.conf", nil, &filter.LoadOptions{FS: builtin.FS})
	})
}

// BenchmarkSSHDFail2ban is BenchmarkSSHD with fail2ban's own sshd.conf.
func BenchmarkSSHDFail2ban(b *testing.B) {
	if _, err := os.Stat(f2bFilters); err != nil {
		b.Skip("fail2ban is not installed")
	}
	benchFilter(b, func() (*filter.Definition, error) {
		return filter.Load(f2bFilters+"/sshd.conf", nil, nil)
	})
}

// BenchmarkSSHDNoDate isolates the filter from date detection.
func BenchmarkSSHDNoDate(b *testing.B) {
	def, err := filter.Load("filter.d/sshd.conf", nil, &filter.LoadOptions{FS: builtin.FS})
	if err != nil {
		b.Fatal(err)
	}
	f, _ := filter.Compile(*def, filter.Options{UseDNS: "no"})
	now := time.Now()
	m := filter.NewMatcher(f, filter.MatcherOptions{Now: func() time.Time { return now }})
	lines := authLog(100000)
	for i := range lines {
		lines[i] = lines[i][16:] // without the date
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Line(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
}
