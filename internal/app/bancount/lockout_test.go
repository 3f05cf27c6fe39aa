package bancount_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
	"github.com/banpipe/banpipe/pkg/event"
)

// TestPrefixAdminNotLockedOut runs `bancount --ipv6-prefix 64 --escalate-*
// | fwban --backend nftables` in the server namespace of a pair, under an
// SSH session from the client's addresses (issue 14 item 3, issue 16 item
// 4). The client's /64 and /24 hold the admin's addresses and the
// machine's own: bancount does not ban them as prefixes (it bans the
// neighbours one by one and says why on stderr), so the admin still
// connects while the neighbours are refused; a /64 elsewhere is banned
// whole.
func TestPrefixAdminNotLockedOut(t *testing.T) {
	pair := netnstest.New(t) // skips when namespaces cannot be made
	pair.Listen(t, 2222)
	script := fmt.Sprintf("%s --state none --socket none --maxretry 3 --ipv6-prefix 64 --escalate-count 2 | %s --backend nftables --ports 2222",
		binary, fwbanBinary)
	cmd := netnstest.Command(context.Background(), pair.Server, "sh", "-c", script)
	cmd.Env = append(os.Environ(), "SSH_CONNECTION=192.0.2.2 50022 192.0.2.1 22", "SSH_CLIENT=2001:db8::2 50022 22")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	results := make(chan event.Event, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var e event.Event
			if event.Decode(sc.Bytes(), &e) == nil {
				results <- e
			}
		}
		close(results)
	}()
	t.Cleanup(func() {
		in.Close()
		cmd.Wait()
		netnstest.Command(context.Background(), pair.Server, fwbanBinary, "flush", "--backend", "nftables").Run()
	})
	now := time.Now().UTC().Format(time.RFC3339Nano)
	n := 0
	send := func(ip string) {
		n++
		fmt.Fprintf(in, "{\"time\":%q,\"jail\":\"sshd\",\"ip\":%q,\"lineno\":%d}\n", now, ip, n)
	}
	// The admin's /64 (2001:db8::/64 holds 2001:db8::2 and this machine's
	// 2001:db8::1): three addresses fail once each, then the neighbour
	// 2001:db8::3 twice more; the admin's own address fails three times.
	for _, ip := range []string{"2001:db8::3", "2001:db8::4", "2001:db8::5", "2001:db8::3", "2001:db8::3",
		"2001:db8::2", "2001:db8::2", "2001:db8::2"} {
		send(ip)
	}
	// A /64 elsewhere: three addresses ban it.
	for _, ip := range []string{"2001:db8:5::1", "2001:db8:5::2", "2001:db8:5::3"} {
		send(ip)
	}
	// Two bans inside 192.0.2.0/24 would escalate to it: refused (it holds
	// the admin and the machine); the neighbour stays banned alone.
	for _, ip := range []string{"192.0.2.3", "192.0.2.3", "192.0.2.3", "192.0.2.4", "192.0.2.4", "192.0.2.4",
		"192.0.2.2", "192.0.2.2", "192.0.2.2"} {
		send(ip)
	}
	want := map[string]bool{"2001:db8::3": true, "2001:db8:5::/64": true, "192.0.2.3": true, "192.0.2.4": true}
	for len(want) > 0 {
		select {
		case e, ok := <-results:
			if !ok {
				t.Fatalf("pipeline ended; still waiting for %v (stderr: %s)", want, stderr.String())
			}
			if e.Applied == nil || !*e.Applied || !want[e.ID()] {
				t.Fatalf("unexpected result %+v (stderr: %s)", e, stderr.String())
			}
			delete(want, e.ID())
		case <-time.After(30 * time.Second):
			t.Fatalf("no result for %v (stderr: %s)", want, stderr.String())
		}
	}
	pair.Expect(t, netnstest.Client6, 2222, netnstest.Connected)
	pair.Expect(t, netnstest.Client4, 2222, netnstest.Connected)
	pair.Expect(t, netnstest.Client6b, 2222, netnstest.Refused)
	pair.Expect(t, netnstest.Client4b, 2222, netnstest.Refused)
	in.Close()
	cmd.Wait()
	for _, w := range []string{
		"bancount: sshd: refusing to ban 2001:db8::/64: the client of this SSH session (2001:db8::2)",
		"bancount: sshd: refusing to ban 2001:db8::2: the client of this SSH session (2001:db8::2)",
		"bancount: sshd: escalation to 192.0.2.0/24: refusing to ban 192.0.2.0/24: the client of this SSH session (192.0.2.2)",
		"bancount: sshd: refusing to ban 192.0.2.2: the client of this SSH session (192.0.2.2)",
	} {
		if !strings.Contains(stderr.String(), w+"\n") {
			t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
		}
	}
}
