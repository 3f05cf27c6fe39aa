package datedetect

import (
	"testing"
	"time"
)

// Lines at the edges of search's start skips: the epoch start
// (^, ^[, after a word-bounded "audit(") and the digit run of compact
// dates (%ExY%Exm%Exd ...) reached through \W{0,2}, both mid-line.
var fastSkipLines = []string{
	"1764806400", "[1764806400] x", "[[1764806400]", "x [1764806400]", "audit(1764806400.123:42): x",
	"type=X msg=audit(1764806400.123:42): x", "type=X msg=xaudit(1764806400.123:42)", "audit(audit(1764806400:1)",
	"audit(", "a audit(176480640", "_audit(1764806400:1) audit(1764806401:2)", "audit(17648064001234",
	"x 20261122T100000 y", "x 20261122 100000 y", "x 20261122  100000.5 +0100", "x ##20261122T100000",
	"x ###20261122T100000", "x-20261122T100000", "x 2026112T100000", "x 1234567 20261122T100000",
	"x 202611221 20261122T100000", "x 20261322T100000 20261122T100000", "Gecko/20100101 Firefox/128.0",
	"20261122T100000", "##20261122T100000 x", "#20261122  100000.5", "2026112 100000", "x @4000000068e3a1b20c0f2a3c y", "@@4000000068e3a1b20c0f2a3c", "@4000000068e3a1b2 @4000000068e3a1b20c0f2a3c", "x@",
	"x 99999999 y 2026112210", "x 12345678901234567890T100000", "261122 10:00:00 x", "x 261122  10:00:00",
}

func TestFastPathSkips(t *testing.T) {
	now := nows[0]
	d, _ := New(Options{Now: now, Location: time.UTC})
	n := 0
	for _, tp := range fastTemplates(t, now) {
		for _, line := range fastSkipLines {
			for _, pre := range []string{"", "x ", "##", "a", "192.0.2.1 - - [22/Nov/2026:10:00:00 +0100] "} {
				for _, suf := range []string{"", " h", "1", "."} {
					if checkFastEqualsRegex(t, d, tp, pre+line+suf) {
						n++
					}
				}
			}
		}
	}
	if n < 300 {
		t.Errorf("only %d comparisons made", n)
	}
}
