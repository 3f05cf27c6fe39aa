package fwban

import (
	"github.com/banpipe/banpipe/internal/metrics"
)

// fwMetrics are fwban's Prometheus metrics (--metrics, --metrics-file).
type fwMetrics struct {
	applied, failed *metrics.CounterVec
	latency         *metrics.HistogramVec
}

// routeMetrics are one jail's metrics on its backend, resolved once per
// route.
type routeMetrics struct {
	applied, failed *metrics.Counter
	latency         *metrics.Histogram
}

// latencyBuckets go from 100 µs to 26 s (x4).
var latencyBuckets = metrics.ExponentialBuckets(0.0001, 4, 10)

func newMetrics(reg *metrics.Registry) *fwMetrics {
	if reg == nil {
		return nil
	}
	return &fwMetrics{
		applied: reg.CounterVec("banpipe_fwban_applied_total", "Bans and unbans applied to the firewall.", "jail", "backend"),
		failed:  reg.CounterVec("banpipe_fwban_failed_total", "Bans and unbans the firewall refused (a firewall error).", "jail", "backend"),
		latency: reg.HistogramVec("banpipe_fwban_latency_seconds", "Time from reading a ban or unban event to the firewall's answer.",
			latencyBuckets, "jail", "backend"),
	}
}

// route returns the metrics of jail on backend (nil when metrics are off).
func (m *fwMetrics) route(jail, backend string) *routeMetrics {
	if m == nil {
		return nil
	}
	return &routeMetrics{
		applied: m.applied.With(jail, backend),
		failed:  m.failed.With(jail, backend),
		latency: m.latency.With(jail, backend),
	}
}
