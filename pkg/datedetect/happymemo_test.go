package datedetect

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
)

// apacheOf returns the fast matcher with a happyAt (fail2ban's Apache
// default template searched mid-line) of the default templates for now.
func apacheOf(t testing.TB, now time.Time) *fastPattern {
	t.Helper()
	d, err := New(Options{Now: now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range d.templates {
		if p := dt.t.fast; p != nil && p.happyAt != nil {
			return p
		}
	}
	t.Fatal("no default template has a happyAt")
	return nil
}

// happyCheck asks st.happyAt (with its memo as the calls before left
// it) and apacheAt itself about s at g, with s's map made up to mapTo
// first (as searchBefore leaves it), and fails when the answers or the
// matches differ, or when the map, made on to the end, lists other
// clocks than a new map of s.
func happyCheck(t testing.TB, st *fstate, p *fastPattern, s string, g, mapTo int) bool {
	t.Helper()
	st.mapValid = false
	st.clockAt(s, noIdx, mapTo)
	st.hmOff = 0 // the memo is asked (a run of misses turns it off)
	var got, want match
	ok := st.happyAt(p, s, g, &got)
	wok := p.apacheAt(s, g, &want)
	if ok != wok || ok && got != want {
		t.Errorf("happyAt(%q, %d) = %v %+v, apacheAt %v %+v", s, g, ok, got, wok, want)
		return false
	}
	var fresh fstate
	if got, want := st.clocksTo(s, len(s)), fresh.clocksTo(s, len(s)); !slices.Equal(got, want) {
		t.Errorf("happyAt(%q, %d) after a map to %d: clocks %v, a new map's %v", s, g, mapTo, got, want)
		return false
	}
	return true
}

// happyTexts are date texts apacheAt accepts or refuses near the end of
// its match: fractions of every kind, numeric zones whole, cut or with
// a colon, zone names it leaves out, and the bytes after them.
func happyTexts() []string {
	var out []string
	for _, head := range []string{"21/Nov/2026:10:04:05", "09-feb-2027 23:59:60", "21/Nov/1999:10:04:05", "31/Dec/2026 00:00:00"} {
		for _, frac := range []string{"", ".1", ".123456", ".1234567", "."} {
			for _, zone := range []string{"", " +0000", " -0130", " +01:30", " +01:3", " +013", " +01", " +0", " +2", " Z", " UTC", " x", " ", "  +0000"} {
				for _, tail := range []string{"", "]", " ", "x", "0", ":", ":5", ":55", "\u00e9", "_", "] \"GET"} {
					out = append(out, head+frac+zone+tail)
				}
			}
		}
	}
	return out
}

// happyPrefixes put a date text at different places, one after a clock.
var happyPrefixes = []string{"", "[", "198.51.100.183 - bob [", "10:04:05 ["}

// happyNear returns s and strings that differ from it at or past byte
// from (the date's end is further): cut there, another byte there, one
// byte more.
func happyNear(s string, from int) []string {
	var out []string
	for k := from; k <= len(s); k++ {
		out = append(out, s[:k])
		for _, c := range []string{" ", "0", "5", "+", "-", ":", ".", "]", "Z", "x", "\u00e9"} {
			if k < len(s) {
				out = append(out, s[:k]+c+s[k+1:])
			}
			out = append(out, s[:k]+c+s[k:])
		}
	}
	return out
}

// TestHappyAtMemo: happyAt with its memo answers as apacheAt, match and
// all, and leaves the line's map (made to several places past the date's
// start first) as a new map of the line, on every date text of happyTexts after each of the strings that
// differ from it past its first 18 bytes (each one asked after the text,
// so that it meets the memo the text left, and the text asked again
// after it), at different places, and after a matcher with other years
// asked the same text; and at every place of every line of every
// generated service log (as written and moved), each line also cut at
// and just past each date found.
func TestHappyAtMemo(t *testing.T) {
	p := apacheOf(t, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	other := apacheOf(t, time.Date(2001, 6, 1, 0, 0, 0, 0, time.UTC)) // 2026 is no year of its
	var st fstate
	texts := happyTexts()
	for i := 0; i < len(texts); i += scale {
		a := texts[i]
		pa := happyPrefixes[i%len(happyPrefixes)]
		for j, b := range happyNear(a, 18) {
			pb := happyPrefixes[(i+j)%len(happyPrefixes)]
			if !happyCheck(t, &st, p, pa+a, len(pa), len(pa)+j%40-12) || !happyCheck(t, &st, p, pb+b, len(pb), len(pb)+(i+j)%40-12) {
				t.FailNow()
			}
		}
		if !happyCheck(t, &st, p, pa+a, len(pa), len(pa)+12) || !happyCheck(t, &st, other, pa+a, len(pa), len(pa)+12) || !happyCheck(t, &st, p, a, 0, 0) {
			t.FailNow()
		}
	}
	for _, svc := range authgen.Services() {
		lines, moved := serviceLines(t, svc, 400/scale)
		for k, l := range lines {
			for _, s := range []string{l, moved[k]} {
				for g := 0; g <= len(s); g++ {
					var m match
					if !happyCheck(t, &st, p, s, g, g+g%40) {
						t.FailNow()
					}
					if p.apacheAt(s, g, &m) {
						for e := m.end; e <= min(len(s), m.end+3); e++ {
							if !happyCheck(t, &st, p, s[:e], g, g+e%15) || !happyCheck(t, &st, p, s, g, g+12) {
								t.FailNow()
							}
						}
					}
				}
			}
		}
	}
}

// FuzzHappyAtMemo asks happyAt about a at ga, then b at gb (with the
// memo a left), then a again, and each cut at every length past its
// place, comparing every answer with apacheAt's and the map it leaves
// with a new one.
func FuzzHappyAtMemo(f *testing.F) {
	for i, s := range happyTexts() {
		if i%37 == 0 {
			f.Add(s, s+"x", uint8(0), uint8(0))
			f.Add("[ "+s, s, uint8(2), uint8(0))
		}
	}
	f.Add("21/Nov/2026:10:04:05 +01:3]", "21/Nov/2026:10:04:05 +01:30", uint8(0), uint8(0))
	f.Add("21/Nov/2026:10:04:05 +01:3", "21/Nov/2026:10:04:05 +01:30", uint8(0), uint8(0))
	p := apacheOf(f, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	f.Fuzz(func(t *testing.T, a, b string, ga, gb uint8) {
		var st fstate
		at := func(s string, g uint8) int { return int(g) % (len(s) + 1) }
		// the map made to 0 to 15 bytes past the place (the high bits)
		to := func(s string, g uint8) int { return at(s, g) + int(g>>4) }
		if !happyCheck(t, &st, p, a, at(a, ga), to(a, ga)) || !happyCheck(t, &st, p, b, at(b, gb), to(b, gb)) || !happyCheck(t, &st, p, a, at(a, ga), to(a, gb)) {
			return
		}
		for _, s := range []string{a, b} {
			g := at(s, ga)
			for e := g; e <= len(s); e++ {
				if !happyCheck(t, &st, p, s[:e], g, g+e%16) || !happyCheck(t, &st, p, s, g, g+12) {
					return
				}
			}
		}
	})
}

// TestHappyAtMemoDetector dates every generated service log with the
// default templates (fail2ban's filters without a datepattern) on a
// detector whose happyAt keeps its memo and on one whose does not, each
// line as written and then moved (so that its date, the line before's,
// is found at another place), and finds the same spans, validity,
// times and state on every line; every 41st line is followed by lines
// that differ from it just past its date.
func TestHappyAtMemoDetector(t *testing.T) {
	n := 1000 / scale
	for _, svc := range authgen.Services() {
		lines, moved := serviceLines(t, svc, n)
		for _, now := range []time.Time{time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 28, 23, 59, 59, 0, time.UTC)} {
			d, ref := sameTwins(t, "", now)
			ref.fst.noMemo = true
			fixed := func() float64 { return float64(now.Unix()) }
			d.clock, ref.clock = fixed, fixed
			for i, line := range lines {
				for _, l := range []string{line, moved[i], strings.Repeat("x", i%3) + " " + line} {
					end, ok := sameLine(t, d, ref, l)
					if !ok {
						t.Fatalf("%s, line %d: %q", svc, i+1, l)
					}
					if i%41 == 0 {
						for _, v := range sameVariants(l, end) {
							if _, ok := sameLine(t, d, ref, v); !ok {
								t.Fatalf("%s, line %d, variant %q", svc, i+1, v)
							}
						}
					}
				}
			}
		}
	}
}
