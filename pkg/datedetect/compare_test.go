package datedetect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/banpipe/banpipe/internal/testenv"
)

// nows are reference times around New Year and in the middle of a year.
var nows = []time.Time{
	time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC),
	time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC),
	time.Date(2005, 8, 14, 12, 0, 0, 0, time.UTC),
}

// TestDefaultsAgainstFail2ban runs generated streams through the default
// templates here and in fail2ban and wants the same span and time for
// every line (this also checks the adaptive template order).
func TestDefaultsAgainstFail2ban(t *testing.T) {
	fail2banPython(t)
	for _, zone := range []string{"UTC", "Europe/Berlin"} {
		var cases []f2bCase
		for i, now := range nows {
			g := newLineGen(uint64(i + 1))
			cases = append(cases, f2bCase{Now: float64(now.Unix()), Lines: g.stream(1500 / scale)})
		}
		// cases compared in groups of one year (%ExY is per year)
		byYear := map[int][]f2bCase{}
		for _, c := range cases {
			y := time.Unix(int64(c.Now), 0).Year()
			byYear[y] = append(byYear[y], c)
		}
		for _, cs := range byYear {
			n := compareWithFail2ban(t, zone, cs)
			t.Logf("%s: %d lines compared", zone, n)
		}
	}
}

// patternCases are datepatterns (those of Debian's filter.d after
// interpolation, and the keywords) with lines written for them.
var patternCases = []struct {
	pattern string
	lines   []string
}{
	{"{^LN-BEG}", []string{"Nov 22 10:00:01 h sshd[1]: x", "x Nov 22 10:00:01 h", "[2026-11-21 10:00:00] y", "1763805600 z"}},
	{"{DEFAULT}", []string{"Nov 22 10:00:01 h sshd[1]: x", "x Nov 22 10:00:01 h"}},
	{"{NONE}", []string{"Nov 22 10:00:01 h sshd[1]: x", "no date at all"}},
	{"EPOCH", []string{"1138049999 [sshd] error", "[1138049999.555] x", "audit(1138049999.555:101) x", "123456789 x", "9999999999999999 x", "1138049999A x", "A1138049999 x", "[32535244799] x"}},
	{"LEPOCH", []string{"1138049999000 x", "1138049999000000 x", "[1138049999123] x", "audit(1138049999:101) x", "1138049999123.456 x", "999999999999999999 x"}},
	{"{^LN-BEG}EPOCH", []string{"1138049999 x", "x 1138049999", "[1138049999] x"}},
	{"^TAI64N", []string{"@4000000041f4104f00000000 x", "x @4000000041f4104f00000000"}},
	{"TAI64N", []string{"x @4000000041f4104f0000000a y", "@4000000041f4104f"}},
	{`(?<=\|\s){LEPOCH}(?=\s\|)`, []string{"auth-error | 1138049999000 | invalid password", "test1138049999123", "a | 1138049999 | b"}},
	{`^[^\[]*\[({DATE})`, []string{"host [2026-11-21 10:00:00] x", "abc [22/Nov/2026:10:00:00 +0100] GET", "x [nodate] y"}},
	{`^[^\[]*(\[{DATE}\s*\])`, []string{"host [2026-11-21 10:00:00 ] x", "x [Nov 21 10:00:00] y"}},
	{`^{DATE}`, []string{"2026-11-21 10:00:00 x", "x 2026-11-21 10:00:00", "Epoch x"}},
	{`^<W>{DATE}`, []string{"<W>2026-11-21 10:00:00 x", "<W>Nov 21 10:00:00 y"}},
	{`{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`, []string{"2026-11-21T10:00:00.123+01:00 x", "[2026/11/21 10:00:00] y", "x 2026-11-21 10:00:00"}},
	{`{^LN-BEG}%b-%d-%Exy %H:%M:%S`, []string{"Nov-21-26 10:00:00 x", "nov-21-26 10:00:00 x"}},
	{`^t=%Y-%m-%dT%H:%M:%S%z`, []string{"t=2026-11-21T10:00:00+0100 lvl=info", "t=2026-11-21T10:00:00Z x"}},
	{`^\[%d/%b/%Y %H:%M:%S\]`, []string{"[21/Nov/2026 10:00:00] x", "[21/nov/2026 10:00:00] x"}},
	{`^(?:=[^=]+={3,} )?(%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\s*%z)?)`, []string{"=INFO==== 2026-11-21 10:00:00 x", "2026-11-21 10:00:00,123 x"}},
	{`^(?:%Y-)?%m-%d[ T]%H:%M:%S(?:\.%f)?`, []string{"2026-11-21 10:00:00.5 x", "11-21 10:00:00 x", "12-31 23:59:59 x", "01-01 00:00:01 x"}},
	{`^%m/%d/%Y %H:%M:%S`, []string{"11/21/2026 10:00:00 x"}},
	{`^%b %d, %ExY %I:%M:%S %p`, []string{"Nov 21, 2026 12:00:00 AM x", "Nov 21, 2026 12:00:00 PM x", "Nov 21, 2026 1:00:00 pm x"}},
	{`^%Y:%m:%d-%H:%M:%S`, []string{"2026:11:21-10:00:00 x"}},
	{`^%H:%M:%S.%f`, []string{"10:00:00.123456 x", "23:59:59.1 x"}},
	{`%d/%b[^/]*/%Y:%H:%M:%S %z`, []string{"1.2.3.4 - - [21/Nov/2026:10:00:00 +0100] x", "[21/November/2026:10:00:00 -0700]"}},
	{`%H:%M:%S`, []string{"00:01:02 test", "test 00:1:2", "test  0:1:2", "0:1:2 test"}},
	{`{UNB}%H:%M:%S`, []string{"00:01:02test", "test00:1:2"}},
	{`**%H:%M:%S %d.%m.%Y**`, []string{"192.0.2.1x20:00:00 01.02.2003", "20:00:00 01.02.2003x192.0.2.1"}},
	{`\**%H:%M:%S %d.%m.%Y\**`, []string{"test*20:00:00 01.02.2003*test"}},
	{`%H:%M:%S %d.%m.%Y$`, []string{"192.0.2.1 at 20:00:00 01.02.2003", "20:00:00 01.02.2003 x"}},
	{`^%ExY-%Exm-%Exd %H:%M:%S(?: ?%Exz)?`, []string{"2017-01-23 15:00:00", "2017-01-23 15:00:00 GMT", "2017-01-23 15:00:00 -1045", "2017-01-23 15:00:00 +09:45", "2017-01-23 15:00:00 Z", "2017-01-23 15:00:00 CET", "2017-01-23 15:00:00 CEST", "2017-01-23 15:00:00 CET+0130", "2017-01-23 15:00:00 ABCD"}},
	{`^%B %Exd %I:%ExM:%ExS**`, []string{"January 23 12:59:59"}},
	{`^%y %U %A %ExH:%ExM:%ExS**`, []string{"01 11 Wednesday 21:59:59", "26 00 Monday 10:00:00"}},
	{`^%y %W %w %ExH:%ExM:%ExS**`, []string{"01 11 0 21:59:59", "01 11 6 21:59:59", "26 47 3 10:00:00"}},
	{`^%ExH:%ExM:%ExS**`, []string{"21:59:59", "00:00:01", "23:59:59"}},
	{`^%m/%d %ExH:%ExM:%ExS**`, []string{"09/01 21:59:59", "12/31 23:00:00", "01/01 00:10:00", "02/29 10:00:00"}},
	{`^%Y-%m-%d**`, []string{"2004-09-01"}},
	{`^%Y-%m-%d%z**`, []string{"2004-09-01Z"}},
	{`(?iu)**time:%ExY%Exm%ExdT%ExH%ExM%ExS**`, []string{"XTIME:20050102T010203X", "time:20050102T010203"}},
	{`{^LN-BEG}time:%ExY%Exm%ExdT%ExH%ExM%ExS`, []string{"Xtime:20050102T010203", "##time:20050102T010203...", "TIME:20050102T010203"}},
	{`^%Y %b %d`, []string{"2005 jun 03", "2005 JUN 03"}},
	{`^%j %Y %H:%M`, []string{"032 2026 10:00 x", "366 2024 10:00 x"}},
	{`^%Y-%m %H:%M`, []string{"2026-11 10:00 x"}},
	{"EPOCH\n{^LN-BEG}", []string{"1138049999 x", "Nov 22 10:00:01 y", "x Nov 22 10:00:01 y"}},
	{"%q", nil},
	{"(%ExY%Exm%Exd", nil},
	{"EPOCH\nEPOCH", nil},
}

// TestPatternsAgainstFail2ban compares datepatterns with fail2ban, on the
// lines written for them and on generated lines.
func TestPatternsAgainstFail2ban(t *testing.T) {
	fail2banPython(t)
	for _, zone := range []string{"UTC", "Europe/Berlin"} {
		for _, now := range nows[:3] {
			var cases []f2bCase
			g := newLineGen(uint64(now.Unix()))
			for _, pc := range patternCases {
				lines := append([]string{}, pc.lines...)
				if len(lines) > 0 {
					lines = append(lines, g.stream(60)...)
				}
				cases = append(cases, f2bCase{Pattern: pc.pattern, Now: float64(now.Unix()), Lines: lines})
			}
			for _, tz := range []string{"UTC+0300", "UTC-0430", "CET", "CEST-01", "GMT+12"} {
				cases = append(cases, f2bCase{Pattern: patternCases[29].pattern, TZ: tz, Now: float64(now.Unix()), Lines: patternCases[29].lines})
			}
			n := compareWithFail2ban(t, zone, cases)
			t.Logf("%s %v: %d lines compared", zone, now, n)
		}
	}
}

const f2bSampleLogs = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"

// filterDatePattern returns the datepattern of /etc/fail2ban/filter.d/NAME.conf
// when it is a plain value ("" when absent or interpolated).
func filterDatePattern(name string) string {
	b, err := os.ReadFile(filepath.Join("/etc/fail2ban/filter.d", name+".conf"))
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(k) != "datepattern" {
			continue
		}
		v = strings.TrimSpace(v)
		for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], " ") || j < len(lines) && strings.HasPrefix(lines[j], "\t"); j++ {
			v += "\n" + strings.TrimSpace(lines[j])
		}
		if strings.Contains(v, "<") && strings.Contains(v, ">") && !strings.Contains(v, "{") || strings.Contains(v, "%(") {
			return ""
		}
		return strings.ReplaceAll(v, "%%", "%")
	}
	return ""
}

// TestSampleLogsAgainstFail2ban dates every line of fail2ban's own sample
// logs, file by file as one stream, with the filter's datepattern and with
// the default templates, here and in fail2ban.
func TestSampleLogsAgainstFail2ban(t *testing.T) {
	fail2banPython(t)
	files, err := filepath.Glob(filepath.Join(f2bSampleLogs, "*"))
	if err != nil || len(files) == 0 {
		testenv.Missing(t, "fail2ban's sample logs are not installed (%s)", f2bSampleLogs)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	var cases []f2bCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // directories
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if !strings.HasPrefix(l, "#") && utf8.ValidString(l) {
				lines = append(lines, strings.TrimSuffix(l, "\r"))
			}
		}
		if len(lines) == 0 {
			continue
		}
		cases = append(cases, f2bCase{Now: float64(now.Unix()), Lines: lines})
		if p := filterDatePattern(filepath.Base(f)); p != "" {
			cases = append(cases, f2bCase{Pattern: p, Now: float64(now.Unix()), Lines: lines})
		}
	}
	for _, zone := range []string{"UTC", "Europe/Berlin"} {
		n := compareWithFail2ban(t, zone, cases)
		t.Logf("%s: %d lines of %d cases compared", zone, n, len(cases))
	}
}
