package bancount_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
	"github.com/banpipe/banpipe/pkg/event"
)

// TestStatusAgreesWithKernel runs `bancount | fwban --backend nftables` in a
// scratch network namespace, then compares what `bancount status --json`
// says is banned with what `fwban list` reads back from the kernel, after
// the bans and again after a manual unban and a manual ban.
func TestStatusAgreesWithKernel(t *testing.T) {
	pair := netnstest.New(t) // skips when namespaces cannot be made
	dir := t.TempDir()
	sock := filepath.Join(dir, "bc.sock")
	script := fmt.Sprintf("%s --ignoreself=false --state %s/st --socket %s --maxretry 2 --bantime 1h | %s --backend nftables --ports 2222",
		binary, dir, sock, fwbanBinary)
	cmd := netnstest.Command(context.Background(), pair.Server, "sh", "-c", script)
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
	applied := func(what string) {
		t.Helper()
		select {
		case e, ok := <-results:
			if !ok {
				t.Fatalf("pipeline ended (stderr: %s)", stderr.String())
			}
			if e.Applied == nil || !*e.Applied {
				t.Fatalf("%s not applied: %+v (stderr: %s)", what, e, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no result for %s (stderr: %s)", what, stderr.String())
		}
	}
	now := time.Now().UTC()
	for i, ip := range []string{"192.0.2.2", "192.0.2.3", "2001:db8::2", "192.0.2.2", "192.0.2.3", "2001:db8::2", "198.51.100.9"} {
		fmt.Fprintf(in, "{\"time\":%q,\"jail\":\"sshd\",\"ip\":%q,\"lineno\":%d}\n", now.Format(time.RFC3339Nano), ip, i+1)
	}
	for i := 0; i < 3; i++ {
		applied("ban")
	}

	compare := func(want ...string) {
		t.Helper()
		sort.Strings(want)
		// bancount's view.
		var st struct {
			Jails []struct {
				Banned []struct{ ID string }
			}
		}
		o, err := ctl(t, "status", "--socket", sock, "--json")
		if err != nil || json.Unmarshal([]byte(o), &st) != nil {
			t.Fatalf("status: %v %s", err, o)
		}
		var counted []string
		for _, j := range st.Jails {
			for _, b := range j.Banned {
				counted = append(counted, b.ID)
			}
		}
		sort.Strings(counted)
		// The kernel's view.
		lo, err := netnstest.Command(context.Background(), pair.Server, fwbanBinary, "list", "--backend", "nftables", "--ports", "2222").Output()
		if err != nil {
			t.Fatalf("fwban list: %v", err)
		}
		var kernel []string
		for _, l := range strings.Split(strings.TrimSpace(string(lo)), "\n") {
			var e event.Event
			if l != "" && event.Decode([]byte(l), &e) == nil {
				kernel = append(kernel, e.ID())
			}
		}
		sort.Strings(kernel)
		t.Logf("bancount status: %q; fwban list (kernel): %q", counted, kernel)
		if strings.Join(counted, " ") != strings.Join(want, " ") || strings.Join(kernel, " ") != strings.Join(want, " ") {
			t.Fatalf("bancount status %q, fwban list %q, want %q", counted, kernel, want)
		}
	}
	compare("192.0.2.2", "192.0.2.3", "2001:db8::2")

	if o, err := ctl(t, "unban", "--socket", sock, "192.0.2.3"); err != nil {
		t.Fatalf("unban: %v %s", err, o)
	}
	applied("unban")
	if o, err := ctl(t, "ban", "--socket", sock, "sshd", "203.0.113.0/24"); err != nil {
		t.Fatalf("ban: %v %s", err, o)
	}
	applied("manual ban")
	compare("192.0.2.2", "2001:db8::2", "203.0.113.0/24")
	os.Remove(sock)
}
