package bancount_test

// Tests that run the built bancount binary as a process: kill -9 at random
// moments, the lock, the control socket, the live clock, signals.

import (
	"bufio"
	"encoding/json"
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

	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/store"
)

var binary, fwbanBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bancount-test")
	if err != nil {
		panic(err)
	}
	os.Chmod(dir, 0o755) // other users run it too (root-only socket test)
	binary = filepath.Join(dir, "bancount")
	out, err := exec.Command("go", "build", "-o", binary, "github.com/banpipe/banpipe/cmd/bancount").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	fwbanBinary = filepath.Join(dir, "fwban")
	if out, err := exec.Command("go", "build", "-o", fwbanBinary, "github.com/banpipe/banpipe/cmd/fwban").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build fwban: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running bancount with a pipe on its stdin and a line reader on
// its stdout.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr *strings.Builder
	lines  chan string
}

func start(t testing.TB, args ...string) *proc {
	t.Helper()
	// The test addresses may be this machine's own (192.0.2.2 is, here):
	// ignoreself is tested in pkg/ignore and the scripts.
	args = append([]string{"--ignoreself=false"}, args...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, in: in, stderr: &strings.Builder{}, lines: make(chan string, 1000)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

func (p *proc) send(lines ...string) {
	p.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(p.in, l+"\n"); err != nil {
			p.t.Fatalf("write to bancount: %v (stderr: %s)", err, p.stderr)
		}
	}
}

// nextDeadline is how long next waits at least: generous for a loaded
// 2-core machine (a line normally comes within milliseconds).
const nextDeadline = 30 * time.Second

// next returns the next stdout line, failing after d (at least nextDeadline).
func (p *proc) next(d time.Duration) string {
	p.t.Helper()
	d = max(d, nextDeadline)
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("bancount closed its output (stderr: %s)", p.stderr)
		}
		return l
	case <-time.After(d):
		p.t.Fatalf("no output from bancount within %v (stderr: %s)", d, p.stderr)
	}
	return ""
}

func decode(t testing.TB, line string) *event.Event {
	t.Helper()
	var e event.Event
	if err := event.Decode([]byte(line), &e); err != nil {
		t.Fatalf("bad output line %q: %v", line, err)
	}
	return &e
}

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func failure(sec int, jail, ip string, lineno int) string {
	return fmt.Sprintf(`{"time":%q,"jail":%q,"ip":%q,"lineno":%d}`, t0.Add(time.Duration(sec)*time.Second).Format(time.RFC3339), jail, ip, lineno)
}

// loadBans reads the state as the next bancount would.
func loadBans(t *testing.T, path string) (map[string]bool, store.LoadStats) {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	en := bans.New(bans.Config{})
	st, err := s.Load(en.Apply, func(f string, l int, err error) { t.Errorf("%s:%d: %v", f, l, err) })
	if err != nil {
		t.Fatalf("load state: %v", err)
	}
	got := map[string]bool{}
	for _, js := range en.Status("", 0) {
		for _, b := range js.Banned {
			got[b.ID] = true
		}
	}
	return got, st
}

// TestKill9 kills bancount with SIGKILL at random moments, 20 times, on
// the same state: the state always loads without a bad record, and every
// ban that bancount had written to its output is in it; at most the event
// in flight is lost.
func TestKill9(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "st")
	rng := rand.New(rand.NewPCG(1, 2))
	acked := map[string]bool{}
	sent := 0
	for it := 0; it < 20; it++ {
		// A tiny --compact-at: background compactions run all the time, so
		// kills land during them too.
		p := start(t, "--clock", "log", "--state", state, "--socket", "none", "--maxretry", "1", "--bantime", "1d",
			"--compact-at", "3000")
		n := 5 + rng.IntN(40)
		burst := rng.IntN(3) == 0
		var burstIPs []string
		for i := 0; i < n; i++ {
			sent++
			ip := fmt.Sprintf("2001:db8::%x", sent)
			p.send(failure(sent, "sshd", ip, sent))
			if burst {
				burstIPs = append(burstIPs, ip)
				continue
			}
			// Wait for the ban (skipping restored ones): it was flushed
			// after the journal, so the state must hold it from now on.
			for {
				e := decode(t, p.next(10*time.Second))
				if e.Restored {
					continue
				}
				if e.ID() != ip {
					t.Fatalf("iteration %d: ban of %s, want %s", it, e.ID(), ip)
				}
				acked[ip] = true
				break
			}
		}
		if !burst {
			// One more event, in flight when the kill lands.
			sent++
			p.send(failure(sent, "sshd", fmt.Sprintf("2001:db8::%x", sent), sent))
		}
		// random jitter (not synchronisation): the kill lands at varied
		// points of the write path
		time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()

		got, st := loadBans(t, state)
		if st.Bad != 0 {
			t.Fatalf("iteration %d: %d bad records after kill -9", it, st.Bad)
		}
		for ip := range acked {
			if !got[ip] {
				t.Fatalf("iteration %d: ban of %s was written downstream but is not in the state", it, ip)
			}
		}
		// Events are applied in order: what a burst left in the state is a
		// prefix of it.
		for i := 1; i < len(burstIPs); i++ {
			if got[burstIPs[i]] && !got[burstIPs[i-1]] {
				t.Fatalf("iteration %d: state holds %s but not the earlier %s", it, burstIPs[i], burstIPs[i-1])
			}
		}
		if len(got) > sent {
			t.Fatalf("iteration %d: %d bans from %d events", it, len(got), sent)
		}
	}
	// A clean run after all that restores every ban it holds.
	p := start(t, "--clock", "log", "--state", state, "--socket", "none")
	p.in.Close()
	restored := 0
	for l := range p.lines {
		if decode(t, l).Restored {
			restored++
		}
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("clean run: %v: %s", err, p.stderr)
	}
	got, _ := loadBans(t, state)
	if restored != len(got) || restored < len(acked) {
		t.Errorf("restored %d, state %d, acknowledged %d", restored, len(got), len(acked))
	}
}

func TestOneProcessPerState(t *testing.T) {
	state := filepath.Join(t.TempDir(), "st")
	p := start(t, "--state", state, "--socket", "none", "--maxretry", "1", "--clock", "log")
	p.send(failure(0, "sshd", "192.0.2.1", 1))
	// the first holds the state once it has decided a ban
	if e := decode(t, p.next(0)); e.Action != "ban" {
		t.Fatalf("first bancount: %+v", e)
	}
	cmd := exec.Command(binary, "--state", state, "--socket", "none")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("second bancount: %v %s", err, out)
	}
	want := fmt.Sprintf("bancount: state %s: in use by another process (pid %d holds %s.lock)", state, p.cmd.Process.Pid, state)
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "bancount: hint: one bancount per state") {
		t.Errorf("got %q, want %q", out, want)
	}
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

func ctl(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestControlSocket drives a running bancount through its socket: status,
// manual ban of a prefix, unban (the running process emits both), a fresh
// window after the unban, unban --all, eviction counts, and root only.
func TestControlSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "run", "bc.sock")
	p := start(t, "--state", filepath.Join(dir, "st"), "--socket", sock, "--maxretry", "2", "--bantime", "1h",
		"--max-tracked", "3", "--clock", "log")
	now := 0
	p.send(failure(now, "sshd", "192.0.2.7", 1), failure(now+1, "sshd", "192.0.2.7", 2))
	if e := decode(t, p.next(5*time.Second)); e.Action != "ban" || e.ID() != "192.0.2.7" {
		t.Fatalf("want ban of 192.0.2.7, got %+v", e)
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v mode %v", err, fi.Mode())
	}
	// Four more ids with --max-tracked 3: one window evicted, oldest first.
	p.send(failure(2, "sshd", "198.51.100.1", 3), failure(3, "sshd", "198.51.100.2", 4),
		failure(4, "sshd", "198.51.100.3", 5), failure(5, "sshd", "198.51.100.4", 6))
	// Wait until the six failures are counted (status says so).
	var out string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		out, err = ctl(t, "status", "--socket", sock)
		if err != nil {
			t.Fatalf("status: %v %s", err, out)
		}
		if strings.Contains(out, "since start: 6 failures") || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{"tracking 3 ids (max 3, 1 evicted), 0 malformed lines", "[sshd] maxretry 2, findtime 600s, bantime 3600s",
		"failures being counted: 3 ids", "192.0.2.7", "until 2026-11-21T11:00:01Z", "bancount 1, failures 2",
		"since start: 6 failures, 0 ignored, 0 stale, 0 duplicates, 1 bans, 0 extended, 0 unbans"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "198.51.100.1 ") {
		t.Errorf("evicted window still listed:\n%s", out)
	}
	out, err = ctl(t, "status", "--socket", sock, "--json", "sshd")
	var st struct {
		Evictions int64
		Jails     []struct {
			Jail   string
			Totals bans.Stats
			Banned []struct {
				ID   string
				Left int64
			}
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || len(st.Jails) != 1 || st.Evictions != 1 ||
		len(st.Jails[0].Banned) != 1 || st.Jails[0].Banned[0].Left != 3596 || st.Jails[0].Totals.Failures != 6 {
		t.Fatalf("status --json: %v %s", err, out)
	}

	out, err = ctl(t, "ban", "--socket", sock, "sshd", "203.0.113.0/24")
	if err != nil || !strings.Contains(out, "banned 203.0.113.0/24 in sshd until 2026-11-21T11:00:05Z") {
		t.Fatalf("ban: %v %s", err, out)
	}
	if e := decode(t, p.next(5*time.Second)); e.Action != "ban" || e.ID() != "203.0.113.0/24" || e.Bantime != 3600 {
		t.Fatalf("running bancount did not emit the manual ban: %+v", e)
	}
	if out, err := ctl(t, "ban", "--socket", sock, "sshd", "127.0.0.0/8"); err == nil || !strings.Contains(out, "loopback") {
		t.Errorf("loopback ban accepted: %s", out)
	}
	if out, err := ctl(t, "ban", "--socket", sock, "sshd", "0.0.0.0/0"); err == nil {
		t.Errorf("ban of everything accepted: %s", out)
	}
	// The admin's own SSH connection is never banned by hand.
	own := exec.Command(binary, "ban", "--socket", sock, "sshd", "198.51.100.64/26")
	own.Env = append(os.Environ(), "SSH_CONNECTION=198.51.100.77 50022 192.0.2.2 22")
	if out, err := own.CombinedOutput(); err == nil || !strings.Contains(string(out), "refusing to ban your own connection from 198.51.100.77") {
		t.Errorf("ban of the admin's own address: %v %s", err, out)
	}

	out, err = ctl(t, "unban", "--socket", sock, "192.0.2.7")
	if err != nil || !strings.Contains(out, "unbanned 192.0.2.7 in sshd") {
		t.Fatalf("unban: %v %s", err, out)
	}
	if e := decode(t, p.next(5*time.Second)); e.Action != "unban" || e.ID() != "192.0.2.7" || e.Reason != "manual" {
		t.Fatalf("running bancount did not emit the unban: %+v", e)
	}
	// Banned again only after maxretry anew.
	// The next line must be the ban at the second failure (its time and
	// count): a ban at the first would come before it.
	p.send(failure(6, "sshd", "192.0.2.7", 7))
	p.send(failure(7, "sshd", "192.0.2.7", 8))
	if e := decode(t, p.next(5*time.Second)); e.Action != "ban" || e.ID() != "192.0.2.7" || e.Failures != 2 || !e.Time.Equal(t0.Add(7*time.Second)) {
		t.Fatalf("want a new ban after maxretry anew, at the second failure, got %+v", e)
	}

	// Root only: another user cannot even open the socket (its directories
	// are open to all; the socket's mode keeps them out).
	for d := sock; d != filepath.Dir(dir); {
		d = filepath.Dir(d)
		os.Chmod(d, 0o755)
	}
	cmd := exec.Command(binary, "status", "--socket", sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if os.Geteuid() == 0 {
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "permission denied") {
			t.Errorf("status as nobody: %v %s", err, out)
		}
	}

	out, err = ctl(t, "unban", "--socket", sock, "--all")
	if err != nil || strings.Count(out, "unbanned") != 2 {
		t.Fatalf("unban --all: %v %s", err, out)
	}
	for i := 0; i < 2; i++ {
		if e := decode(t, p.next(5*time.Second)); e.Action != "unban" {
			t.Fatalf("want unban, got %+v", e)
		}
	}
	if out, err := ctl(t, "unban", "--socket", sock, "sshd", "192.0.2.99"); err == nil || !strings.Contains(out, "not banned") {
		t.Errorf("unban of an unbanned address: %v %s", err, out)
	}
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); err == nil {
		// A stale socket file is fine, but a new bancount must take it over.
		q := start(t, "--state", filepath.Join(dir, "st"), "--socket", sock)
		q.in.Close()
		if err := q.cmd.Wait(); err != nil {
			t.Fatalf("restart on a stale socket: %v %s", err, q.stderr)
		}
	}
}

// TestLiveClockUnbansWithoutInput: with the wall clock a ban ends on time
// while no input arrives; at EOF the pending unban waits in the state.
func TestLiveClockUnbansWithoutInput(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC()
	line := func(ip string, n int) string {
		return fmt.Sprintf(`{"time":%q,"jail":"sshd","ip":%q,"lineno":%d}`, time.Now().UTC().Format(time.RFC3339Nano), ip, n)
	}
	p := start(t, "--state", filepath.Join(dir, "st"), "--socket", "none", "--maxretry", "1", "--bantime", "2")
	p.send(line("192.0.2.7", 1))
	if e := decode(t, p.next(5*time.Second)); e.Action != "ban" {
		t.Fatalf("want a ban, got %+v", e)
	}
	e := decode(t, p.next(10*time.Second))
	if e.Action != "unban" || e.Reason != "expired" || time.Since(now) < 2*time.Second {
		t.Fatalf("want an unban after 2 s, got %+v after %v", e, time.Since(now))
	}

	// At EOF a running ban stays in the state for the next start.
	p.send(line("192.0.2.8", 2))
	p.next(5 * time.Second)
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	q := start(t, "--state", filepath.Join(dir, "st"), "--socket", "none")
	if e := decode(t, q.next(5*time.Second)); !(e.Action == "ban" && e.Restored) && !(e.Action == "unban" && e.Reason == "expired") {
		t.Fatalf("want the ban restored (or unbanned if it ended), got %+v", e)
	}
	q.in.Close()
	q.cmd.Wait()
}

// TestSignals: SIGTERM and SIGINT stop bancount with a complete state.
func TestSignals(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 0}, {syscall.SIGINT, 130}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "st")
			p := start(t, "--clock", "log", "--state", state, "--socket", "none", "--maxretry", "1")
			p.send(failure(0, "sshd", "192.0.2.7", 1))
			p.next(5 * time.Second)
			p.cmd.Process.Signal(tc.sig)
			err := p.cmd.Wait()
			if code := p.cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("exit %d (%v), want %d; stderr %s", code, err, tc.code, p.stderr)
			}
			got, st := loadBans(t, state)
			if !got["192.0.2.7"] || st.Bad != 0 {
				t.Fatalf("state after %v: %v %+v", tc.sig, got, st)
			}
			// Compacted on the way out: the journal holds only its header.
			data, _ := os.ReadFile(state + ".journal")
			if strings.Count(string(data), "\n") != 1 {
				t.Errorf("journal not compacted at exit: %q", data)
			}
		})
	}
}

// TestBanLogReopen: the ban log is reopened after logrotate moves it (by
// itself) and on SIGHUP; stdout is unchanged.
func TestBanLogReopen(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "fail2ban.log")
	p := start(t, "--clock", "log", "--state", "none", "--socket", "none", "--maxretry", "1", "--log", logf)
	waitFor := func(path, want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			data, _ := os.ReadFile(path)
			if strings.Contains(string(data), want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s lacks %q: %q", path, want, data)
			}
			time.Sleep(50 * time.Millisecond) // poll interval of a condition wait
		}
	}
	// reopened waits until bancount has created the ban log anew.
	reopened := func(why string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(logf); err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not reopened 30 s after %s", logf, why)
			}
		}
	}
	p.send(failure(0, "sshd", "192.0.2.1", 1))
	p.next(5 * time.Second)
	waitFor(logf, "NOTICE  [sshd] Ban 192.0.2.1\n")

	// logrotate renames the file: bancount notices and starts a new one.
	if err := os.Rename(logf, logf+".1"); err != nil {
		t.Fatal(err)
	}
	reopened("the rename")
	p.send(failure(1, "sshd", "198.51.100.2", 2))
	p.next(5 * time.Second)
	waitFor(logf, "Ban 198.51.100.2\n")

	// copytruncate-style rotation with a SIGHUP: reopened at once.
	os.Rename(logf, logf+".2")
	p.cmd.Process.Signal(syscall.SIGHUP)
	// The SIGHUP is handled when the new file exists.
	reopened("SIGHUP")
	p.send(failure(2, "sshd", "192.0.2.3", 3))
	p.next(5 * time.Second)
	waitFor(logf, "Ban 192.0.2.3\n")
	old, _ := os.ReadFile(logf + ".1")
	if strings.Contains(string(old), "198.51.100.2") {
		t.Errorf("line written to the rotated file: %q", old)
	}
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestBadInputBytes: a huge line, a NUL byte and broken UTF-8 are reported
// with their line numbers and skipped; the stream goes on and the good
// events still ban.
func TestBadInputBytes(t *testing.T) {
	huge := `{"time":"2026-11-21T10:00:00Z","jail":"sshd","host":"` + strings.Repeat("x", 2<<20) + `"}`
	in := strings.Join([]string{
		failure(0, "sshd", "198.51.100.20", 1),
		huge,
		"{\"time\":\"2026-11-21T10:00:01Z\",\"jail\":\"sshd\",\x00\"ip\":\"198.51.100.20\"}",
		"{\"time\":\"2026-11-21T10:00:02Z\",\"jail\":\"sshd\",\"host\":\"\xff\xfe-bad-utf8\"}",
		failure(3, "sshd", "198.51.100.20", 5),
	}, "\n") + "\n"
	cmd := exec.Command(binary, "--ignoreself=false", "--clock", "log", "--state", "none", "--socket", "none", "--maxretry", "2")
	cmd.Stdin = strings.NewReader(in)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	if !strings.Contains(out.String(), `"action":"ban"`) || !strings.Contains(out.String(), `"ip":"198.51.100.20"`) {
		t.Errorf("no ban after the bad lines: %q", out.String())
	}
	for _, want := range []string{"bancount: stdin:2: line longer than", "bancount: stdin:3: "} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, errb.String())
		}
	}
	// The broken UTF-8 id is an id like any other (written as U+FFFD), not a crash.
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("output: %q", out.String())
	}
}
