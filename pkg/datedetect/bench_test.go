package datedetect

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
)

func benchLines(b *testing.B, lines []string, noFast bool) { benchPattern(b, "", lines, noFast) }

func benchPattern(b *testing.B, pattern string, lines []string, noFast bool) {
	d, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC, Pattern: pattern})
	if err != nil {
		b.Fatal(err)
	}
	d.noFast = noFast
	for _, l := range lines { // settle the template order
		d.Find(l)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuNow()
	for i := 0; i < b.N; i++ {
		if _, _, _, ok := d.Find(lines[i%len(lines)]); !ok {
			b.Fatal("no date")
		}
	}
	b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
}

var syslogLines = []string{
	"Nov 21 10:04:05 web01 sshd[4321]: Failed password for invalid user admin from 192.0.2.7 port 51234 ssh2",
	"Nov 21 10:04:06 web01 sshd[4322]: Accepted publickey for alice from 198.51.100.4 port 40022 ssh2: ED25519 SHA256:abc",
	"Nov  1 00:00:01 web01 CRON[99]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
}

var isoLines = []string{
	"2026-11-21T10:04:05.123456+01:00 web01 sshd[4321]: Failed password for root from 192.0.2.7 port 51234 ssh2",
	"2026-11-21T10:04:06.5+01:00 web01 sshd[4322]: Accepted publickey for alice from 198.51.100.4 port 40022 ssh2",
}

var apacheLines = []string{
	`192.0.2.7 - - [21/Nov/2026:10:04:05 +0100] "GET /wp-login.php HTTP/1.1" 404 153 "-" "curl/8.0"`,
	`192.0.2.8 - bob [21/Nov/2026:10:04:06 +0100] "POST /login HTTP/1.1" 401 12 "-" "Mozilla/5.0"`,
}

func BenchmarkFindSyslog(b *testing.B)      { benchLines(b, syslogLines, false) }
func BenchmarkFindSyslogRegex(b *testing.B) { benchLines(b, syslogLines, true) }
func BenchmarkFindISO(b *testing.B)         { benchLines(b, isoLines, false) }
func BenchmarkFindISORegex(b *testing.B)    { benchLines(b, isoLines, true) }
func BenchmarkFindApache(b *testing.B)      { benchLines(b, apacheLines, false) }
func BenchmarkFindApacheRegex(b *testing.B) { benchLines(b, apacheLines, true) }

// The datepattern of fail2ban's apache-badbots and nginx-botsearch.
const accessPattern = `^[^\[]*\[({DATE})`

func BenchmarkFindAccessLogDATE(b *testing.B)      { benchPattern(b, accessPattern, apacheLines, false) }
func BenchmarkFindAccessLogDATERegex(b *testing.B) { benchPattern(b, accessPattern, apacheLines, true) }

// cpuNow returns the process's user+system CPU time.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFindAuthLog dates the lines of a generated auth.log (the
// logmatch benchmark's input). It also reports CPU time per line, which
// a busy machine distorts less than wall time.
func BenchmarkFindAuthLog(b *testing.B) {
	var buf bytes.Buffer
	if _, err := authgen.Generate(&buf, authgen.Options{Lines: 100000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	d, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuNow()
	for i := 0; i < b.N; i++ {
		if _, _, _, ok := d.Find(lines[i%len(lines)]); !ok {
			b.Fatalf("no date in %q", lines[i%len(lines)])
		}
	}
	b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkFindLongNoDate is the worst case: a long line without a date,
// searched by every template.
func BenchmarkFindLongNoDate(b *testing.B) {
	line := strings.Repeat("lorem ipsum dolor sit amet 12 34:5 ", 64<<10/35)
	d, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for i := 0; i < b.N; i++ {
		if _, _, _, ok := d.Find(line); ok {
			b.Fatal("date found")
		}
	}
}

// serviceDates are generated service logs with the datepattern of the
// built-in filter that reads them (pkg/filter/builtin/filter.d; "" is the
// default templates, "{^LN-BEG}" the syslog-style filters').
var serviceDates = []struct{ service, name, pattern string }{
	{"auth", "sshd", "{^LN-BEG}"},
	{"nginx-access", "nginx-botsearch", "{^LN-BEG}%ExY/%m/%d %H:%M:%S\n^[^\\[]*\\[(%d/%b/%Y:%H:%M:%S %z)\\]\n^[^\\[]*\\[({DATE})\n{^LN-BEG}"},
	{"nginx-access", "nginx-bad-request", "^[^\\[]*\\[(%d/%b/%Y:%H:%M:%S %z)\\]\n{^LN-BEG}%ExY/%m/%d %H:%M:%S\n^[^\\[]*\\[({DATE})\n{^LN-BEG}"},
	{"nginx-access", "f2b-DATE", "^[^\\[]*\\[({DATE})"},
	{"nginx-error", "nginx-botsearch", "{^LN-BEG}%ExY/%m/%d %H:%M:%S\n^[^\\[]*\\[(%d/%b/%Y:%H:%M:%S %z)\\]\n^[^\\[]*\\[({DATE})\n{^LN-BEG}"},
	{"nginx-error", "nginx-http-auth", "{^LN-BEG}"},
	{"apache-access", "apache-badbots", "^[^\\[]*\\[(%d/%b/%Y:%H:%M:%S %z)\\]\n^[^\\[]*\\[({DATE})\n{^LN-BEG}"},
	{"apache-error", "apache-auth", "{^LN-BEG}"},
	{"traefik-access", "traefik-auth", "^\\S+ \\S+ \\S+ \\[(%d/%b/%Y:%H:%M:%S %z)\\]\n^\\S+ \\S+ \\S+ \\[({DATE})\n{^LN-BEG}"},
	// fail2ban's own traefik-auth.conf: no datepattern, the default
	// templates on a line dated mid-line
	{"traefik-access", "f2b-default", ""},
	{"grafana", "grafana", "(?:^|\\s)t=(%Y-%m-%dT%H:%M:%S(?:\\.%f)?%z)"},
	{"gitlab", "gitlab", "{^LN-BEG}"},
	{"mysql", "mysqld-auth", "{^LN-BEG}"},
	{"exim", "exim", "{^LN-BEG}"},
	{"mail", "postfix", "{^LN-BEG}"},
	{"fail2ban", "recidive", "{^LN-BEG}\n\"time\"\\s*:\\s*\"(%Y-%m-%dT%H:%M:%S(?:\\.%f)?%z)\""},
}

// BenchmarkFindService dates generated service logs (20,000 lines, the
// same minute for about 14 lines in a row) with their filter's
// datepattern; cpu-ns/op is CPU time per line.
func BenchmarkFindService(b *testing.B) { benchService(b, false) }

// BenchmarkFindDateService is BenchmarkFindService with FindDate, the time
// never asked (a line that is no failure).
func BenchmarkFindDateService(b *testing.B) { benchService(b, true) }

func benchService(b *testing.B, lazy bool) {
	for _, sd := range serviceDates {
		b.Run(sd.service+"/"+sd.name, func(b *testing.B) {
			var buf bytes.Buffer
			if _, err := authgen.Generate(&buf, authgen.Options{Lines: 20000, Seed: 1, Service: sd.service}); err != nil {
				b.Fatal(err)
			}
			benchDates(b, strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"), sd.pattern, lazy)
		})
	}
}

// benchDates dates lines with pattern, round and round: FindDate when
// lazy, else Find; cpu-ns/op is CPU time per line.
func benchDates(b *testing.B, lines []string, pattern string, lazy bool) {
	d, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC, Pattern: pattern})
	if err != nil {
		b.Fatal(err)
	}
	var dt Date
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuNow()
	for i := 0; i < b.N; i++ {
		if lazy {
			d.FindDate(lines[i%len(lines)], &dt)
		} else {
			d.Find(lines[i%len(lines)])
		}
	}
	b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
}

// headWriter keeps the first n lines written to it and drops the rest.
type headWriter struct {
	buf bytes.Buffer
	n   int
}

func (w *headWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if w.n == 0 {
			break
		}
		w.buf.WriteByte(c)
		if c == '\n' {
			w.n--
		}
	}
	return len(p), nil
}

// BenchmarkFindDateDense is BenchmarkFindDateService's traefik cases on
// the first 20,000 lines of the 1M-line traefik log (the log of
// bench-filters.sh and issue 13's table, 12 lines a second): there 1,657
// lines have a new second, where the 20,000-line log of
// BenchmarkFindDateService has 17,819 (the generator spreads any number
// of lines over the same day).
func BenchmarkFindDateDense(b *testing.B) {
	w := &headWriter{n: 20000}
	if _, err := authgen.Generate(w, authgen.Options{Lines: 1000000, Seed: 1, Service: "traefik-access"}); err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
	for _, sd := range serviceDates {
		if sd.service != "traefik-access" {
			continue
		}
		b.Run(sd.name, func(b *testing.B) { benchDates(b, lines, sd.pattern, true) })
	}
}
