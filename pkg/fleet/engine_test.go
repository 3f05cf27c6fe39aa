package fleet_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/fleettest"
	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/fleet"
)

// engineHost is one bancount as it will be wired: a bans.Engine whose Shared
// is a fleet.Seam, and a goroutine applying the other hosts' decisions.
type engineHost struct {
	mu  sync.Mutex
	en  *bans.Engine
	fl  *fleet.Fleet
	out []event.Event // what this bancount wrote to stdout
}

func newEngineHost(t *testing.T, ctx context.Context, url, id string, s bans.Settings, mod ...func(*fleet.Config)) *engineHost {
	h := &engineHost{fl: dial(t, url, id, mod...)}
	seam := fleet.Seam{Fleet: h.fl, Settings: func(string) (time.Duration, bool) {
		return s.BanTime, s.Increment.Enabled
	}}
	h.en = bans.New(bans.Config{
		Live:   true,
		Shared: seam,
		Jail:   func(string) *bans.Jail { return &bans.Jail{Settings: s} },
		Emit:   func(e *event.Event) { h.out = append(h.out, *e) },
	})
	h.en.Start()
	ch := seam.Subscribe(ctx)
	go func() {
		for ev := range ch {
			h.mu.Lock()
			h.en.Remote(func() {
				switch ev.Action {
				case event.ActionBan:
					h.en.Ban(ev.Jail, ev.ID())
				case event.ActionUnban:
					h.en.Unban(ev.Jail, ev.ID())
				}
			})
			h.mu.Unlock()
		}
	}()
	return h
}

func (h *engineHost) failure(jail, ip string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := netip.MustParsePrefix(ip + "/32")
	h.en.Failure(&event.Event{Time: at, Jail: jail, Host: ip, IP: p})
}

// warmJail is the jail of the warm-up ban of [warmEngines]; emitted leaves
// its events out.
const warmJail = "warm"

// emitted waits up to recvDeadline for the host to have written n events
// (the warm-up ban left out) and returns them; it fails the test when they
// do not come.
func (h *engineHost) emitted(t *testing.T, n int) []event.Event {
	t.Helper()
	for deadline := time.Now().Add(recvDeadline); ; time.Sleep(5 * time.Millisecond) {
		var out []event.Event
		h.mu.Lock()
		for _, e := range h.out {
			if e.Jail != warmJail {
				out = append(out, e)
			}
		}
		h.mu.Unlock()
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events within %v, want %d: %v", len(out), recvDeadline, n, out)
		}
	}
}

// warmEngines waits until each host's subscription reads live: a fourth
// host publishes a ban in jail "warm", which each host must apply.
func warmEngines(t *testing.T, url string, hosts ...*engineHost) {
	t.Helper()
	w := dial(t, url, "warmup")
	if err := w.Publish(context.Background(), ban(warmJail, "192.0.2.254", time.Now(), time.Minute)); err != nil {
		t.Fatal(err)
	}
	for i, h := range hosts {
		for deadline := time.Now().Add(recvDeadline); ; time.Sleep(5 * time.Millisecond) {
			h.mu.Lock()
			warm := false
			for _, e := range h.out {
				warm = warm || e.Jail == warmJail
			}
			h.mu.Unlock()
			if warm {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("host %d did not apply the warm-up ban within %v", i+1, recvDeadline)
			}
		}
	}
}

// Three bancount engines wired to the fleet through the Seam: an attacker
// spreading failures over them is banned on all three at the fleet-wide
// maxretry, and a manual unban on one host ends the ban on all three.
func TestEnginesThroughSeam(t *testing.T) {
	srv := fleettest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := bans.Settings{MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: time.Hour}
	hosts := []*engineHost{
		newEngineHost(t, ctx, srv.URL(), "web1", s),
		newEngineHost(t, ctx, srv.URL(), "web2", s),
		newEngineHost(t, ctx, srv.URL(), "web3", s),
	}
	warmEngines(t, srv.URL(), hosts...)
	now := time.Now()
	for i := range 5 {
		hosts[i%3].failure("sshd", "198.51.100.7", now.Add(time.Duration(i)*time.Millisecond))
	}
	var until time.Time
	for i, h := range hosts {
		out := h.emitted(t, 1)
		if len(out) != 1 || out[0].Action != event.ActionBan || out[0].ID() != "198.51.100.7" {
			t.Fatalf("host %d wrote %d events %v, want one ban", i+1, len(out), out)
		}
		if i == 0 {
			until = out[0].Until
		} else if d := out[0].Until.Sub(until); d < -time.Second || d > time.Second {
			t.Errorf("host %d bans until %v, web1 until %v", i+1, out[0].Until, until)
		}
	}
	if out := hosts[1].emitted(t, 1); out[0].Failures != 5 {
		t.Errorf("the deciding host (web2) wrote failures %d, want 5", out[0].Failures)
	}

	hosts[2].mu.Lock()
	_, err := hosts[2].en.Unban("sshd", "198.51.100.7")
	hosts[2].mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hosts {
		out := h.emitted(t, 2)
		if len(out) != 2 || out[1].Action != event.ActionUnban {
			t.Errorf("host %d wrote %v, want the ban then the unban", i+1, out)
		}
	}
}

// With Redis frozen, an engine bans from its local window within the
// timeout; the ban is queued and reaches the other engines after SIGCONT.
func TestEnginesDegradeToLocal(t *testing.T) {
	srv := fleettest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := bans.Settings{MaxRetry: 3, FindTime: 10 * time.Minute, BanTime: time.Hour}
	web1 := newEngineHost(t, ctx, srv.URL(), "web1", s, fast)
	web2 := newEngineHost(t, ctx, srv.URL(), "web2", s)
	web3 := newEngineHost(t, ctx, srv.URL(), "web3", s)
	warmEngines(t, srv.URL(), web1, web2, web3)
	srv.Freeze()
	start := time.Now()
	for i := range 3 {
		web1.failure("sshd", "203.0.113.9", time.Now().Add(time.Duration(i)*time.Millisecond))
	}
	if el := time.Since(start); el > hangBound {
		t.Errorf("three failures on a frozen redis took %v: the 100 ms timeout and the breaker did not end them", el)
	}
	if out := web1.emitted(t, 1); len(out) != 1 || out[0].Action != event.ActionBan {
		t.Fatalf("web1 wrote %v, want its local ban", out)
	}
	waitPending(t, web1.fl, 1) // the ban is queued, not lost
	srv.Thaw()
	for i, h := range []*engineHost{web2, web3} {
		out := h.emitted(t, 1)
		if len(out) != 1 || out[0].Action != event.ActionBan || out[0].ID() != "203.0.113.9" {
			t.Errorf("web%d wrote %v, want the ban decided on web1 while Redis was frozen", i+2, out)
		}
	}
}
