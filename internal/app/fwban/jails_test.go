package fwban

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/f2bconf"
)

// enabledScript prints what fail2ban's own JailsReader makes of the jail
// configuration under argv[1]: its enabled jails, each with its ignoreip
// entries as fail2ban's IPAddr reads them, its bantime in seconds and its
// actions (name and arguments).
const enabledScript = `
import json, sys
from fail2ban.client.jailsreader import JailsReader
from fail2ban.helpers import splitWithOptions, extractOptions, splitwords
from fail2ban.server.ipdns import IPAddr
from fail2ban.server.mytime import MyTime
r = JailsReader(basedir=sys.argv[1])
r.read()
r.getOptions(ignoreWrong=True)
out = {}
for j in r.jails:
    if not j.isEnabled():
        continue
    o = j.options
    d = {"ignoreip": sorted(set(IPAddr(x).ntoa for x in splitwords(o.get("ignoreip") or ""))),
         "bantime": int(MyTime.str2seconds(o["bantime"])), "actions": []}
    for a in splitWithOptions(o.get("action") or ""):
        a = a.strip()
        if a:
            n, args = extractOptions(a)
            d["actions"].append({"name": n, "args": args})
    out[j.getName()] = d
print(json.dumps(out))
`

type f2bEnabled struct {
	IgnoreIP []string `json:"ignoreip"`
	Bantime  int64    `json:"bantime"`
	Actions  []struct {
		Name string            `json:"name"`
		Args map[string]string `json:"args"`
	} `json:"actions"`
}

// enabledLikeFail2ban compares fwban --dump of dir's jail.conf with what
// fail2ban's reader makes of it: the same enabled jails, each with the same
// ignoreip (as prefixes), bantime and actions, and, on the kernel
// backends, the chains and sets named after the action's name= argument.
// It returns the number of jails compared.
func enabledLikeFail2ban(t *testing.T, dir string) int {
	t.Helper()
	py := testenv.RequirePython(t, "fail2ban.client.jailsreader")
	cmd := exec.Command(py, "-c", enabledScript, dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban's reader: %v", err)
	}
	var want map[string]f2bEnabled
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	got := dumpOf(t, dir)
	var gotNames, wantNames []string
	for n := range got {
		gotNames = append(gotNames, n)
	}
	for n := range want {
		wantNames = append(wantNames, n)
	}
	sort.Strings(gotNames)
	sort.Strings(wantNames)
	if !reflect.DeepEqual(gotNames, wantNames) {
		t.Fatalf("enabled jails:\nfwban    %q\nfail2ban %q", gotNames, wantNames)
	}
	for n, w := range want {
		g := got[n]
		if !g.Enabled {
			t.Errorf("%s: fwban --dump says not enabled", n)
		}
		gi := append([]string(nil), g.IgnoreIP...)
		sort.Strings(gi)
		gi = dedupe(gi)
		// (fail2ban writes single addresses without their length, as fwban.)
		wi := make([]string, len(w.IgnoreIP))
		for i, p := range w.IgnoreIP {
			pp, err := event.ParseIP(p)
			if err != nil {
				t.Fatalf("%s: fail2ban's ignoreip %q: %v", n, p, err)
			}
			wi[i] = event.FormatPrefix(pp)
		}
		sort.Strings(wi)
		if len(gi) != len(wi) || len(gi) > 0 && !reflect.DeepEqual(gi, wi) {
			t.Errorf("%s: ignoreip %q, fail2ban %q", n, gi, wi)
		}
		if g.Bantime != w.Bantime {
			t.Errorf("%s: bantime %d, fail2ban %d", n, g.Bantime, w.Bantime)
		}
		if len(g.Actions) != len(w.Actions) {
			t.Errorf("%s: %d actions, fail2ban %d", n, len(g.Actions), len(w.Actions))
			continue
		}
		for i, wa := range w.Actions {
			name, args, err := f2bconf.ParseSpec(g.Actions[i].Spec)
			if err != nil {
				t.Errorf("%s: action %q: %v", n, g.Actions[i].Spec, err)
				continue
			}
			if name != wa.Name || !reflect.DeepEqual(args, nonNil(wa.Args)) {
				t.Errorf("%s: action %d: %s %v, fail2ban %s %v", n, i, name, args, wa.Name, wa.Args)
			}
		}
		if g.Backend != "action" && len(w.Actions) == 1 {
			obj := n
			if v := w.Actions[0].Args["name"]; v != "" {
				obj = v
			}
			if g.Name != obj {
				t.Errorf("%s: kernel objects f2b-%s, fail2ban's action names them f2b-%s", n, g.Name, obj)
			}
		}
	}
	return len(want)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// TestStockEnabledLikeFail2ban enables every jail of the stock jail.conf
// (with its default action and with a reporting shortcut) and compares
// fwban's view with fail2ban's reader.
func TestStockEnabledLikeFail2ban(t *testing.T) {
	dir, jails := stockJails(t)
	for _, shortcut := range []string{"", "action_mwl", "action_blocklist_de"} {
		t.Run("action="+shortcut, func(t *testing.T) {
			writeLocal(t, dir, jails, shortcut, "")
			if n := enabledLikeFail2ban(t, dir); n != len(jails) {
				t.Errorf("%d jails compared, want %d (every jail of jail.conf)", n, len(jails))
			}
		})
	}
}

// TestTrickyLocalLikeFail2ban compares fwban's view of jail.d and
// jail.local files that fwban's own reader got wrong with fail2ban's:
// enabled = yes / 1 / on / true and their negations, dotted netmasks in
// ignoreip, .local files overriding .conf ones, and name= arguments.
func TestTrickyLocalLikeFail2ban(t *testing.T) {
	dir, _ := stockJails(t)
	files := map[string]string{
		"jail.d/10-mine.conf": `
[sshd]
enabled = yes
ignoreip = 10.0.0.0/255.0.0.0 192.0.2.0/255.255.255.128 2001:db8::/32
action = iptables-multiport[name=SSH-Main, port="22,2222", protocol=tcp]

[nginx-http-auth]
enabled = 1

[postfix]
enabled = true
bantime = 1h

[dovecot]
enabled = no

[recidive]
enabled = on

[named-refused]
enabled = TRUE
action = iptables[name=DNS-ROOT, port=53, protocol=udp]
`,
		"jail.local": `
[DEFAULT]
ignoreip = 127.0.0.1/8 ::1 203.0.113.0/255.255.255.0

[postfix]
# .local wins over jail.d/*.conf
enabled = false

[dovecot]
enabled = true
bantime = 2d
action = %(action_mw)s

[pure-ftpd]
enabled = off
`,
		"jail.d/20-last.local": `
[recidive]
enabled = 0

[nginx-http-auth]
ignoreip = 198.51.100.0/255.255.255.192 %(known/ignoreip)s
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := enabledLikeFail2ban(t, dir); n != 4 {
		t.Errorf("%d jails compared, want 4 (sshd, nginx-http-auth, dovecot, named-refused)", n)
	}
	got := dumpOf(t, dir)
	for jail, want := range map[string]string{"sshd": "SSH-Main", "named-refused": "DNS-ROOT"} {
		if got[jail].Name != want {
			t.Errorf("%s: objects named f2b-%s, want f2b-%s", jail, got[jail].Name, want)
		}
	}
}
