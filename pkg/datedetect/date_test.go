package datedetect

import (
	"strings"
	"testing"
	"time"
)

// TestFindDateLater: a Date's time, asked after the Detector has dated
// other lines with another "now", is the time Find gave for its line at
// once, valid or not (29 February of a year-less date, valid this year
// and not in the year before, decides validity with the time); so is
// validity. With no Now (the clock), the year-less date keeps the
// clock's year of the moment it was found.
func TestFindDateLater(t *testing.T) {
	lines := []string{
		"Feb 29 10:00:00 host sshd[1]: x",
		"Feb 28 10:00:00 host sshd[1]: x",
		"Feb 30 10:00:00 host sshd[1]: x",
		"Dec 31 23:59:59 host sshd[1]: x",
		"Jan  1 00:00:00 host sshd[1]: x",
		"Nov 21 29:00:00 host sshd[1]: x",
		"Mon Feb 29 10:00:00.123456 2028 host x",
		"2028-02-29 10:00:00 host x",
		"2027-02-29 10:00:00 host x",
		"2026-11-21T10:04:05.5+01:00 host x",
		"192.0.2.7 - - [21/Nov/2026:10:04:05 +0100] \"GET / HTTP/1.1\" 404 1",
		"[29/Feb/2027:10:04:05 +0100] x",
		"Nov 21, 2026 1:02:03 PM org.apache x",
		"10:04:05 time only",
		"23:59:59 time only",
		"1700000000 epoch",
		"@4000000068a0b1c20000000a tai64n",
		"no date at all",
	}
	nows := []time.Time{
		{}, // the clock
		time.Date(2028, 1, 10, 0, 0, 0, 0, time.UTC),
		time.Date(2028, 3, 10, 0, 0, 0, 0, time.UTC),
		time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 30, 0, time.UTC),
		time.Date(2027, 1, 1, 0, 0, 30, 0, time.UTC),
	}
	valid, invalid := 0, 0
	for _, pattern := range []string{"", "{^LN-BEG}"} {
		for _, now := range nows {
			for _, line := range lines {
				lazy, err := New(Options{Now: now, Location: time.UTC, Pattern: pattern})
				if err != nil {
					t.Fatal(err)
				}
				eager, err := New(Options{Now: now, Location: time.UTC, Pattern: pattern})
				if err != nil {
					t.Fatal(err)
				}
				var dt Date
				s, e, ok := lazy.FindDate(line, &dt)
				want, ws, we, wok := eager.Find(line)
				if s != ws || e != we || ok != wok {
					t.Fatalf("now %v, %q: FindDate %d-%d %v, Find %d-%d %v", now, line, s, e, ok, ws, we, wok)
				}
				// other lines, another now: the detector's caches move
				lazy.SetNow(now.Add(400 * 24 * time.Hour))
				for _, l := range lines {
					lazy.Find(l)
				}
				if got := dt.Time(); got != want {
					t.Errorf("now %v, %q: time %v later, Find %v", now, line, got, want)
				}
				if got := dt.Time(); got != want {
					t.Errorf("now %v, %q: time %v asked again, Find %v", now, line, got, want)
				}
				if ok {
					valid++
				} else if e > s {
					invalid++
				}
			}
		}
	}
	if valid < 100 || invalid < 20 {
		t.Errorf("%d valid dates, %d invalid: want more", valid, invalid)
	}
	var zero Date
	if !zero.Time().IsZero() {
		t.Errorf("zero Date: %v", zero.Time())
	}
	at := time.Date(2026, 11, 21, 1, 2, 3, 4, time.UTC)
	if d := At(at); d.Time() != at {
		t.Errorf("At: %v, want %v", d.Time(), at)
	}
}

// TestFeb29Sure: 29 February of a year-less date is the one case where
// validity needs the time (valid in a leap year, not in the year before,
// which a date more than a day ahead of now falls in), and valid says so.
func TestFeb29Sure(t *testing.T) {
	d, err := New(Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	f := dateFields{has: 1<<keym | 1<<keyd | 1<<keyH | 1<<keyM | 1<<keyS, month: 2, day: 29, hour: 10}
	for _, tt := range []struct {
		now        time.Time
		ok, sure   bool
		assembleOK bool
	}{
		{time.Date(2028, 3, 10, 0, 0, 0, 0, time.UTC), true, false, true},  // 29 Feb 2028
		{time.Date(2028, 1, 10, 0, 0, 0, 0, time.UTC), true, false, false}, // ahead: 2027 has none
		{time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC), false, true, false}, // 2027 has none
	} {
		g := f
		ok, sure := d.valid(&g, tt.now)
		g = f
		_, aok := d.assemble(&g, tt.now)
		if ok != tt.ok || sure != tt.sure || aok != tt.assembleOK {
			t.Errorf("now %v: valid %v sure %v, assemble %v; want %v %v %v", tt.now, ok, sure, aok, tt.ok, tt.sure, tt.assembleOK)
		}
	}
}

// TestPlainValid: where plainValid answers, it is assemble's ok, over
// months, days, years, clocks and nows at the edges; and it answers for
// the common dates.
func TestPlainValid(t *testing.T) {
	d, err := New(Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if from, to := time.Date(2, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(9998, 1, 1, 0, 0, 0, 0, time.UTC).Unix(); from != saneFrom || to != saneTo {
		t.Fatalf("saneFrom, saneTo = %d, %d; want %d, %d", saneFrom, saneTo, from, to)
	}
	nows := []time.Time{
		time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
		time.Date(2028, 1, 10, 0, 0, 0, 0, time.UTC),
		time.Date(2028, 3, 10, 0, 0, 0, 0, time.UTC),
		time.Date(1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9997, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	known := 0
	for _, now := range nows {
		for _, year := range []int{-1, 0, 1, 2000, 2027, 2028, 9999, 10000} {
			for month := 0; month <= 13; month++ {
				for day := 0; day <= 32; day++ {
					for _, hour := range []int{0, 23, 24} {
						for _, extra := range []uint32{0, 1 << keya, 1 << keyf, 1 << keyj, 1 << keyI} {
							f := dateFields{has: 1<<keym | 1<<keyd | 1<<keyH | 1<<keyM | 1<<keyS | extra,
								month: month, day: day, hour: hour, hour12: hour, minute: 59, second: 59, julian: 40}
							if year >= 0 {
								f.has |= 1 << keyY
								f.year = year
							}
							ok, k := plainValid(&f, now)
							g := f
							_, want := d.assemble(&g, now)
							if k {
								known++
								if ok != want {
									t.Errorf("now %v, %+v: plainValid %v, assemble %v", now, f, ok, want)
								}
							}
							g = f
							if vok, sure := d.valid(&g, now); sure && vok != want {
								t.Errorf("now %v, %+v: valid %v (sure), assemble %v", now, f, vok, want)
							}
						}
					}
				}
			}
		}
	}
	if known < 10000 {
		t.Errorf("plainValid answered %d times: want more", known)
	}
}

// TestASCIIOnly: asciiOnly is a byte-by-byte check, for every length up
// to 300 (several rounds of 32 bytes, every remainder) with a non-ASCII
// byte (each of 0x80-0xff in turn) at every place, or none.
func TestASCIIOnly(t *testing.T) {
	for n := 0; n <= 300; n++ {
		for at := -1; at < n; at++ {
			b := []byte(strings.Repeat("a", n))
			if at >= 0 {
				b[at] = 0x80 | byte(at*7+n)
			}
			want := at < 0
			if got := asciiOnly(string(b)); got != want {
				t.Errorf("asciiOnly(%q) = %v, want %v", b, got, want)
			}
		}
	}
}
