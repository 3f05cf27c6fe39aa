package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
)

// TestBancountUnbanSticks is the sysadmin's way to end a ban: `bancount
// unban JAIL IP` on a running `bancount | fwban` removes the ban from
// bancount's state and emits the unban event that fwban applies (here
// fwban runs a fail2ban action.d file whose actionunban records the
// unban). Before it, `fwban unban` warns that bancount still holds the
// ban; after it, it does not.
func TestBancountUnbanSticks(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "action.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	actions := filepath.Join(dir, "actions.log")
	conf := fmt.Sprintf("[Definition]\nactionban = echo ban <ip> >> %s\nactionunban = echo unban <ip> >> %s\n", actions, actions)
	if err := os.WriteFile(filepath.Join(dir, "action.d", "log.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sock, state := filepath.Join(dir, "bancount.sock"), filepath.Join(dir, "bancount.state")
	script := fmt.Sprintf("%s --state %s --socket %s --maxretry 2 --bantime 1h | %s --backend action --action-dir %s --action log",
		bin("bancount"), state, sock, bin("fwban"), filepath.Join(dir, "action.d"))
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "SSH_CONNECTION=", "SSH_CLIENT=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr, mu: new(sync.Mutex)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("pipeline stderr:\n%s", stderr.String())
		}
	})
	results := make(chan event.Event, 16)
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
	next := func(what string) event.Event {
		t.Helper()
		select {
		case e, ok := <-results:
			if !ok {
				t.Fatalf("pipeline ended before the %s", what)
			}
			return e
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s within 30 s", what)
		}
		panic("unreachable")
	}
	now := time.Now().UTC().Format(time.RFC3339)
	for i := 0; i < 2; i++ {
		fmt.Fprintf(in, `{"time":"%s","jail":"sshd","ip":"192.0.2.7","matches":["line %d"]}`+"\n", now, i)
	}
	if e := next("ban"); e.Action != event.ActionBan || e.ID() != "192.0.2.7" || e.Applied == nil || !*e.Applied {
		t.Fatalf("want the ban applied, got %+v", e)
	}

	// fwban unban alone is undone at bancount's next start: it says so.
	fw := exec.Command(bin("fwban"), "--backend", "action", "--action-dir", filepath.Join(dir, "action.d"), "--action", "log",
		"unban", "--jail", "sshd", "--bancount-socket", sock, "192.0.2.7")
	msg, _ := fw.CombinedOutput()
	if !strings.Contains(string(msg), "fwban: bancount at "+sock+" still holds the ban of 192.0.2.7 in jail sshd") ||
		!strings.Contains(string(msg), "bancount unban sshd 192.0.2.7") {
		t.Errorf("fwban unban while bancount holds the ban:\n%s", msg)
	}

	ctl := exec.Command(bin("bancount"), "unban", "--socket", sock, "sshd", "192.0.2.7")
	if msg, err := ctl.CombinedOutput(); err != nil {
		t.Fatalf("bancount unban: %v\n%s", err, msg)
	}
	if e := next("unban"); e.Action != event.ActionUnban || e.ID() != "192.0.2.7" || e.Applied == nil || !*e.Applied || e.Reason != "manual" {
		t.Fatalf("want the unban applied, got %+v", e)
	}
	b, _ := os.ReadFile(actions)
	if got := strings.Count(string(b), "unban 192.0.2.7\n"); got < 2 { // fwban unban's, then bancount unban's
		t.Errorf("actionunban ran %d times, want 2:\n%s", got, b)
	}
	fw = exec.Command(bin("fwban"), "--backend", "action", "--action-dir", filepath.Join(dir, "action.d"), "--action", "log",
		"unban", "--jail", "sshd", "--bancount-socket", sock, "192.0.2.7")
	if msg, _ := fw.CombinedOutput(); strings.Contains(string(msg), "still holds") {
		t.Errorf("bancount still holds the ban after bancount unban:\n%s", msg)
	}
	in.Close()
	for range results {
	}
}
