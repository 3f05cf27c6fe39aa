package f2bconf

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

// fail2banPython returns a python3 that can import fail2ban, or skips.
func fail2banPython(t *testing.T) string {
	t.Helper()
	testenv.RequireFile(t, filepath.Join(stockDir, "filter.d", "sshd.conf"), "fail2ban's filters")
	return testenv.RequirePython(t, "fail2ban.client.filterreader")
}

// combineScript prints, for each "name[args]" argument, the options that
// fail2ban's FilterReader (or ActionReader) combines, as JSON strings.
const combineScript = `
import json, sys
from fail2ban.client.filterreader import FilterReader
from fail2ban.client.actionreader import ActionReader
from fail2ban.helpers import extractOptions
out = {}
kind = sys.argv[1]
for spec in sys.argv[2:]:
    name, args = extractOptions(spec)
    if kind == "filter":
        r = FilterReader(name, "jail", args, basedir="/etc/fail2ban")
        r.read(); r.getOptions({})
        o = r.getCombined()
    else:
        r = ActionReader(name, "jail", args, basedir="/etc/fail2ban")
        r.read(); r.getOptions({})
        o = r.getCombined(ignore=set(("timeout", "bantime")))
        if kind == "action6":
            from fail2ban.helpers import substituteRecursiveTags
            o = substituteRecursiveTags(o, "family=inet6", ignore=set(("timeout", "bantime")))
    out[spec] = dict((k, str(v)) for k, v in o.items() if v is not None)
print(json.dumps(out))
`

func fail2banCombined(t *testing.T, kind string, specs []string) map[string]map[string]string {
	t.Helper()
	py := fail2banPython(t)
	cmd := exec.Command(py, append([]string{"-c", combineScript, kind}, specs...)...)
	cmd.Stderr = nil
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python fail2ban: %v", err)
	}
	var m map[string]map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		if len(m[s]) == 0 {
			t.Fatalf("fail2ban gave nothing for %s", s)
		}
	}
	return m
}

func compareCombined(t *testing.T, dir string, keys []string, want map[string]map[string]string, convert func(k, v string) string) {
	compareCombinedCond(t, dir, keys, want, convert, "")
}

func compareCombinedCond(t *testing.T, dir string, keys []string, want map[string]map[string]string, convert func(k, v string) string, cond string) {
	t.Helper()
	specs := make([]string, 0, len(want))
	for s := range want {
		specs = append(specs, s)
	}
	sort.Strings(specs)
	for _, spec := range specs {
		name, args, err := ParseSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Read(filepath.Join(stockDir, dir, name+".conf"), nil)
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		var ignore []string
		if dir == "action.d" {
			// as fail2ban's ActionReader: the jail's name, the action's name
			ignore = []string{"timeout", "bantime"}
			if _, ok := args["name"]; !ok {
				args["name"] = "jail"
			}
			if _, ok := args["actname"]; !ok {
				args["actname"] = name
			}
		}
		got, err := c.Combine(keys, false, nil, args, TagOptions{Ignore: ignore})
		if err == nil && cond != "" {
			got, err = SubstituteTags(got, TagOptions{Ignore: ignore, Conditional: cond})
		}
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		w := want[spec]
		for k, wv := range w {
			gv, ok := got[k]
			if convert != nil {
				gv = convert(k, gv)
			}
			if !ok {
				t.Errorf("%s: %s missing, fail2ban has %q", spec, k, wv)
			} else if gv != wv {
				t.Errorf("%s: %s:\ngot  %q\nwant %q", spec, k, gv, wv)
			}
		}
		for k := range got {
			if _, ok := w[k]; !ok {
				t.Errorf("%s: extra key %s = %q", spec, k, got[k])
			}
		}
	}
}

// TestSshdAggressiveLikeFail2ban expands sshd.conf's failregex for every
// mode exactly as fail2ban's FilterReader does, computed by fail2ban itself
// at test time.
func TestSshdAggressiveLikeFail2ban(t *testing.T) {
	specs := []string{"sshd[mode=aggressive]", "sshd", "sshd[mode=ddos]", "sshd[mode=extra]", "sshd[mode=normal, publickey=invalid]"}
	want := fail2banCombined(t, "filter", specs)
	// aggressive is normal plus ddos plus extra: it must hold more lines
	if a, n := want["sshd[mode=aggressive]"]["failregex"], want["sshd"]["failregex"]; strings.Count(a, "\n") <= strings.Count(n, "\n") || strings.Contains(a, "<mdre-") {
		t.Fatalf("fail2ban's aggressive failregex is not an expansion:\n%s", a)
	}
	compareCombined(t, "filter.d", FilterKeys, want, nil)
}

// TestStockFiltersLikeFail2ban compares every stock filter, default options.
func TestStockFiltersLikeFail2ban(t *testing.T) {
	files := stockFiles(t, "filter.d/*.conf")
	var specs []string
	for _, f := range files {
		n := strings.TrimSuffix(filepath.Base(f), ".conf")
		if strings.HasSuffix(n, "common") {
			continue
		}
		specs = append(specs, n)
	}
	want := fail2banCombined(t, "filter", specs)
	compareCombined(t, "filter.d", FilterKeys, want, nil)
}

// TestStockActionsLikeFail2ban compares every stock action, with
// arguments for the conditional family=inet6 options.
func TestStockActionsLikeFail2ban(t *testing.T) {
	files := stockFiles(t, "action.d/*.conf")
	var specs []string
	for _, f := range files {
		n := strings.TrimSuffix(filepath.Base(f), ".conf")
		specs = append(specs, n)
	}
	// jail.conf's action_mw and action_ passes chain="<known/chain>": to an
	// action without a chain of its own it stays a tag, to one with a
	// chain in [Init] it is that chain
	specs = append(specs, `sendmail-whois[name=jail, dest=root, chain="<known/chain>"]`,
		`iptables-multiport[name=jail, port="ssh", protocol="tcp", chain="<known/chain>"]`)
	want := fail2banCombined(t, "action", specs)
	compareCombined(t, "action.d", ActionKeys, want, boolAsPython)
}

// TestActionsInet6LikeFail2ban substitutes the conditional
// [Init?family=inet6] values as fail2ban does for an IPv6 ban.
func TestActionsInet6LikeFail2ban(t *testing.T) {
	specs := []string{"iptables-multiport[port=\"22,80\", protocol=tcp]", "iptables-ipset-proto6", "iptables-allports[blocktype=DROP]", "nftables-multiport", "ip6tables-multiport"}
	for _, s := range specs[:] {
		name, _, _ := ParseSpec(s)
		if _, err := os.Stat(filepath.Join(stockDir, "action.d", name+".conf")); err != nil {
			specs = slices.DeleteFunc(specs, func(x string) bool { return x == s })
		}
	}
	want := fail2banCombined(t, "action6", specs)
	compareCombinedCond(t, "action.d", ActionKeys, want, boolAsPython, "family=inet6")
	if w := want["iptables-multiport[port=\"22,80\", protocol=tcp]"]["actionban"]; !strings.Contains(w, "ip6tables") {
		t.Errorf("fail2ban's inet6 actionban does not use ip6tables: %q", w)
	}
}

func boolAsPython(k, v string) string {
	switch k {
	case "actionstart_on_demand", "actionrepair_on_unban", "norestored":
		switch strings.ToLower(v) {
		case "1", "on", "true", "yes":
			return "True"
		}
		return "False"
	}
	return v
}

// TestMixedCaseArgsLikeFail2ban: an argument named like a [Definition]
// option in another case (FailRegex=) does not stop fail2ban reading that
// option; the lower-cased vars make its value the argument's, and the
// argument stays under its own name too.
func TestMixedCaseArgsLikeFail2ban(t *testing.T) {
	specs := []string{`sshd[FailRegex="^mixed <HOST>$"]`, `sshd[failregex="^lower <HOST>$", Mode=ddos]`}
	want := fail2banCombined(t, "filter", specs)
	if want[specs[0]]["failregex"] != "^mixed <HOST>$" {
		t.Fatalf("fail2ban's failregex for %s: %q", specs[0], want[specs[0]]["failregex"])
	}
	compareCombined(t, "filter.d", FilterKeys, want, nil)
}
