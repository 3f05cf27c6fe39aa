package logmatch_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/banpipe/banpipe/internal/app/logmatch"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Skipf("ptsname: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open pts: %v", err)
	}
	return m, s
}

// TestProgressOnTerminal checks that a progress line appears on standard
// error when it is a terminal, and never when it is not.
func TestProgressOnTerminal(t *testing.T) {
	var in bytes.Buffer
	for i := 0; i < 70000; i++ {
		in.WriteString("Nov 21 10:04:05 web01 CRON[1]: nothing to see\n")
	}
	master, slave := openPTY(t)
	defer master.Close()
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(master)
		got <- string(b)
	}()
	code := logmatch.Main(context.Background(), []string{"logmatch", "-f", "sshd"}, bytes.NewReader(in.Bytes()), io.Discard, slave)
	slave.Close()
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	var out string
	select {
	case out = <-got:
	case <-time.After(5 * time.Second):
		master.Close()
		out = <-got
	}
	if !strings.Contains(out, "logmatch: 65536 lines, 0 failures") {
		t.Errorf("no progress line on the terminal: %q", out)
	}

	var errb bytes.Buffer
	logmatch.Main(context.Background(), []string{"logmatch", "-f", "sshd"}, bytes.NewReader(in.Bytes()), io.Discard, &errb)
	if strings.Contains(errb.String(), "lines,") {
		t.Errorf("progress written to a non-terminal: %q", errb.String())
	}
}
