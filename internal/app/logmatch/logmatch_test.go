package logmatch_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/app/logmatch"
)

// TestFlushWhenInputPauses checks that an event reaches standard output
// while the input stays open (tail -F | logmatch | bancount reacts at once).
func TestFlushWhenInputPauses(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- logmatch.Main(context.Background(), []string{"logmatch", "-f", "sshd", "--now", "2026-11-22T00:00:00Z"}, inR, outW, io.Discard)
		outW.Close()
	}()
	if _, err := io.WriteString(inW, "Nov 21 10:04:05 web01 sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2\n"); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(outR)
		if s.Scan() {
			lines <- s.Text()
		}
		io.Copy(io.Discard, outR)
	}()
	select {
	case l := <-lines:
		if !strings.Contains(l, `"host":"192.0.2.7"`) {
			t.Errorf("event %s", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event while the input is open: output not flushed when the input pauses")
	}
	inW.Close()
	if code := <-done; code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// TestLongLineWarningInOrder reads a failure, a line over the 1 MiB maximum
// and another failure with standard output and standard error on one
// stream (2>&1): the warning, with its file and line, comes between the two
// events, on one core and on two.
func TestLongLineWarningInOrder(t *testing.T) {
	name := filepath.Join(t.TempDir(), "auth.log")
	fail := func(ip string) string {
		return "Nov 21 10:04:05 web01 sshd[1]: Failed password for root from " + ip + " port 22 ssh2\n"
	}
	in := fail("192.0.2.7") + strings.Repeat("x", 1<<20+1) + "\n" + fail("192.0.2.8")
	if err := os.WriteFile(name, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, jobs := range []string{"1", "2"} {
		var out strings.Builder
		code := logmatch.Main(context.Background(), []string{"logmatch", "-j", jobs, "-f", "sshd", "--now", "2026-11-22T00:00:00Z", name},
			strings.NewReader(""), &out, &out)
		if code != 0 {
			t.Fatalf("-j %s: exit status %d: %s", jobs, code, out.String())
		}
		got := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(got) != 3 || !strings.Contains(got[0], `"ip":"192.0.2.7"`) ||
			!strings.Contains(got[1], name+":2: line longer than 1048576 bytes") || !strings.Contains(got[2], `"ip":"192.0.2.8"`) {
			t.Errorf("-j %s: output\n%s\nwant the event of line 1, the warning of line 2, the event of line 3", jobs, out.String())
		}
	}
}
