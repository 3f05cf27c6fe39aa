package fwban

import (
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/netnstest"
)

// TestKernelAdminNotLockedOut (issue 16, prefix safety): fwban runs in the
// server namespace under an SSH session from the client's addresses; bans
// of prefixes that hold the admin's client (IPv4 and IPv6) or one of the
// machine's own addresses are refused on every kernel backend, with a
// result saying why, while the other bans apply. The admin still connects,
// the banned neighbours do not.
func TestKernelAdminNotLockedOut(t *testing.T) {
	for _, backend := range kernelBackends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			p := netnstest.New(t)
			p.Listen(t, portBlocked)
			in := `{"action":"ban","jail":"sshd","ip":"192.0.2.0/30","bantime":600}
{"action":"ban","jail":"sshd","ip":"192.0.2.2/31","bantime":600}
{"action":"ban","jail":"sshd","ip":"192.0.2.2","bantime":600}
{"action":"ban","jail":"sshd","ip":"2001:db8::/127","bantime":600}
{"action":"ban","jail":"sshd","ip":"2001:db8::2/127","bantime":600}
{"action":"ban","jail":"sshd","ip":"192.0.2.1","bantime":600}
{"action":"ban","jail":"sshd","ip":"192.0.2.3","bantime":600}
{"action":"ban","jail":"sshd","ip":"2001:db8::3","bantime":600}
`
			env := []string{"SSH_CONNECTION=192.0.2.2 50022 192.0.2.1 22", "SSH_CLIENT=2001:db8::2 50022 22"}
			out, errs, code := fwbanEnv(t, p.Server, env, in, "--backend", backend, "--ports", "2222")
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%sstderr:\n%s", code, out, errs)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			want := []string{
				"the client of this SSH session (192.0.2.2)",
				"the client of this SSH session (192.0.2.2)",
				"the client of this SSH session (192.0.2.2)",
				"an address of this machine (2001:db8::1)",
				"the client of this SSH session (2001:db8::2)",
				"an address of this machine (192.0.2.1)",
				"", "",
			}
			if len(lines) != len(want) {
				t.Fatalf("%d results, want %d:\n%s", len(lines), len(want), out)
			}
			for i, w := range want {
				switch {
				case w == "" && !strings.Contains(lines[i], `"applied":true`):
					t.Errorf("result %d not applied: %s", i+1, lines[i])
				case w != "" && (!strings.Contains(lines[i], `"applied":false`) || !strings.Contains(lines[i], w)):
					t.Errorf("result %d: %s, want a refusal naming %q", i+1, lines[i], w)
				}
			}
			p.Expect(t, netnstest.Client4, portBlocked, netnstest.Connected)
			p.Expect(t, netnstest.Client6, portBlocked, netnstest.Connected)
			p.Expect(t, netnstest.Client4b, portBlocked, netnstest.Refused)
			p.Expect(t, netnstest.Client6b, portBlocked, netnstest.Refused)
		})
	}
}
