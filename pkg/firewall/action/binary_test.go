package action

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

// TestBinary runs the real fwban binary with --backend action on a stream
// of events whose captures are hostile: each ban and unban reaches the
// action's file as it was, nothing runs, and a jail name the shell could
// read gets "applied":false.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fwban")
	}
	goTool := testenv.RequireCommand(t, "go")
	dir := t.TempDir()
	fwban := filepath.Join(dir, "fwban")
	if out, err := exec.Command(goTool, "build", "-o", fwban, "github.com/banpipe/banpipe/cmd/fwban").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	actionDir, _ := filepath.Abs("testdata/action.d")
	log := filepath.Join(dir, "log")
	pwned := filepath.Join(dir, "pwned")
	events := strings.Join([]string{
		`{"action":"ban","jail":"sshd","ip":"192.0.2.7","failures":5,"bantime":600,"user":"x'; touch ` + pwned + `; echo '"}`,
		`{"action":"ban","jail":"sshd","ip":"2001:db8::7","failures":5,"bantime":-1,"user":"$(touch ` + pwned + `)\n~! touch ` + pwned + `"}`,
		`{"action":"unban","jail":"sshd","ip":"192.0.2.7"}`,
		`{"action":"ban","jail":"x;touch ` + pwned + `","ip":"192.0.2.9"}`,
	}, "\n") + "\n"
	cmd := exec.Command(fwban, "--backend", "action", "--action-dir", actionDir,
		"--action", `record[logfile="`+log+`"]`, "--flush-on-exit")
	cmd.Stdin = strings.NewReader(events)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("fwban: %v (want exit status 1: one event not applied)\n%s", err, stderr.String())
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("a command ran")
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("stdout:\n%s", stdout.String())
	}
	for i, want := range []string{`"applied":true`, `"applied":true`, `"applied":true`, `"applied":false,"error":"action: jail name`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("result %d: %s lacks %s", i+1, lines[i], want)
		}
	}
	want := "start sshd\n" +
		"ban 192.0.2.7 sshd x'; touch " + pwned + "; echo ' 600\n" +
		"ban 2001:db8::7 sshd $(touch " + pwned + ")\n~! touch " + pwned + " -1\n" +
		"unban 192.0.2.7 sshd\n" +
		"flush sshd\nstop sshd\n"
	if got := readFile(t, log); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
}
