package logmatch

import (
	"sync"

	"github.com/banpipe/banpipe/internal/metrics"
)

// lmMetrics are logmatch's Prometheus metrics (--metrics, --metrics-file).
type lmMetrics struct {
	lines, matched, ignored, missed, failures, timeouts *metrics.CounterVec

	mu     sync.Mutex
	byJail map[string]*jailMetrics
}

// jailMetrics are one jail's counters, resolved once: a runner counts a
// line with one atomic add, no label look-up.
type jailMetrics struct {
	lines, matched, ignored, missed, failures, timeouts *metrics.Counter
}

func newMetrics(reg *metrics.Registry) *lmMetrics {
	if reg == nil {
		return nil
	}
	vec := func(name, help string) *metrics.CounterVec {
		return reg.CounterVec("banpipe_logmatch_"+name, help, "jail")
	}
	return &lmMetrics{
		lines:    vec("lines_read_total", "Log lines read (journal records included)."),
		matched:  vec("lines_matched_total", "Lines a failregex matched."),
		ignored:  vec("lines_ignored_total", "Lines an ignoreregex dropped."),
		missed:   vec("lines_missed_total", "Lines no failregex matched."),
		failures: vec("failures_total", "Failure events written."),
		timeouts: vec("match_timeouts_total", "Lines skipped because a regex match timed out."),
		byJail:   map[string]*jailMetrics{},
	}
}

// jail returns jail's counters (nil when metrics are off).
func (m *lmMetrics) jail(name string) *jailMetrics {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if j := m.byJail[name]; j != nil {
		return j
	}
	j := &jailMetrics{
		lines: m.lines.With(name), matched: m.matched.With(name),
		ignored: m.ignored.With(name), missed: m.missed.With(name),
		failures: m.failures.With(name), timeouts: m.timeouts.With(name),
	}
	m.byJail[name] = j
	return j
}
