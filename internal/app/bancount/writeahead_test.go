package bancount_test

// Write-ahead: no event leaves bancount before the journal holds it.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/event"
)

// downstream is what a consumer of bancount's output believes: the
// running bans by id (their end) and the ends of the bans it saw end.
type downstream struct {
	banned   map[string]time.Time
	unbanned map[string]map[time.Time]bool
}

func (d *downstream) apply(t *testing.T, e *event.Event) {
	id := e.ID()
	switch e.Action {
	case event.ActionBan:
		d.banned[id] = e.Until
	case event.ActionUnban:
		if until, ok := d.banned[id]; ok {
			if d.unbanned[id] == nil {
				d.unbanned[id] = map[time.Time]bool{}
			}
			d.unbanned[id][until] = true
		}
		delete(d.banned, id)
	default:
		t.Fatalf("unexpected output event %+v", e)
	}
}

// TestKill9Burst kills bancount with SIGKILL at 100 random points of
// bursts of bans and unbans (the output is flushed in 64 KiB pieces while
// the burst runs), on one state. Each next start's restored bans are
// compared with what the consumer received: every ban it holds that has
// not ended by the restored clock is restored (no emitted ban lost), and
// no ban whose unban it received comes back (none resurrected).
func TestKill9Burst(t *testing.T) {
	state := filepath.Join(t.TempDir(), "st")
	rng := rand.New(rand.NewPCG(16, 3))
	down := &downstream{banned: map[string]time.Time{}, unbanned: map[string]map[time.Time]bool{}}
	const burst, pool, bantime = 1500, 400, 10
	sec := 0
	iterations := 100
	if testing.Short() {
		iterations = 10
	}
	checked := 0
	for it := 0; it <= iterations; it++ {
		cmd := exec.Command(binary, "--ignoreself=false", "--clock", "log", "--state", state, "--socket", "none",
			"--maxretry", "1", "--findtime", "1h", "--bantime", fmt.Sprint(bantime), "--compact-at", fmt.Sprint(20000+rng.IntN(200000)))
		cmd.Env = append(os.Environ(), "TZ=UTC")
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
		var input strings.Builder
		for i := 0; i < burst; i++ {
			sec++
			fmt.Fprintf(&input, "%s\n", failure(sec, "sshd", fmt.Sprintf("2001:db8::%x", sec%pool+1), sec))
		}
		go func() {
			// stdin stays open: the kill ends the run (the write then fails)
			io.WriteString(in, input.String())
		}()
		sc := newLines(out)
		// The restored bans come first: compare them with downstream.
		var restored []*event.Event
		var first *event.Event
		for sc.Scan() {
			e := decode(t, sc.Text())
			if !e.Restored {
				first = e
				break
			}
			restored = append(restored, e)
		}
		if it > 0 {
			checkRestored(t, it, down, restored)
			checked += len(restored)
		}
		if it == iterations {
			cmd.Process.Kill()
			cmd.Wait()
			break
		}
		// The restored bans are applied again downstream (an update).
		for _, e := range restored {
			down.apply(t, e)
		}
		if first == nil {
			t.Fatalf("iteration %d: no output (stderr: %s)", it, stderr.String())
		}
		down.apply(t, first)
		// Kill after a random number of lines (about 2 per failure: a ban
		// and, 10 s later, its unban).
		kill := rng.IntN(2*burst - 2*bantime)
		for n := 0; n < kill && sc.Scan(); n++ {
			down.apply(t, decode(t, sc.Text()))
		}
		cmd.Process.Signal(syscall.SIGKILL)
		// What was written before the kill is in the pipe: downstream
		// received it.
		for sc.Scan() {
			down.apply(t, decode(t, sc.Text()))
		}
		cmd.Wait()
		in.Close()
		if strings.Contains(stderr.String(), "skipped") {
			t.Fatalf("iteration %d: bad records in the state: %s", it, stderr.String())
		}
	}
	if checked == 0 {
		t.Fatal("no restored ban was ever compared")
	}
	t.Logf("%d kills, %d restored bans compared", iterations, checked)
}

// lines reads whole lines: a last line cut by the kill is not an event
// downstream receives (fwban skips it as invalid).
type lines struct {
	r    *bufio.Reader
	line string
}

func newLines(r io.Reader) *lines { return &lines{r: bufio.NewReaderSize(r, 1<<20)} }

func (l *lines) Scan() bool {
	s, err := l.r.ReadString('\n')
	if err != nil {
		return false
	}
	l.line = s[:len(s)-1]
	return true
}

func (l *lines) Text() string { return l.line }

func checkRestored(t *testing.T, it int, down *downstream, restored []*event.Event) {
	t.Helper()
	got := map[string]time.Time{}
	var now time.Time
	for _, e := range restored {
		got[e.ID()] = e.Until
		now = e.Time
		if down.unbanned[e.ID()][e.Until] {
			t.Fatalf("kill %d: ban of %s until %v restored, but its unban had been sent", it, e.ID(), e.Until)
		}
	}
	if len(restored) == 0 {
		// Nothing restored: every ban downstream holds must have ended,
		// which the clock cannot tell without a restored event; the
		// bans are 10 s long and the next burst ends them all.
		return
	}
	for id, until := range down.banned {
		if !until.After(now) {
			continue // ended by the restored clock
		}
		if _, ok := got[id]; !ok {
			t.Fatalf("kill %d: ban of %s until %v was sent but is not restored (restored clock %v)", it, id, until, now)
		}
	}
}

// TestJournalFullDisk runs bancount on a 64 KiB tmpfs: when the journal
// cannot be written, bancount stops emitting and exits 1 with a clear
// message, and every ban it sent is in the state; a start on the full disk
// restores them read-only and says so.
func TestJournalFullDisk(t *testing.T) {
	testenv.RequireRoot(t)
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		testenv.Missing(t, "mount -t tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	state := filepath.Join(mnt, "st")
	args := []string{"--ignoreself=false", "--clock", "log", "--state", state, "--socket", "none",
		"--maxretry", "1", "--bantime", "1d"}

	// Failures go in by fifties, each after the bans of the last (bancount
	// writes its output when its input pauses), until bancount stops.
	cmd := exec.Command(binary, args...)
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
	sent := map[string]bool{}
	br := bufio.NewReader(out)
	n := 0
feed:
	for n < 20000 {
		for i := 0; i < 50; i++ {
			n++
			if _, err := fmt.Fprintln(in, failure(n, "sshd", fmt.Sprintf("2001:db8::%x", n), n)); err != nil {
				break feed // bancount stopped
			}
		}
		for len(sent) < n {
			l, err := br.ReadString('\n')
			if err != nil {
				break feed
			}
			sent[decode(t, l).ID()] = true
		}
	}
	in.Close()
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			break
		}
		sent[decode(t, l).ID()] = true
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("on a full disk: %v, want exit 1 (stderr: %s)", err, stderr.String())
	}
	for _, want := range []string{"no space left on device", "stopped: no event leaves bancount before the journal holds it", "hint: free space in"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if len(sent) == 0 || len(sent) >= 20000 {
		t.Fatalf("%d bans sent: the disk should have filled midway (stderr: %s)", len(sent), stderr.String())
	}
	t.Logf("%d bans sent before the disk was full", len(sent))

	// Fill what is left, then start on the full disk.
	filler, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = filler.Write(make([]byte, 4096))
	}
	filler.Close()
	restart := func() (map[string]bool, string, error) {
		cmd := exec.Command(binary, args...)
		cmd.Stdin = strings.NewReader("")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		got := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			if l == "" {
				continue
			}
			e := decode(t, l)
			if !e.Restored {
				t.Errorf("restart: event not restored: %s", l)
			}
			got[e.ID()] = true
		}
		return got, stderr.String(), err
	}
	got, errText, err := restart()
	if err != nil {
		t.Fatalf("start on a full disk: %v: %s", err, errText)
	}
	if !strings.Contains(errText, "read-only") || !strings.Contains(errText, fmt.Sprintf("restored %d bans", len(got))) {
		t.Errorf("start on a full disk does not say it is read-only:\n%s", errText)
	}
	for id := range sent {
		if !got[id] {
			t.Fatalf("ban of %s was sent but is not restored (%d sent, %d restored)", id, len(sent), len(got))
		}
	}
	// Decisions on the full disk stop it at the first journal write that
	// fails; what left before is in the state.
	var input strings.Builder
	for i := 1; i <= 5000; i++ {
		input.WriteString(failure(30000+i, "sshd", fmt.Sprintf("2001:db8:1::%x", i), i) + "\n")
	}
	cmd = exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(input.String())
	var stdout strings.Builder
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "no space left on device") {
		t.Fatalf("decisions on a full disk: %v, want exit 1 for no space (stderr: %s)", err, stderr.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if l != "" {
			sent[decode(t, l).ID()] = true
		}
	}

	// With space again, the state is whole.
	os.Remove(filepath.Join(mnt, "filler"))
	if out, err := exec.Command("mount", "-o", "remount,size=4m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	got2, errText, err := restart()
	if err != nil || strings.Contains(errText, "read-only") {
		t.Fatalf("start with space: %v: %s", err, errText)
	}
	for id := range sent {
		if !got2[id] {
			t.Fatalf("ban of %s was sent but is not restored (%d sent, %d restored)", id, len(sent), len(got2))
		}
	}
}
