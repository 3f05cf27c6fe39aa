package filter

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// eagerDates is a DateFinder that builds every line's time at once
// (Detector.Find), as the Matcher did before times were built when asked.
type eagerDates struct{ d *datedetect.Detector }

func (e eagerDates) FindDate(line string, dst *datedetect.Date) (int, int, bool) {
	t, s, end, ok := e.d.Find(line)
	*dst = datedetect.At(t)
	return s, end, ok
}

// lazyPair is a Matcher on a Detector (times built when asked) and one on
// the eager finder, of the same filter, their "now" set together.
type lazyPair struct {
	lazy, eager *Matcher
	dl, de      *datedetect.Detector
	now         time.Time
}

func newLazyPair(t *testing.T, def *Definition) *lazyPair {
	t.Helper()
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	p := &lazyPair{now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	for _, d := range []**datedetect.Detector{&p.dl, &p.de} {
		if *d, err = datedetect.New(datedetect.Options{Now: p.now, Location: time.UTC, Pattern: def.DatePattern}); err != nil {
			t.Fatal(err)
		}
	}
	clock := func() time.Time { return p.now }
	p.lazy = NewMatcher(f, MatcherOptions{Dates: p.dl, Now: clock, Clock: clock, Matches: true})
	p.eager = NewMatcher(f, MatcherOptions{Dates: eagerDates{p.de}, Now: clock, Clock: clock, Matches: true})
	return p
}

func (p *lazyPair) setNow(now time.Time) {
	p.now = now
	p.dl.SetNow(now)
	p.de.SetNow(now)
}

// invalidDate rewrites the day and month of a date text to 30 February
// (syslog "Nov 21", access log "21/Nov/2026", ISO "2026-11-21"), or the
// hour to 29; "" when the text has none of these.
var (
	monDay = regexp.MustCompile(`[A-Z][a-z]{2} [ 0-9][0-9]\b`)
	dayMon = regexp.MustCompile(`\b[0-9]{2}/[A-Z][a-z]{2}/`)
	isoDay = regexp.MustCompile(`([0-9]{4})[-/.][0-9]{2}[-/.][0-9]{2}`)
	hour   = regexp.MustCompile(`\b[0-9]{2}(:[0-9]{2}:[0-9]{2})`)
)

func invalidDate(line string, n int) string {
	switch {
	case monDay.MatchString(line) && n%2 == 0:
		return monDay.ReplaceAllString(line, "Feb 30")
	case dayMon.MatchString(line):
		return dayMon.ReplaceAllString(line, "30/Feb/")
	case isoDay.MatchString(line):
		return isoDay.ReplaceAllString(line, "$1-02-30")
	case hour.MatchString(line):
		return hour.ReplaceAllString(line, "29$1")
	}
	return ""
}

// TestLazyDates: on the generated log of its service, every built-in
// filter and fail2ban's filter.d file of the same name give, line by
// line, the same Results (failures with their times, the failregex and
// ignoreregex hit, HasDate, the line's time) whether the Matcher's dates
// are built when asked (a Detector) or at once (Detector.Find). The log is
// mixed with lines without their date and lines with an invalid date
// (30 February, hour 29), "now" moves near the log's dates (so a
// dateless line takes the last date, or not, by its age) and the line's
// time is asked on a third of the lines only: the last date a dateless
// line takes has often not been built before.
func TestLazyDates(t *testing.T) {
	testenv.RequireFile(t, "/etc/fail2ban/filter.d/sshd.conf", "fail2ban")
	n := 20000
	if testenv.Race {
		n = 5000 // the regexes ten times slower (300 s on a loaded machine)
	}
	if testing.Short() {
		n = 2000
	}
	var lines, failures, dateless, invalid, lastTaken int
	for _, svc := range authgen.Services() {
		var log bytes.Buffer
		if _, err := authgen.Generate(&log, authgen.Options{Lines: n, Seed: 1, Service: svc}); err != nil {
			t.Fatal(err)
		}
		for _, name := range authgen.ServiceFilters(svc) {
			for _, builtinFS := range []bool{true, false} {
				path, lo := "/etc/fail2ban/filter.d/"+name+".conf", (*LoadOptions)(nil)
				if builtinFS {
					path, lo = "filter.d/"+name+".conf", &LoadOptions{FS: builtin.FS, Name: name}
					if _, err := fs.Stat(builtin.FS, path); err != nil {
						t.Fatal(err)
					}
				}
				def, err := Load(path, nil, lo)
				if err != nil {
					t.Fatal(err)
				}
				p := newLazyPair(t, def)
				span, err := datedetect.New(datedetect.Options{Now: p.now, Location: time.UTC, Pattern: def.DatePattern})
				if err != nil {
					t.Fatal(err)
				}
				check := func(i int, line string, askTime bool) {
					t.Helper()
					got, err := p.lazy.Line([]byte(line))
					if err != nil {
						t.Fatal(err)
					}
					// the lazy Result is read before the eager line runs:
					// a Result holds until its Matcher's next call only
					gotRes, gotTime := *got, time.Time{}
					if askTime || !got.HasDate {
						gotTime = got.Time()
					}
					want, err := p.eager.Line([]byte(line))
					if err != nil {
						t.Fatal(err)
					}
					where := fmt.Sprintf("%s (%s, built-in %v) line %d %q", svc, name, builtinFS, i, line)
					if gotRes.HasDate != want.HasDate || gotRes.Regex != want.Regex || gotRes.Ignore != want.Ignore ||
						len(gotRes.Failures)+len(want.Failures) > 0 && !reflect.DeepEqual(gotRes.Failures, want.Failures) {
						t.Fatalf("%s:\nlazy  %+v\neager %+v", where, gotRes, *want)
					}
					if (askTime || !got.HasDate) && gotTime != want.Time() {
						t.Fatalf("%s: time %v, eager %v", where, gotTime, want.Time())
					}
					lines++
					failures += len(want.Failures)
					if !want.HasDate && want.date != nil {
						lastTaken++ // a line without a valid date took the last date
					}
				}
				sc := bufio.NewScanner(bytes.NewReader(log.Bytes()))
				for i := 0; sc.Scan(); i++ {
					line := sc.Text()
					check(i, line, i%3 == 0)
					if i%50 == 49 {
						// "now" moves near the line's date: a dateless
						// line then takes the last date while under a
						// minute old; two days before it, year-less dates
						// fall in the year before
						if ts, _, _, ok := span.Find(line); ok {
							offsets := []time.Duration{-48 * time.Hour, 10 * time.Second, 50 * time.Second, 70 * time.Second, 24 * time.Hour, -time.Hour}
							p.setNow(ts.Add(offsets[(i/50)%len(offsets)]))
							span.SetNow(p.now)
						}
					}
					if i%7 == 3 || i%50 == 49 {
						// the line without its date (after a change of
						// "now": the last date, of the line before it, was
						// found with the "now" before)
						if _, s, e, ok := span.Find(line); ok && e > s {
							noDate := line[:s] + line[e:]
							if _, s2, e2, ok := span.Find(noDate); !ok || e2 == s2 {
								dateless++
							}
							check(i, noDate, false)
						}
					}
					if i%11 == 5 {
						if bad := invalidDate(line, i); bad != "" {
							if _, s, e, ok := span.Find(bad); !ok && e > s {
								invalid++
							}
							check(i, bad, false)
						}
					}
				}
			}
		}
	}
	t.Logf("%d lines (%d without a date, %d of them and of the lines with an invalid date taking the last date; %d with an invalid date): %d failures, the same with dates built when asked and at once",
		lines, dateless, lastTaken, invalid, failures)
	if failures < n || dateless < n/10 || invalid < n/10 || lastTaken < n/10 {
		t.Errorf("too few cases: %d failures, %d lines without a date, %d with an invalid date, %d taking the last date", failures, dateless, invalid, lastTaken)
	}
}
