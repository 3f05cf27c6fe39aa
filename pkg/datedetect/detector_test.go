package datedetect

import (
	"testing"
	"time"
)

var cet = time.FixedZone("CET", 3600)

// now for the tests that follow fail2ban's: 14 Aug 2005 12:00 CET.
var testNow = time.Date(2005, 8, 14, 12, 0, 0, 0, cet)

// The date formats fail2ban documents for its default templates; each
// line is 23 Jan 2005 21:59:59 CET (1106513999) unless it carries a zone.
func TestDefaultTemplates(t *testing.T) {
	const unix = 1106513999
	tests := []struct {
		date     string
		want     string // the date text; "" = date
		anchored bool   // matched only at line start
		unix     int64  // 0 = unix
		nsec     int
	}{
		{date: "Jan 23 21:59:59"},
		{date: "Sun Jan 23 21:59:59 2005"},
		{date: "Sun Jan 23 21:59:59"},
		{date: "Sun Jan 23 2005 21:59:59"},
		{date: "Sun Jan 23 21:59:59.011 2005", nsec: 11e6},
		{date: "2005/01/23 21:59:59"},
		{date: "2005.01.23 21:59:59"},
		{date: "23/01/2005 21:59:59"},
		{date: "23/01/05 21:59:59"},
		{date: "23/Jan/2005:21:59:59"},
		{date: "23/Jan/2005:21:59:59 +0100"},
		{date: "[23/Jan/2005:20:59:59 +0000]", want: "23/Jan/2005:20:59:59 +0000"},
		{date: "01/23/2005:21:59:59"},
		{date: "2005-01-23 21:59:59"},
		{date: "2005-01-23 21:59:59,000"},
		{date: "23-Jan-2005 21:59:59"},
		{date: "23-Jan-2005 21:59:59.02", nsec: 2e7},
		{date: "23-Jan-2005 21:59:59 +0100"},
		{date: "23-01-2005 21:59:59"},
		{date: "01-23-2005 21:59:59.252", nsec: 252e6},
		{date: "@4000000041f4104f00000000"},
		{date: "2005-01-23T20:59:59.252Z", nsec: 252e6},
		{date: "2005-01-23T15:59:59-05:00"},
		{date: "20050123T215959"},
		{date: "20050123 215959"},
		{date: "<01/23/05@21:59:59>", anchored: true},
		{date: "050123 21:59:59"},
		{date: "Jan-23-05 21:59:59", anchored: true},
		{date: "Jan 23, 2005 9:59:59 PM"},
		{date: "1106513999", anchored: true},
		{date: "1106513999.000", anchored: true},
		{date: "[1106513999.000]", want: "1106513999.000", anchored: true},
		{date: "audit(1106513999.000:987)", want: "1106513999.000"},
		{date: "CET Jan 23 21:59:59"},
		{date: "+01:00 Jan 23 21:59:59"},
	}
	for _, tt := range tests {
		for _, prefix := range []string{"", "bogus-prefix ", "word-boundary"} {
			line := prefix + tt.date + "[sshd] error: PAM: Authentication failure"
			d, err := New(Options{Now: testNow, Location: cet})
			if err != nil {
				t.Fatal(err)
			}
			got, s, e, ok := d.Find(line)
			should := prefix == "" || (prefix == "bogus-prefix " && !tt.anchored)
			if prefix == "word-boundary" && !should {
				// fail2ban may still find a date further on; only the
				// text must not start inside the word.
				if ok && s < len(prefix) {
					t.Errorf("%q: date %q starts inside the word", line, line[s:e])
				}
				continue
			}
			if ok != should {
				t.Errorf("%q: ok = %v, want %v (found %q)", line, ok, should, line[s:e])
				continue
			}
			if !ok {
				continue
			}
			want := tt.want
			if want == "" {
				want = tt.date
			}
			if line[s:e] != want {
				t.Errorf("%q: text %q, want %q", line, line[s:e], want)
			}
			wu := int64(unix)
			if tt.unix != 0 {
				wu = tt.unix
			}
			if got.Unix() != wu || got.Nanosecond() != tt.nsec {
				t.Errorf("%q: time %v (%d.%09d), want %d.%09d", line, got, got.Unix(), got.Nanosecond(), wu, tt.nsec)
			}
		}
	}
}
