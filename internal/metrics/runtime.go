package metrics

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
)

// The Go and process metrics a served page carries (not the file of
// --metrics-file: node_exporter exports its own), named as Prometheus's
// Go client names them, so the usual dashboards and alerts find them.
var (
	descGoroutines = GaugeDesc("go_goroutines", "Number of goroutines that currently exist.")
	descThreads    = GaugeDesc("go_threads", "Number of OS threads created.")
	descGoInfo     = GaugeDesc("go_info", "Information about the Go environment.", "version")
	descMaxProcs   = GaugeDesc("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting.")
	descGC         = newDesc("go_gc_duration_seconds", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", "summary", nil)
	descAlloc      = GaugeDesc("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use.")
	descAllocTotal = CounterDesc("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already.")
	descSys        = GaugeDesc("go_memstats_sys_bytes", "Number of bytes obtained from system.")
	descMallocs    = CounterDesc("go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed.")
	descFrees      = CounterDesc("go_memstats_frees_total", "Total number of heap objects frees.")
	descHeapAlloc  = GaugeDesc("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.")
	descHeapSys    = GaugeDesc("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.")
	descHeapIdle   = GaugeDesc("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.")
	descHeapInuse  = GaugeDesc("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.")
	descHeapRel    = GaugeDesc("go_memstats_heap_released_bytes", "Number of heap bytes released to OS.")
	descHeapObj    = GaugeDesc("go_memstats_heap_objects", "Number of currently allocated objects.")
	descStack      = GaugeDesc("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments.")
	descNextGC     = GaugeDesc("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.")
	descLastGC     = GaugeDesc("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.")

	descCPU      = CounterDesc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
	descOpenFDs  = GaugeDesc("process_open_fds", "Number of open file descriptors.")
	descMaxFDs   = GaugeDesc("process_max_fds", "Maximum number of open file descriptors.")
	descVirtual  = GaugeDesc("process_virtual_memory_bytes", "Virtual memory size in bytes.")
	descResident = GaugeDesc("process_resident_memory_bytes", "Resident memory size in bytes.")
	descStart    = GaugeDesc("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
)

// registerRuntime registers the Go and process metrics on r.
func registerRuntime(r *Registry) {
	descs := []*Desc{descGoroutines, descThreads, descGoInfo, descMaxProcs, descAlloc, descAllocTotal, descSys,
		descMallocs, descFrees, descHeapAlloc, descHeapSys, descHeapIdle, descHeapInuse, descHeapRel, descHeapObj,
		descStack, descNextGC, descLastGC, descCPU, descOpenFDs, descMaxFDs, descVirtual, descResident, descStart}
	r.Collect(descs, collectRuntime)
	r.add(collectGC, descGC.name)
}

func collectRuntime(emit Emit) {
	emit(descGoroutines, float64(runtime.NumGoroutine()))
	threads, _ := runtime.ThreadCreateProfile(nil)
	emit(descThreads, float64(threads))
	emit(descGoInfo, 1, runtime.Version())
	emit(descMaxProcs, float64(runtime.GOMAXPROCS(0)))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	emit(descAlloc, float64(ms.Alloc))
	emit(descAllocTotal, float64(ms.TotalAlloc))
	emit(descSys, float64(ms.Sys))
	emit(descMallocs, float64(ms.Mallocs))
	emit(descFrees, float64(ms.Frees))
	emit(descHeapAlloc, float64(ms.HeapAlloc))
	emit(descHeapSys, float64(ms.HeapSys))
	emit(descHeapIdle, float64(ms.HeapIdle))
	emit(descHeapInuse, float64(ms.HeapInuse))
	emit(descHeapRel, float64(ms.HeapReleased))
	emit(descHeapObj, float64(ms.HeapObjects))
	emit(descStack, float64(ms.StackInuse))
	emit(descNextGC, float64(ms.NextGC))
	emit(descLastGC, float64(ms.LastGC)/1e9)

	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		emit(descCPU, float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9)
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		emit(descOpenFDs, float64(len(fds)))
	}
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		emit(descMaxFDs, float64(rl.Cur))
	}
	if st, ok := procStat(); ok {
		emit(descVirtual, st.vsize)
		emit(descResident, st.rss)
		if st.start > 0 {
			emit(descStart, st.start)
		}
	}
}

// collectGC writes go_gc_duration_seconds: the quantiles 0, .25, .5, .75
// and 1 of the recent pauses, their sum and the count of collections.
func collectGC(s *scrape) {
	var st debug.GCStats
	st.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&st)
	var b []byte
	for i, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		b = append(b, descGC.name...)
		b = descGC.appendLabels(b, nil, "quantile", q)
		b = append(b, ' ')
		b = appendFloat(b, st.PauseQuantiles[i].Seconds())
		b = append(b, '\n')
	}
	b = append(b, descGC.name...)
	b = append(b, "_sum "...)
	b = appendFloat(b, st.PauseTotal.Seconds())
	b = append(b, '\n')
	b = append(b, descGC.name...)
	b = append(b, "_count "...)
	b = strconv.AppendInt(b, st.NumGC, 10)
	b = append(b, '\n')
	f := s.family(descGC)
	f.samples = append(f.samples, sample{text: b})
}

type procStats struct{ vsize, rss, start float64 }

// userHZ is the kernel's clock tick for /proc times (USER_HZ, 100 on
// every Linux architecture Go runs on).
const userHZ = 100

// procStat reads the virtual and resident sizes and the start time from
// /proc/self/stat (and the boot time from /proc/stat).
func procStat() (procStats, bool) {
	var st procStats
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return st, false
	}
	// The command name (2nd field) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return st, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is the 3rd field (state)
	if len(f) < 22 {
		return st, false
	}
	num := func(k int) float64 { // k: the field's number in proc(5)
		v, _ := strconv.ParseUint(string(f[k-3]), 10, 64)
		return float64(v)
	}
	st.vsize = num(23)
	st.rss = num(24) * float64(os.Getpagesize())
	if boot := bootTime(); boot > 0 {
		st.start = boot + num(22)/userHZ
	}
	return st, true
}

// bootTime reads btime (seconds since the epoch) from /proc/stat.
func bootTime() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, _ := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			return float64(n)
		}
	}
	return 0
}
