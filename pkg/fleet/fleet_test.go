package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/banpipe/banpipe/internal/fleettest"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/fleet"
)

// dial connects a host to srv and closes it when the test ends.
func dial(t testing.TB, url, id string, mod ...func(*fleet.Config)) *fleet.Fleet {
	t.Helper()
	// a generous timeout: the test machine is loaded; the tests of an
	// unreachable Redis set the 100 ms default back
	// a long lease: most tests do not publish what they decide
	cfg := fleet.Config{URL: url, ID: id, Timeout: time.Second, RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		Lease: time.Minute}
	for _, m := range mod {
		m(&cfg)
	}
	f, err := fleet.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(%s): %v", id, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

var t0 = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)

var sshd = fleet.Window{MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: time.Hour}

func ban(jail, ip string, at time.Time, bantime time.Duration) *event.Event {
	p := netip.MustParsePrefix(ip + "/32")
	return &event.Event{Action: event.ActionBan, Time: at, Jail: jail, IP: p, Failures: 5,
		Bantime: int64(bantime / time.Second), Until: at.Add(bantime), Bancount: 1}
}

func unban(jail, ip string, at time.Time) *event.Event {
	p := netip.MustParsePrefix(ip + "/32")
	return &event.Event{Action: event.ActionUnban, Time: at, Jail: jail, IP: p, Reason: "manual"}
}

// recv waits up to d for the next event of ch.
// recvDeadline is how long recv waits at least: generous for a loaded
// 2-core machine (an event normally comes within milliseconds).
const recvDeadline = 15 * time.Second

func recv(t *testing.T, ch <-chan *event.Event, d time.Duration) *event.Event {
	t.Helper()
	d = max(d, recvDeadline)
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return ev
	case <-time.After(d):
		t.Fatalf("no event within %v", d)
		return nil
	}
}

// nothingBefore checks that each subscription delivers nothing more before
// a marker: another host publishes an unban in jail "mark" (an unban enters
// no ban set), which must be the next event of each.
func nothingBefore(t *testing.T, url string, chans ...<-chan *event.Event) {
	t.Helper()
	m := dial(t, url, "marker")
	if err := m.Publish(context.Background(), unban("mark", "192.0.2.253", time.Now())); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		if ev := recv(t, ch, 0); ev.Jail != "mark" {
			t.Fatalf("unexpected event %s before the marker", event.Append(nil, ev))
		}
	}
}

// waitPast waits until the clock has passed until: the end of a short ban
// the test published (a subscriber or a queue decides "ended" by this clock).
func waitPast(t *testing.T, until time.Time) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !time.Now().After(until); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("clock never passed %v", until)
		}
	}
}

// waitGone polls, up to 30 s, until Redis no longer holds key (expired).
func waitGone(t *testing.T, srv *fleettest.Server, key string) {
	t.Helper()
	c := redisClient(t, srv)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, err := c.Exists(context.Background(), key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not expire within 30 s", key)
		}
	}
}

// synced waits until each subscription has caught up and reads live: a
// fourth host publishes a ban in jail "warm", which each must deliver.
func synced(t *testing.T, url string, chans ...<-chan *event.Event) {
	t.Helper()
	w := dial(t, url, "warmup")
	if err := w.Publish(context.Background(), ban("warm", "192.0.2.254", time.Now(), time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		for ev := recv(t, ch, 5*time.Second); ev.Jail != "warm"; ev = recv(t, ch, 5*time.Second) {
		}
	}
}

// waitPending waits up to recvDeadline for f's queue to hold n events.
func waitPending(t *testing.T, f *fleet.Fleet, n int) {
	t.Helper()
	for deadline := time.Now().Add(recvDeadline); ; time.Sleep(10 * time.Millisecond) {
		got, _ := f.Pending()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending %d, want %d", got, n)
		}
	}
}

// fast sets the 100 ms default timeout back.
func fast(c *fleet.Config) { c.Timeout = 100 * time.Millisecond }

// hangBound tells a call that the configured timeout (100 ms) ended from
// one that hung: far above any scheduling delay of a loaded machine.
const hangBound = 10 * time.Second

// An attacker sending one failure per host in turn is banned at the fifth
// failure fleet-wide, by exactly one host; a per-host count would be 2.
func TestSpreadAttackBannedAtFleetMaxretry(t *testing.T) {
	srv := fleettest.Start(t)
	hosts := []*fleet.Fleet{dial(t, srv.URL(), "web1"), dial(t, srv.URL(), "web2"), dial(t, srv.URL(), "web3")}
	ctx := context.Background()
	var bans []int
	for i := range 7 {
		d, err := hosts[i%3].Failure(ctx, "sshd", "198.51.100.7", t0.Add(time.Duration(i)*30*time.Second), sshd)
		if err != nil {
			t.Fatal(err)
		}
		if d.Ban {
			bans = append(bans, i)
			if d.Failures != 5 || d.Bancount != 1 || !d.Banned || !d.Until.Equal(t0.Add(4*30*time.Second+time.Hour)) {
				t.Errorf("ban decision %+v: want failures 5, bancount 1, until last failure + 1h", d)
			}
		}
		if i < 4 && (d.Banned || d.Failures != i+1) {
			t.Errorf("failure %d: %+v, want not banned with %d failures", i+1, d, i+1)
		}
		if i > 4 && (!d.Banned || d.Ban) {
			t.Errorf("failure %d after the ban: %+v, want banned, no new decision", i+1, d)
		}
	}
	if len(bans) != 1 || bans[0] != 4 {
		t.Fatalf("ban decided at failures %v, want exactly once at the 5th (index 4)", bans)
	}
	// another id, another jail: independent
	d, err := hosts[0].Failure(ctx, "nginx", "198.51.100.7", t0, sshd)
	if err != nil || d.Banned || d.Failures != 1 {
		t.Fatalf("other jail: %+v, %v: want a fresh ticket", d, err)
	}
}

// Many goroutines on three hosts hammering the same addresses at once:
// every address gets exactly one ban decision fleet-wide.
func TestConcurrentFailuresExactlyOneBan(t *testing.T) {
	srv := fleettest.Start(t)
	hosts := []*fleet.Fleet{dial(t, srv.URL(), "web1"), dial(t, srv.URL(), "web2"), dial(t, srv.URL(), "web3")}
	const addrs, perAddr, workers = 50, 12, 24 // 12 failures each: one ban, then a fresh ticket that reaches 5 again while banned
	var next atomic.Int64
	var bans [addrs]atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := hosts[w%3]
			for {
				n := next.Add(1) - 1
				if n >= addrs*perAddr {
					return
				}
				a := int(n % addrs)
				d, err := h.Failure(context.Background(), "sshd", fmt.Sprintf("192.0.2.%d", a), t0, sshd)
				if err != nil {
					errs <- err
					return
				}
				if d.Ban {
					bans[a].Add(1)
				}
				if d.Extend {
					errs <- fmt.Errorf("extension at the same time: %+v", d)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for a := range addrs {
		if n := bans[a].Load(); n != 1 {
			t.Errorf("192.0.2.%d: %d ban decisions, want 1", a, n)
		}
	}
}

// The ticket follows fail2ban's rate estimate, not a sliding window
// (notes/fail2ban-bans.md rule 6).
func TestTicketRateEstimate(t *testing.T) {
	srv := fleettest.Start(t)
	f := dial(t, srv.URL(), "web1")
	tests := []struct {
		name     string
		maxretry int
		offsets  []int // seconds
		banAt    int   // index of the failure that bans; -1 never
	}{
		{"0 300 601 bans at the third", 3, []int{0, 300, 601}, 2},
		{"every 170 s bans at the fifth", 5, []int{0, 170, 340, 510, 680, 850}, 4},
		{"every 180 s never bans", 5, []int{0, 180, 360, 540, 720, 900, 1080, 1260, 1440, 1620}, -1},
		{"a gap over findtime drops the ticket", 3, []int{0, 100, 701, 702}, -1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := fmt.Sprintf("203.0.113.%d", i+1)
			w := fleet.Window{MaxRetry: tt.maxretry, FindTime: 10 * time.Minute, BanTime: time.Hour}
			got := -1
			for j, off := range tt.offsets {
				d, err := f.Failure(context.Background(), "sshd", ip, t0.Add(time.Duration(off)*time.Second), w)
				if err != nil {
					t.Fatal(err)
				}
				if d.Ban {
					if got != -1 {
						t.Fatalf("second ban at %d", j)
					}
					got = j
				}
			}
			if got != tt.banAt {
				t.Errorf("ban at failure index %d, want %d", got, tt.banAt)
			}
		})
	}
}

// The rescaled count rounds half to even, as Python's round: 5 failures
// over 1200 s in a 600 s findtime estimate 2.5, which rounds to 2.
func TestTicketRoundsHalfToEven(t *testing.T) {
	srv := fleettest.Start(t)
	f := dial(t, srv.URL(), "web1")
	w := fleet.Window{MaxRetry: 10, FindTime: 10 * time.Minute, BanTime: time.Hour}
	var d fleet.Decision
	for _, off := range []int{0, 0, 0, 0, 600, 1200} {
		var err error
		if d, err = f.Failure(context.Background(), "sshd", "203.0.113.50", t0.Add(time.Duration(off)*time.Second), w); err != nil {
			t.Fatal(err)
		}
	}
	if d.Retry != 3 || d.Failures != 6 {
		t.Errorf("retry %d failures %d, want round(2.5)=2 plus 1 = 3, and 6", d.Retry, d.Failures)
	}
}

// With increment, a known offender's failures weigh 2, 3, 5 by its fleet-wide
// ban count, whichever host banned it before.
func TestIncrementWeightsKnownOffender(t *testing.T) {
	srv := fleettest.Start(t)
	a, b := dial(t, srv.URL(), "web1"), dial(t, srv.URL(), "web2")
	ctx := context.Background()
	w := fleet.Window{MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: time.Minute, Increment: true}
	at := t0
	for ban := 1; ban <= 3; ban++ {
		var n int
		for {
			n++
			host := a
			if n%2 == 0 {
				host = b
			}
			d, err := host.Failure(ctx, "sshd", "198.51.100.9", at, w)
			if err != nil {
				t.Fatal(err)
			}
			at = at.Add(time.Second)
			if d.Ban {
				if d.Bancount != ban {
					t.Errorf("ban %d: bancount %d", ban, d.Bancount)
				}
				break
			}
			if n > 10 {
				t.Fatalf("ban %d never decided", ban)
			}
		}
		// weights after c bans: 1 -> 5 failures, 2 -> 3 (2+2+2), 3 -> 2 (3+3)
		want := map[int]int{1: 5, 2: 3, 3: 2}[ban]
		if n != want {
			t.Errorf("ban %d took %d failures, want %d", ban, n, want)
		}
		at = at.Add(2 * time.Minute) // after the ban's end
	}
}

// A ban published by one host reaches the others (not itself), unbans too.
func TestFanOut(t *testing.T) {
	srv := fleettest.Start(t)
	a, b, c := dial(t, srv.URL(), "web1"), dial(t, srv.URL(), "web2"), dial(t, srv.URL(), "web3")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cha, chb, chc := a.Subscribe(ctx), b.Subscribe(ctx), c.Subscribe(ctx)
	synced(t, srv.URL(), cha, chb, chc)
	now := time.Now().Truncate(time.Second)
	start := time.Now()
	if err := a.Publish(ctx, ban("sshd", "198.51.100.7", now, time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan *event.Event{chb, chc} {
		ev := recv(t, ch, time.Second)
		if ev.Action != event.ActionBan || ev.ID() != "198.51.100.7" || !ev.Until.Equal(now.Add(time.Hour)) || ev.Restored {
			t.Errorf("got %s", event.Append(nil, ev))
		}
	}
	t.Logf("fan-out took %v (latency is measured by the benchmarks)", time.Since(start))
	// a's own ban must not come back to it: the unban below must be next on cha
	if err := b.Publish(ctx, unban("sshd", "198.51.100.7", now)); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan *event.Event{cha, chc} {
		if ev := recv(t, ch, time.Second); ev.Action != event.ActionUnban || ev.Reason != "manual" {
			t.Errorf("got %s", event.Append(nil, ev))
		}
	}
	nothingBefore(t, srv.URL(), chb)
}

// A host that was stopped catches up: it gets the bans published meanwhile
// that still run, not those that ended, and the unbans; a host without a
// state file gets the running bans from the ban set.
func TestCatchUp(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	stateFile := filepath.Join(t.TempDir(), "fleet.state")
	pub := dial(t, srv.URL(), "web1")
	early := ban("sshd", "192.0.2.1", time.Now(), time.Hour)
	if err := pub.Publish(ctx, early); err != nil {
		t.Fatal(err)
	}

	// web2 reads once, then stops
	b := dial(t, srv.URL(), "web2", func(c *fleet.Config) { c.StateFile = stateFile })
	sctx, stop := context.WithCancel(ctx)
	ch := b.Subscribe(sctx)
	if ev := recv(t, ch, time.Second); ev.ID() != "192.0.2.1" || !ev.Restored {
		t.Fatalf("first start: got %s, want the running ban, restored", event.Append(nil, ev))
	}
	stop()
	for range ch {
	}
	b.Close()

	// while web2 is away
	short := ban("sshd", "192.0.2.2", time.Now(), 300*time.Millisecond)
	long := ban("sshd", "192.0.2.3", time.Now(), time.Hour)
	for _, ev := range []*event.Event{short, long, unban("sshd", "192.0.2.1", time.Now())} {
		if err := pub.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	waitPast(t, short.Until) // the short ban ends

	b2 := dial(t, srv.URL(), "web2", func(c *fleet.Config) { c.StateFile = stateFile })
	ch2 := b2.Subscribe(ctx)
	if ev := recv(t, ch2, time.Second); ev.ID() != "192.0.2.3" || ev.Action != event.ActionBan {
		t.Fatalf("after restart: got %s, want the running ban of 192.0.2.3 (not the ended one)", event.Append(nil, ev))
	}
	if ev := recv(t, ch2, time.Second); ev.ID() != "192.0.2.1" || ev.Action != event.ActionUnban {
		t.Fatalf("after restart: got %s, want the unban of 192.0.2.1", event.Append(nil, ev))
	}
	nothingBefore(t, srv.URL(), ch2)

	// a new host without state: the running bans only
	c := dial(t, srv.URL(), "web3")
	ch3 := c.Subscribe(ctx)
	if ev := recv(t, ch3, time.Second); ev.ID() != "192.0.2.3" || !ev.Restored || ev.Action != event.ActionBan {
		t.Fatalf("new host: got %s", event.Append(nil, ev))
	}
	nothingBefore(t, srv.URL(), ch3)
}

// A frozen Redis (SIGSTOP): calls return within the timeout with an error,
// later calls fail at once; publishes are queued and go out after SIGCONT.
func TestFrozenRedis(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	var states []error
	var mu sync.Mutex
	a := dial(t, srv.URL(), "web1", fast, func(c *fleet.Config) {
		c.OnState = func(err error) { mu.Lock(); states = append(states, err); mu.Unlock() }
	})
	b := dial(t, srv.URL(), "web2")
	chb := b.Subscribe(ctx)
	if _, err := a.Failure(ctx, "sshd", "192.0.2.9", t0, sshd); err != nil {
		t.Fatal(err)
	}
	srv.Freeze()
	start := time.Now()
	_, err := a.Failure(ctx, "sshd", "192.0.2.9", t0, sshd)
	if el := time.Since(start); el > hangBound {
		t.Errorf("call on a frozen redis took %v: the 100 ms timeout did not end it", el)
	}
	if !errors.Is(err, fleet.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	start = time.Now()
	if a.Up() {
		t.Error("up after a call timed out: the breaker did not open")
	}
	if _, err := a.Failure(ctx, "sshd", "192.0.2.9", t0, sshd); !errors.Is(err, fleet.ErrUnavailable) || time.Since(start) > hangBound {
		t.Errorf("second call: %v after %v, want ErrUnavailable from the open breaker", err, time.Since(start))
	}
	if err := a.Publish(ctx, ban("sshd", "192.0.2.9", time.Now(), time.Hour)); err != nil {
		t.Fatalf("publish while frozen: %v, want queued", err)
	}
	if n, _ := a.Pending(); n != 1 {
		t.Fatalf("pending %d, want 1", n)
	}
	srv.Thaw()
	ev := recv(t, chb, 3*time.Second)
	if ev.ID() != "192.0.2.9" || ev.Action != event.ActionBan {
		t.Fatalf("got %s", event.Append(nil, ev))
	}
	waitPending(t, a, 0)
	for deadline := time.Now().Add(recvDeadline); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got := append([]error(nil), states...)
		mu.Unlock()
		if len(got) == 2 && errors.Is(got[0], fleet.ErrUnavailable) && got[1] == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OnState calls %v, want ErrUnavailable then nil", got)
		}
	}
}

// A killed Redis: calls fail fast, local decisions are queued (and kept in
// the state file across a restart of the host), and published once a new
// Redis runs; the other hosts get them.
func TestKilledRedis(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	stateFile := filepath.Join(t.TempDir(), "a.state")
	a := dial(t, srv.URL(), "web1", fast, func(c *fleet.Config) { c.StateFile = stateFile })
	b := dial(t, srv.URL(), "web2")
	chb := b.Subscribe(ctx)
	synced(t, srv.URL(), chb)
	srv.Kill()
	start := time.Now()
	if _, err := a.Failure(ctx, "sshd", "192.0.2.10", t0, sshd); !errors.Is(err, fleet.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if el := time.Since(start); el > hangBound {
		t.Errorf("call on a killed redis took %v: the 100 ms timeout did not end it", el)
	}
	// decided locally meanwhile; then this host restarts, still without Redis
	if err := a.Publish(ctx, ban("sshd", "192.0.2.10", time.Now(), time.Hour)); err != nil {
		t.Fatal(err)
	}
	short := ban("sshd", "192.0.2.11", time.Now(), 200*time.Millisecond)
	if err := a.Publish(ctx, short); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a2 := dial(t, srv.URL(), "web1", fast, func(c *fleet.Config) { c.StateFile = stateFile })
	if n, _ := a2.Pending(); n != 2 || a2.Up() {
		t.Fatalf("restarted host: pending %d up %v, want 2 queued and down", n, a2.Up())
	}
	waitPast(t, short.Until) // the short ban ends while queued
	srv.Restart()
	ev := recv(t, chb, 3*time.Second)
	if ev.ID() != "192.0.2.10" || ev.Action != event.ActionBan {
		t.Fatalf("got %s, want the queued ban", event.Append(nil, ev))
	}
	waitPending(t, a2, 0)
	nothingBefore(t, srv.URL(), chb) // the ended ban is not published
	d, err := a2.Failure(ctx, "sshd", "192.0.2.10", time.Now(), sshd)
	if err != nil || !d.Banned {
		t.Fatalf("after restart: %+v, %v: want the queued ban known fleet-wide", d, err)
	}
}

// A queued ban is not published again when the fleet already has it with a
// later end (another host decided it meanwhile).
func TestQueuedBanKeepsLongerFleetBan(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	a, b, c := dial(t, srv.URL(), "web1", fast), dial(t, srv.URL(), "web2"), dial(t, srv.URL(), "web3")
	chc := c.Subscribe(ctx)
	synced(t, srv.URL(), chc)
	now := time.Now()
	if err := b.Publish(ctx, ban("sshd", "192.0.2.20", now, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, chc, time.Second); !ev.Until.Equal(now.Add(time.Hour)) {
		t.Fatalf("got %s", event.Append(nil, ev))
	}
	srv.Freeze()
	if _, err := a.Failure(ctx, "sshd", "192.0.2.20", t0, sshd); err == nil {
		t.Fatal("no error on a frozen redis")
	}
	if err := a.Publish(ctx, ban("sshd", "192.0.2.20", now, time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, ban("sshd", "192.0.2.21", now, time.Minute)); err != nil {
		t.Fatal(err)
	}
	srv.Thaw()
	// only the ban the fleet did not have goes out
	if ev := recv(t, chc, 3*time.Second); ev.ID() != "192.0.2.21" {
		t.Fatalf("got %s, want the ban of 192.0.2.21 only", event.Append(nil, ev))
	}
	waitPending(t, a, 0)
	nothingBefore(t, srv.URL(), chc)
}

// Failures keep counting during a ban (fail2ban counts them into a fresh
// ticket); reaching maxretry again extends the ban to last failure + bantime,
// decided once fleet-wide.
func TestBanExtension(t *testing.T) {
	srv := fleettest.Start(t)
	a, b := dial(t, srv.URL(), "web1"), dial(t, srv.URL(), "web2")
	ctx := context.Background()
	w := fleet.Window{MaxRetry: 3, FindTime: 10 * time.Minute, BanTime: time.Hour}
	var got []fleet.Decision
	for i, off := range []time.Duration{0, time.Second, 2 * time.Second, 20 * time.Minute, 21 * time.Minute, 22 * time.Minute, 23 * time.Minute} {
		d, err := []*fleet.Fleet{a, b}[i%2].Failure(ctx, "sshd", "198.51.100.20", t0.Add(off), w)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	if !got[2].Ban || !got[2].Until.Equal(t0.Add(2*time.Second+time.Hour)) {
		t.Fatalf("third failure: %+v, want the ban until +1h2s", got[2])
	}
	if got[3].Ban || got[3].Extend || !got[3].Banned || got[3].Failures != 1 {
		t.Errorf("failure during the ban: %+v, want banned, a fresh ticket", got[3])
	}
	if !got[5].Extend || got[5].Ban || !got[5].Until.Equal(t0.Add(22*time.Minute+time.Hour)) {
		t.Errorf("third failure during the ban: %+v, want the extension to +1h22m", got[5])
	}
	if got[6].Extend || got[6].Ban || !got[6].Until.Equal(t0.Add(22*time.Minute+time.Hour)) || got[6].Bancount != 1 {
		t.Errorf("after the extension: %+v, want banned until +1h22m, bancount still 1", got[6])
	}
	// a permanent bantime makes the running ban permanent
	// (the ticket holds one failure from minute 23: the second failure here
	// is the third)
	w.BanTime = -1
	for i := range 3 {
		d, err := a.Failure(ctx, "sshd", "198.51.100.20", t0.Add(30*time.Minute+time.Duration(i)*time.Second), w)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && (!d.Extend || !d.Permanent || !d.Until.IsZero()) {
			t.Errorf("permanent extension: %+v", d)
		}
		if i == 2 && (d.Extend || !d.Permanent) {
			t.Errorf("after the permanent extension: %+v", d)
		}
	}
}

// Three hosts, each subscribed, each deciding from the shared window and
// publishing what it decides, as bancount will: the attacker spreading over
// them is banned on all three at the fifth failure.
func TestThreeHostsBanEverywhere(t *testing.T) {
	srv := fleettest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type host struct {
		f  *fleet.Fleet
		ch <-chan *event.Event
	}
	var hosts []host
	for _, id := range []string{"web1", "web2", "web3"} {
		f := dial(t, srv.URL(), id)
		hosts = append(hosts, host{f, f.Subscribe(ctx)})
	}
	synced(t, srv.URL(), hosts[0].ch, hosts[1].ch, hosts[2].ch)
	now := time.Now().Truncate(time.Second)
	emitted := make([]*event.Event, 3) // what each host's bancount would write
	for i := range 5 {
		h := hosts[i%3]
		at := now.Add(time.Duration(i) * time.Second)
		d, err := h.f.Failure(ctx, "sshd", "198.51.100.77", at, sshd)
		if err != nil {
			t.Fatal(err)
		}
		if d.Ban {
			ev := ban("sshd", "198.51.100.77", at, time.Hour)
			ev.Failures, ev.Bancount, ev.Until = d.Failures, d.Bancount, d.Last.Add(time.Hour)
			emitted[i%3] = ev
			if err := h.f.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	decider := -1
	for i, ev := range emitted {
		if ev != nil {
			decider = i
		}
	}
	if decider != 1 { // the fifth failure went to web2
		t.Fatalf("decided by host index %d, want 1 (web2)", decider)
	}
	for i, h := range hosts {
		if i == decider {
			continue
		}
		ev := recv(t, h.ch, time.Second)
		if ev.Action != event.ActionBan || ev.ID() != "198.51.100.77" || ev.Failures != 5 || !ev.Until.Equal(now.Add(4*time.Second+time.Hour)) {
			t.Errorf("host %d got %s", i, event.Append(nil, ev))
		}
	}
	nothingBefore(t, srv.URL(), hosts[decider].ch)
}

// The fleet-wide ban count follows published bans (a manual or locally
// decided ban counts too), and is kept for 3 bantimes after the ban's start
// plus Forget, as fail2ban's purge keeps a history row.
func TestBanCountFromPublishAndKeep(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	a := dial(t, srv.URL(), "web1", func(c *fleet.Config) { c.Forget = 500 * time.Millisecond })
	w := fleet.Window{MaxRetry: 10, FindTime: time.Hour, BanTime: time.Second, Increment: true}

	// a manual ban with bancount 3: after its end, failures weigh 5 (2^3/2+1)
	now := time.Now()
	manual := ban("sshd", "198.51.100.30", now, time.Second)
	manual.Bancount = 3
	if err := a.Publish(ctx, manual); err != nil {
		t.Fatal(err)
	}
	d, err := a.Failure(ctx, "sshd", "198.51.100.30", now.Add(2*time.Second), w)
	if err != nil || d.Retry != 5 {
		t.Fatalf("after a published ban with bancount 3: %+v, %v: want retry 5", d, err)
	}

	// a decided ban of an hour is remembered beyond Forget
	w = fleet.Window{MaxRetry: 2, FindTime: time.Hour, BanTime: time.Hour, Increment: true}
	for i := range 2 {
		if d, err = a.Failure(ctx, "sshd", "198.51.100.31", now.Add(time.Duration(i)*time.Millisecond), w); err != nil {
			t.Fatal(err)
		}
	}
	if !d.Ban {
		t.Fatalf("%+v: want a ban", d)
	}
	ev := ban("sshd", "198.51.100.31", now, time.Hour)
	if err := a.Publish(ctx, ev); err != nil {
		t.Fatal(err)
	}
	// and an unpublished count is forgotten after Forget
	for i := range 2 {
		if _, err = a.Failure(ctx, "sshd", "198.51.100.32", now.Add(time.Duration(i)*time.Millisecond), w); err != nil {
			t.Fatal(err)
		}
	}
	waitGone(t, srv, "banpipe:n:{sshd 198.51.100.32}") // Forget ends the unpublished count
	for _, tc := range []struct {
		ip   string
		want int
	}{{"198.51.100.31", 2}, {"198.51.100.32", 1}} {
		d, err := a.Failure(ctx, "sshd", tc.ip, now.Add(2*time.Hour), w)
		if err != nil || d.Retry != tc.want {
			t.Errorf("%s after Forget: %+v, %v: want retry %d", tc.ip, d, err, tc.want)
		}
	}
}

// A host whose last stream entry was trimmed away resyncs from the set of
// running bans: it gets every running ban (restored), none that ended or
// was lifted.
func TestCatchUpAfterTrim(t *testing.T) {
	srv := fleettest.Start(t, "--stream-node-max-entries", "10")
	ctx := context.Background()
	stateFile := filepath.Join(t.TempDir(), "fleet.state")
	small := func(c *fleet.Config) { c.StreamLen = 20 }
	pub := dial(t, srv.URL(), "web1", small)
	if err := pub.Publish(ctx, ban("sshd", "192.0.2.1", time.Now(), time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := dial(t, srv.URL(), "web2", small, func(c *fleet.Config) { c.StateFile = stateFile })
	sctx, stop := context.WithCancel(ctx)
	ch := b.Subscribe(sctx)
	recv(t, ch, time.Second)
	stop()
	for range ch {
	}
	b.Close()

	const n = 100
	for i := range n {
		if err := pub.Publish(ctx, ban("sshd", fmt.Sprintf("198.51.100.%d", i), time.Now(), time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	ended := ban("sshd", "192.0.2.2", time.Now(), time.Millisecond)
	for _, ev := range []*event.Event{unban("sshd", "198.51.100.0", time.Now()), ended} {
		if err := pub.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	waitPast(t, ended.Until)

	b2 := dial(t, srv.URL(), "web2", small, func(c *fleet.Config) { c.StateFile = stateFile })
	ch2 := b2.Subscribe(ctx)
	got := map[string]bool{}
	for len(got) < n {
		ev := recv(t, ch2, 2*time.Second)
		if ev.Action != event.ActionBan || !ev.Restored {
			t.Fatalf("got %s, want restored bans from the ban set", event.Append(nil, ev))
		}
		got[ev.ID()] = true
	}
	nothingBefore(t, srv.URL(), ch2)
	if got["198.51.100.0"] || got["192.0.2.2"] || !got["192.0.2.1"] || !got["198.51.100.99"] {
		t.Errorf("resync delivered the wrong bans: %v", got)
	}
}

// A ban decided but never published (the deciding host lost the reply or
// stopped) is offered again, after the lease, to the next failure; a
// published one is not.
func TestUnpublishedDecisionOfferedAgain(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	lease := func(c *fleet.Config) { c.Lease = 300 * time.Millisecond }
	a, b := dial(t, srv.URL(), "web1", lease), dial(t, srv.URL(), "web2", lease)
	w := fleet.Window{MaxRetry: 2, FindTime: time.Hour, BanTime: time.Hour}
	now := time.Now()
	for _, ip := range []string{"192.0.2.80", "192.0.2.81"} {
		for i := range 2 {
			d, err := a.Failure(ctx, "sshd", ip, now, w)
			if err != nil || d.Ban != (i == 1) {
				t.Fatalf("%s failure %d: %+v, %v", ip, i+1, d, err)
			}
		}
	}
	// web1 publishes the second ban only
	if err := a.Publish(ctx, ban("sshd", "192.0.2.81", now, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d, err := b.Failure(ctx, "sshd", "192.0.2.80", now, w); err != nil || d.Ban || !d.Banned {
		t.Fatalf("within the lease: %+v, %v: want banned, no decision", d, err)
	}
	waitLease(t, srv, "banpipe:b:{sshd 192.0.2.80}")
	d, err := b.Failure(ctx, "sshd", "192.0.2.80", now, w)
	if err != nil || !d.Ban || d.Failures != 2 || d.Bancount != 1 || !d.Until.Equal(now.Truncate(time.Millisecond).Add(time.Hour)) {
		t.Fatalf("after the lease: %+v, %v: want the decision offered again (2 failures, bancount 1)", d, err)
	}
	if d, err := a.Failure(ctx, "sshd", "192.0.2.80", now, w); err != nil || d.Ban {
		t.Fatalf("offered twice: %+v, %v", d, err)
	}
	if d, err := b.Failure(ctx, "sshd", "192.0.2.81", now, w); err != nil || d.Ban || !d.Banned {
		t.Fatalf("published ban: %+v, %v: want banned, no decision", d, err)
	}
}

// With MaxSkew, a host whose clock is two hours behind still counts in the
// fleet's window (at Redis's time); without it, its failure is too old to
// join the others.
func TestMaxSkew(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	w := fleet.Window{MaxRetry: 2, FindTime: 10 * time.Minute, BanTime: time.Hour}
	for _, tc := range []struct {
		skew time.Duration
		ban  bool
	}{{0, false}, {time.Minute, true}} {
		ip := fmt.Sprintf("192.0.2.%d", 90+int(tc.skew/time.Minute))
		behind := dial(t, srv.URL(), "behind", func(c *fleet.Config) { c.MaxSkew = tc.skew })
		right := dial(t, srv.URL(), "right", func(c *fleet.Config) { c.MaxSkew = tc.skew })
		if _, err := behind.Failure(ctx, "sshd", ip, time.Now().Add(-2*time.Hour), w); err != nil {
			t.Fatal(err)
		}
		d, err := right.Failure(ctx, "sshd", ip, time.Now(), w)
		if err != nil || d.Ban != tc.ban {
			t.Errorf("max skew %v: %+v, %v: want ban %v", tc.skew, d, err, tc.ban)
		}
	}
}

// Nothing leaks: once tickets, bans and ban counts are over, only the stream
// and the ban set remain (and the ban set is trimmed by the next publish);
// a published ban's count expires too.
func TestKeysExpire(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	a := dial(t, srv.URL(), "web1", func(c *fleet.Config) { c.Forget = 200 * time.Millisecond })
	w := fleet.Window{MaxRetry: 2, FindTime: 200 * time.Millisecond, BanTime: 300 * time.Millisecond}
	now := time.Now()
	if _, err := a.Failure(ctx, "sshd", "192.0.2.100", now, w); err != nil { // a ticket only
		t.Fatal(err)
	}
	for range 2 { // a ban
		if _, err := a.Failure(ctx, "sshd", "192.0.2.101", now, w); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Publish(ctx, ban("sshd", "192.0.2.101", now, 300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	keys := func() []string {
		c := redisClient(t, srv)
		ks, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ks)
		return ks
	}
	if ks := keys(); len(ks) != 5 {
		t.Fatalf("keys while running: %q, want ticket, ban, count, ban set, stream", ks)
	}
	// ticket: 200 ms + 1 s slack; ban: 300 ms + 1 s; count: 3*300 ms + 200 ms
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ks := keys()
		if slices.Equal(ks, []string{"banpipe:bans", "banpipe:banz"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("keys 30 s later: %q, want only the stream and the ban set", ks)
		}
	}
	if err := a.Publish(ctx, ban("sshd", "192.0.2.102", time.Now(), time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := []string{"banpipe:b:{sshd 192.0.2.102}", "banpipe:bans", "banpipe:banz", "banpipe:n:{sshd 192.0.2.102}"}
	if ks := keys(); !slices.Equal(ks, want) {
		t.Fatalf("keys after expiry: %q, want %q", ks, want)
	}
	n, err := redisClient(t, srv).ZCard(ctx, "banpipe:banz").Result()
	if err != nil || n != 1 {
		t.Errorf("ban set holds %d, %v: want only the running ban", n, err)
	}
}

func redisClient(t *testing.T, srv *fleettest.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

// A ban published without a decision (manual, or decided locally) leaves a
// ban count that expires 3 bantimes plus Forget after the ban's start.
func TestPublishedCountExpires(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	a := dial(t, srv.URL(), "web1", func(c *fleet.Config) { c.Forget = time.Minute })
	if err := a.Publish(ctx, ban("sshd", "192.0.2.110", time.Now(), time.Hour)); err != nil {
		t.Fatal(err)
	}
	ttl, err := redisClient(t, srv).PTTL(ctx, "banpipe:n:{sshd 192.0.2.110}").Result()
	if err != nil || ttl < 3*time.Hour || ttl > 3*time.Hour+time.Minute {
		t.Fatalf("count ttl %v, %v: want 3 h + 1 min", ttl, err)
	}
}

// No ban from the fleet covering loopback or the unspecified address is
// delivered, whichever host published it; it is reported instead.
func TestSubscribeRefusesLoopback(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	notes := make(chan error, 16)
	a := dial(t, srv.URL(), "web1")
	b := dial(t, srv.URL(), "web2", func(c *fleet.Config) { c.OnState = func(err error) { notes <- err } })
	ch := b.Subscribe(ctx)
	synced(t, srv.URL(), ch)
	for _, p := range []string{"127.0.0.1/32", "0.0.0.0/0", "::1/128", "::/0", "192.0.2.77/32"} {
		ev := ban("sshd", "192.0.2.1", time.Now(), time.Hour)
		ev.IP = netip.MustParsePrefix(p)
		if err := a.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if ev := recv(t, ch, time.Second); ev.ID() != "192.0.2.77" {
		t.Fatalf("delivered %s", event.Append(nil, ev))
	}
	for range 4 {
		select {
		case err := <-notes:
			if err == nil || !strings.Contains(err.Error(), "refused a ban") {
				t.Errorf("OnState(%v)", err)
			}
		case <-time.After(recvDeadline):
			t.Fatal("refusal not reported")
		}
	}
}

// waitLease polls, up to 30 s, until Redis's clock has passed the lease end
// (field l, server ms) of the ban hash key.
func waitLease(t *testing.T, srv *fleettest.Server, key string) {
	t.Helper()
	c := redisClient(t, srv)
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		l, err := c.HGet(ctx, key, "l").Int64()
		if err != nil {
			t.Fatalf("lease of %s: %v", key, err)
		}
		now, err := c.Time(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if now.UnixMilli() > l {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease of %s did not end within 30 s", key)
		}
	}
}
