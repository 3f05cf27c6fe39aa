package datedetect

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
)

// sameTwins returns two detectors of pattern; the second never takes
// the date of the line before (sameDate), the reference of the first.
func sameTwins(t testing.TB, pattern string, now time.Time) (d, ref *Detector) {
	t.Helper()
	var err error
	if d, err = New(Options{Now: now, Location: time.UTC, Pattern: pattern}); err != nil {
		t.Fatal(err)
	}
	if ref, err = New(Options{Now: now, Location: time.UTC, Pattern: pattern}); err != nil {
		t.Fatal(err)
	}
	return d, ref
}

// sameState reports whether two detectors hold the same state that the
// next lines read: the template order and counts, and the last match's
// place.
func sameState(d, ref *Detector) bool {
	if d.lastTempl != ref.lastTempl || d.lastPos != ref.lastPos || d.lastPosB != ref.lastPosB || d.lastPosA != ref.lastPosA ||
		d.lastEnd != ref.lastEnd || d.lastEndB != ref.lastEndB || d.lastEndA != ref.lastEndA ||
		d.firstUnused != ref.firstUnused || d.pfx != ref.pfx || d.pfxEnd != ref.pfxEnd || len(d.templates) != len(ref.templates) {
		return false
	}
	for i, dt := range d.templates {
		rt := ref.templates[i]
		if dt.t.name != rt.t.name || dt.hits != rt.hits || dt.rawHits != rt.rawHits || dt.distance != rt.distance {
			return false
		}
	}
	return true
}

// showState prints sameState's fields.
func showState(d *Detector) string {
	var b strings.Builder
	fmt.Fprintf(&b, "last %d pos %d %d %d end %d %d %d unused %d pfx %d %v\n", d.lastTempl,
		d.lastPos, d.lastPosB, d.lastPosA, d.lastEnd, d.lastEndB, d.lastEndA, d.firstUnused, d.pfx, d.pfxEnd)
	for _, dt := range d.templates {
		fmt.Fprintf(&b, "%s %d %d %d\n", dt.t.name, dt.hits, dt.rawHits, dt.distance)
	}
	return b.String()
}

// sameLine dates line on both detectors and fails on any difference:
// the span, the validity, the time, and the state left. It returns the
// end of the date found (0: none).
func sameLine(t testing.TB, d, ref *Detector, line string) (end int, same bool) {
	t.Helper()
	var got, want Date
	s, e, ok := d.FindDate(line, &got)
	ref.same.dt = nil
	ws, we, wok := ref.FindDate(line, &want)
	// the Date's parts (its time is built from them, Date.Time), and
	// now and then the time itself
	same = got.f == want.f && got.now.Equal(want.now) && got.t.Equal(want.t) && (got.d == nil) == (want.d == nil)
	if same && len(line)%7 == 0 {
		same = got.Time().Equal(want.Time()) && got.Time().Location() == want.Time().Location()
	}
	if s != ws || e != we || ok != wok || !same {
		t.Errorf("line %q: %d %d %v %v, without the line before's date %d %d %v %v", line, s, e, ok, got.Time(), ws, we, wok, want.Time())
		return 0, false
	}
	if !sameState(d, ref) {
		t.Errorf("line %q: state\n%s\nwithout the line before's date\n%s", line, showState(d), showState(ref))
		return 0, false
	}
	return e, true
}

// sameVariants returns line and lines that start as it does and differ
// near the end of its date (end; at most end+2 bytes in): cut short,
// another byte there, a year, a fraction, a non-ASCII byte, nothing
// after.
func sameVariants(line string, end int) []string {
	out := []string{line}
	if end <= 0 {
		end = min(len(line), 15)
	}
	for k := max(0, end-2); k <= min(len(line), end+3); k++ {
		out = append(out, line[:k])
		for _, c := range []byte{' ', '.', '2', 'x', ':', 0xc3} {
			if k < len(line) {
				out = append(out, line[:k]+string(c)+line[k+1:])
			}
			out = append(out, line[:k]+string(c)+line[k:])
		}
	}
	for _, ins := range []string{" 2026", ".123", ".1234567", " 2026x", "\u00e9", ",5"} {
		out = append(out, line[:end]+ins+line[end:])
	}
	return out
}

// TestSameDateAsWithout dates every generated service log with its
// filter's datepattern twice, taking the date of the line before when
// its start is the same and not, and finds the same spans, validity,
// times and state on every line; every 41st line is followed by lines
// that differ from it just past its date.
func TestSameDateAsWithout(t *testing.T) {
	n := 10000 / min(scale, 5) // a fifth under -race (200 s there on a loaded machine)
	if testing.Short() {
		n = 1500
	}
	lines, variants := 0, 0
	for _, sd := range serviceDates {
		var buf bytes.Buffer
		if _, err := authgen.Generate(&buf, authgen.Options{Lines: n, Seed: 1, Service: sd.service}); err != nil {
			t.Fatal(err)
		}
		for _, now := range []time.Time{time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 28, 23, 59, 59, 0, time.UTC)} {
			d, ref := sameTwins(t, sd.pattern, now)
			for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
				lines++
				end, ok := sameLine(t, d, ref, line)
				if !ok {
					t.Fatalf("%s/%s, line %d", sd.service, sd.name, i+1)
				}
				if i%41 == 0 {
					for _, v := range sameVariants(line, end) {
						variants++
						if _, ok := sameLine(t, d, ref, v); !ok {
							t.Fatalf("%s/%s, line %d, variant %q", sd.service, sd.name, i+1, v)
						}
					}
				}
			}
		}
	}
	t.Logf("%d lines, %d variants", lines, variants)
}

// FuzzSameDate dates each line of the input after a syslog line of the
// same second (and the line itself after that date), on a detector that
// takes the date of the line before when it starts the same and on one
// that does not.
func FuzzSameDate(f *testing.F) {
	for _, s := range []string{
		" web01 sshd[1]: x\n 2026 x\n.123 y\n\n2\nx",
		"\u00e9\n 20261\n.1234567\n,5 z",
		"Nov 21 10:04:05 a\nNov 21 10:04:05\nNov 21 10:04:06 b",
		"Mon Nov 21 10:04:05 a\nNov 21 10:04:05.5 b\nNov 21 10:04:05 2026 c",
	} {
		f.Add(s, "")
		f.Add(s, "{^LN-BEG}")
	}
	f.Fuzz(func(t *testing.T, in, pattern string) {
		if pattern != "" && pattern != "{^LN-BEG}" {
			pattern = "{^LN-BEG}"
		}
		d, ref := sameTwins(t, pattern, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
		for _, l := range strings.Split(in, "\n") {
			for _, line := range []string{"Nov 21 10:04:05" + l, "Nov 21 10:04:05 web01 x", "Nov 21 10:04:05" + l, l, l} {
				if _, ok := sameLine(t, d, ref, line); !ok {
					return
				}
			}
		}
	})
}
