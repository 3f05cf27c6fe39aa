package bancount

import (
	"github.com/banpipe/banpipe/internal/metrics"
)

// collector reads bancount's metrics from the engine and the state at
// scrape time (under the server's lock): counting a failure costs
// nothing more than the engine's own totals.
type collector struct{ s *server }

var (
	descFailures = metrics.CounterDesc("banpipe_failures_total", "Failures counted into windows.", "jail")
	descIgnored  = metrics.CounterDesc("banpipe_failures_ignored_total", "Failures of ignored addresses or ids.", "jail")
	descBans     = metrics.CounterDesc("banpipe_bans_total", "Bans made (extensions of a running ban not included).", "jail")
	descExtended = metrics.CounterDesc("banpipe_bans_extended_total", "Running bans extended.", "jail")
	descUnbans   = metrics.CounterDesc("banpipe_unbans_total", "Bans ended.", "jail")
	descRefused  = metrics.CounterDesc("banpipe_bans_refused_total", "Bans refused by the guard (loopback, ignoreip, own addresses, the admin).", "jail")
	descBanned   = metrics.GaugeDesc("banpipe_banned", "Bans running now.", "jail")
	descTracked  = metrics.GaugeDesc("banpipe_tracked_windows", "Failure windows held (every jail).")
	descEvicted  = metrics.CounterDesc("banpipe_tracked_windows_evicted_total", "Failure windows evicted by --max-tracked.")
	descBad      = metrics.CounterDesc("banpipe_bancount_bad_events_total", "Input lines that were not failure events.")
	descRecords  = metrics.CounterDesc("banpipe_state_journal_records_total", "Records appended to the state journal.")
	descWrites   = metrics.CounterDesc("banpipe_state_journal_writes_total", "Writes to the state journal file.")
	descErrors   = metrics.CounterDesc("banpipe_state_journal_errors_total", "Failed writes to the state journal (the first stops bancount).")
)

// descs are the families collect reports.
var descs = []*metrics.Desc{descFailures, descIgnored, descBans, descExtended, descUnbans, descRefused, descBanned,
	descTracked, descEvicted, descBad, descRecords, descWrites, descErrors}

func (c collector) collect(emit metrics.Emit) {
	s := c.s
	s.mu.Lock()
	if s.en == nil {
		s.mu.Unlock()
		return
	}
	totals := s.en.Totals()
	tracked, evicted, bad := s.en.Tracked(), s.en.Evictions(), s.bad
	s.mu.Unlock()
	counter := func(d *metrics.Desc, v int64, labels ...string) { emit(d, float64(v), labels...) }
	for _, t := range totals {
		counter(descFailures, t.Stats.Failures, t.Name)
		counter(descIgnored, t.Stats.Ignored, t.Name)
		counter(descBans, t.Stats.Bans, t.Name)
		counter(descExtended, t.Stats.Extended, t.Name)
		counter(descUnbans, t.Stats.Unbans, t.Name)
		counter(descRefused, t.Stats.Refused, t.Name)
		counter(descBanned, int64(t.Banned), t.Name)
	}
	counter(descTracked, int64(tracked))
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
