package bancount

import (
	"github.com/prometheus/client_golang/prometheus"
)

// collector reads bancount's metrics from the engine and the state at
// scrape time (under the server's lock): counting a failure costs
// nothing more than the engine's own totals.
type collector struct{ s *server }

var (
	descFailures = prometheus.NewDesc("banpipe_failures_total", "Failures counted into windows.", []string{"jail"}, nil)
	descIgnored  = prometheus.NewDesc("banpipe_failures_ignored_total", "Failures of ignored addresses or ids.", []string{"jail"}, nil)
	descBans     = prometheus.NewDesc("banpipe_bans_total", "Bans made (extensions of a running ban not included).", []string{"jail"}, nil)
	descExtended = prometheus.NewDesc("banpipe_bans_extended_total", "Running bans extended.", []string{"jail"}, nil)
	descUnbans   = prometheus.NewDesc("banpipe_unbans_total", "Bans ended.", []string{"jail"}, nil)
	descRefused  = prometheus.NewDesc("banpipe_bans_refused_total", "Bans refused by the guard (loopback, ignoreip, own addresses, the admin).", []string{"jail"}, nil)
	descBanned   = prometheus.NewDesc("banpipe_banned", "Bans running now.", []string{"jail"}, nil)
	descTracked  = prometheus.NewDesc("banpipe_tracked_windows", "Failure windows held (every jail).", nil, nil)
	descEvicted  = prometheus.NewDesc("banpipe_tracked_windows_evicted_total", "Failure windows evicted by --max-tracked.", nil, nil)
	descBad      = prometheus.NewDesc("banpipe_bancount_bad_events_total", "Input lines that were not failure events.", nil, nil)
	descRecords  = prometheus.NewDesc("banpipe_state_journal_records_total", "Records appended to the state journal.", nil, nil)
	descWrites   = prometheus.NewDesc("banpipe_state_journal_writes_total", "Writes to the state journal file.", nil, nil)
	descErrors   = prometheus.NewDesc("banpipe_state_journal_errors_total", "Failed writes to the state journal (the first stops bancount).", nil, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFailures, descIgnored, descBans, descExtended, descUnbans, descRefused, descBanned,
		descTracked, descEvicted, descBad, descRecords, descWrites, descErrors} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	s.mu.Lock()
	if s.en == nil {
		s.mu.Unlock()
		return
	}
	totals := s.en.Totals()
	tracked, evicted, bad := s.en.Tracked(), s.en.Evictions(), s.bad
	s.mu.Unlock()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, t := range totals {
		counter(descFailures, t.Stats.Failures, t.Name)
		counter(descIgnored, t.Stats.Ignored, t.Name)
		counter(descBans, t.Stats.Bans, t.Name)
		counter(descExtended, t.Stats.Extended, t.Name)
		counter(descUnbans, t.Stats.Unbans, t.Name)
		counter(descRefused, t.Stats.Refused, t.Name)
		ch <- prometheus.MustNewConstMetric(descBanned, prometheus.GaugeValue, float64(t.Banned), t.Name)
	}
	ch <- prometheus.MustNewConstMetric(descTracked, prometheus.GaugeValue, float64(tracked))
	counter(descEvicted, evicted)
	counter(descBad, bad)
	if s.st != nil {
		jc := s.st.Counts()
		counter(descRecords, jc.Records)
		counter(descWrites, jc.Writes)
		counter(descErrors, jc.Errors)
	} else {
		counter(descRecords, 0)
		counter(descWrites, 0)
		counter(descErrors, 0)
	}
}
