package bancount_test

// Fleet mode through three real bancount processes (three hosts) sharing a
// real redis-server started by the test.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/fleettest"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/fleet"
)

// host is one bancount of the fleet.
type host struct {
	*proc
	id, state, sock string
}

func startHost(t testing.TB, dir, url, id string, extra ...string) *host {
	t.Helper()
	h := &host{id: id, state: filepath.Join(dir, id+".state"), sock: filepath.Join(dir, id+".sock")}
	args := append([]string{"--fleet", url, "--fleet-id", id, "--state", h.state, "--socket", h.sock,
		"--maxretry", "5", "--findtime", "10m", "--bantime", "1h"}, extra...)
	h.proc = start(t, args...)
	// ready when the control socket answers
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := ctl(t, "status", "--socket", h.sock); err == nil {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no control socket (stderr: %s)", id, h.stderr)
		}
		time.Sleep(20 * time.Millisecond) // poll interval of a condition wait
	}
}

// liveFailure is a failure event at the wall clock.
func liveFailure(jail, ip string, lineno int) string {
	return fmt.Sprintf(`{"time":%q,"jail":%q,"ip":%q,"lineno":%d}`, time.Now().UTC().Format(time.RFC3339Nano), jail, ip, lineno)
}

// expect reads h's next output line and checks its action and id.
func (h *host) expect(action, id string) *event.Event {
	h.t.Helper()
	e := decode(h.t, h.next(5*time.Second))
	if e.Action != action || e.ID() != id {
		h.t.Fatalf("%s: got %s %s, want %s %s", h.id, e.Action, e.ID(), action, id)
	}
	return e
}

type hostStatus struct {
	Fleet *struct {
		ID        string `json:"id"`
		Connected bool   `json:"connected"`
		Outbox    int    `json:"outbox"`
	} `json:"fleet"`
	Jails []struct {
		Jail   string `json:"jail"`
		Totals struct {
			Failures, Bans, Fleet int64
		} `json:"totals"`
		Banned []struct {
			ID string `json:"id"`
		} `json:"banned"`
	} `json:"jails"`
}

func (h *host) status() hostStatus {
	h.t.Helper()
	out, err := ctl(h.t, "status", "--socket", h.sock, "--json")
	if err != nil {
		h.t.Fatalf("%s: status: %v: %s", h.id, err, out)
	}
	var st hostStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		h.t.Fatalf("%s: status: %v: %s", h.id, err, out)
	}
	if st.Fleet == nil || st.Fleet.ID != h.id {
		h.t.Fatalf("%s: status has no fleet part: %s", h.id, out)
	}
	return st
}

// waitStatus polls h's status until ok holds.
func (h *host) waitStatus(what string, ok func(hostStatus) bool) hostStatus {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := h.status()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: %s: status %+v (stderr: %s)", h.id, what, st, h.stderr)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of a condition wait
	}
}

// marker bans addr by hand through h's socket and checks that every host
// of hosts prints that ban as its next line: proof that nothing else came
// out before it (a positive form of "nothing happened").
func marker(t *testing.T, h *host, addr string, hosts ...*host) {
	t.Helper()
	if out, err := ctl(t, "ban", "--socket", h.sock, "sshd", addr); err != nil {
		t.Fatalf("marker ban: %v: %s", err, out)
	}
	for _, o := range hosts {
		o.expect("ban", addr)
	}
}

func bansOf(st hostStatus) (bans, fleet int64) {
	for _, j := range st.Jails {
		bans += j.Totals.Bans
		fleet += j.Totals.Fleet
	}
	return
}

// TestFleetThreeHosts: an attacker spreading failures round-robin over three
// hosts is banned at the fleet-wide maxretry, decided once, emitted by every
// host; a burst from all hosts at once is also decided once; manual bans
// and unbans through one host's socket reach the others; a frozen Redis
// leaves local banning working, the local ban published after SIGCONT; a
// killed Redis the same, published after its restart; a host restarted
// later catches up with the running bans only.
func TestFleetThreeHosts(t *testing.T) {
	srv := fleettest.Start(t)
	dir := t.TempDir()
	hosts := []*host{
		startHost(t, dir, srv.URL(), "web1"),
		startHost(t, dir, srv.URL(), "web2"),
		startHost(t, dir, srv.URL(), "web3"),
	}

	// Round-robin: one failure per host in turn; no host reaches 5 alone.
	const attacker = "192.0.2.50"
	for i := range 4 {
		hosts[i%3].send(liveFailure("sshd", attacker, i+1))
	}
	// each host's failure has been counted fleet-wide before the next
	for _, h := range hosts {
		h.waitStatus("failures counted", func(st hostStatus) bool {
			return len(st.Jails) == 1 && st.Jails[0].Totals.Failures >= 1
		})
	}
	// No host banned before the fifth failure: each host's next line,
	// read by expect below, is the ban at the fifth.
	hosts[4%3].send(liveFailure("sshd", attacker, 5))
	for _, h := range hosts {
		e := h.expect("ban", attacker)
		if e.Until.IsZero() || e.Bantime != 3600 {
			t.Errorf("%s: ban %+v: want an until and bantime 3600", h.id, e)
		}
	}
	var decided, adopted int64
	for _, h := range hosts {
		st := h.status()
		b, f := bansOf(st)
		decided += b
		adopted += f
		if !st.Fleet.Connected || st.Fleet.Outbox != 0 {
			t.Errorf("%s: fleet %+v, want connected with an empty outbox", h.id, *st.Fleet)
		}
	}
	if decided != 1 || adopted != 2 {
		t.Fatalf("round-robin: %d decisions and %d adoptions, want exactly 1 and 2", decided, adopted)
	}
	if b, _ := bansOf(hosts[1].status()); b != 1 {
		t.Errorf("web2 saw the fifth failure but did not decide the ban")
	}

	// A burst: two failures on each host at once (6 >= 5): one decision.
	const burst = "192.0.2.51"
	for i, h := range hosts {
		h.send(liveFailure("sshd", burst, 10+2*i), liveFailure("sshd", burst, 11+2*i))
	}
	for _, h := range hosts {
		h.expect("ban", burst)
	}
	decided = 0
	for _, h := range hosts {
		b, _ := bansOf(h.status())
		decided += b
	}
	if decided != 2 {
		t.Fatalf("burst: %d decisions in all, want 2 (one per address)", decided)
	}

	// Manual ban on web1, manual unban on web3: every host emits both.
	if out, err := ctl(t, "ban", "--socket", hosts[0].sock, "sshd", "198.51.100.0/24"); err != nil {
		t.Fatalf("ban: %v: %s", err, out)
	}
	for _, h := range hosts {
		h.expect("ban", "198.51.100.0/24")
	}
	if out, err := ctl(t, "unban", "--socket", hosts[2].sock, "sshd", "198.51.100.0/24"); err != nil {
		t.Fatalf("unban: %v: %s", err, out)
	}
	for _, h := range hosts {
		if e := h.expect("unban", "198.51.100.0/24"); e.Reason != "manual" {
			t.Errorf("%s: unban reason %q", h.id, e.Reason)
		}
	}

	// Frozen Redis: web1 still bans from its local window, with every call
	// bounded by --fleet-timeout; the ban is queued and published after
	// SIGCONT.
	srv.Freeze()
	const frozen = "192.0.2.60"
	begin := time.Now()
	for i := range 5 {
		hosts[0].send(liveFailure("sshd", frozen, 100+i))
	}
	hosts[0].expect("ban", frozen)
	// 5 calls of at most 100 ms if each waited; the breaker makes it one.
	// Logged, not asserted: speed lives in benchmarks.
	t.Logf("frozen Redis: the local ban took %v", time.Since(begin))
	st := hosts[0].status()
	if st.Fleet.Connected || st.Fleet.Outbox != 1 {
		t.Errorf("frozen: web1 fleet %+v, want disconnected with 1 queued", *st.Fleet)
	}
	// web2 hears of the ban only through Redis, which is stopped: its next
	// line after SIGCONT must be that ban (expect reads the next line).
	srv.Thaw()
	hosts[1].expect("ban", frozen)
	hosts[2].expect("ban", frozen)
	hosts[0].waitStatus("outbox published", func(st hostStatus) bool { return st.Fleet.Connected && st.Fleet.Outbox == 0 })

	// Killed Redis: web2 bans locally; published once Redis is back.
	srv.Kill()
	const killed = "192.0.2.61"
	for i := range 5 {
		hosts[1].send(liveFailure("sshd", killed, 200+i))
	}
	hosts[1].expect("ban", killed)
	hosts[1].waitStatus("queued while down", func(st hostStatus) bool { return !st.Fleet.Connected && st.Fleet.Outbox == 1 })
	// as above: web1's next line once Redis is back must be that ban
	srv.Restart()
	hosts[0].expect("ban", killed)
	hosts[2].expect("ban", killed)
	hosts[1].waitStatus("outbox published", func(st hostStatus) bool { return st.Fleet.Connected && st.Fleet.Outbox == 0 })

	// Catch-up: web3 stops; meanwhile web1 bans one address and another
	// host publishes a ban that ends before web3 is back. Restarted with
	// its state, web3 emits the running ban and not the ended one.
	h3 := hosts[2]
	h3.in.Close()
	if err := h3.cmd.Wait(); err != nil {
		t.Fatalf("web3 exit: %v (stderr: %s)", err, h3.stderr)
	}
	const missed = "192.0.2.70"
	for i := range 5 {
		hosts[0].send(liveFailure("sshd", missed, 300+i))
	}
	hosts[0].expect("ban", missed)
	hosts[1].expect("ban", missed)
	pub, err := fleet.Dial(context.Background(), fleet.Config{URL: srv.URL(), ID: "web9"})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	short := &event.Event{Action: event.ActionBan, Time: time.Now(), Jail: "sshd", IP: netip.MustParsePrefix("192.0.2.71/32"),
		Bantime: 1, Bancount: 1, Failures: 5, Until: time.Now().Add(time.Second)}
	if err := pub.Publish(context.Background(), short); err != nil {
		t.Fatal(err)
	}
	hosts[0].expect("ban", "192.0.2.71")
	hosts[0].expect("unban", "192.0.2.71") // ended on its own, on time
	// the ban has ended by the wall clock before web3 starts
	for deadline := time.Now().Add(30 * time.Second); !time.Now().After(short.Until); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("clock did not pass the short ban's end")
		}
	}
	h3 = startHost(t, dir, srv.URL(), "web3")
	// its own state first (the running bans it held, restored), then
	// what it missed
	var got []string
	for {
		e := decode(t, h3.next(5*time.Second))
		got = append(got, e.Action+" "+e.ID())
		if e.ID() == "192.0.2.71" {
			t.Fatalf("web3 emitted the ban that ended while it was down: %q", got)
		}
		if e.ID() == missed {
			break
		}
		if e.Action != "ban" || !e.Restored {
			t.Fatalf("web3 after restart: %q: want restored bans, then %s", got, missed)
		}
	}
	if len(got) != 5 {
		t.Errorf("web3 after restart: %q: want its 4 running bans restored, then %s", got, missed)
	}
	// Nothing else after the catch-up: a marker ban through web3's own
	// socket is its next line.
	marker(t, h3, "203.0.113.99", h3)
}

// TestFleetAuthAndTLS: a password from --fleet-password-file, a rediss://
// server verified with --fleet-ca, and the configuration errors that stop
// bancount at start (exit 2): a wrong password, a URL that does not parse,
// fleet flags without --fleet.
func TestFleetAuthAndTLS(t *testing.T) {
	dir := t.TempDir()
	srv := fleettest.Start(t, "--requirepass", "s3cret")
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := startHost(t, dir, srv.URL(), "auth1", "--fleet-password-file", pw)
	h.waitStatus("connected with the password file", func(st hostStatus) bool { return st.Fleet.Connected })

	tlsSrv, ca := fleettest.StartTLS(t)
	h2 := startHost(t, dir, tlsSrv.URL(), "tls1", "--fleet-ca", ca)
	h3 := startHost(t, dir, tlsSrv.URL(), "tls2", "--fleet-ca", ca)
	h2.waitStatus("connected over TLS", func(st hostStatus) bool { return st.Fleet.Connected })
	for i := range 5 {
		h2.send(liveFailure("sshd", "192.0.2.80", i+1))
	}
	h2.expect("ban", "192.0.2.80")
	h3.expect("ban", "192.0.2.80")

	if err := os.WriteFile(pw, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--fleet", srv.URL(), "--fleet-password-file", pw}, "WRONGPASS"},
		{[]string{"--fleet", "http://127.0.0.1:1/0"}, "scheme must be redis"},
		{[]string{"--fleet", "redis://u:hunter2@127.0.0.1:1/0", "--fleet-password-file", pw}, "a password in the URL and a password file"},
		{[]string{"--fleet-id", "web1"}, "--fleet-id: needs --fleet"},
		{[]string{"--fleet", srv.URL(), "--fleet-timeout", "0s"}, "--fleet-timeout: must be positive"},
	} {
		cmd := exec.Command(binary, append([]string{"--state", "none", "--socket", "none"}, tc.args...)...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), tc.want) {
			t.Errorf("bancount %q: %v: %s; want exit 2 and %q", tc.args, err, out, tc.want)
		}
		if strings.Contains(string(out), "hunter2") {
			t.Errorf("bancount %q: the password is in the message: %s", tc.args, out)
		}
	}
}

// BenchmarkFleetFanout measures, through three bancount processes and a
// local redis-server, the time from a failure written to one host (which
// decides the ban: maxretry 1) until each of the two other hosts has
// written the ban on its output: median and p99 over b.N bans.
//
//	go test -run '^$' -bench FleetFanout -benchtime 300x ./internal/app/bancount
func BenchmarkFleetFanout(b *testing.B) {
	srv := fleettest.Start(b)
	dir := b.TempDir()
	var hosts []*host
	for _, id := range []string{"web1", "web2", "web3"} {
		hosts = append(hosts, startHost(b, dir, srv.URL(), id, "--maxretry", "1"))
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ip := fmt.Sprintf("2001:db8::%x", i+1)
		begin := time.Now()
		hosts[i%3].send(liveFailure("sshd", ip, i+1))
		for k := range 3 {
			h := hosts[(i+k)%3]
			e := decode(b, h.next(5*time.Second))
			if e.Action != "ban" || e.ID() != ip {
				b.Fatalf("%s: got %s %s, want ban %s", h.id, e.Action, e.ID(), ip)
			}
			if k > 0 {
				lat = append(lat, time.Since(begin))
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// TestFleetSentinel: hosts that find the master through a Sentinel
// (redis+sentinel://) share windows and bans as with a direct URL.
func TestFleetSentinel(t *testing.T) {
	master := fleettest.Start(t)
	sentinel := fleettest.StartSentinel(t, master)
	url := "redis+sentinel://" + sentinel.Addr() + "/mymaster/0"
	dir := t.TempDir()
	// a generous --fleet-timeout: this test is about finding the master,
	// not about deciding locally when Redis is slow on a loaded machine
	a := startHost(t, dir, url, "sen1", "--maxretry", "2", "--fleet-timeout", "10s")
	b := startHost(t, dir, url, "sen2", "--maxretry", "2", "--fleet-timeout", "10s")
	a.waitStatus("connected through the sentinel", func(st hostStatus) bool { return st.Fleet.Connected })
	b.waitStatus("connected through the sentinel", func(st hostStatus) bool { return st.Fleet.Connected })
	a.send(liveFailure("sshd", "192.0.2.90", 1))
	a.waitStatus("failure counted", func(st hostStatus) bool { return len(st.Jails) == 1 })
	b.send(liveFailure("sshd", "192.0.2.90", 1))
	b.expect("ban", "192.0.2.90")
	a.expect("ban", "192.0.2.90")
}

// TestFleetPrefix (issue 14 item 5): with --ipv6-prefix 64 the hosts share
// one window per /64 in Redis (one Lua decision per failure), so an
// attacker rotating addresses inside its /64 and spreading its tries over
// two hosts is banned once, as the /64, by every host. With escalation,
// the host that decides the second /64 ban inside one /48 bans the /48 and
// unbans the /64s; the other host adopts all of it in the same order.
func TestFleetPrefix(t *testing.T) {
	srv := fleettest.Start(t)
	dir := t.TempDir()
	args := []string{"--maxretry", "3", "--ipv6-prefix", "64", "--escalate-count", "2", "--escalate-bantime", "1d"}
	hosts := []*host{startHost(t, dir, srv.URL(), "web1", args...), startHost(t, dir, srv.URL(), "web2", args...)}
	lineno := 0
	fail := func(h *host, ip string) {
		lineno++
		h.send(liveFailure("sshd", ip, lineno))
		h.waitStatus("failure counted", func(st hostStatus) bool {
			return len(st.Jails) == 1 && st.Jails[0].Totals.Failures >= 1
		})
	}
	fail(hosts[0], "2001:db8:1:2::1")
	fail(hosts[1], "2001:db8:1:2::2")
	// no ban before the third failure: each host's next line, read by
	// expect below, is the ban with 3 failures
	fail(hosts[0], "2001:db8:1:2:ffff::3")
	for _, h := range hosts {
		e := h.expect("ban", "2001:db8:1:2::/64")
		if e.Failures != 3 || e.Bantime != 3600 {
			t.Errorf("%s: ban %+v: want 3 failures and bantime 3600", h.id, e)
		}
	}
	var decided, adopted int64
	for _, h := range hosts {
		b, f := bansOf(h.status())
		decided += b
		adopted += f
	}
	if decided != 1 || adopted != 1 {
		t.Fatalf("%d decisions and %d adoptions, want 1 and 1", decided, adopted)
	}

	// A second /64 of the same /48, its tries on web2: web2 escalates.
	for _, ip := range []string{"2001:db8:1:3::1", "2001:db8:1:3::2", "2001:db8:1:3::3"} {
		lineno++
		hosts[1].send(liveFailure("sshd", ip, lineno))
	}
	for _, h := range hosts {
		h.expect("ban", "2001:db8:1:3::/64")
		e := h.expect("ban", "2001:db8:1::/48")
		if e.Bantime != 86400 {
			t.Errorf("%s: escalated ban %+v: want bantime 86400", h.id, e)
		}
		for _, id := range []string{"2001:db8:1:2::/64", "2001:db8:1:3::/64"} {
			if e := h.expect("unban", id); e.Reason != "escalated" {
				t.Errorf("%s: unban %+v: want reason escalated", h.id, e)
			}
		}
		st := h.waitStatus("the /48 alone banned", func(st hostStatus) bool {
			return len(st.Jails) == 1 && len(st.Jails[0].Banned) == 1
		})
		if id := st.Jails[0].Banned[0].ID; id != "2001:db8:1::/48" {
			t.Errorf("%s: banned %s, want 2001:db8:1::/48", h.id, id)
		}
	}
}
