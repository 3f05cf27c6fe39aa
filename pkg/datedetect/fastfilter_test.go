package datedetect

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// filterPatterns are the built-in filters' own datepatterns that have an
// opaque fast matcher (a happy path only).
var filterPatterns = []string{
	`^[^\[]*\[(%d/%b/%Y:%H:%M:%S %z)\]`,
	`{^LN-BEG}%ExY/%m/%d %H:%M:%S`,
	`(?:^|\s)t=(%Y-%m-%dT%H:%M:%S(?:\.%f)?%z)`,
	`^\S+ \S+ \S+ \[(%d/%b/%Y:%H:%M:%S %z)\]`,
	// fail2ban's own nginx-botsearch/nginx-bad-request and grafana files
	`{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`,
	`^t=%Y-%m-%dT%H:%M:%S%z`,
}

// filterDateLine writes a line for pattern k: mostly well-formed, with
// every field now and then out of range, short, or followed by text that
// makes the regex look further.
func filterDateLine(r *rand.Rand, k int) string {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	num := func(lo, hi int) string { return fmt.Sprintf("%02d", lo+r.IntN(hi-lo+1)) }
	// ok is the first (valid) choice nine times in ten
	ok := func(s ...string) string {
		if r.IntN(10) < 9 {
			return s[0]
		}
		return pick(s[1:]...)
	}
	d := ok(num(1, 31), num(1, 31), num(1, 31), "00", "32", " 5", "5", "39")
	mo := ok(num(1, 12), num(1, 12), "00", "13", "1", "9")
	b := ok("Nov", "nov", "NOV", "Dec", "Feb", "Foo", "No")
	y := ok("2026", "2026", "2025", "1999", "20261", "202")
	h := ok(num(0, 23), num(0, 23), "24", "29", "7", "2")
	mi := ok(num(0, 59), num(0, 59), "60", "5")
	s := ok(num(0, 61), num(0, 59), "62", "70", "9")
	z := ok("+0100", "-0700", "+0000", "+01:00", "+01", "+2400", "Z", "UTC", "+013", "+0100x", "")
	tail := ok("", " x", "1", "]", ".5", "_", "\x1c", " \"GET / HTTP/1.1\" 200 612")
	switch k {
	case 0:
		pre := ok("192.0.2.1 - - [", "2001:db8::1 - bob [", "[", "x [", "a - [[", "no bracket ")
		return pre + d + "/" + b + "/" + y + ":" + h + ":" + mi + ":" + s + " " + z + ok("]", "] ", "]x", "", " ]") + tail
	case 1:
		return ok("", "", "##", " ") + y + "/" + mo + "/" + d + " " + h + ":" + mi + ":" + s + tail
	case 3:
		pre := ok("192.0.2.1 - - [", "2001:db8::1 - bob [", "a  b - [", "a - [", "a\tb - - [", "x - - - [",
			"a b c[", "a b c [[", "\u00e9 b c [", "a b \x1c [", " a b [", "a b  [", "a  b [", "[a] b c [", "a b [c] [")
		return pre + d + "/" + b + "/" + y + ":" + h + ":" + mi + ":" + s + " " + z + ok("]", "] ", "]x", "", " ]") + tail
	case 4:
		sep := ok("-", "/", ".", "-/")
		return ok("", "", "##", " ", "[") + y + sep + mo + sep[:1] + d + ok(" ", "T", "  ", "t", "_") + h + ":" + mi + ":" + s +
			ok("", ",123", ".5", ".1234567", ",", "") + ok("", " ", "  ", "\t") + ok("", z, "Zulu", "utc", "x") + tail
	case 5:
		return ok("t=", "t=", "x t=", "T=", " t=") + y + "-" + mo + "-" + d + "T" + h + ":" + mi + ":" + s +
			ok("", ".123", ".") + z + tail
	default:
		frac := ok("", "", ".123", ".1234567", ".", ".000001")
		return ok("t=", "t=", "x t=", "T=", " t=") + y + "-" + mo + "-" + d + "T" + h + ":" + mi + ":" + s + frac + z + tail
	}
}

// TestFastPathFilterPatterns: the happy paths of the filters'
// datepatterns give the regex's match, groups and time on generated lines.
func TestFastPathFilterPatterns(t *testing.T) {
	now := nows[0]
	r := rand.New(rand.NewPCG(5, 6))
	for k, pat := range filterPatterns {
		d, err := New(Options{Now: now, Location: time.UTC, Pattern: pat})
		if err != nil {
			t.Fatal(err)
		}
		tp := d.templates[0].t
		if tp.fast == nil || tp.fast.happy == nil {
			t.Fatalf("%s: no fast matcher (regex %s)", pat, tp.regex)
		}
		n, hits := 0, 0
		for i := 0; i < 20000/scale; i++ {
			line := filterDateLine(r, k)
			if checkFastEqualsRegex(t, d, tp, line) {
				n++
			}
			var m match
			if tp.fast.happy(tp.fast, line, &m) {
				hits++
			}
			if t.Failed() {
				return
			}
		}
		if hits < n/4 {
			t.Errorf("%s: the happy path took %d of %d lines", pat, hits, n)
		}
		t.Logf("%s: %d comparisons, %d on the happy path", pat, n, hits)
	}
}

// TestFastPathFilterDetector runs streams of those lines through detectors
// with and without the fast path and wants the same results.
func TestFastPathFilterDetector(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for k, pat := range filterPatterns {
		now := nows[0]
		fast, _ := New(Options{Now: now, Location: time.UTC, Pattern: pat})
		slow, _ := New(Options{Now: now, Location: time.UTC, Pattern: pat})
		slow.noFast = true
		for j := 0; j < 5000/scale; j++ {
			line := filterDateLine(r, k)
			ft, fs, fe, fok := fast.Find(line)
			st, ss, se, sok := slow.Find(line)
			if fs != ss || fe != se || fok != sok || !ft.Equal(st) {
				t.Fatalf("%s: %q: fast %v %d-%d %v, regex %v %d-%d %v", pat, line, ft, fs, fe, fok, st, ss, se, sok)
			}
		}
	}
}
