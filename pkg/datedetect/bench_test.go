package datedetect

import (
	"testing"
	"time"
)

func benchLines(b *testing.B, lines []string, noFast bool) {
	d, err := New(Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	d.noFast = noFast
	for _, l := range lines { // settle the template order
		d.Find(l)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, _, ok := d.Find(lines[i%len(lines)]); !ok {
			b.Fatal("no date")
		}
	}
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
