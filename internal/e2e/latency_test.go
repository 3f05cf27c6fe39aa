package e2e

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
)

// latencyAddr returns the i-th address of the latency benchmark: documentation
// addresses that are not on the test's own interfaces.
func latencyAddr(i int) netip.Addr {
	switch {
	case i < 254:
		return netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})
	case i < 508:
		return netip.AddrFrom4([4]byte{203, 0, 113, byte(i - 254 + 1)})
	}
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 14: byte(i >> 8), 15: byte(i)})
}

// BenchmarkBanLatency measures, per backend, the time from a failure line
// appended to the followed log to fwban's result for its ban, which fwban
// writes once the kernel call returned: the rule is in the kernel. Each
// round appends 1,000 lines one at a time (maxretry 1) and reports the
// median and the 99th percentile. The log is followed by logmatch --follow
// (follow/...) as banpipe.service follows it, and by tail -F (tail/...).
//
//	go test -run '^$' -bench 'BanLatency/follow/nftables' -benchtime 1x ./internal/e2e
func BenchmarkBanLatency(b *testing.B) {
	const lines = 1000
	for _, src := range []string{"follow", "tail"} {
		for _, backend := range []string{"nftables", "ipset", "iptables"} {
			b.Run(src+"/"+backend, func(b *testing.B) {
				var all []time.Duration
				for b.Loop() {
					pair := netnstest.New(b)
					dir := b.TempDir()
					log := filepath.Join(dir, "auth.log")
					appendLine(b, log, "")
					start := startPipeline
					if src == "follow" {
						start = startFollowPipeline
					}
					p := start(b, pair.Server, log,
						fmt.Sprintf("--maxretry 1 --bantime 1h --state %s/state --socket %s/sock", dir, dir),
						fmt.Sprintf("--backend %s --ports 22", backend))
					for i := 0; i < lines; i++ {
						a := latencyAddr(i)
						start := time.Now()
						appendLine(b, log, syslogLine(time.Now(), a.String(), i))
						e := p.waitResult(b, 5*time.Second, "ban of "+a.String(), isBanOf(a))
						if e.Applied == nil || !*e.Applied {
							b.Fatalf("ban not applied: %+v", e)
						}
						all = append(all, time.Since(start))
					}
					p.kill(15)
					netnstest.Run(b, pair.Server, bin("fwban"), "--backend", backend, "flush")
				}
				slices.Sort(all)
				b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "median-ms")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
