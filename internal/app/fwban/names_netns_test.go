package fwban

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/netnstest"
)

// TestKernelNameArg: on every kernel backend, a jail's action argument
// name= names its chains and sets as fail2ban's action files do
// (f2b-DNS-ROOT for name=DNS-ROOT, case kept), the ban blocks, fwban list
// reports the jail's own name, and fwban unban --jail removes the ban.
func TestKernelNameArg(t *testing.T) {
	actions := map[string]string{"iptables": "iptables-multiport", "ipset": "iptables-ipset-proto6", "nftables": "nftables-multiport"}
	for _, backend := range kernelBackends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			p := netnstest.New(t)
			p.Listen(t, portBlocked)
			conf := filepath.Join(t.TempDir(), "jail.conf")
			text := fmt.Sprintf("[dns-root]\nenabled = true\naction = %s[name=DNS-ROOT, port=%d, protocol=tcp]\n", actions[backend], portBlocked)
			if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			in := fmt.Sprintf(`{"action":"ban","jail":"dns-root","ip":"%s","bantime":600}`+"\n", netnstest.Client4)
			mustFwban(t, p.Server, in, "--config", conf)
			p.Expect(t, netnstest.Client4, portBlocked, netnstest.Refused)
			var objects string
			switch backend {
			case "iptables":
				objects = netnstest.Run(t, p.Server, "iptables", "-S", "f2b-DNS-ROOT")
			case "ipset":
				objects = netnstest.Run(t, p.Server, "ipset", "list", "f2b-DNS-ROOT")
			case "nftables":
				objects = netnstest.Run(t, p.Server, "nft", "list", "set", "inet", "banpipe", "f2b-DNS-ROOT4")
			}
			if !strings.Contains(objects, netnstest.Client4.String()) {
				t.Errorf("f2b-DNS-ROOT does not hold %s:\n%s", netnstest.Client4, objects)
			}
			out, errs, code := fwbanIn(t, p.Server, "", "--config", conf, "list")
			if code != 0 || errs != "" || !strings.Contains(out, `"jail":"dns-root","ip":"`+netnstest.Client4.String()+`"`) || strings.Contains(out, "DNS-ROOT") {
				t.Errorf("fwban list: exit %d, stdout:\n%sstderr:\n%s", code, out, errs)
			}
			out, errs, code = fwbanIn(t, p.Server, "", "--config", conf, "unban", "--jail", "dns-root",
				"--bancount-socket", "none", "--bancount-state", "none", netnstest.Client4.String())
			if code != 0 || errs != "" || !strings.Contains(out, `"applied":true`) {
				t.Errorf("fwban unban: exit %d, stdout:\n%sstderr:\n%s", code, out, errs)
			}
			p.Expect(t, netnstest.Client4, portBlocked, netnstest.Connected)
		})
	}
}

// TestIPSetWrongType: a leftover set f2b-sshd of another kind (hash:ip
// without timeout, as `ipset create f2b-sshd hash:ip` makes it) is
// replaced when no rule uses it; when one does, the ban fails with the
// commands that fix it and nothing is half made. Nothing reaches stderr
// that is not "fwban: ..." (the netlink library logs its own lines).
func TestIPSetWrongType(t *testing.T) {
	onlyFwban := func(t *testing.T, stderr string) {
		t.Helper()
		for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
			if l != "" && !strings.HasPrefix(l, "fwban: ") {
				t.Errorf("stderr line not from fwban: %q", l)
			}
		}
	}
	args := []string{"--backend", "ipset", "--ports", fmt.Sprint(portBlocked)}
	in := banEvents("ban", 600, netnstest.Client4)
	t.Run("unused", func(t *testing.T) {
		t.Parallel()
		p := netnstest.New(t)
		p.Listen(t, portBlocked)
		netnstest.Run(t, p.Server, "ipset", "create", "f2b-sshd", "hash:ip")
		out, errs, code := fwbanIn(t, p.Server, in, args...)
		if code != 0 || !strings.Contains(out, `"applied":true`) {
			t.Fatalf("exit %d, stdout:\n%sstderr:\n%s", code, out, errs)
		}
		onlyFwban(t, errs)
		if l := netnstest.Run(t, p.Server, "ipset", "list", "f2b-sshd"); !strings.Contains(l, "timeout") || !strings.Contains(l, netnstest.Client4.String()) {
			t.Errorf("f2b-sshd not replaced by a set with timeouts holding the ban:\n%s", l)
		}
		p.Expect(t, netnstest.Client4, portBlocked, netnstest.Refused)
	})
	t.Run("in use", func(t *testing.T) {
		t.Parallel()
		p := netnstest.New(t)
		p.Listen(t, portBlocked)
		netnstest.Run(t, p.Server, "ipset", "create", "f2b-sshd", "hash:ip")
		netnstest.Run(t, p.Server, "iptables", "-I", "INPUT", "-m", "set", "--match-set", "f2b-sshd", "src", "-j", "DROP")
		out, errs, code := fwbanIn(t, p.Server, in, args...)
		if code != 1 || !strings.Contains(out, `"applied":false`) || !strings.Contains(out, "fix: ") ||
			!strings.Contains(out, "ipset destroy f2b-sshd") {
			t.Fatalf("exit %d, stdout:\n%sstderr:\n%s", code, out, errs)
		}
		onlyFwban(t, errs)
		if l := netnstest.Run(t, p.Server, "ipset", "list", "f2b-sshd"); strings.Contains(l, netnstest.Client4.String()) {
			t.Errorf("half-made ban: the set holds %s:\n%s", netnstest.Client4, l)
		}
		if r := netnstest.Run(t, p.Server, "iptables", "-S", "INPUT"); strings.Count(r, "f2b-sshd") != 1 {
			t.Errorf("a hook rule was added for the wrong set:\n%s", r)
		}
		p.Expect(t, netnstest.Client4, portBlocked, netnstest.Connected)
	})
}
