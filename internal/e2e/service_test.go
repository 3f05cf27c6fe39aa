package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/event"
)

// unitScript returns the pipeline script of dist/systemd/banpipe.service's
// ExecStart (bash -c '...'), as systemd hands it to bash: continuation
// lines joined, $$ unescaped, the binaries' directories set to dir.
func unitScript(t testing.TB, dir string) string {
	t.Helper()
	data, err := os.ReadFile("../../dist/systemd/banpipe.service")
	if err != nil {
		t.Fatal(err)
	}
	var cmd string
	in := false
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "ExecStart=") {
			in = true
			l = strings.TrimPrefix(l, "ExecStart=")
		}
		if !in {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cmd += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		cmd += l
		break
	}
	const prefix = "/bin/bash -c '"
	if !strings.HasPrefix(cmd, prefix) || !strings.HasSuffix(cmd, "'") {
		t.Fatalf("ExecStart is not /bin/bash -c '...': %s", cmd)
	}
	s := strings.TrimSuffix(strings.TrimPrefix(cmd, prefix), "'")
	s = strings.ReplaceAll(s, "$$", "$")
	s = strings.ReplaceAll(s, "@BINDIR@", dir)
	return strings.ReplaceAll(s, "@SBINDIR@", dir)
}

// service is banpipe.service's pipeline run in a namespace.
type service struct {
	t      *testing.T
	ns     string
	script string
	env    []string
}

func (s *service) start() *pipeline {
	t := s.t
	cmd := netnstest.Command(context.Background(), s.ns, "bash", "-c", s.script)
	cmd.Env = s.env
	return runPipeline(t, cmd)
}

// journal is the JSON export the stand-in journalctl replays.
type journal struct {
	t    testing.TB
	path string
	seq  int
}

func (j *journal) add(unit, comm, msg string) {
	j.seq++
	rec := fmt.Sprintf(`{"__CURSOR":"s=e2e0;i=%x;b=e2e1;m=%x;t=%x;x=e2e2","__REALTIME_TIMESTAMP":"%d","_HOSTNAME":"web01","SYSLOG_IDENTIFIER":%q,"_COMM":%q,"_PID":"%d","_SYSTEMD_UNIT":%q,"MESSAGE":%q}`+"\n",
		j.seq, j.seq, j.seq, time.Now().UnixMicro(), comm, comm, 500+j.seq, unit, msg)
	appendLine(j.t, j.path, rec)
}

func (j *journal) failure(addr string) {
	j.add("sshd.service", "sshd", fmt.Sprintf("Failed password for root from %s port %d ssh2", addr, 40000+j.seq))
}

// TestFail2banConfiguration runs banpipe.service's own pipeline script
// (logmatch --config C --follow | bancount --config C | fwban --config C,
// stages joined as the unit joins them) on a configuration written as a
// fail2ban user writes one: a copy of the installed fail2ban's jail.conf,
// filter.d and action.d (copied at test time, never committed) and a
// jail.local with a globbed logpath, a filter of its own, per-jail ports
// and maxretry, an ignoreip, a broken jail and a backend = systemd jail.
// No journald runs here: a stand-in journalctl (internal/e2e/fakejournalctl,
// first in PATH) replays a JSON export the test writes, honouring -f,
// --after-cursor, --since and the matches.
//
// It checks, against nftables in a network namespace: attackers are refused
// on their own jail's ports only; the ignored address and a journal entry
// outside the jail's matches are never banned; the broken jail is reported
// with its file and line and the others run; failures already in the logs
// at the first start are counted; a new file matching the glob is read;
// rotation by rename and by copytruncate loses nothing; after SIGTERM and
// after kill -9 at a random point, failures written while the pipeline was
// down are counted and those counted before are not counted again (files
// and journal).
func TestFail2banConfiguration(t *testing.T) {
	testenv.RequireFile(t, "/etc/fail2ban/jail.conf", "fail2ban")
	testenv.RequireCommand(t, "nft")
	testenv.RequireCommand(t, "bash")
	pair := netnstest.New(t)
	const sshPort, webPort, journalPort = 2222, 8080, 2223
	for _, p := range []int{sshPort, webPort, journalPort} {
		pair.Listen(t, p)
	}
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"jail.conf", "paths-common.conf", "paths-debian.conf", "filter.d", "action.d"} {
		if out, err := exec.Command("cp", "-a", "/etc/fail2ban/"+f, etc+"/").CombinedOutput(); err != nil {
			t.Fatalf("copying fail2ban's %s: %v\n%s", f, err, out)
		}
	}
	logs := filepath.Join(dir, "logs")
	for _, d := range []string{logs, filepath.Join(dir, "run"), filepath.Join(dir, "state"), filepath.Join(dir, "fakebin")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	jailLocal := fmt.Sprintf(`# what a fail2ban user adds to the stock jail.conf
[DEFAULT]
banaction = nftables-multiport
banaction_allports = nftables-allports
bantime = 1h
findtime = 10m
ignoreip = 127.0.0.1/8 ::1 %[1]s

[sshd]
enabled = true
port = %[2]d
backend = auto
logpath = %[3]s/auth*.log
maxretry = 3

[webapp]
enabled = true
filter = webapp
port = %[4]d
logpath = %[3]s/webapp.log
maxretry = 2

[sshd-journal]
enabled = true
filter = sshd
backend = systemd
port = %[5]d
maxretry = 2

[broken]
enabled = true
filter = no-such-filter
port = 9999
logpath = %[3]s/broken.log
`, netnstest.Client4b, sshPort, logs, webPort, journalPort)
	writeFile(t, filepath.Join(etc, "jail.local"), jailLocal)
	writeFile(t, filepath.Join(etc, "filter.d", "webapp.conf"), "[Definition]\nfailregex = ^\\s*\\S+ webapp\\[\\d+\\]: login failed for \\S+ from <HOST>$\n")
	webLine := func(addr string) string {
		return fmt.Sprintf("%s web01 webapp[77]: login failed for admin from %s\n", time.Now().UTC().Format(time.Stamp), addr)
	}
	auth, webapp := filepath.Join(logs, "auth.log"), filepath.Join(logs, "webapp.log")
	jr := &journal{t: t, path: filepath.Join(dir, "journal.json")}
	appendLine(t, jr.path, "")

	// The stand-in journalctl, first in PATH.
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "fakebin", "journalctl"), "./fakejournalctl").CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in journalctl: %v\n%s", err, out)
	}
	svc := &service{t: t, ns: pair.Server, script: unitScript(t, binDir), env: append(os.Environ(),
		"TZ=UTC",
		"PATH="+filepath.Join(dir, "fakebin")+":"+os.Getenv("PATH"),
		"BANPIPE_CONFIG="+filepath.Join(etc, "jail.conf"),
		"RUNTIME_DIRECTORY="+filepath.Join(dir, "run"),
		"STATE_DIRECTORY="+filepath.Join(dir, "state"),
		"FAKE_JOURNAL="+jr.path,
		"FAKE_JOURNAL_LOG="+filepath.Join(dir, "journalctl.args"),
		"LOGMATCH_OPTS=", "BANCOUNT_OPTS=", "FWBAN_OPTS=",
	)}
	t.Cleanup(func() {
		exec.Command("ip", "netns", "exec", pair.Server, bin("fwban"), "--config", filepath.Join(etc, "jail.conf"), "flush").Run()
	})

	// --check: one line per jail, the broken one with its file and line.
	check := exec.Command(bin("logmatch"), "--config", filepath.Join(etc, "jail.conf"), "--check")
	out, err := check.Output()
	if code := exitCode(err); code != 2 {
		t.Errorf("logmatch --check: exit %d, want 2 (a broken jail)\n%s", code, out)
	}
	for _, want := range []string{
		`(?m)^sshd: ok: filter sshd, .* backend auto, files ` + regexp.QuoteMeta(logs+"/auth*.log") + ` \(no file yet\)$`,
		`(?m)^webapp: ok: filter webapp, 1 failregex`,
		`(?m)^sshd-journal: ok: filter sshd, .* backend systemd, journal _SYSTEMD_UNIT=sshd.service \+ _COMM=sshd$`,
		`(?m)^broken: error: .*jail.local:32: \[broken\] filter: unknown filter "no-such-filter"`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("logmatch --check: no line %s in:\n%s", want, out)
		}
	}

	// Failures already in the logs at the first start count (within
	// findtime): two of Client4's three.
	a1, a2, a3, a4 := netnstest.Client4, netnstest.Client6, netnstest.Client4b, netnstest.Client6b
	appendLine(t, auth, syslogLine(time.Now(), a1.String(), 1))
	appendLine(t, auth, syslogLine(time.Now(), a1.String(), 2))
	for i := 0; i < 4; i++ { // the ignored address
		appendLine(t, auth, syslogLine(time.Now(), a3.String(), 10+i))
	}
	p := svc.start()

	// webapp: its own filter, maxretry 2, port 8080 only.
	appendLine(t, webapp, webLine(a2.String()))
	appendLine(t, webapp, webLine(a2.String()))
	banned(t, p, a2, "webapp")
	// sshd: the third failure lands in a new file matching the glob.
	appendLine(t, filepath.Join(logs, "auth-new.log"), syslogLine(time.Now(), a1.String(), 3))
	banned(t, p, a1, "sshd")
	// the journal jail: records outside its matches are not its own.
	jr.add("cron.service", "cron", "Failed password for root from 198.51.100.99 port 1 ssh2")
	jr.add("cron.service", "cron", "Failed password for root from 198.51.100.99 port 2 ssh2")
	jr.failure(a4.String())
	jr.failure(a4.String())
	banned(t, p, a4, "sshd-journal")

	refused(t, pair, a1, sshPort)
	refused(t, pair, a2, webPort)
	refused(t, pair, a4, journalPort)
	pair.Expect(t, a1, webPort, netnstest.Connected)
	pair.Expect(t, a2, sshPort, netnstest.Connected)
	pair.Expect(t, a4, sshPort, netnstest.Connected)
	pair.Expect(t, a3, sshPort, netnstest.Connected)
	if !regexp.MustCompile(`jail\.local:32: \[broken\] filter: unknown filter "no-such-filter".*\(jail broken skipped\)`).MatchString(p.Stderr()) {
		t.Errorf("the broken jail is not reported with its file and line:\n%s", p.Stderr())
	}

	// Rotation while running: rename (the glob does not match auth.log.1)
	// and copytruncate; the failures on both sides count.
	r5, r6 := "198.51.100.25", "198.51.100.26"
	appendLine(t, auth, syslogLine(time.Now(), r5, 50))
	appendLine(t, auth, syslogLine(time.Now(), r5, 51))
	appendLine(t, webapp, webLine(r6))
	marker(t, p, auth, "198.51.100.40")
	if err := os.Rename(auth, auth+".1"); err != nil {
		t.Fatal(err)
	}
	appendLine(t, auth, syslogLine(time.Now(), r5, 52))
	banned(t, p, netip.MustParseAddr(r5), "sshd")
	data, _ := os.ReadFile(webapp)
	writeFile(t, webapp+".1", string(data))
	if err := os.Truncate(webapp, 0); err != nil {
		t.Fatal(err)
	}
	appendLine(t, webapp, webLine(r6))
	banned(t, p, netip.MustParseAddr(r6), "webapp")

	// Restarts: SIGTERM, then kill -9 at a random point. Before each stop
	// "twice" has maxretry-1 failures (counted again, they would ban it)
	// and "lost" as many; while down, "lost" gets one more (missed, it
	// would never be banned). The journal jail likewise.
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		twice, lost := fmt.Sprintf("198.51.100.%d", 60+10*i), fmt.Sprintf("198.51.100.%d", 61+10*i)
		jtwice, jlost := fmt.Sprintf("203.0.113.%d", 60+10*i), fmt.Sprintf("203.0.113.%d", 61+10*i)
		for k := 0; k < 2; k++ {
			appendLine(t, auth, syslogLine(time.Now(), twice, 100+k))
			appendLine(t, auth, syslogLine(time.Now(), lost, 110+k))
		}
		jr.failure(jtwice)
		jr.failure(jlost)
		marker(t, p, auth, fmt.Sprintf("198.51.100.%d", 62+10*i))
		jmark := fmt.Sprintf("203.0.113.%d", 62+10*i)
		jr.failure(jmark)
		jr.failure(jmark)
		banned(t, p, netip.MustParseAddr(jmark), "sshd-journal")
		// logmatch's positions file holds the journal's last cursor a
		// second or two after it was read (see logmatch(1), RESTARTS).
		waitFile(t, filepath.Join(dir, "state", "logmatch.positions"), fmt.Sprintf(`"cursor": "s=e2e0;i=%x;`, jr.seq))
		if sig == syscall.SIGKILL {
			// a random point within the positions file's write interval
			time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
		}
		p.kill(sig)
		appendLine(t, auth, syslogLine(time.Now(), lost, 120))
		jr.failure(jlost)
		p = svc.start()
		banned(t, p, netip.MustParseAddr(lost), "sshd")
		banned(t, p, netip.MustParseAddr(jlost), "sshd-journal")
		marker(t, p, auth, fmt.Sprintf("198.51.100.%d", 63+10*i))
		jm2 := fmt.Sprintf("203.0.113.%d", 63+10*i)
		jr.failure(jm2)
		jr.failure(jm2)
		banned(t, p, netip.MustParseAddr(jm2), "sshd-journal")
		for _, a := range []string{twice, jtwice} {
			if n := p.count(isNewBanOf(netip.MustParseAddr(a))); n != 0 {
				t.Errorf("after %v: %s banned: failures read before the restart were counted again", sig, a)
			}
		}
		args, _ := os.ReadFile(filepath.Join(dir, "journalctl.args"))
		if !strings.Contains(string(args), "--after-cursor s=e2e0;i=") {
			t.Errorf("after %v: journalctl not restarted after the saved cursor:\n%s", sig, args)
		}
	}
	for _, a := range []netip.Addr{a3, netip.MustParseAddr("198.51.100.99")} {
		if n := p.count(isBanOf(a)); n != 0 {
			t.Errorf("%s banned (ignored address, or a journal entry outside the jail's matches)", a)
		}
	}
	pair.Expect(t, a3, sshPort, netnstest.Connected)
	refused(t, pair, a1, sshPort)
	pair.Expect(t, a1, webPort, netnstest.Connected)
}

// marker bans addr in the sshd jail through log and waits for it: every
// line written to log before was read and counted by then.
func marker(t *testing.T, p *pipeline, log, addr string) {
	t.Helper()
	for k := 0; k < 3; k++ {
		appendLine(t, log, syslogLine(time.Now(), addr, 200+k))
	}
	banned(t, p, netip.MustParseAddr(addr), "sshd")
}

// banned waits for fwban's applied ban of addr in jail.
func banned(t *testing.T, p *pipeline, addr netip.Addr, jail string) {
	t.Helper()
	e := p.waitResult(t, 30*time.Second, "ban of "+addr.String()+" in "+jail, func(e *event.Event) bool {
		return isBanOf(addr)(e) && e.Jail == jail
	})
	if e.Applied == nil || !*e.Applied {
		t.Fatalf("ban of %s not applied: %+v", addr, e)
	}
}

func isNewBanOf(addr netip.Addr) func(*event.Event) bool {
	return func(e *event.Event) bool { return isBanOf(addr)(e) && !e.Restored }
}

// refused waits until connections from addr to port are blocked (an IPv6
// connect may see no answer, see TestLivePipeline).
func refused(t *testing.T, pair *netnstest.Pair, addr netip.Addr, port int) {
	t.Helper()
	blocked := []netnstest.Outcome{netnstest.Refused}
	if addr.Is6() {
		blocked = append(blocked, netnstest.TimedOut)
	}
	waitOutcome(t, pair, addr, port, 15*time.Second, blocked...)
}

// waitFile waits until the file at path contains want.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s within 30s:\n%s", path, want, b)
		}
	}
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
