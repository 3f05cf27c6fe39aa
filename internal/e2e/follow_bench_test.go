package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the user+system CPU time pid has used so far.
func cpuTime(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// fields after the command name (which is in parentheses)
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz
}

// BenchmarkFollowIdle measures the CPU logmatch --follow uses while it
// follows 1,000 idle log files (through a glob of a jail configuration,
// as banpipe.service would): the CPU time over 30 s with no line written,
// after the start, as a percentage of one core.
//
//	go test -run '^$' -bench FollowIdle -benchtime 1x ./internal/e2e
func BenchmarkFollowIdle(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		logs := filepath.Join(dir, "logs")
		os.Mkdir(logs, 0o700)
		for i := 0; i < 1000; i++ {
			appendLine(b, filepath.Join(logs, fmt.Sprintf("app%04d.log", i)), syslogLine(time.Now().Add(-time.Hour), "192.0.2.9", i))
		}
		conf := filepath.Join(dir, "jail.conf")
		os.WriteFile(conf, []byte("[sshd]\nenabled = true\nlogpath = "+logs+"/*.log\n"), 0o600)
		cmd := exec.Command(bin("logmatch"), "--config", conf, "--follow", "--positions", filepath.Join(dir, "pos"))
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
			}
		}()
		// started: every file's position was saved once
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
			data, _ := os.ReadFile(filepath.Join(dir, "pos"))
			if strings.Count(string(data), `"path"`) == 1000 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("logmatch did not read the 1,000 files within a minute")
			}
		}
		time.Sleep(2 * time.Second)
		const idle = 30 * time.Second
		before := cpuTime(b, cmd.Process.Pid)
		time.Sleep(idle)
		used := cpuTime(b, cmd.Process.Pid) - before
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		b.ReportMetric(100*used.Seconds()/idle.Seconds(), "%cpu")
		b.ReportMetric(float64(used.Milliseconds()), "cpu-ms/30s")
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkRestartCatchUp measures how long logmatch takes, at a restart,
// to read 100,000 failure lines written to a log while it was down: it
// reads the log once (positions saved), 100,000 lines are appended, and
// the time is from the start of the second run to its last event (the run
// ends at the end of the log, without --follow).
//
//	go test -run '^$' -bench RestartCatchUp -benchtime 1x ./internal/e2e
func BenchmarkRestartCatchUp(b *testing.B) {
	const lines = 100000
	for b.Loop() {
		dir := b.TempDir()
		log := filepath.Join(dir, "auth.log")
		appendLine(b, log, syslogLine(time.Now(), "192.0.2.9", 0))
		conf := filepath.Join(dir, "jail.conf")
		os.WriteFile(conf, []byte("[sshd]\nenabled = true\nlogpath = "+log+"\n"), 0o600)
		pos := filepath.Join(dir, "pos")
		if out, err := exec.Command(bin("logmatch"), "--config", conf, "--positions", pos).Output(); err != nil || strings.Count(string(out), "\n") != 1 {
			b.Fatalf("first run: %v, %q", err, out)
		}
		f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		now := time.Now()
		for i := 0; i < lines; i++ {
			fmt.Fprintf(w, "%s", syslogLine(now, fmt.Sprintf("198.51.%d.%d", 100+i/250%2, i%250+1), i))
		}
		w.Flush()
		f.Close()
		start := time.Now()
		cmd := exec.Command(bin("logmatch"), "--config", conf, "--positions", pos)
		out, err := cmd.Output()
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if n := strings.Count(string(out), "\n"); n != lines {
			b.Fatalf("%d events after the restart, want %d", n, lines)
		}
		b.ReportMetric(d.Seconds(), "s")
		b.ReportMetric(float64(lines)/d.Seconds(), "lines/s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(0, "ns/op")
	}
}
