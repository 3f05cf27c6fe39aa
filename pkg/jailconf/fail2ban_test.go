package jailconf

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
)

// jailsScript prints what fail2ban's JailsReader reads for every jail of
// the configuration under argv[1] (all jails forced on, as
// fail2ban-client -d would see them if enabled).
const jailsScript = `
import json, sys
from fail2ban.client.jailsreader import JailsReader
from fail2ban.helpers import splitWithOptions, extractOptions, splitwords
from fail2ban.server.mytime import MyTime
r = JailsReader(force_enable=True, basedir=sys.argv[1])
r.read()
r.getOptions(ignoreWrong=True)
out = {}
for j in r.jails:
    o = j.options
    d = {}
    for k in ("enabled", "maxretry", "maxmatches", "backend", "filter", "ignoreself", "ignorecommand", "logpath",
              "bantime.increment", "bantime.factor", "bantime.multipliers", "bantime.maxtime",
              "bantime.rndtime", "bantime.overalljails", "bantime.formula"):
        if o.get(k) is not None:
            d[k] = str(o[k])
    if o.get("findtime") is not None: d["findtime_s"] = float(MyTime.str2seconds(o["findtime"]))
    if o.get("bantime") is not None: d["bantime_s"] = float(MyTime.str2seconds(o["bantime"]))
    for k in ("bantime.maxtime", "bantime.rndtime"):
        if o.get(k): d[k + "_s"] = float(MyTime.str2seconds(o[k]))
    d["ignoreip"] = splitwords(o.get("ignoreip") or "")
    acts = []
    for a in splitWithOptions(o.get("action") or ""):
        a = a.strip()
        if not a: continue
        n, args = extractOptions(a)
        acts.append({"name": n, "args": args})
    d["actions"] = acts
    d["error"] = o.get("config-error", "")
    out[j.getName()] = d
print(json.dumps(out))
`

type f2bJail struct {
	Options  map[string]string
	FindTime *float64 `json:"findtime_s"`
	BanTime  *float64 `json:"bantime_s"`
	MaxTime  *float64 `json:"bantime.maxtime_s"`
	RndTime  *float64 `json:"bantime.rndtime_s"`
	IgnoreIP []string `json:"ignoreip"`
	Actions  []struct {
		Name string            `json:"name"`
		Args map[string]string `json:"args"`
	} `json:"actions"`
	Error string `json:"error"`
}

func fail2banJails(t *testing.T, dir string) map[string]f2bJail {
	t.Helper()
	testenv.RequireFile(t, dir+"/jail.conf", "fail2ban's configuration")
	py := testenv.RequirePython(t, "fail2ban.client.jailsreader")
	out, err := exec.Command(py, "-c", jailsScript, dir).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	m := make(map[string]f2bJail)
	for n, r := range raw {
		var j f2bJail
		if err := json.Unmarshal(r, &j); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(r, &j.Options); err != nil {
			// non-string members: decode the strings only
			var all map[string]any
			_ = json.Unmarshal(r, &all)
			j.Options = make(map[string]string)
			for k, v := range all {
				if s, ok := v.(string); ok {
					j.Options[k] = s
				}
			}
		}
		m[n] = j
	}
	return m
}

// TestStockJailsLikeFail2ban compares every jail of the installed
// /etc/fail2ban with what fail2ban's own JailsReader reads.
func TestStockJailsLikeFail2ban(t *testing.T) {
	want := fail2banJails(t, "/etc/fail2ban")
	s, err := Load("/etc/fail2ban/jail.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(s.Names()) {
		t.Errorf("%d jails, fail2ban %d", len(s.Names()), len(want))
	}
	secs := func(d time.Duration) float64 {
		if d < 0 {
			return -1
		}
		return d.Seconds()
	}
	for name, w := range want {
		j, err := s.Jail(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		o := w.Options
		if got := strconv.FormatBool(j.Enabled); !strings.EqualFold(got, o["enabled"]) {
			t.Errorf("%s: enabled %s, fail2ban %s", name, got, o["enabled"])
		}
		if v, ok := o["maxretry"]; ok && strconv.Itoa(j.MaxRetry) != v {
			t.Errorf("%s: maxretry %d, fail2ban %s", name, j.MaxRetry, v)
		}
		if v, ok := o["maxmatches"]; ok && strconv.Itoa(j.MaxMatches) != v {
			t.Errorf("%s: maxmatches %d, fail2ban %s", name, j.MaxMatches, v)
		}
		if j.Options["backend"] != o["backend"] {
			t.Errorf("%s: backend %q, fail2ban %q", name, j.Options["backend"], o["backend"])
		}
		if j.Filter != o["filter"] {
			t.Errorf("%s: filter %q, fail2ban %q", name, j.Filter, o["filter"])
		}
		if j.Options["logpath"] != o["logpath"] {
			t.Errorf("%s: logpath %q, fail2ban %q", name, j.Options["logpath"], o["logpath"])
		}
		if w.FindTime != nil && secs(j.FindTime) != *w.FindTime {
			t.Errorf("%s: findtime %v, fail2ban %vs", name, j.FindTime, *w.FindTime)
		}
		if w.BanTime != nil && secs(j.BanTime) != *w.BanTime && !(j.BanTime < 0 && *w.BanTime < 0) {
			t.Errorf("%s: bantime %v, fail2ban %vs", name, j.BanTime, *w.BanTime)
		}
		if len(j.IgnoreIP) != 0 || len(w.IgnoreIP) != 0 {
			if !reflect.DeepEqual(j.IgnoreIP, w.IgnoreIP) {
				t.Errorf("%s: ignoreip %q, fail2ban %q", name, j.IgnoreIP, w.IgnoreIP)
			}
		}
		compareMore(t, name, j, w, stockKeys)
		if len(j.Actions) != len(w.Actions) {
			t.Errorf("%s: %d actions, fail2ban %d", name, len(j.Actions), len(w.Actions))
			continue
		}
		for i, a := range j.Actions {
			if a.Name != w.Actions[i].Name || !reflect.DeepEqual(a.Args, w.Actions[i].Args) {
				t.Errorf("%s: action %d = %s %q, fail2ban %s %q", name, i, a.Name, a.Args, w.Actions[i].Name, w.Actions[i].Args)
			}
		}
	}
}

// TestLayeredLikeFail2ban compares testdata/layered (with stub filter and
// action files, which fail2ban needs to read a jail) with fail2ban.
func TestLayeredLikeFail2ban(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/layered")); err != nil {
		t.Fatal(err)
	}
	stubs := []string{"filter.d/sshd.conf", "filter.d/web.conf", "filter.d/recidive.conf",
		"action.d/iptables-multiport.conf", "action.d/iptables-allports.conf", "action.d/sendmail-whois.conf"}
	for _, f := range stubs {
		_ = os.MkdirAll(dir+"/"+f[:strings.IndexByte(f, '/')], 0o755)
		if err := os.WriteFile(dir+"/"+f, []byte("[Definition]\nfailregex = x <HOST>\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := fail2banJails(t, dir)
	s, err := Load(dir + "/jail.conf")
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		if w.Error != "" {
			t.Errorf("%s: fail2ban: %s", name, w.Error)
			continue
		}
		j, err := s.Jail(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := map[string]string{
			"enabled":  strconv.FormatBool(j.Enabled),
			"maxretry": strconv.Itoa(j.MaxRetry),
			"filter":   j.Filter,
			"logpath":  j.Options["logpath"],
		}
		for k, v := range got {
			if !strings.EqualFold(v, w.Options[k]) {
				t.Errorf("%s: %s = %q, fail2ban %q", name, k, v, w.Options[k])
			}
		}
		if b := j.BanTime.Seconds(); w.BanTime == nil || (b != *w.BanTime && !(b < 0 && *w.BanTime < 0)) {
			t.Errorf("%s: bantime %v, fail2ban %v", name, j.BanTime, w.BanTime)
		}
		if !reflect.DeepEqual(j.IgnoreIP, w.IgnoreIP) {
			t.Errorf("%s: ignoreip %q, fail2ban %q", name, j.IgnoreIP, w.IgnoreIP)
		}
		compareMore(t, name, j, w, layeredKeys)
		if len(j.Actions) != len(w.Actions) {
			t.Errorf("%s: %d actions, fail2ban %d", name, len(j.Actions), len(w.Actions))
		}
	}
	if len(want) != len(s.Names()) {
		t.Errorf("%d jails, fail2ban %d", len(s.Names()), len(want))
	}
}

// stockKeys are the options fail2ban's reader gives every stock jail;
// layeredKeys those testdata/layered sets for every jail. A missing one
// means a comparison would silently not happen.
var (
	stockKeys   = []string{"enabled", "maxretry", "maxmatches", "backend", "filter", "ignorecommand", "logpath"}
	layeredKeys = []string{"enabled", "maxretry", "filter"}
)

// compareMore compares ignoreself, ignorecommand and the bantime.*
// options with fail2ban's, its defaults where fail2ban's reader gives
// none (the server's defaults), and fails when fail2ban did not produce a
// key every jail has.
func compareMore(t *testing.T, name string, j *Jail, w f2bJail, required []string) {
	t.Helper()
	o := w.Options
	for _, k := range required {
		if _, ok := o[k]; !ok {
			t.Errorf("%s: fail2ban gave no %s", name, k)
		}
	}
	if w.FindTime == nil || w.BanTime == nil {
		t.Errorf("%s: fail2ban gave no findtime or bantime", name)
	}
	boolOr := func(k string, def bool) bool {
		if v, ok := o[k]; ok {
			return strings.EqualFold(v, "true")
		}
		return def
	}
	if want := boolOr("ignoreself", true); j.IgnoreSelf != want {
		t.Errorf("%s: ignoreself %v, fail2ban %v", name, j.IgnoreSelf, want)
	}
	if j.IgnoreCommand != o["ignorecommand"] {
		t.Errorf("%s: ignorecommand %q, fail2ban %q", name, j.IgnoreCommand, o["ignorecommand"])
	}
	inc := j.Increment
	if want := boolOr("bantime.increment", false); inc.Enabled != want {
		t.Errorf("%s: bantime.increment %v, fail2ban %v", name, inc.Enabled, want)
	}
	if want := boolOr("bantime.overalljails", false); inc.OverallJails != want {
		t.Errorf("%s: bantime.overalljails %v, fail2ban %v", name, inc.OverallJails, want)
	}
	factor := 1.0
	if v, ok := o["bantime.factor"]; ok {
		factor, _ = strconv.ParseFloat(v, 64)
	}
	if inc.Factor != factor {
		t.Errorf("%s: bantime.factor %v, fail2ban %v", name, inc.Factor, factor)
	}
	if inc.Formula != o["bantime.formula"] {
		t.Errorf("%s: bantime.formula %q, fail2ban %q", name, inc.Formula, o["bantime.formula"])
	}
	var mult []string
	for _, m := range inc.Multipliers {
		mult = append(mult, strconv.Itoa(m))
	}
	if got := strings.Join(mult, " "); got != strings.Join(strings.Fields(o["bantime.multipliers"]), " ") {
		t.Errorf("%s: bantime.multipliers %q, fail2ban %q", name, got, o["bantime.multipliers"])
	}
	for _, c := range []struct {
		key  string
		got  time.Duration
		want *float64
	}{{"bantime.maxtime", inc.MaxTime, w.MaxTime}, {"bantime.rndtime", inc.RndTime, w.RndTime}} {
		want := 0.0
		if c.want != nil {
			want = *c.want
		}
		if c.got.Seconds() != want {
			t.Errorf("%s: %s %v, fail2ban %vs", name, c.key, c.got, want)
		}
	}
}
