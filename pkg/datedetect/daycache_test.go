package datedetect

import (
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
)

// TestMkTimeMatchesDate checks the per-day cache against time.Date, bit
// for bit, across the DST transitions of zones with whole-hour,
// half-hour and midnight changes.
func TestMkTimeMatchesDate(t *testing.T) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Havana", "America/Santiago", "Asia/Gaza"}
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Logf("skip %s: %v", name, err)
			continue
		}
		d := &Detector{loc: loc}
		for day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() == 2025; day = day.AddDate(0, 0, 1) {
			for _, clock := range [][3]int{{0, 0, 0}, {0, 30, 0}, {1, 59, 59}, {2, 0, 0}, {2, 30, 1}, {3, 0, 0}, {12, 0, 0}, {23, 59, 59}} {
				f := dateFields{hour: clock[0], minute: clock[1], second: clock[2], nsec: 123456000}
				y, m, dd := day.Date()
				want := time.Date(y, m, dd, f.hour, f.minute, f.second, f.nsec, loc)
				if got, _ := d.mkTime(y, int(m), dd, &f, loc); got != want {
					t.Fatalf("%s %v %v: mkTime %v, time.Date %v", name, day.Format(time.DateOnly), clock, got, want)
				}
			}
		}
	}
}

// TestNowDateCache checks the cached date of "now" against time.In.
func TestNowDateCache(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		testenv.Missing(t, "no tz database: %v", err)
	}
	d := &Detector{loc: loc}
	for now := time.Date(2025, 3, 29, 20, 0, 0, 0, time.UTC); now.Before(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)); now = now.Add(17 * time.Minute) {
		y, m, dd := d.nowDate(now)
		wy, wm, wd := now.In(loc).Date()
		if y != wy || m != int(wm) || dd != wd {
			t.Fatalf("%v: nowDate %d-%d-%d, want %d-%d-%d", now, y, m, dd, wy, wm, wd)
		}
	}
}

// TestMonthAt checks the month switch against the month words, in every
// letter case.
func TestMonthAt(t *testing.T) {
	for k, w := range monthWords {
		for _, s := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:]} {
			if got := monthAt(s+" 1", 0); got != k+1 {
				t.Errorf("monthAt(%q) = %d, want %d", s, got, k+1)
			}
		}
	}
	for _, s := range []string{"jam", "ja", "", "j\xc3\xa1n", "1an", "nox"} {
		if got := monthAt(s, 0); got != 0 {
			t.Errorf("monthAt(%q) = %d, want 0", s, got)
		}
	}
}
