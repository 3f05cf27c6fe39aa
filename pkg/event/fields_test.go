package event

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestFieldsAsCaptures: an event whose captures are given as Fields, in
// name order, is written as the same event with them in Captures.
func TestFieldsAsCaptures(t *testing.T) {
	base := Event{Time: time.Date(2026, 11, 21, 10, 4, 5, 0, time.UTC), Jail: "sshd", Filter: "sshd",
		Host: "192.0.2.7", IP: netip.MustParsePrefix("192.0.2.7/32"), Lineno: 42, Attempts: 1,
		Users: []string{"a", "b"}, Matches: []string{"line"}}
	for _, caps := range []map[string]string{
		{"user": "root"},
		{"user": "root", "user1": "x\"y", "port": "22", "zz": ""},
		{"ip": "203.0.113.9", "user": "u", "matches": "m", "a": "1"}, // known names are skipped
		{"": "empty name"},
	} {
		var names []string
		for k := range caps {
			names = append(names, k)
		}
		slices.Sort(names)
		var fields []Field
		for _, k := range names {
			fields = append(fields, Field{k, caps[k]})
		}
		withMap, withFields := base, base
		withMap.Captures = caps
		withFields.Fields = fields
		if got, want := string(Append(nil, &withFields)), string(Append(nil, &withMap)); got != want {
			t.Errorf("with Fields:\n%s\nwith Captures:\n%s", got, want)
		}
	}
}
