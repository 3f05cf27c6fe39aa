package filter_test

import (
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
)

// TestInvalidDateCut checks fail2ban's processLine for a date template
// that matches text which is no valid date: the text is cut out of the
// line before the failregexes run (time "now"), unless a date under a
// minute old was seen, then the whole line is the message (time: that
// date).
func TestInvalidDateCut(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f, err := filter.Compile(filter.Definition{Name: "t", FailRegex: []string{`^\s*web01 fail from <HOST>$`}}, filter.Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	newMatcher := func() *filter.Matcher {
		dd, err := datedetect.New(datedetect.Options{Now: now, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		return filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: func() time.Time { return now }})
	}
	invalid := []byte("Feb 30 10:00:00 web01 fail from 192.0.2.7")

	m := newMatcher()
	res, err := m.Line(invalid)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || res.HasDate || !res.Time().Equal(now) {
		t.Fatalf("invalid date, no last date: %d failures, HasDate %v, time %v; want 1, false, %v", len(res.Failures), res.HasDate, res.Time(), now)
	}

	// a valid date 30 s before now, then the invalid one: not cut
	m = newMatcher()
	if _, err := m.Line([]byte("Mar 10 11:59:30 web01 hello")); err != nil {
		t.Fatal(err)
	}
	res, err = m.Line(invalid)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 10, 11, 59, 30, 0, time.UTC)
	if len(res.Failures) != 0 || !res.Time().Equal(want) {
		t.Fatalf("invalid date after a recent one: %d failures, time %v; want 0, %v", len(res.Failures), res.Time(), want)
	}
}

// TestEmptyDateTakesLastDate checks fail2ban's processLine for a date
// template that matches empty text (guacamole's `^WARNING:()**`): the line
// takes the last date when it is under a minute old, else "now".
func TestEmptyDateTakesLastDate(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f, err := filter.Compile(filter.Definition{Name: "t", FailRegex: []string{`^WARNING: fail from <HOST>$`}}, filter.Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		first string
		want  time.Time
	}{
		{"Mar 10 11:59:30 app started", time.Date(2026, 3, 10, 11, 59, 30, 0, time.UTC)},
		{"Mar 10 11:58:59 app started", now}, // over a minute old
	} {
		dd, err := datedetect.New(datedetect.Options{Location: time.UTC, Pattern: "^%b %d %H:%M:%S\n^WARNING:()**"})
		if err != nil {
			t.Fatal(err)
		}
		dd.SetNow(now)
		m := filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: func() time.Time { return now }})
		if _, err := m.Line([]byte(tt.first)); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the empty match does not replace the last date
			res, err := m.Line([]byte("WARNING: fail from 192.0.2.7"))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Failures) != 1 || !res.Failures[0].Time.Equal(tt.want) {
				t.Fatalf("after %q: %d failures, time %v; want 1 at %v", tt.first, len(res.Failures), res.Time(), tt.want)
			}
		}
	}
}
