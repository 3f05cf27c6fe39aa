package filter_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/filter"
)

// f2bExpand reads every stock filter with fail2ban's own FilterReader and
// Regex classes and prints the patterns fail2ban compiles.
const f2bExpand = `
import json, os, sys
from fail2ban.client.filterreader import FilterReader
from fail2ban.server.filter import Filter
out = {}
for name, opts in json.load(sys.stdin):
    fr = FilterReader(name, "jail", dict(opts), basedir="/etc/fail2ban")
    fr.read(); fr.getOptions({})
    flt = Filter(None)
    res = {"fail": [], "ignore": [], "pref": None, "maxlines": 1, "datepattern": None}
    try:
        for opt in fr.convert():
            vals = opt[3] if opt[0] == "multi-set" else [opt[3]]
            for v in vals:
                if opt[2] == "usedns": flt.setUseDns(v)
                elif opt[2] == "prefregex": flt.prefRegex = v
                elif opt[2] == "addfailregex": flt.addFailRegex(v)
                elif opt[2] == "addignoreregex": flt.addIgnoreRegex(v)
                elif opt[2] == "maxlines": flt.setMaxLines(v)
                elif opt[2] == "datepattern": res["datepattern"] = v
    except Exception as e:
        res["error"] = str(e)
    res["fail"] = [r.getRegex() for r in flt._Filter__failRegex]
    res["ignore"] = [r.getRegex() for r in flt._Filter__ignoreRegex]
    res["pref"] = flt.prefRegex.getRegex() if flt.prefRegex else None
    res["maxlines"] = flt.getMaxLines()
    out[name + json.dumps(opts, sort_keys=True)] = res
json.dump(out, sys.stdout)
`

type f2bFilter struct {
	Fail        []string `json:"fail"`
	Ignore      []string `json:"ignore"`
	Pref        *string  `json:"pref"`
	MaxLines    int      `json:"maxlines"`
	DatePattern *string  `json:"datepattern"`
	Error       string   `json:"error"`
}

// TestLoadAgainstFail2ban loads every stock filter, with the option
// combinations of the modes they offer, and compares the expanded regexes
// with those fail2ban's own reader and Regex class produce.
func TestLoadAgainstFail2ban(t *testing.T) {
	// Debian's interpreter, the one fail2ban's package installs into
	py := testenv.RequirePython(t, "fail2ban")
	ents, err := os.ReadDir(f2bFilters)
	if err != nil {
		testenv.Missing(t, "fail2ban's filters are not installed: %v", err)
	}
	type job struct {
		name string
		opts map[string]string
	}
	var jobs []job
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), ".conf")
		if !ok || strings.HasSuffix(e.Name(), "common.conf") {
			continue
		}
		jobs = append(jobs, job{n, map[string]string{}})
		raw, _ := os.ReadFile(filepath.Join(f2bFilters, e.Name()))
		for _, mode := range []string{"aggressive", "ddos", "extra", "normal", "rbl", "auth", "more", "fallback", "errors"} {
			if bytes.Contains(raw, []byte("-"+mode)) {
				jobs = append(jobs, job{n, map[string]string{"mode": mode}})
			}
		}
		for _, lt := range []string{"journal", "short", "rfc5424"} {
			if bytes.Contains(raw, []byte("common.conf")) {
				jobs = append(jobs, job{n, map[string]string{"logtype": lt}})
			}
		}
		jobs = append(jobs, job{n, map[string]string{"usedns": "no"}})
	}
	var in [][]any
	for _, j := range jobs {
		in = append(in, []any{j.name, j.opts})
	}
	data, _ := json.Marshal(in)
	cmd := exec.Command(py, "-c", f2bExpand)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban: %v", err)
	}
	var want map[string]f2bFilter
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, j := range jobs {
		optJSON, _ := json.Marshal(j.opts)
		w, ok := want[j.name+strings.ReplaceAll(string(optJSON), ":", ": ")]
		if !ok {
			t.Errorf("%s %v: no fail2ban result", j.name, j.opts)
			continue
		}
		def, err := filter.Load(filepath.Join(f2bFilters, j.name+".conf"), j.opts, nil)
		if w.Error != "" {
			if err == nil {
				if _, err = filter.Compile(*def, filter.Options{}); err == nil {
					t.Errorf("%s %v: fail2ban refuses it (%s), we accept it", j.name, j.opts, w.Error)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %v: %v", j.name, j.opts, err)
			continue
		}
		f, err := filter.Compile(*def, filter.Options{})
		if err != nil {
			t.Errorf("%s %v: %v", j.name, j.opts, err)
			continue
		}
		compared++
		var fail, ign []string
		for _, r := range f.FailRegexes() {
			fail = append(fail, r.Expanded)
		}
		for _, r := range f.IgnoreRegexes() {
			ign = append(ign, r.Expanded)
		}
		if !slices.Equal(fail, w.Fail) {
			t.Errorf("%s %v: failregexes differ\ngot  %q\nwant %q", j.name, j.opts, fail, w.Fail)
		}
		if !slices.Equal(ign, w.Ignore) {
			t.Errorf("%s %v: ignoreregexes differ\ngot  %q\nwant %q", j.name, j.opts, ign, w.Ignore)
		}
		pref := ""
		if p := f.PrefRegex(); p != nil {
			pref = p.Expanded
		}
		if wp := deref(w.Pref); pref != wp {
			t.Errorf("%s %v: prefregex differs\ngot  %q\nwant %q", j.name, j.opts, pref, wp)
		}
		if f.MaxLines() != w.MaxLines {
			t.Errorf("%s %v: maxlines %d, want %d", j.name, j.opts, f.MaxLines(), w.MaxLines)
		}
		if wd := deref(w.DatePattern); def.DatePattern != wd {
			t.Errorf("%s %v: datepattern %q, want %q", j.name, j.opts, def.DatePattern, wd)
		}
	}
	t.Logf("%d filter variants compared with fail2ban", compared)
	if compared != stockFilterVariants {
		t.Errorf("%d filter variants compared with fail2ban, want exactly %d (the README's figure)", compared, stockFilterVariants)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// stockFilterVariants is the number of (filter, mode/logtype) variants of
// Debian's fail2ban 1.0.2 filters: the README's "every stock filter
// variant (381)".
const stockFilterVariants = 381
