package datedetect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// nonASCIIBits are non-ASCII texts that can change an answer when the
// fast path misreads them: letters that are word characters to
// Python's \w and \b ("é", "ſ" and the Kelvin sign, which fold to "s"
// and "k"), a Unicode digit, a no-break space (\s), a four-byte rune, and
// bytes that are no UTF-8.
var nonASCIIBits = []string{"é", "ſ", "\u212a", "٣", "\u00a0", "😀", "\xff", "\xc3"}

// nonASCIIVariants returns line with each of nonASCIIBits put at the
// places around its access-log date ("[" ... "]") where a misread
// would show: just before the "[", in the word before it, just after
// the "[", after the seconds, after the zone, after the "]", and far
// after the date and at the line's end; nil when line has no "[".
func nonASCIIVariants(line string, k int) []string {
	open := strings.IndexByte(line, '[')
	cls := strings.IndexByte(line, ']')
	if open < 1 || cls < open+21 {
		return nil
	}
	bit := nonASCIIBits[k%len(nonASCIIBits)]
	at := func(i int) string { return line[:i] + bit + line[i:] }
	return []string{
		at(open), at(open - 1), at(open - 2), at(open + 1), at(open + 21),
		at(cls), at(cls + 1), at(min(len(line), cls+40)), line + bit,
		line[:open+21] + bit + line[open+22:], // the zone's space
	}
}

// TestNonASCIIAroundDate: with the default templates (fail2ban's files
// without a datepattern, as traefik-auth.conf), the fast path gives the
// same answer and leaves the same state as the regex path on the lines
// of the generated access logs (the date moves with the address's
// length) when non-ASCII text stands next to the date, in the word
// before it or far after it, in turn with the lines as written: the
// last winner's place questions (at) and its search then meet lines
// whose ASCII prefix ends anywhere around the date.
func TestNonASCIIAroundDate(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for _, svc := range []string{"traefik-access", "apache-access"} {
		lines, moved := serviceLines(t, svc, 100/scale)
		var seq []string
		for i, l := range append(lines, moved...) {
			seq = append(seq, l)
			for _, v := range nonASCIIVariants(l, i) {
				seq = append(seq, v, lines[(i*7)%len(lines)])
			}
		}
		if len(seq) < len(lines)*5 {
			t.Fatalf("%s: %d lines in all: the variants are missing", svc, len(seq))
		}
		fast, slow := newTickDetector(t, now), newTickDetector(t, now)
		slow.noFast = true
		for i, l := range seq {
			ft, fs, fe, fok := fast.Find(l)
			st, ss, se, sok := slow.Find(l)
			if fs != ss || fe != se || fok != sok || !ft.Equal(st) {
				t.Fatalf("%s line %d %q: fast %v [%d:%d] %v, regex %v [%d:%d] %v", svc, i, l, ft, fs, fe, fok, st, ss, se, sok)
			}
			if f, s := fast.state(), slow.state(); f != s {
				t.Fatalf("%s line %d %q: state after it\nfast  %s\nregex %s", svc, i, l, f, s)
			}
		}
		if !slices.Equal(fast.Stats(), slow.Stats()) {
			t.Fatalf("%s: Stats %v, regex %v", svc, fast.Stats(), slow.Stats())
		}
	}
}

// newTickDetector is a Detector with the default templates on a clock
// that ticks once a question.
func newTickDetector(t testing.TB, now time.Time) *Detector {
	t.Helper()
	d, err := New(Options{Now: now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	var tick float64
	d.clock = func() float64 { tick++; return tick }
	return d
}

// FuzzNonASCIIAroundDate: as TestNonASCIIAroundDate, on an access-log
// line with fuzzed text before its date, around it and after it,
// following lines that set the last winner's place.
func FuzzNonASCIIAroundDate(f *testing.F) {
	f.Add("198.51.100.7 - -", "", " +0000", `] "GET / HTTP/1.1" 401 0 "-" "web@docker"`)
	for k, b := range nonASCIIBits {
		f.Add("192.0.2.1"+b+" - -", b, b+" +0000", fmt.Sprintf(`] "x%s" %d`, b, k))
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, before, open, zone, after string) {
		line := before + " [" + open + "21/Nov/2026:00:00:01" + zone + after
		fast, slow := newTickDetector(t, now), newTickDetector(t, now)
		slow.noFast = true
		for _, l := range []string{screenLines[0], line, screenLines[1], line, "192.0.2.100 - - [21/Nov/2026:00:00:02 +0000] x", line} {
			ft, fs, fe, fok := fast.Find(l)
			st, ss, se, sok := slow.Find(l)
			if fs != ss || fe != se || fok != sok || !ft.Equal(st) {
				t.Fatalf("%q: fast %v [%d:%d] %v, regex %v [%d:%d] %v", l, ft, fs, fe, fok, st, ss, se, sok)
			}
			if f, s := fast.state(), slow.state(); f != s {
				t.Fatalf("%q: state after it\nfast  %s\nregex %s", l, f, s)
			}
		}
	})
}
