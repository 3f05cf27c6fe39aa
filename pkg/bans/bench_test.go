package bans

import (
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
)

func addrN(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

// TestHeapPerTrackedAddress checks the memory bound: at most 256 bytes of
// heap per address being counted (100,000 addresses, one failure each).
func TestHeapPerTrackedAddress(t *testing.T) {
	const n = 100_000
	en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: settings(5, time.Hour, time.Hour)} }})
	ev := &event.Event{Jail: "sshd"}
	// Warm the jail up so that its fixed cost is not counted.
	ev.Time, ev.IP = base, netip.PrefixFrom(addrN(n+1), 32)
	en.Failure(ev)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		ev.Time = base.Add(time.Duration(i) * time.Millisecond)
		ev.IP = netip.PrefixFrom(addrN(i), 32)
		en.Failure(ev)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if en.Tracked() != n+1 {
		t.Fatalf("tracked %d", en.Tracked())
	}
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes of heap per tracked address", per)
	if per > 256 {
		t.Errorf("%.0f bytes of heap per tracked address, want at most 256", per)
	}
	runtime.KeepAlive(en)
}

// BenchmarkFailure measures the engine alone: one failure of one of
// 100,000 addresses per op.
func BenchmarkFailure(b *testing.B) {
	en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: settings(5, time.Hour, time.Hour)} }})
	ev := &event.Event{Jail: "sshd"}
	b.ReportAllocs()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		ev.Time = base.Add(time.Duration(i) * time.Microsecond)
		ev.IP = netip.PrefixFrom(addrN(i%benchAddrs), 32)
		en.Failure(ev)
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the process's user and system CPU time in nanoseconds:
// the machine is shared, so wall time overstates the cost.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

var benchAddrs = 100_000
