package fwban

import (
	"github.com/prometheus/client_golang/prometheus"
)

// fwMetrics are fwban's Prometheus metrics (--metrics, --metrics-file).
type fwMetrics struct {
	applied, failed *prometheus.CounterVec
	latency         *prometheus.HistogramVec
}

// routeMetrics are one jail's metrics on its backend, resolved once per
// route.
type routeMetrics struct {
	applied, failed prometheus.Counter
	latency         prometheus.Observer
}

// latencyBuckets go from 100 µs to 26 s (x4).
var latencyBuckets = prometheus.ExponentialBuckets(0.0001, 4, 10)

func newMetrics(reg *prometheus.Registry) *fwMetrics {
	if reg == nil {
		return nil
	}
	labels := []string{"jail", "backend"}
	m := &fwMetrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "banpipe_fwban_applied_total",
			Help: "Bans and unbans applied to the firewall."}, labels),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "banpipe_fwban_failed_total",
			Help: "Bans and unbans the firewall refused (a firewall error)."}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "banpipe_fwban_latency_seconds",
			Help: "Time from reading a ban or unban event to the firewall's answer.", Buckets: latencyBuckets}, labels),
	}
	reg.MustRegister(m.applied, m.failed, m.latency)
	return m
}

// route returns the metrics of jail on backend (nil when metrics are off).
func (m *fwMetrics) route(jail, backend string) *routeMetrics {
	if m == nil {
		return nil
	}
	return &routeMetrics{
		applied: m.applied.WithLabelValues(jail, backend),
		failed:  m.failed.WithLabelValues(jail, backend),
		latency: m.latency.WithLabelValues(jail, backend),
	}
}
