package bancount_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/app/bancount"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// failures returns n failure lines from addrs distinct addresses (in turn),
// 10 µs apart, as logmatch writes them.
func failures(n, addrs int) []byte {
	var b bytes.Buffer
	t := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		a := i % addrs
		ip := fmt.Sprintf("10.%d.%d.%d", a>>16, (a>>8)&255, a&255)
		fmt.Fprintf(&b, `{"time":%q,"jail":"sshd","filter":"sshd","host":%q,"ip":%q,"lineno":%d,"attempts":1,"user":"root"}`+"\n",
			t.Add(time.Duration(i)*10*time.Microsecond).Format(time.RFC3339Nano), ip, ip, i+1)
	}
	return b.Bytes()
}

// BenchmarkPipeline runs bancount's Main over b.N failure events (decode,
// count, with or without the state journal, encode the bans) and reports events per
// CPU-second of the whole process (GC and the fsync goroutine included).
func BenchmarkPipeline(b *testing.B) {
	for _, tc := range []struct {
		state bool
		addrs int
	}{{false, 100_000}, {true, 100_000}, {false, 1000}} {
		state := tc.state
		b.Run(fmt.Sprintf("addrs=%d/state=%v", tc.addrs, state), func(b *testing.B) {
			in := failures(b.N, tc.addrs)
			runtime.GC()
			st := "none"
			if state {
				st = filepath.Join(b.TempDir(), "st")
			}
			var out countWriter
			b.SetBytes(int64(len(in)) / int64(b.N))
			b.ResetTimer()
			c0 := cpuTime()
			code := bancount.Main(context.Background(), []string{"bancount", "--clock", "log", "--state", st, "--socket", "none",
				"--maxretry", "5", "--findtime", "10m", "--bantime", "1h"}, bytes.NewReader(in), &out, io.Discard)
			cpu := cpuTime() - c0
			b.StopTimer()
			if code != 0 {
				b.Fatalf("exit %d", code)
			}
			b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
			b.ReportMetric(float64(out.lines), "bans")
		})
	}
}

type countWriter struct{ lines int }

func (w *countWriter) Write(p []byte) (int, error) {
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}
