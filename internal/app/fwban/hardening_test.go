package fwban

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
)

// TestBantimeOverflow: a bantime too long for time.Duration is taken as
// the longest one, never wrapped around to a short or negative ban.
func TestBantimeOverflow(t *testing.T) {
	for _, bt := range []int64{18446744074, 9223372037, 1 << 62} {
		b := banOf(&event.Event{Action: event.ActionBan, Bantime: bt})
		if b.Bantime < 200*365*24*time.Hour {
			t.Errorf("bantime %d: ban of %v", bt, b.Bantime)
		}
	}
	if b := banOf(&event.Event{Action: event.ActionBan, Bantime: 3600}); b.Bantime != time.Hour {
		t.Errorf("bantime 3600: %v", b.Bantime)
	}
}

// TestTooManyJails: input naming ever new jails makes fwban refuse the
// events of jails beyond maxJails (no chain or set is made for them),
// while the known jails go on working.
func TestTooManyJails(t *testing.T) {
	var in strings.Builder
	for i := range maxJails + 5 {
		fmt.Fprintf(&in, `{"action":"ban","jail":"j%d","ip":"192.0.2.7"}`+"\n", i)
	}
	in.WriteString(`{"action":"ban","jail":"j0","ip":"192.0.2.8"}` + "\n")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"fwban", "--backend", "dry-run", "--dry-run-output", filepath.Join(t.TempDir(), "out")},
		strings.NewReader(in.String()), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != maxJails+6 {
		t.Fatalf("%d results", len(lines))
	}
	applied := strings.Count(stdout.String(), `"applied":true`)
	if applied != maxJails+1 {
		t.Errorf("%d applied, want %d", applied, maxJails+1)
	}
	if !strings.Contains(lines[maxJails], `"applied":false,"error":"more than 1000 jails: refusing jail \"j1000\""`) {
		t.Errorf("result %d: %s", maxJails, lines[maxJails])
	}
	if !strings.Contains(lines[len(lines)-1], `"jail":"j0","ip":"192.0.2.8","applied":true`) {
		t.Errorf("last result: %s", lines[len(lines)-1])
	}
}

// TestCheckMissingTool: --check fails with exit 2 when a backend's tool is
// not installed, naming it, and prints nothing on stdout; with
// --no-kernel-check the configuration alone is checked.
func TestCheckMissingTool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, b := range []string{"nftables", "iptables", "ipset"} {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), []string{"fwban", "--check", "--backend", b}, strings.NewReader(""), &stdout, &stderr)
		if code != 2 || stdout.Len() > 0 || !strings.HasPrefix(stderr.String(), "fwban: backend "+b+": ") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", b, code, stdout.String(), stderr.String())
		}
		stdout.Reset()
		stderr.Reset()
		code = Main(context.Background(), []string{"fwban", "--check", "--no-kernel-check", "--backend", b}, strings.NewReader(""), &stdout, &stderr)
		if code != 0 || stdout.String() != "*: "+b+", all ports, tcp, REJECT\n" {
			t.Errorf("%s --no-kernel-check: exit %d, stdout %q, stderr %q", b, code, stdout.String(), stderr.String())
		}
	}
}

// TestWarningsOneLine: a firewall error whose text comes from the input
// (a command printing a capture on its standard error) is written as one
// warning line, its newlines and escape characters escaped, so that the
// input cannot forge lines in fwban's log.
func TestWarningsOneLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "echo.conf"), []byte("[Definition]\nactionban = echo \"<F-USER>\" >&2; exit 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := `{"action":"ban","jail":"sshd","ip":"192.0.2.7","user":"x\nfwban: stdin:9: forged\u001b[2J"}` + "\n"
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"fwban", "--backend", "action", "--action-dir", dir, "--action", "echo"},
		strings.NewReader(in), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if strings.HasPrefix(l, "fwban: stdin:9") || strings.Contains(l, "\x1b") {
			t.Errorf("forged line in stderr: %q", l)
		}
	}
	if !strings.Contains(stderr.String(), `fwban: stdin:9: forged\x1b[2J`) {
		t.Errorf("stderr %q: the capture is not shown escaped", stderr.String())
	}
}

// TestOneLine escapes control characters, newlines and invalid UTF-8,
// keeps printable text (and a real U+FFFD) and bounds the length.
func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"sshd":             "sshd",
		"a\nb":             `a\nb`,
		"a\x1b[2Jb\x00":    `a\x1b[2Jb\x00`,
		"caf\xc3\xa9 \xff": `café \xff`,
		"\uFFFD ok":        "\uFFFD ok",
		"\u0085next":       `\x85next`,
		"x\r\ny":           `x\x0d\ny`,
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
	if got := oneLine(strings.Repeat("\n", 10000)); len(got) > maxWarning+10 {
		t.Errorf("oneLine of 10,000 newlines: %d bytes", len(got))
	}
}
