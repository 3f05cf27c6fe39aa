package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
	"github.com/banpipe/banpipe/pkg/event"
)

// bancountBanned returns "jail ip" for every ban `bancount status --json`
// reports.
func bancountBanned(t *testing.T, sock string) []string {
	t.Helper()
	out, err := exec.Command(bin("bancount"), "status", "--json", "--socket", sock).Output()
	if err != nil {
		t.Fatalf("bancount status --json: %v", err)
	}
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("bancount status --json: %v\n%s", err, out)
	}
	var got []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if b, ok := x["banned"].([]any); ok {
				for _, e := range b {
					m := e.(map[string]any)
					got = append(got, fmt.Sprintf("%v %v", m["jail"], m["id"]))
				}
				return
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	slices.Sort(got)
	return got
}

// fwbanListed returns "jail ip" for every ban `fwban list` finds in the kernel.
func fwbanListed(t *testing.T, ns, backend string) []string {
	t.Helper()
	out := netnstest.Run(t, ns, bin("fwban"), "--backend", backend, "list")
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var e event.Event
		if err := event.Decode([]byte(l), &e); err != nil {
			t.Fatalf("fwban list line %q: %v", l, err)
		}
		got = append(got, e.Jail+" "+e.ID())
	}
	slices.Sort(got)
	return got
}

// TestStatusAgrees runs a scripted attack and manual commands through the
// live pipeline; after each step `bancount status` and `fwban list` (what
// the kernel holds) name the same bans.
func TestStatusAgrees(t *testing.T) {
	pair := netnstest.New(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "auth.log")
	sock := filepath.Join(dir, "sock")
	appendLine(t, log, "")
	p := startPipeline(t, pair.Server, log,
		fmt.Sprintf("--maxretry 2 --findtime 10m --bantime 1h --state %s/state --socket %s", dir, sock),
		"--backend nftables --ports 22 --flush-on-exit")
	check := func(step string, want []string) {
		t.Helper()
		slices.Sort(want)
		b, f := bancountBanned(t, sock), fwbanListed(t, pair.Server, "nftables")
		if !slices.Equal(b, want) || !slices.Equal(f, want) {
			t.Errorf("%s:\nbancount status: %q\nfwban list:      %q\nwant:            %q", step, b, f, want)
		}
	}
	for i, a := range []netip.Addr{netnstest.Client4, netnstest.Client6, netnstest.Client4, netnstest.Client6} {
		appendLine(t, log, syslogLine(time.Now(), a.String(), i))
	}
	p.waitResult(t, 5*time.Second, "ban", isBanOf(netnstest.Client4))
	p.waitResult(t, 5*time.Second, "ban", isBanOf(netnstest.Client6))
	check("after the attack", []string{"sshd 192.0.2.2", "sshd 2001:db8::2"})

	manual := netip.MustParseAddr("198.51.100.7")
	if out, err := exec.Command(bin("bancount"), "ban", "--socket", sock, "sshd", manual.String()).CombinedOutput(); err != nil {
		t.Fatalf("bancount ban: %v\n%s", err, out)
	}
	p.waitResult(t, 5*time.Second, "manual ban", isBanOf(manual))
	check("after bancount ban", []string{"sshd 192.0.2.2", "sshd 2001:db8::2", "sshd 198.51.100.7"})

	if out, err := exec.Command(bin("bancount"), "unban", "--socket", sock, netnstest.Client4.String()).CombinedOutput(); err != nil {
		t.Fatalf("bancount unban: %v\n%s", err, out)
	}
	p.waitResult(t, 5*time.Second, "unban", isUnbanOf(netnstest.Client4))
	check("after bancount unban", []string{"sshd 2001:db8::2", "sshd 198.51.100.7"})
}

// TestStartupErrorsAreLoud: a pipeline whose filter, configuration or
// firewall fails at start exits non-zero, with the reason on standard error.
func TestStartupErrorsAreLoud(t *testing.T) {
	dir := t.TempDir()
	badConf := filepath.Join(dir, "jail.local")
	os.WriteFile(badConf, []byte("[sshd]\nenabled = true\nmaxretry = many\n"), 0o600)
	noTools := filepath.Join(dir, "empty")
	os.Mkdir(noTools, 0o700)
	for _, tt := range []struct {
		name, script, want string
	}{
		{"unknown filter", `echo x | LM -f no-such-filter | BC --state none --socket none | FW --backend dry-run`, "logmatch: "},
		{"bad jail configuration", `echo x | LM -f sshd | BC --config ` + badConf + ` --state none --socket none | FW --backend dry-run`, badConf + ":3"},
		{"missing firewall tool", `echo x | LM -f sshd | BC --state none --socket none | PATH=` + noTools + ` FW --backend iptables`, "fwban: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := strings.NewReplacer("LM", bin("logmatch"), "BC", bin("bancount"), "FW", bin("fwban")).Replace(tt.script)
			cmd := exec.Command("bash", "-c", "set -o pipefail; "+s)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("pipeline exited 0: %s\n%s", s, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("stderr does not give the reason (want %q):\n%s", tt.want, out)
			}
		})
	}
}
