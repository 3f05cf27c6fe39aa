package datedetect_test

import (
	"fmt"
	"time"

	"github.com/banpipe/banpipe/pkg/datedetect"
)

func ExampleDetector_Find() {
	d, err := datedetect.New(datedetect.Options{
		Now:      time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC),
		Location: time.UTC,
	})
	if err != nil {
		panic(err)
	}
	line := "Dec 31 23:59:58 web01 sshd[4321]: Failed password for root from 192.0.2.7 port 51234 ssh2"
	t, start, end, ok := d.Find(line)
	fmt.Println(ok, t.Format(time.RFC3339))
	fmt.Printf("%q\n", line[:start]+line[end:])
	// Output:
	// true 2025-12-31T23:59:58Z
	// " web01 sshd[4321]: Failed password for root from 192.0.2.7 port 51234 ssh2"
}

func ExampleNew_datepattern() {
	d, err := datedetect.New(datedetect.Options{
		Now:     time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
		Pattern: `^\[%d/%b/%Y %H:%M:%S %z\]`,
	})
	if err != nil {
		panic(err)
	}
	t, _, _, ok := d.Find("[21/Nov/2026 10:04:05 +0100] login failed for 192.0.2.7")
	fmt.Println(ok, t.UTC().Format(time.RFC3339))
	_, err = datedetect.New(datedetect.Options{Pattern: "%Y-%m-%d %Q"})
	fmt.Println(err)
	// Output:
	// true 2026-11-21T09:04:05Z
	// datepattern "%Y-%m-%d %Q": invalid format or unescaped percent char at offset 9
}

// FindDate finds the date at once and builds its time only when asked:
// here, after "now" moved on, the time is still the one of the moment the
// line was read (the year before, as Dec 31 was a day ahead of then).
func ExampleDetector_FindDate() {
	d, err := datedetect.New(datedetect.Options{
		Now:      time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC),
		Location: time.UTC,
	})
	if err != nil {
		panic(err)
	}
	var date datedetect.Date
	line := "Dec 31 23:59:58 web01 sshd[4321]: Accepted publickey for alice from 192.0.2.7 port 51234 ssh2"
	start, end, ok := d.FindDate(line, &date)
	fmt.Println(ok, line[start:end])
	d.SetNow(time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC))
	fmt.Println(date.Time().Format(time.RFC3339))
	// Output:
	// true Dec 31 23:59:58
	// 2025-12-31T23:59:58Z
}
