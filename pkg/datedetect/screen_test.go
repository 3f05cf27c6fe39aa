package datedetect

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
)

// screenLines are lines that put a date mid-line, or text that looks
// like one to some template only (an "@" without TAI64N's 24 hex digits,
// a digit run of 8 or 10 without a date, a colon after digits), after
// an access-log date that moves from line to line.
var screenLines = []string{
	`192.0.2.7 - u [21/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 401 0 "-" "Gecko/20100101 Firefox/128.0" 1 "web@docker" "http://172.18.0.4:80" 3ms`,
	`198.51.100.183 - - [21/Nov/2026:00:00:01 +0000] "GET /a HTTP/2.0" 200 5 "-" "x" 863 "web@4000000062ab0f2c1a2b3c4d" 5ms`,
	`x @4000000062ab0f2c1a2b3c4d y 21/Nov/2026:00:00:02`,
	`@4000000062ab0f2c1a2b3c4d`,
	`: @4000000062ab0f2c1a2b3c4 [21/Nov/2026:00:00:03 +0000]`,
	`1700000000 x 21/Nov/2026:00:00:04`,
	`[1700000000.123] y`,
	`audit(1700000000.123:42): z 11/21/2026:00:00:05`,
	`id 12345678901 at 11/21/2026:10:00:06 and 20261121 10:00:07`,
	`a 20261121T100008 b`,
	`t 2026-11-21 10:00:09 u`,
	`Nov 21 10:00:10 host x`,
	`Sat Nov 21 10:00:11 2026 x`,
	`on 21-11-2026 10:00:12 x`,
	`x 11-21-2026 10:00:13.5 y`,
	`x Nov 21, 2026 10:00:14 PM y`,
	`x 261121 10:00:15 y`,
	`x 26112110:00:16 y`,
	`Nov-21-26 10:00:17 x`,
	`10:00:18 only`,
	`<11/21/26@10:00:19>`,
	`1:2:3 99:99:99 2026:00:00:00`,
}

// TestScreenAgainstRegex: with the default templates (no datepattern),
// the fast path with its shared checks finds the same date and span as
// the regex path on every line, in order (the adaptive state carries
// over), over the lines above and 1,000 lines of every generated service
// log.
func TestScreenAgainstRegex(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	run := func(name string, lines []string) {
		fast, err := New(Options{Now: now, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		slow, _ := New(Options{Now: now, Location: time.UTC})
		slow.noFast = true
		for i, l := range lines {
			ft, fs, fe, fok := fast.Find(l)
			st, ss, se, sok := slow.Find(l)
			if fs != ss || fe != se || fok != sok || !ft.Equal(st) {
				t.Fatalf("%s line %d %q: fast %v [%d:%d] %v, regex %v [%d:%d] %v", name, i+1, l, ft, fs, fe, fok, st, ss, se, sok)
			}
		}
	}
	var all []string
	for range 3 {
		all = append(all, screenLines...)
	}
	run("screenLines", all)
	for _, svc := range authgen.Services() {
		var b bytes.Buffer
		if _, err := authgen.Generate(&b, authgen.Options{Lines: 1000, Seed: 3, Service: svc}); err != nil {
			t.Fatal(err)
		}
		var lines []string
		sc := bufio.NewScanner(&b)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		run(svc, lines)
		// the date moved mid-line, as in logs behind a prefix
		for i, l := range lines {
			lines[i] = strings.Repeat("x", i%7) + " " + l
		}
		run(svc+" (moved)", lines)
	}
}

// FuzzScreen: the shared checks never rule out a template that matches
// (fast and regex paths agree with the default templates) on lines made
// of a fuzzed line after an access-log date.
func FuzzScreen(f *testing.F) {
	for _, l := range screenLines {
		f.Add(l)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line string) {
		fast, _ := New(Options{Now: now, Location: time.UTC})
		slow, _ := New(Options{Now: now, Location: time.UTC})
		slow.noFast = true
		for _, l := range []string{screenLines[0], line, screenLines[1], line} {
			ft, fs, fe, fok := fast.Find(l)
			st, ss, se, sok := slow.Find(l)
			if fs != ss || fe != se || fok != sok || !ft.Equal(st) {
				t.Fatalf("%q: fast %v [%d:%d] %v, regex %v [%d:%d] %v", l, ft, fs, fe, fok, st, ss, se, sok)
			}
		}
	})
}
