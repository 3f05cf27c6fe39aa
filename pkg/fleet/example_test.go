package fleet_test

import (
	"context"
	"errors"
	"log"
	"net/netip"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/fleet"
)

// How a bancount host uses the fleet: count each failure fleet-wide, ban when
// told to and publish the ban, emit the other hosts' bans, and fall back on
// the local window while Redis is unreachable.
func Example() {
	ctx := context.Background()
	f, err := fleet.Dial(ctx, fleet.Config{
		URL:       "redis://f2b.example:6379/0",
		ID:        "web1",
		StateFile: "/var/lib/banpipe/fleet.state",
		OnState: func(err error) {
			switch {
			case err == nil:
				log.Printf("bancount: fleet: connected")
			case errors.Is(err, fleet.ErrUnavailable):
				log.Printf("bancount: fleet: %v: banning from the local window", err)
			default:
				log.Printf("bancount: fleet: %v", err)
			}
		},
	})
	if err != nil {
		log.Fatalf("bancount: %v", err)
	}
	defer f.Close()

	go func() {
		for ev := range f.Subscribe(ctx) {
			_ = ev // apply to the local state and write it to stdout for fwban
		}
	}()

	w := fleet.Window{MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: time.Hour}
	now := time.Now()
	d, err := f.Failure(ctx, "sshd", "192.0.2.7", now, w)
	switch {
	case errors.Is(err, fleet.ErrUnavailable):
		// decide from the local window; publish what it decides
	case err != nil:
		log.Printf("bancount: %v", err)
	case d.Ban:
		ban := &event.Event{Action: event.ActionBan, Time: now, Jail: "sshd",
			IP: netip.MustParsePrefix("192.0.2.7/32"), Failures: d.Failures, Bancount: d.Bancount,
			Bantime: 3600, Until: d.Last.Add(time.Hour)}
		// emit ban on stdout, then:
		if err := f.Publish(ctx, ban); err != nil {
			log.Printf("bancount: %v", err)
		}
	}
}
