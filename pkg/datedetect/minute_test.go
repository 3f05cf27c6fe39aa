package datedetect

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on any machine
	"unsafe"

	"github.com/banpipe/banpipe/internal/authgen"
)

// TestMinuteCache dates line sequences through one detector (its minute
// cache warm) and each line through a fresh detector (cache empty): the
// answers must agree on the instant, the zone and ok, across second and
// minute roll-overs, zone changes within a minute, day and year changes,
// a year-less date crossing "now" plus a day, a moved "now" (year-less
// dates are not cached; the cases check that nothing is taken from a
// cached minute for them), and local days with a DST change.
func TestMinuteCache(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	clf := `^[^\[]*\[(%d/%b/%Y:%H:%M:%S %z)\]`
	cases := []struct {
		name, pattern string
		loc           *time.Location
		lines         []string
		setNow        map[int]time.Time // before line i
	}{
		{name: "clf", pattern: clf, loc: time.UTC, lines: []string{
			"a - - [21/Nov/2026:10:04:58 +0000] x", "a - - [21/Nov/2026:10:04:59 +0000] x",
			"a - - [21/Nov/2026:10:05:00 +0000] x", "a - - [21/Nov/2026:10:05:01 +0000] x",
			"b - - [21/Nov/2026:10:05:01 +0100] x", "b - - [21/Nov/2026:10:05:02 -0130] x",
			"b - - [21/Nov/2026:10:05:03 +01:30] x", "b - - [21/Nov/2026:10:05:04 +01] x",
			"c - - [21/Nov/2026:10:05:60 +0000] x", "c - - [21/Nov/2026:10:05:61 +0000] x",
			"c - - [21/Nov/2026:10:05:05 +0000] x",
			"d - - [21/Nov/2026:23:59:59 +0000] x", "d - - [22/Nov/2026:00:00:00 +0000] x",
			"e - - [31/Dec/2025:23:59:59 +0000] x", "e - - [01/Jan/2026:00:00:00 +0000] x",
			"f - - [31/Dec/2025:23:59:30 +0000] x", "f - - [31/Dec/2024:23:59:30 +0000] x",
			"g - - [29/Feb/2024:12:00:01 +0000] x", "g - - [29/Feb/2025:12:00:02 +0000] x",
		}},
		{name: "syslog", pattern: "{^LN-BEG}", loc: time.UTC, lines: []string{
			"Nov 21 10:04:58 h a", "Nov 21 10:04:59 h a", "Nov 21 10:05:00 h a",
			"Nov 22 23:59:59 h a", "Nov 23 00:00:00 h a", "Nov 23 00:00:01 h a", "Nov 23 00:00:00 h a",
			"Dec 31 23:59:59 h a", "Jan  1 00:00:00 h a", "Jan  1 00:00:01 h a",
			"Feb 29 10:00:00 h a", "Feb 29 10:00:01 h a",
			"Nov 21 10:05:01 h a", "Nov 21 10:05:02 h a", "Nov 21 10:05:03 h a", "Nov 21 10:05:04 h a",
		}, setNow: map[int]time.Time{
			10: time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC),
			12: now,
			13: time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC), // the same minute, another assumed year
			14: time.Date(2026, 11, 21, 10, 5, 0, 0, time.UTC).Add(-24 * time.Hour),
		}},
		{name: "iso-zones", pattern: "", loc: time.UTC, lines: []string{
			"2026-11-21T10:04:05.123+01:00 a", "2026-11-21T10:04:06Z a", "2026-11-21T10:04:07 a",
			"2026-11-21T10:04:08.5-0200 a", "2026-11-21 10:04:09,25 a", "2026-11-21 10:04:10 +0100 a",
		}},
		{name: "dst-berlin", pattern: "", loc: berlin, lines: []string{
			"2026-03-28 02:30:00 a", "2026-03-28 02:30:01 a",
			"2026-03-29 01:59:58 a", "2026-03-29 01:59:59 a", "2026-03-29 02:00:00 a",
			"2026-03-29 02:30:15 a", "2026-03-29 02:30:16 a", "2026-03-29 03:00:00 a", "2026-03-29 03:00:01 a",
			"2026-10-25 02:30:00 a", "2026-10-25 02:30:01 a", "2026-10-25 03:30:00 a",
			"2026-10-26 02:30:00 a", "2026-10-26 02:30:01 a",
			"Mar 29 02:30:00 h a", "Mar 29 02:30:01 h a", "Oct 25 02:59:59 h a", "Oct 25 03:00:00 h a",
		}},
		{name: "grafana", pattern: `(?:^|\s)t=(%Y-%m-%dT%H:%M:%S(?:\.%f)?%z)`, loc: time.UTC, lines: []string{
			"t=2026-11-21T10:04:05+0000 a", "t=2026-11-21T10:04:06.25+0000 a", "t=2026-11-21T10:04:07+0200 a",
			"t=2026-11-21T10:05:00Z a",
		}},
		{name: "nginx-error", pattern: "{^LN-BEG}%ExY/%m/%d %H:%M:%S", loc: berlin, lines: []string{
			"2026/03/29 02:30:00 [error] a", "2026/03/29 02:30:01 [error] a", "2026/11/21 10:04:05 [error] a",
			"2026/11/21 10:04:06 [error] a",
		}},
	}
	for _, tc := range cases {
		opts := Options{Now: now, Location: tc.loc, Pattern: tc.pattern}
		d, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		hits := 0
		for i, line := range tc.lines {
			if n, ok := tc.setNow[i]; ok {
				opts.Now = n
				d.SetNow(n)
			}
			wasValid := d.minute.valid
			got, gs, ge, gok := d.Find(line)
			fresh, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			want, ws, we, wok := fresh.Find(line)
			gn, goff := got.Zone()
			wn, woff := want.Zone()
			if gok != wok || gs != ws || ge != we || !got.Equal(want) || gn != wn || goff != woff {
				t.Errorf("%s line %d %q: %v [%d:%d] ok=%v, fresh detector %v [%d:%d] ok=%v", tc.name, i, line, got, gs, ge, gok, want, ws, we, wok)
			}
			if wasValid && d.minute.valid {
				hits++
			}
		}
		if hits == 0 && tc.name != "syslog" {
			t.Errorf("%s: the minute cache never held a minute", tc.name)
		}
	}
}

// TestSameMinuteFields checks that sameMinute compares every field of
// dateFields but the second and the fraction (a field added later must
// be added there).
func TestSameMinuteFields(t *testing.T) {
	base := dateFields{has: 1, year: 2026, month: 11, day: 21, hour: 10, minute: 4, zone: 60, hasZone: true}
	k := minuteKey(&base)
	v := reflect.ValueOf(&base).Elem()
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		f := base
		fv := reflect.ValueOf(&f).Elem().Field(i)
		fv = reflect.NewAt(fv.Type(), unsafe.Pointer(fv.UnsafeAddr())).Elem() // unexported
		switch fv.Kind() {
		case reflect.Int:
			fv.SetInt(fv.Int() + 1)
		case reflect.Uint32:
			fv.SetUint(fv.Uint() + 2)
		case reflect.Bool:
			fv.SetBool(!fv.Bool())
		default:
			t.Fatalf("field %s: kind %v not handled", name, fv.Kind())
		}
		same := sameMinute(&f, &k)
		if want := name == "second" || name == "nsec"; same != want {
			t.Errorf("field %s changed: sameMinute %v, want %v", name, same, want)
		}
	}
}

// TestReusedLineMemory dates lines that share one buffer (as logmatch's
// block reader hands them out, without copies) and the same lines as
// separate strings: a detector must keep nothing of a line past its Find.
func TestReusedLineMemory(t *testing.T) {
	var log bytes.Buffer
	if _, err := authgen.Generate(&log, authgen.Options{Lines: 3000, Seed: 3, Service: "traefik-access"}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	shared, _ := New(Options{Now: now, Location: time.UTC})
	copied, _ := New(Options{Now: now, Location: time.UTC})
	buf := make([]byte, 0, 4096)
	n := 0
	for _, l := range strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n") {
		if len(l) == 0 || len(l) > cap(buf) {
			continue
		}
		buf = append(buf[:0], l...)
		st, ss, se, sok := shared.Find(unsafe.String(&buf[0], len(buf)))
		ct, cs, ce, cok := copied.Find(strings.Clone(l))
		if ss != cs || se != ce || sok != cok || !st.Equal(ct) {
			t.Fatalf("%q: in the shared buffer %v [%d:%d] %v, as its own string %v [%d:%d] %v", l, st, ss, se, sok, ct, cs, ce, cok)
		}
		n++
	}
	if n < 2000 {
		t.Fatalf("only %d lines", n)
	}
}
