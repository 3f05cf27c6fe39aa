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
}
