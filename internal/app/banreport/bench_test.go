package banreport_test

import (
	"bufio"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// genEvents writes n events as logmatch and bancount write them: failures
// from a Zipf-skewed pool of a million addresses (2001:db8::/32 and the three
// IPv4 documentation /24s), user names from a list and random ones, one ban
// per ten failures, over 30 days.
func genEvents(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	r := rand.New(rand.NewPCG(17, 42))
	zipf := rand.NewZipf(r, 1.1, 4, 1<<20-1)
	users := []string{"root", "admin", "test", "user", "ubuntu", "oracle", "postgres", "git", "deploy", "pi"}
	jails := []string{"sshd", "sshd", "sshd", "postfix", "dovecot", "recidive"}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix()
	step := int64(30*86400) * 1000 / int64(max(n, 1)) // milliseconds between events
	var buf []byte
	addr := func(a uint64) []byte {
		if a%4 == 0 {
			b := [...]string{"192.0.2.", "198.51.100.", "203.0.113."}[a/4%3]
			return strconv.AppendUint(append(buf[:0:0], b...), a/12%256, 10)
		}
		b := append(buf[:0:0], "2001:db8:"...)
		b = strconv.AppendUint(b, a>>8, 16)
		b = append(b, "::"...)
		return strconv.AppendUint(b, a&255, 16)
	}
	for i := 0; i < n; i++ {
		ms := start*1000 + int64(i)*step
		ts := time.UnixMilli(ms).UTC().AppendFormat(nil, time.RFC3339)
		a := addr(zipf.Uint64())
		jail := jails[i%len(jails)]
		buf = buf[:0]
		if i%10 == 9 {
			buf = append(buf, `{"action":"ban","time":"`...)
			buf = append(buf, ts...)
			buf = append(buf, `","jail":"`...)
			buf = append(buf, jail...)
			buf = append(buf, `","ip":"`...)
			buf = append(buf, a...)
			buf = append(buf, `","failures":5,"bantime":`...)
			buf = strconv.AppendInt(buf, int64(600<<(i%5)), 10)
			buf = append(buf, `,"bancount":`...)
			buf = strconv.AppendInt(buf, int64(1+i%5), 10)
			buf = append(buf, "}\n"...)
		} else {
			buf = append(buf, `{"time":"`...)
			buf = append(buf, ts...)
			buf = append(buf, `","jail":"`...)
			buf = append(buf, jail...)
			buf = append(buf, `","filter":"sshd","host":"`...)
			buf = append(buf, a...)
			buf = append(buf, `","ip":"`...)
			buf = append(buf, a...)
			buf = append(buf, `","lineno":`...)
			buf = strconv.AppendInt(buf, int64(i+1), 10)
			buf = append(buf, `,"attempts":1,"user":"`...)
			if i%3 == 0 {
				buf = append(buf, 'u')
				buf = strconv.AppendUint(buf, r.Uint64N(1<<20), 36)
			} else {
				buf = append(buf, users[zipf.Uint64()%uint64(len(users))]...)
			}
			buf = append(buf, "\"}\n"...)
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// BenchmarkReport runs the banreport binary over one and ten million
// generated events on a pipe and reports events per second (wall clock, the
// generator running beside it), events per CPU-second of banreport (user +
// system, GC included: steadier on a shared machine) and banreport's peak
// RSS (it grows until the bounded tables are full, then stops growing). One
// iteration is the whole run:
//
//	go test -run '^$' -bench Report -benchtime 1x ./internal/app/banreport
func BenchmarkReport(b *testing.B) {
	dir := b.TempDir()
	build := exec.Command("go", "build", "-o", dir+"/", "../../../cmd/banreport")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, n := range []int{1_000_000, 10_000_000} {
		b.Run("events="+strconv.Itoa(n/1_000_000)+"M", func(b *testing.B) {
			var rss int64
			var elapsed, cpu time.Duration
			for b.Loop() {
				cmd := exec.Command(filepath.Join(dir, "banreport"), "-o", filepath.Join(dir, "report.html"))
				cmd.Stderr = os.Stderr
				in, err := cmd.StdinPipe()
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				gerr := genEvents(in, n)
				in.Close()
				if err := cmd.Wait(); err != nil {
					b.Fatalf("banreport: %v", err)
				}
				if gerr != nil {
					b.Fatal(gerr)
				}
				elapsed += time.Since(t0)
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				rss = max(rss, ru.Maxrss) // KiB
				cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
			b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds(), "events/CPU-s")
			b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
		})
	}
}
