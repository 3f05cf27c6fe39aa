package logmatch_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/app/logmatch"
)

// follower runs logmatch --follow in-process and collects its events.
type follower struct {
	mu     sync.Mutex
	events []string
	stderr strings.Builder
	cancel context.CancelFunc
	done   chan int
}

func startFollow(t *testing.T, args ...string) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{cancel: cancel, done: make(chan int, 1)}
	outR, outW := io.Pipe()
	errW := &lockedBuilder{mu: &f.mu, b: &f.stderr}
	go func() {
		f.done <- logmatch.Main(ctx, append([]string{"logmatch"}, args...), strings.NewReader(""), outW, errW)
		outW.Close()
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			f.mu.Lock()
			f.events = append(f.events, sc.Text())
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() { f.stop() })
	return f
}

func (f *follower) stop() int {
	f.cancel()
	select {
	case c := <-f.done:
		f.done <- c
		return c
	case <-time.After(30 * time.Second):
		return -1
	}
}

// waitFor waits until an event mentions addr.
func (f *follower) waitFor(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		f.mu.Lock()
		for _, e := range f.events {
			if strings.Contains(e, `"host":"`+addr+`"`) {
				f.mu.Unlock()
				return
			}
		}
		n, stderr := len(f.events), f.stderr.String()
		f.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no event for %s within 30s (%d events); stderr:\n%s", addr, n, stderr)
		}
	}
}

func (f *follower) count(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, e := range f.events {
		if strings.Contains(e, `"host":"`+addr+`"`) {
			n++
		}
	}
	return n
}

type lockedBuilder struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func appendTo(t *testing.T, path, addr string) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(fh, "%s web01 sshd[1]: Failed password for root from %s port 22 ssh2\n", time.Now().UTC().Format(time.Stamp), addr)
	fh.Close()
}

// TestFollowFiles follows a jail's logs as tail -F does: a file that does
// not exist yet, growth, deletion and re-creation, rename rotation,
// copytruncate, a new file matching the glob, a partial last line; each
// failure is read exactly once. With inotify, and with polling.
func TestFollowFiles(t *testing.T) {
	for _, backend := range []string{"auto", "polling"} {
		t.Run(backend, func(t *testing.T) {
			t.Setenv("TZ", "UTC")
			dir := t.TempDir()
			logs := filepath.Join(dir, "logs")
			conf := filepath.Join(dir, "jail.conf")
			os.WriteFile(conf, []byte(fmt.Sprintf("[sshd]\nenabled = true\nbackend = %s\nlogpath = %s/a.log\n          %s/g*.log\n", backend, logs, logs)), 0o600)
			f := startFollow(t, "--config", conf, "--follow", "--poll-interval", "50ms")
			// the directory and the file appear after the start
			os.Mkdir(logs, 0o700)
			a := filepath.Join(logs, "a.log")
			appendTo(t, a, "192.0.2.1")
			f.waitFor(t, "192.0.2.1")
			appendTo(t, a, "192.0.2.2")
			f.waitFor(t, "192.0.2.2")
			// deleted and created again
			os.Remove(a)
			appendTo(t, a, "192.0.2.3")
			f.waitFor(t, "192.0.2.3")
			// rotated by rename: a line written to the old file after the
			// rename, then the new file
			os.Rename(a, a+".1")
			appendTo(t, a+".1", "192.0.2.4")
			appendTo(t, a, "192.0.2.5")
			f.waitFor(t, "192.0.2.4")
			f.waitFor(t, "192.0.2.5")
			// copytruncate
			os.Truncate(a, 0)
			appendTo(t, a, "192.0.2.6")
			f.waitFor(t, "192.0.2.6")
			// a new file matching the glob
			appendTo(t, filepath.Join(logs, "g1.log"), "192.0.2.7")
			f.waitFor(t, "192.0.2.7")
			// a partial line is read once its newline is written
			fh, _ := os.OpenFile(a, os.O_APPEND|os.O_WRONLY, 0)
			fmt.Fprintf(fh, "%s web01 sshd[1]: Failed password for root from 192.0.2.8 ", time.Now().UTC().Format(time.Stamp))
			fh.Sync()
			appendTo(t, filepath.Join(logs, "g1.log"), "192.0.2.9")
			f.waitFor(t, "192.0.2.9")
			fmt.Fprintf(fh, "port 22 ssh2\n")
			fh.Close()
			f.waitFor(t, "192.0.2.8")
			if code := f.stop(); code != 0 {
				t.Errorf("exit status %d", code)
			}
			for i := 1; i <= 9; i++ {
				if n := f.count(fmt.Sprintf("192.0.2.%d", i)); n != 1 {
					t.Errorf("192.0.2.%d: %d events, want 1", i, n)
				}
			}
		})
	}
}
