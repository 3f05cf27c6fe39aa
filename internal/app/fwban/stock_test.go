package fwban

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/f2bconf"
)

const stockConf = "/etc/fail2ban"

// renderScript is the action backend's helper rendering commands with
// fail2ban's own code (its --jails mode reads a whole jail configuration).
var renderScript = "../../../pkg/firewall/action/testdata/fail2ban_render.py"

// stockJails copies the installed fail2ban configuration to a temporary
// directory and returns it with the names of jail.conf's jails.
func stockJails(t *testing.T) (dir string, jails []string) {
	t.Helper()
	testenv.RequireFile(t, filepath.Join(stockConf, "jail.conf"), "fail2ban's configuration")
	dir = t.TempDir()
	if out, err := exec.Command("cp", "-r", stockConf+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	// Only jail.conf's own jails: a local jail.d may enable others.
	os.RemoveAll(filepath.Join(dir, "jail.d"))
	os.Remove(filepath.Join(dir, "jail.local"))
	c, err := f2bconf.Read(filepath.Join(dir, "jail.conf"), &f2bconf.Options{NoLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Sections() {
		switch s {
		case "DEFAULT", "INCLUDES", "KNOWN":
			continue
		}
		jails = append(jails, s)
	}
	if len(jails) < 20 {
		t.Fatalf("only %d jails in %s/jail.conf", len(jails), stockConf)
	}
	return dir, jails
}

// writeLocal writes a jail.local enabling every jail with the action
// shortcut and banaction given (either may be "": jail.conf's).
func writeLocal(t *testing.T, dir string, jails []string, shortcut, banaction string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("[DEFAULT]\n")
	// the values the reporting shortcuts need
	b.WriteString("cfemail = cf@example.org\ncfapikey = K\nblocklist_de_apikey = B\ndestemail = admin@example.org\nsender = f2b@example.org\n")
	if banaction != "" {
		fmt.Fprintf(&b, "banaction = %s\nbanaction_allports = %s\n", banaction, banaction)
	}
	if shortcut != "" {
		fmt.Fprintf(&b, "action = %%(%s)s\n", shortcut)
	}
	for _, j := range jails {
		fmt.Fprintf(&b, "\n[%s]\nenabled = true\n", j)
	}
	if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dumpOf runs fwban --dump --no-kernel-check on dir's jail.conf (every jail
// through the action backend with --backend action).
func dumpOf(t *testing.T, dir string, extra ...string) map[string]dumpJail {
	t.Helper()
	args := append([]string{"fwban", "--dump", "--no-kernel-check", "--config", filepath.Join(dir, "jail.conf"),
		"--action-dir", filepath.Join(dir, "action.d")}, extra...)
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("%s: exit %d\n%s", strings.Join(args, " "), code, clip(stderr.String(), 3000))
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", clip(stderr.String(), 3000))
	}
	var m map[string]dumpJail
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// stockCombos are the action shortcuts of jail.conf and the banactions of
// action.d that exist here.
func stockCombos(t *testing.T, dir string) (shortcuts, banactions []string) {
	c, err := f2bconf.Read(filepath.Join(dir, "jail.conf"), &f2bconf.Options{NoLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.Keys("DEFAULT") {
		if strings.HasPrefix(k, "action_") {
			shortcuts = append(shortcuts, k)
		}
	}
	sort.Strings(shortcuts)
	for _, b := range []string{"iptables-multiport", "iptables-allports", "iptables-new", "iptables",
		"iptables-ipset", "iptables-ipset-proto4", "iptables-ipset-proto6", "iptables-ipset-proto6-allports",
		"nftables-multiport", "nftables-allports", "nftables", "ufw", "firewallcmd-multiport",
		"firewallcmd-allports", "firewallcmd-ipset", "firewallcmd-new", "firewallcmd-rich-rules",
		"shorewall", "route", "hostsdeny"} {
		if _, err := os.Stat(filepath.Join(dir, "action.d", b+".conf")); err == nil {
			banactions = append(banactions, b)
		}
	}
	if len(shortcuts) < 5 || len(banactions) < 5 {
		t.Fatalf("shortcuts %v, banactions %v: too few", shortcuts, banactions)
	}
	return shortcuts, banactions
}

// TestStockJails enables every jail of fail2ban's stock jail.conf, with
// each action shortcut (action_, action_mw, action_mwl, action_xarf,
// action_cf_mwl, action_blocklist_de, action_abuseipdb, ...) and with each
// banaction installed, and wants fwban --check to accept them all (its
// configuration part: --no-kernel-check) and, where fail2ban's python code
// is installed, fwban --dump --backend action to show every action's
// commands exactly as fail2ban renders them.
func TestStockJails(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir, jails := stockJails(t)
	shortcuts, banactions := stockCombos(t, dir)
	// Without fail2ban's python modules fwban is checked alone, outside
	// CI only.
	py, err := testenv.PythonWith("fail2ban.client.jailsreader")
	haveF2B := err == nil
	if !haveF2B {
		if testenv.CI() {
			t.Fatalf("fail2ban's python modules are required under CI=true: %v", err)
		}
		t.Logf("fail2ban's python modules are not installed: checking fwban alone (%v)", err)
	}
	type combo struct{ shortcut, banaction string }
	var combos []combo
	for _, s := range shortcuts {
		combos = append(combos, combo{s, ""})
	}
	for _, b := range banactions {
		combos = append(combos, combo{"", b})
	}
	total := 0
	for _, cb := range combos {
		t.Run(cb.shortcut+cb.banaction, func(t *testing.T) {
			writeLocal(t, dir, jails, cb.shortcut, cb.banaction)
			// --check, with each jail's own backend.
			var stdout, stderr bytes.Buffer
			args := []string{"fwban", "--check", "--no-kernel-check", "--config", filepath.Join(dir, "jail.conf"),
				"--action-dir", filepath.Join(dir, "action.d")}
			if code := Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 0 {
				t.Fatalf("--check: exit %d\n%s", code, clip(stderr.String(), 3000))
			}
			if n := strings.Count(stdout.String(), "\n"); n != len(jails) {
				t.Errorf("--check printed %d lines for %d jails", n, len(jails))
			}
			// --dump, every jail through the action backend.
			got := dumpOf(t, dir, "--backend", "action")
			if len(got) != len(jails) {
				t.Errorf("--dump: %d jails, want %d", len(got), len(jails))
			}
			if !haveF2B {
				return
			}
			total += compareWithFail2ban(t, py, dir, got)
		})
	}
	t.Logf("%d commands compared with fail2ban's", total)
	if haveF2B && total != stockCommands {
		t.Errorf("%d commands compared with fail2ban's, want exactly %d", total, stockCommands)
	}
}

// compareWithFail2ban renders dir's jails with fail2ban's code and wants
// every command equal to got's; it returns how many it compared.
func compareWithFail2ban(t *testing.T, py, dir string, got map[string]dumpJail) int {
	t.Helper()
	script, _ := filepath.Abs(renderScript)
	cmd := exec.Command(py, script, "--jails", dir)
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, clip(stderr.String(), 2000))
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	var f2bErrors []string
	json.Unmarshal(want["-errors-"], &f2bErrors)
	for _, e := range f2bErrors {
		t.Errorf("fail2ban could not render (no comparison): %s", e)
	}
	delete(want, "-errors-")
	for jail := range got {
		if _, ok := want[jail]; !ok {
			t.Errorf("jail %s: fwban --dump has it, fail2ban gave nothing to compare", jail)
		}
	}
	compared := 0
	for jail, raw := range want {
		var acts map[string]map[string]string
		if err := json.Unmarshal(raw, &acts); err != nil {
			t.Fatal(err)
		}
		g, ok := got[jail]
		if !ok {
			t.Errorf("jail %s: fail2ban has it, fwban --dump does not", jail)
			continue
		}
		byName := map[string]dumpAction{}
		for _, a := range g.Actions {
			byName[a.Name] = a
		}
		if len(byName) != len(acts) {
			t.Errorf("jail %s: fwban has %d actions, fail2ban %d", jail, len(byName), len(acts))
		}
		for actname, cmds := range acts {
			a, ok := byName[actname]
			if !ok {
				t.Errorf("jail %s: no action %s in fwban --dump", jail, actname)
				continue
			}
			for key, wcmd := range cmds {
				fam, op, _ := strings.Cut(key, "/")
				gcmd, ok := a.Commands[op+"?family="+fam]
				if !ok {
					gcmd = a.Commands[op]
				}
				if gcmd != wcmd {
					t.Errorf("jail %s action %s %s:\n got: %q\nwant: %q", jail, actname, key, gcmd, wcmd)
				}
				compared++
			}
		}
	}
	return compared
}

// BenchmarkDumpStock measures fwban --dump --backend action on fail2ban's
// stock jail.conf with every jail enabled and action_mw: reading the
// configuration and rendering every action of every jail.
func BenchmarkDumpStock(b *testing.B) {
	if _, err := os.Stat(filepath.Join(stockConf, "jail.conf")); err != nil {
		testenv.Missing(b, "fail2ban's configuration is not installed (%v)", err)
	}
	dir := b.TempDir()
	if out, err := exec.Command("cp", "-r", stockConf+"/.", dir).CombinedOutput(); err != nil {
		b.Fatalf("cp: %v: %s", err, out)
	}
	os.RemoveAll(filepath.Join(dir, "jail.d"))
	c, err := f2bconf.Read(filepath.Join(dir, "jail.conf"), &f2bconf.Options{NoLocal: true})
	if err != nil {
		b.Fatal(err)
	}
	var local strings.Builder
	local.WriteString("[DEFAULT]\naction = %(action_mw)s\n")
	jails := 0
	for _, s := range c.Sections() {
		if s != "DEFAULT" && s != "INCLUDES" {
			fmt.Fprintf(&local, "[%s]\nenabled = true\n", s)
			jails++
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(local.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	args := []string{"fwban", "--dump", "--no-kernel-check", "--backend", "action", "--config", filepath.Join(dir, "jail.conf"),
		"--action-dir", filepath.Join(dir, "action.d")}
	b.ResetTimer()
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			b.Fatalf("exit %d: %s", code, clip(stderr.String(), 2000))
		}
	}
	b.ReportMetric(float64(jails), "jails")
}

// stockCommands is how many action commands of the stock jails, over every
// action shortcut and banaction, TestStockJails compares with fail2ban's
// rendering (Debian's fail2ban 1.0.2).
const stockCommands = 25644
