package datedetect

import (
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
)

type findCase struct {
	name    string
	pattern string
	now     time.Time
	loc     *time.Location
	line    string
	text    string    // the date text found ("" = none)
	want    time.Time // zero: ok must be false
}

func runFindCases(t *testing.T, cases []findCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.loc
			if loc == nil {
				loc = time.UTC
			}
			d, err := New(Options{Now: tt.now, Location: loc, Pattern: tt.pattern})
			if err != nil {
				t.Fatal(err)
			}
			got, s, e, ok := d.Find(tt.line)
			if text := tt.line[s:e]; text != tt.text {
				t.Errorf("Find(%q) text %q, want %q", tt.line, text, tt.text)
			}
			if ok != !tt.want.IsZero() {
				t.Fatalf("Find(%q) ok = %v, want %v (time %v)", tt.line, ok, !ok, got)
			}
			if ok && !got.Equal(tt.want) {
				t.Errorf("Find(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func TestYearInference(t *testing.T) {
	newYear := utc(2026, 1, 1, 0, 30, 0, 0)
	eve := utc(2025, 12, 31, 23, 30, 0, 0)
	runFindCases(t, []findCase{
		{name: "last year's December", now: newYear, line: "Dec 31 23:59:59 h sshd[1]: x", text: "Dec 31 23:59:59", want: utc(2025, 12, 31, 23, 59, 59, 0)},
		{name: "just after midnight", now: newYear, line: "Jan  1 00:10:00 h x", text: "Jan  1 00:10:00", want: utc(2026, 1, 1, 0, 10, 0, 0)},
		{name: "less than a day ahead stays", now: newYear, line: "Jan  2 00:29:59 h x", text: "Jan  2 00:29:59", want: utc(2026, 1, 2, 0, 29, 59, 0)},
		{name: "more than a day ahead is last year", now: newYear, line: "Jan  2 00:30:01 h x", text: "Jan  2 00:30:01", want: utc(2025, 1, 2, 0, 30, 1, 0)},
		{name: "New Year's line before midnight", now: eve, line: "Jan  1 00:10:00 h x", text: "Jan  1 00:10:00", want: utc(2025, 1, 1, 0, 10, 0, 0)},
		{name: "eve", now: eve, line: "Dec 31 23:29:00 h x", text: "Dec 31 23:29:00", want: utc(2025, 12, 31, 23, 29, 0, 0)},
		{name: "year in the line", now: newYear, line: "Dec 31 23:59:59 2026 h x", text: "Dec 31 23:59:59 2026", want: utc(2026, 12, 31, 23, 59, 59, 0)},
		{name: "29 Feb of a common year", now: utc(2025, 3, 1, 0, 0, 0, 0), line: "Feb 29 10:00:00 h x", text: "Feb 29 10:00:00"},
		{name: "29 Feb ahead, last year is common", now: utc(2028, 2, 27, 12, 0, 0, 0), line: "Feb 29 10:00:00 h x", text: "Feb 29 10:00:00"},
		{name: "29 Feb of a leap year", now: utc(2028, 3, 1, 0, 0, 0, 0), line: "Feb 29 10:00:00 h x", text: "Feb 29 10:00:00", want: utc(2028, 2, 29, 10, 0, 0, 0)},
		{name: "30 Feb", now: newYear, line: "Feb 30 10:00:00 h x", text: "Feb 30 10:00:00"},
		{name: "hour 29", now: newYear, line: "Feb  3 29:00:00 h x", text: "Feb  3 29:00:00"},
		{name: "time only today", pattern: "^%H:%M:%S", now: utc(2026, 11, 22, 12, 0, 0, 0), line: "11:59:59 x", text: "11:59:59", want: utc(2026, 11, 22, 11, 59, 59, 0)},
		{name: "time only yesterday", pattern: "^%H:%M:%S", now: utc(2026, 11, 22, 12, 0, 0, 0), line: "12:00:01 x", text: "12:00:01", want: utc(2026, 11, 21, 12, 0, 1, 0)},
		{name: "time only at New Year", pattern: "{^LN-BEG}%H:%M:%S", now: newYear, line: "23:59:00 x", text: "23:59:00", want: utc(2025, 12, 31, 23, 59, 0, 0)},
		{name: "%y is 20yy", pattern: "^%y-%m-%d %H:%M:%S", now: newYear, line: "99-11-21 10:00:00 x", text: "99-11-21 10:00:00", want: utc(2099, 11, 21, 10, 0, 0, 0)},
		{name: "%Exy", pattern: "{^LN-BEG}%Exy%Exm%Exd %H:%M:%S", now: newYear, line: "[251231 10:00:00] x", text: "251231 10:00:00", want: utc(2025, 12, 31, 10, 0, 0, 0)},
		{name: "%j", pattern: "^%Y %j %H:%M", now: newYear, line: "2024 366 10:00 x", text: "2024 366 10:00", want: utc(2024, 12, 31, 10, 0, 0, 0)},
		{name: "%U %A", pattern: "^%y %U %A %ExH:%ExM:%ExS**", now: newYear, line: "01 11 Wednesday 21:59:59", text: "01 11 Wednesday 21:59:59", want: utc(2001, 3, 21, 21, 59, 59, 0)},
		{name: "%I %p", pattern: "^%b %d, %ExY %I:%M:%S %p", now: newYear, line: "Nov 21, 2025 12:05:00 AM x", text: "Nov 21, 2025 12:05:00 AM", want: utc(2025, 11, 21, 0, 5, 0, 0)},
	})
}

func TestSetNow(t *testing.T) {
	d, err := New(Options{Now: utc(2026, 1, 1, 0, 30, 0, 0), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	const line = "Dec 31 23:59:59 h x"
	if got, _, _, _ := d.Find(line); got.Year() != 2025 {
		t.Errorf("year %d, want 2025", got.Year())
	}
	d.SetNow(utc(2026, 12, 31, 23, 59, 59, 0))
	if got, _, _, _ := d.Find(line); got.Year() != 2026 {
		t.Errorf("after SetNow: year %d, want 2026", got.Year())
	}
}

func TestZones(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		testenv.Missing(t, "no tz database: %v", err)
	}
	cetFixed, _ := ParseZone("CET")
	now := utc(2026, 11, 22, 0, 0, 0, 0)
	const p = `^%ExY-%Exm-%Exd %H:%M:%S(?: ?%Exz)?`
	runFindCases(t, []findCase{
		{name: "no zone, UTC", now: now, line: "2026-07-01 12:00:00 x", text: "2026-07-01 12:00:00", want: utc(2026, 7, 1, 12, 0, 0, 0)},
		{name: "no zone, Berlin summer", now: now, loc: berlin, line: "2026-07-01 12:00:00 x", text: "2026-07-01 12:00:00", want: utc(2026, 7, 1, 10, 0, 0, 0)},
		{name: "no zone, Berlin winter", now: now, loc: berlin, line: "2026-01-01 12:00:00 x", text: "2026-01-01 12:00:00", want: utc(2026, 1, 1, 11, 0, 0, 0)},
		{name: "no zone, logtimezone CET is fixed", now: now, loc: cetFixed, line: "2026-07-01 12:00:00 x", text: "2026-07-01 12:00:00", want: utc(2026, 7, 1, 11, 0, 0, 0)},
		{name: "Z", now: now, loc: berlin, line: "2026-07-01T12:00:00Z x", text: "2026-07-01T12:00:00Z", want: utc(2026, 7, 1, 12, 0, 0, 0)},
		{name: "+0100", now: now, loc: berlin, line: "2026-07-01 12:00:00 +0100 x", text: "2026-07-01 12:00:00 +0100", want: utc(2026, 7, 1, 11, 0, 0, 0)},
		{name: "-05:00 with fraction", now: now, line: "2026-07-01T12:00:00.123456-05:00 x", text: "2026-07-01T12:00:00.123456-05:00", want: utc(2026, 7, 1, 17, 0, 0, 123456000)},
		{name: "Apache +0100", now: now, line: `192.0.2.1 - - [21/Nov/2026:10:00:00 +0100] "GET /"`, text: "21/Nov/2026:10:00:00 +0100", want: utc(2026, 11, 21, 9, 0, 0, 0)},
		{name: "CET in summer is +01:00", pattern: p, now: now, line: "2026-07-01 12:00:00 CET", text: "2026-07-01 12:00:00 CET", want: utc(2026, 7, 1, 11, 0, 0, 0)},
		{name: "CEST", pattern: p, now: now, line: "2026-01-01 12:00:00 CEST", text: "2026-01-01 12:00:00 CEST", want: utc(2026, 1, 1, 10, 0, 0, 0)},
		{name: "CET+0130", pattern: p, now: now, line: "2026-01-01 12:00:00 CET+0130", text: "2026-01-01 12:00:00 CET+0130", want: utc(2026, 1, 1, 9, 30, 0, 0)},
		{name: "GMT", pattern: p, now: now, loc: berlin, line: "2026-01-01 12:00:00 GMT", text: "2026-01-01 12:00:00 GMT", want: utc(2026, 1, 1, 12, 0, 0, 0)},
		{name: "-10:45", pattern: p, now: now, line: "2026-01-01 12:00:00 -10:45", text: "2026-01-01 12:00:00 -10:45", want: utc(2026, 1, 1, 22, 45, 0, 0)},
		{name: "unknown abbreviation", pattern: p, now: now, line: "2026-01-01 12:00:00 ABCD", text: "2026-01-01 12:00:00 ABCD"},
		{name: "zone name before syslog date", now: now, line: "PDT Nov 21 10:00:00 h x", text: "PDT Nov 21 10:00:00", want: utc(2026, 11, 21, 17, 0, 0, 0)},
	})
}

func TestParseZone(t *testing.T) {
	for _, tt := range []struct {
		in  string
		off int // minutes
		err bool
	}{
		{"UTC", 0, false}, {"GMT", 0, false}, {"Z", 0, false}, {"", 0, false},
		{"UTC+0300", 180, false}, {"UTC-0430", -270, false}, {"GMT+12", 720, false},
		{"CET", 60, false}, {"CEST", 120, false}, {"CEST-01", 60, false}, {"CET+0130", 150, false},
		{"+05:30", 330, false}, {"NPT", 345, false},
		{"WRONG-TZ", 0, true}, {"Europe/Berlin", 0, true}, {"UTC+2400", 0, true}, {"cet", 0, true},
	} {
		z, err := ParseZone(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseZone(%q) error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if _, off := time.Date(2026, 7, 1, 0, 0, 0, 0, z).Zone(); off != tt.off*60 {
			t.Errorf("ParseZone(%q) offset %ds, want %dm", tt.in, off, tt.off)
		}
	}
}

func TestEpochAndTAI64N(t *testing.T) {
	now := utc(2026, 11, 22, 0, 0, 0, 0)
	runFindCases(t, []findCase{
		{name: "TAI64N", now: now, line: "@4000000041f4104f00000000 x", text: "@4000000041f4104f00000000", want: time.Unix(1106513999, 0)},
		{name: "TAI64N nanoseconds", now: now, line: "x @4000000041f4104f1dcd6500 y", text: "@4000000041f4104f1dcd6500", want: time.Unix(1106513999, 5e8)},
		{name: "TAI64N anchored", pattern: "{^LN-BEG}TAI64N", now: now, line: "x @4000000041f4104f00000000"},
		{name: "EPOCH", pattern: "EPOCH", now: now, line: "1106513999 x", text: "1106513999", want: time.Unix(1106513999, 0)},
		{name: "EPOCH fraction", pattern: "EPOCH", now: now, line: "1106513999.123456 x", text: "1106513999.123456", want: time.Unix(1106513999, 123456000)},
		{name: "EPOCH in brackets", pattern: "EPOCH", now: now, line: "[1106513999.500] x", text: "1106513999.500", want: time.Unix(1106513999, 5e8)},
		// fail2ban's square-bracket condition never applies (its first
		// alternative is an empty conditional), so the short fraction is
		// left out
		{name: "EPOCH short fraction", pattern: "EPOCH", now: now, line: "[1106513999.5] x", text: "1106513999", want: time.Unix(1106513999, 0)},
		{name: "EPOCH audit", pattern: "EPOCH", now: now, line: "type=USER_AUTH msg=audit(1106513999.123:42): x", text: "1106513999.123", want: time.Unix(1106513999, 123e6)},
		{name: "EPOCH too short", pattern: "EPOCH", now: now, line: "123456789 x"},
		{name: "LEPOCH ms", pattern: "LEPOCH", now: now, line: "1106513999123 x", text: "1106513999123", want: time.Unix(1106513999, 123e6)},
		{name: "LEPOCH us", pattern: "LEPOCH", now: now, line: "1106513999123456 x", text: "1106513999123456", want: time.Unix(1106513999, 123456000)},
		{name: "LEPOCH ms fraction", pattern: "LEPOCH", now: now, line: "1106513999123.5 x", text: "1106513999123.5", want: time.Unix(1106513999, 123500000)},
		{name: "{LEPOCH} in a pattern", pattern: `(?<=\|\s){LEPOCH}(?=\s\|)`, now: now, line: "auth | 1106513999000 | bad", text: "1106513999000", want: time.Unix(1106513999, 0)},
	})
}

func TestKeywords(t *testing.T) {
	now := utc(2026, 11, 22, 0, 0, 0, 0)
	runFindCases(t, []findCase{
		{name: "{NONE}", pattern: "{NONE}", now: now, line: "Nov 21 10:00:00 h x", text: "", want: now},
		{name: "{^LN-BEG} alone", pattern: "{^LN-BEG}", now: now, line: "x Nov 21 10:00:00 h"},
		{name: "{^LN-BEG} after three non-word characters", pattern: "{^LN-BEG}", now: now, line: "<13>Nov 21 10:00:00 h"},
		{name: "{^LN-BEG} at start", pattern: "{^LN-BEG}", now: now, line: "[Nov 21 10:00:00] h", text: "Nov 21 10:00:00", want: utc(2026, 11, 21, 10, 0, 0, 0)},
		{name: "{DATE} in context", pattern: `^[^\[]*\[({DATE})`, now: now, line: `192.0.2.1 - - [21/Nov/2026:10:00:00 +0000] "GET /"`, text: "21/Nov/2026:10:00:00 +0000", want: utc(2026, 11, 21, 10, 0, 0, 0)},
		{name: "{UNB}", pattern: "{UNB}%H:%M:%S", now: now, line: "at10:00:00x", text: "10:00:00", want: utc(2026, 11, 21, 10, 0, 0, 0)},
		{name: "word boundary", pattern: "%H:%M:%S", now: now, line: "at10:00:00x"},
		{name: "** removes boundaries", pattern: "**%H:%M:%S %d.%m.%Y**", now: now, line: "192.0.2.1x20:00:00 01.02.2003", text: "20:00:00 01.02.2003", want: utc(2003, 2, 1, 20, 0, 0, 0)},
		{name: "(?i) and %b", pattern: "^%Y %b %d", now: now, line: "2005 JUN 03 x", text: "2005 JUN 03", want: utc(2005, 6, 3, 0, 0, 0, 0)},
		{name: "case-sensitive without %b", pattern: "{^LN-BEG}time:%ExY%Exm%ExdT%ExH%ExM%ExS", now: now, line: "TIME:20050102T010203"},
		{name: "two patterns", pattern: "EPOCH\n{^LN-BEG}", now: now, line: "Nov 21 10:00:00 h", text: "Nov 21 10:00:00", want: utc(2026, 11, 21, 10, 0, 0, 0)},
		{name: "non-ASCII before the date", now: now, line: "été Nov 21 10:00:00 ☃", text: "Nov 21 10:00:00", want: utc(2026, 11, 21, 10, 0, 0, 0)},
		{name: "no date", now: now, line: "no date here"},
	})
}

func TestNewErrors(t *testing.T) {
	for _, p := range []string{"%q", "(%ExY%Exm%Exd", "EPOCH\nEPOCH", "%Y(?P<Y>x)", "100%"} {
		_, err := New(Options{Pattern: p})
		if err == nil {
			t.Errorf("New(%q): no error", p)
			continue
		}
		if !strings.Contains(err.Error(), "datepattern") {
			t.Errorf("New(%q): error %q does not name the datepattern", p, err)
		}
	}
}

func TestStats(t *testing.T) {
	d, err := New(Options{Now: utc(2026, 11, 22, 0, 0, 0, 0), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"Nov 21 10:00:00 a", "Nov 21 10:00:01 b", "2026-11-21 10:00:02 c", "none"} {
		d.Find(l)
	}
	st := d.Stats()
	if len(st) != 31 {
		t.Errorf("%d templates, want 31 (14 anchored copies and 17 defaults)", len(st))
	}
	hits := map[string]int64{}
	for _, s := range st {
		hits[s.Name] += s.Hits
	}
	if n := hits["{^LN-BEG}(?:DAY )?MON Day %k:Minute:Second(?:\\.Microseconds)?(?: ExYear)?"]; n != 2 {
		t.Errorf("syslog template hits %d, want 2 (stats %v)", n, st)
	}
	if n := hits["{^LN-BEG}ExYear(?P<_sep>[-/.])Month(?P=_sep)Day(?:T|  ?)24hour:Minute:Second(?:[.,]Microseconds)?(?:\\s*Zone offset)?"]; n != 1 {
		t.Errorf("ISO template hits %d, want 1", n)
	}
	if st[0].Hits == 0 {
		t.Errorf("the winning template did not move to the front: %v", st[:3])
	}
}
