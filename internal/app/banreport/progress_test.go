package banreport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/clirun"
)

// TestProgress: with progress on (standard error is a terminal) a progress
// line is written every 65,536 events and cleared at the end; Main turns it
// on only for a terminal.
func TestProgress(t *testing.T) {
	var in bytes.Buffer
	for i := range 70000 {
		fmt.Fprintf(&in, `{"time":"2026-11-22T10:00:00Z","jail":"sshd","ip":"192.0.2.%d"}`+"\n", i%256)
	}
	var errb bytes.Buffer
	r := &reader{ctx: context.Background(), stderr: &errb, col: newCollector(time.UTC), progress: true}
	if err := r.readFile("-", bytes.NewReader(in.Bytes())); err != nil {
		t.Fatal(err)
	}
	if want := "\r\033[Kbanreport: 65536 events, 65536 failures, 0 bans, 0 bad lines"; errb.String() != want {
		t.Errorf("progress %q, want %q", errb.String(), want)
	}

	errb.Reset()
	code := Main(context.Background(), []string{"banreport"}, bytes.NewReader(in.Bytes()), io.Discard, &errb)
	if code != 0 || strings.Contains(errb.String(), "events,") {
		t.Errorf("exit %d, progress written to a non-terminal: %q", code, errb.String())
	}
	if tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0); err == nil {
		defer tty.Close()
		if !clirun.IsTerminal(tty) {
			t.Errorf("a pseudo-terminal is not taken for a terminal")
		}
	}
}
