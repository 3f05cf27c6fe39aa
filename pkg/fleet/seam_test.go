package fleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/fleettest"
	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/fleet"
)

var _ bans.Shared = fleet.Seam{}

// The seam bancount's engine calls: the fleet-wide decision, and expired
// unbans kept local.
func TestSeam(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	settings := func(string) (time.Duration, bool) { return time.Hour, false }
	a := fleet.Seam{Fleet: dial(t, srv.URL(), "web1"), Settings: settings}
	b := fleet.Seam{Fleet: dial(t, srv.URL(), "web2"), Settings: settings}
	var s bans.Shared = b
	ch := s.Subscribe(ctx)
	synced(t, srv.URL(), ch)
	for i := range 3 {
		ban, n, err := []bans.Shared{a, b}[i%2].Failure(ctx, "sshd", "192.0.2.40", t0.Add(time.Duration(i)*time.Second), 1, 3, 10*time.Minute)
		if err != nil || ban != (i == 2) || n != i+1 {
			t.Fatalf("failure %d: ban %v failures %d err %v", i+1, ban, n, err)
		}
	}
	now := time.Now()
	if err := a.Publish(ctx, &event.Event{Action: event.ActionUnban, Time: now, Jail: "sshd", Host: "h1", Reason: "expired"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, &event.Event{Action: event.ActionUnban, Time: now, Jail: "sshd", Host: "h2", Reason: "manual"}); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, ch, time.Second); ev.Host != "h2" {
		t.Fatalf("got %s, want only the manual unban", event.Append(nil, ev))
	}
}
