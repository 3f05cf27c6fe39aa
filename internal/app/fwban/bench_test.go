package fwban

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
)

// burst returns n ban events for distinct addresses of the documentation
// ranges: 250 in 198.51.100.0/24, the rest in 2001:db8:100::/64.
func burst(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		var a netip.Addr
		if i < 250 {
			a = netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})
		} else {
			a = netip.MustParseAddr(fmt.Sprintf("2001:db8:100::%x:%x", i>>16, i&0xffff))
		}
		fmt.Fprintf(&b, `{"action":"ban","jail":"sshd","ip":"%s","bantime":3600}`+"\n", a)
	}
	return b.String()
}

// BenchmarkBurst10k measures the real fwban binary applying a burst of
// 10,000 bans (one process run, start-up included) in a namespace.
//
//	go test -run '^$' -bench Burst10k -benchtime 3x ./internal/app/fwban
func BenchmarkBurst10k(b *testing.B) {
	const n = 10000
	in := burst(n)
	for _, backend := range kernelBackends {
		b.Run(backend, func(b *testing.B) {
			p := netnstest.New(b)
			args := []string{"--backend", backend, "--ports", "22"}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				mustFwban(b, p.Server, "", append(args, "flush")...)
				b.StartTimer()
				out := mustFwban(b, p.Server, in, args...)
				b.StopTimer()
				if c := strings.Count(out, `"applied":true`); c != n {
					b.Fatalf("%d bans applied, want %d", c, n)
				}
				b.StartTimer()
			}
			b.StopTimer()
			list := mustFwban(b, p.Server, "", append(args, "list")...)
			if c := strings.Count(list, "\n"); c != n {
				b.Fatalf("list holds %d bans, want %d", c, n)
			}
			b.ReportMetric(float64(n)/(b.Elapsed().Seconds()/float64(b.N)), "bans/s")
		})
	}
}

// BenchmarkLatency measures, for one running fwban, the time from writing
// one ban event to its standard input to reading its result, which fwban
// writes once the backend has put the ban in the kernel.
//
//	go test -run '^$' -bench Latency -benchtime 200x ./internal/app/fwban
func BenchmarkLatency(b *testing.B) {
	for _, backend := range kernelBackends {
		b.Run(backend, func(b *testing.B) {
			p := netnstest.New(b)
			exe, err := os.Executable()
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cmd := netnstest.Command(ctx, p.Server, exe, "--backend", backend, "--ports", "22")
			cmd.Env = append(os.Environ(), childEnv...)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			results := bufio.NewScanner(stdout)
			one := func(i int) {
				a := netip.MustParseAddr(fmt.Sprintf("2001:db8:200::%x:%x", i>>16, i&0xffff))
				fmt.Fprintf(stdin, `{"action":"ban","jail":"sshd","ip":"%s","bantime":3600}`+"\n", a)
				if !results.Scan() {
					b.Fatalf("fwban ended: %v", results.Err())
				}
				if !strings.Contains(results.Text(), `"applied":true`) {
					b.Fatalf("result: %s", results.Text())
				}
			}
			one(-1 & 0xffffff) // the first ban creates the jail's chain or sets
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				one(i)
			}
			b.StopTimer()
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/ban")
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				b.Fatalf("fwban: %v", err)
			}
		})
	}
}

// unbans turns the ban events of in into unbans.
func unbans(in string) string {
	return strings.ReplaceAll(strings.ReplaceAll(in, `"action":"ban"`, `"action":"unban"`), `,"bantime":3600`, "")
}

// BenchmarkUnbanStorm50k measures the real fwban binary unbanning 50,000
// bans in one run (their bantimes ended together), in a namespace; the
// bans are put in place untimed before each run. cpu-s/storm is the CPU
// time (user+system) of that fwban and the commands it ran.
//
//	go test -run '^$' -bench UnbanStorm50k -benchtime 1x ./internal/app/fwban
func BenchmarkUnbanStorm50k(b *testing.B) {
	const n = 50000
	in := burst(n)
	out := unbans(in)
	for _, backend := range kernelBackends {
		b.Run(backend, func(b *testing.B) {
			p := netnstest.New(b)
			args := []string{"--backend", backend, "--ports", "22"}
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				mustFwban(b, p.Server, "", append(args, "flush")...)
				mustFwban(b, p.Server, in, args...)
				b.StartTimer()
				res, used := fwbanCPU(b, p.Server, out, args...)
				b.StopTimer()
				cpu += used
				if c := strings.Count(res, `"applied":true`); c != n {
					b.Fatalf("%d unbans applied, want %d", c, n)
				}
				if list := mustFwban(b, p.Server, "", append(args, "list")...); list != "" {
					b.Fatalf("%d bans left after the storm", strings.Count(list, "\n"))
				}
				b.StartTimer()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/storm")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/storm")
		})
	}
}

// BenchmarkUnbanStormRunning50k measures one running fwban (iptables)
// that applied 50,000 bans unbanning them all: the time from writing the
// first unban to reading the last result. The process knows the chain it
// wrote (at an unchanged nf_tables generation), so it does not list it.
//
//	go test -run '^$' -bench UnbanStormRunning50k -benchtime 1x ./internal/app/fwban
func BenchmarkUnbanStormRunning50k(b *testing.B) {
	const n = 50000
	in := burst(n)
	out := unbans(in)
	p := netnstest.New(b)
	args := []string{"--backend", "iptables", "--ports", "22"}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		mustFwban(b, p.Server, "", append(args, "flush")...)
		f := startFwban(b, p.Server, args...)
		go io.WriteString(f.stdin, in)
		f.next(b, n)
		b.StartTimer()
		go func() {
			io.WriteString(f.stdin, out)
			f.stdin.Close()
		}()
		f.next(b, n)
		b.StopTimer()
		if err := f.cmd.Wait(); err != nil {
			b.Fatalf("fwban: %v; stderr:\n%s", err, f.stderr)
		}
		if list := mustFwban(b, p.Server, "", append(args, "list")...); list != "" {
			b.Fatalf("%d bans left after the storm", strings.Count(list, "\n"))
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/storm")
}

// fwbanCPU runs fwban in ns as mustFwban does and returns its output and
// the CPU time (user+system) it and the commands it waited for used.
func fwbanCPU(b *testing.B, ns, stdin string, args ...string) (string, time.Duration) {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := netnstest.Command(context.Background(), ns, exe, args...)
	cmd.Env = append(os.Environ(), childEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || strings.Contains(out.String(), `"applied":false`) {
		b.Fatalf("fwban %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}
