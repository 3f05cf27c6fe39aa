package datedetect

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/banpipe/banpipe/internal/testenv"
)

// f2bScript runs fail2ban's own DateDetector over cases read as JSON from
// standard input, as fail2ban's Filter.processLine uses it: matchTime, the
// span of group 1, then getTime on it.
const f2bScript = `
import sys, json, re
from fail2ban.server import strptime, datedetector
from fail2ban.server.mytime import MyTime
from fail2ban.server.datedetector import DateDetector, DateDetectorCache
from fail2ban.server.utils import Utils
req = json.load(sys.stdin)
strptime.timeRE['ExY'] = req['exy']
orig = list(DateDetectorCache.DEFAULT_TEMPLATES)
out = []
for case in req['cases']:
    DateDetectorCache.DEFAULT_TEMPLATES[:] = orig
    DateDetector._defCache = DateDetectorCache()
    datedetector.DD_patternCache = Utils.Cache(maxCount=1000, maxTime=60*60)
    MyTime.setTime(case['now'])
    dd = DateDetector()
    res = []
    try:
        if case['pattern']:
            for p in filter(bool, map(str.strip, re.split('\n+', case['pattern']))):
                dd.appendTemplate(p)
        if case.get('tz'):
            dd.default_tz = case['tz']
        if not case['lines']:
            for t in dd.templates:
                t.template.matchDate('')
    except Exception as e:
        out.append({'error': str(e)})
        continue
    for line in case['lines']:
        m, tpl = dd.matchTime(line)
        if not m:
            res.append(None)
            continue
        s, e = m.start(1), m.end(1)
        date = None
        if e > s:
            try:
                d = dd.getTime(line[s:e], (m, tpl))
                if d is not None:
                    date = d[0]
            except Exception:
                date = None
        res.append([s, e, date, tpl.name])
    out.append({'results': res})
json.dump(out, sys.stdout)
`

type f2bCase struct {
	Pattern string   `json:"pattern"`
	TZ      string   `json:"tz,omitempty"`
	Now     float64  `json:"now"`
	Lines   []string `json:"lines"`
}

type f2bResult struct {
	Error   string  `json:"error"`
	Results [][]any `json:"results"`
}

// fail2banPython returns a python3 that imports fail2ban, or skips.
func fail2banPython(t testing.TB) string {
	t.Helper()
	return testenv.RequirePython(t, "fail2ban.server.datedetector")
}

// runFail2ban runs the cases through fail2ban with TZ set to zone.
func runFail2ban(t *testing.T, zone string, year int, cases []f2bCase) []f2bResult {
	t.Helper()
	py := fail2banPython(t)
	req, err := json.Marshal(map[string]any{"exy": yearRE(year), "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", f2bScript)
	cmd.Env = append(os.Environ(), "TZ="+zone)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban: %v\n%s", err, stderr.String())
	}
	var res []f2bResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("fail2ban output: %v", err)
	}
	if len(res) != len(cases) {
		t.Fatalf("fail2ban returned %d results for %d cases", len(res), len(cases))
	}
	return res
}

// compareWithFail2ban runs every case through a Detector and through
// fail2ban and reports each difference in the span or the time (whole
// seconds: fail2ban drops fractions of %f). It returns the number of lines
// compared.
func compareWithFail2ban(t *testing.T, zone string, cases []f2bCase) int {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		testenv.Missing(t, "no tz database for %s: %v", zone, err)
	}
	year := time.Unix(int64(cases[0].Now), 0).Year()
	res := runFail2ban(t, zone, year, cases)
	n, bad := 0, 0
	for ci, c := range cases {
		opts := Options{Now: time.Unix(int64(c.Now), 0), Location: loc, Pattern: c.Pattern}
		if c.TZ != "" {
			z, err := ParseZone(c.TZ)
			if err != nil {
				t.Fatal(err)
			}
			opts.Location = z
		}
		d, err := New(opts)
		if (err != nil) != (res[ci].Error != "") {
			t.Errorf("pattern %q: error %v, fail2ban %q", c.Pattern, err, res[ci].Error)
			continue
		}
		if err != nil {
			continue
		}
		for li, line := range c.Lines {
			n++
			got, s, e, ok := d.Find(line)
			want := res[ci].Results[li]
			var diff string
			if want == nil {
				if ok || s != e {
					diff = "fail2ban finds no date"
				}
			} else {
				ws, we := int(want[0].(float64)), int(want[1].(float64))
				rs, re := utf8.RuneCountInString(line[:s]), utf8.RuneCountInString(line[:e])
				switch {
				case ws != rs || we != re:
					diff = "span differs: fail2ban " + jsonStr(ws, we)
				case want[2] == nil && we > ws:
					if ok {
						diff = "fail2ban has no valid date"
					}
				case want[2] != nil:
					wt := int64(want[2].(float64))
					if !ok {
						diff = "no valid date; fail2ban " + time.Unix(wt, 0).UTC().String()
					} else if got.Unix() != wt {
						diff = "time " + got.UTC().String() + "; fail2ban " + time.Unix(wt, 0).UTC().String()
					}
				}
			}
			if diff != "" {
				bad++
				if bad <= 30 {
					t.Errorf("pattern %q line %d %q: got %v [%d:%d] %q ok=%v; %s (fail2ban %v)", c.Pattern, li, line, got, s, e, line[s:e], ok, diff, want)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d lines differ from fail2ban", bad, n)
	}
	return n
}

func jsonStr(v ...any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
