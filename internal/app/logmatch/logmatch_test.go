package logmatch_test

import (
	"bufio"
	"context"
	"io"
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
