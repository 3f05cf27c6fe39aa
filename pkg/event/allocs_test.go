package event

import (
	"bytes"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

// readmeFailure is a failure event as logmatch writes it.
const readmeFailure = `{"time":"2026-11-21T10:04:05+01:00","jail":"sshd","filter":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"attempts":1,"user":"root"}`

// TestDecodeAllocs pins the README's figure: reading a failure event
// through a Reader costs 4 allocations (the Reader's own setup aside: the
// count is the difference between 2000 and 1000 events, per event).
func TestDecodeAllocs(t *testing.T) {
	if testenv.Race {
		t.Skip("-race: allocation counts differ")
	}
	line := append([]byte(readmeFailure), '\n')
	allocs := func(n int) float64 {
		in := bytes.Repeat(line, n)
		return testing.AllocsPerRun(10, func() {
			r := NewReader(bytes.NewReader(in), "stdin")
			var e Event
			k := 0
			for r.Read(&e) == nil {
				k++
			}
			if k != n {
				t.Fatalf("read %d events of %d", k, n)
			}
		})
	}
	const readmeAllocs = 4
	if got := (allocs(2000) - allocs(1000)) / 1000; got != readmeAllocs {
		t.Errorf("%v allocations per failure event, the README says %d", got, readmeAllocs)
	}
	// With its log line (the matches field, as logmatch writes it now):
	// the string and the slice holding it.
	line = append([]byte(readmeFailureMatches), '\n')
	const readmeAllocsMatches = 6
	if got := (allocs(2000) - allocs(1000)) / 1000; got != readmeAllocsMatches {
		t.Errorf("%v allocations per failure event with one matches line, the README says %d", got, readmeAllocsMatches)
	}
}

// readmeFailureMatches is readmeFailure with its log line.
const readmeFailureMatches = `{"time":"2026-11-21T10:04:05+01:00","jail":"sshd","filter":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"attempts":1,"user":"root","matches":["Nov 21 10:04:05 web01 sshd[1201]: Failed password for root from 192.0.2.7 port 50022 ssh2"]}`
