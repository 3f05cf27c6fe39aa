package fleet_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/fleettest"
	"github.com/banpipe/banpipe/internal/windowcases"
	"github.com/banpipe/banpipe/pkg/fleet"
)

// TestWindowCases runs the table of fail2ban's window rules shared with
// pkg/bans through the fleet's Redis script on a real redis-server.
func TestWindowCases(t *testing.T) {
	srv := fleettest.Start(t)
	f := dial(t, srv.URL(), "web1")
	ctx := context.Background()
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i, c := range windowcases.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if why := c.Differs["fleet"]; why != "" {
				t.Skipf("differs from fail2ban: %s", why)
			}
			w := fleet.Window{MaxRetry: c.MaxRetry, FindTime: time.Duration(c.FindTime) * time.Second,
				BanTime: time.Duration(c.BanTime) * time.Second, Increment: c.Increment}
			if c.BanTime < 0 {
				w.BanTime = -1
			}
			id := fmt.Sprintf("192.0.2.%d", i+1)
			var bans, extends []int
			for j, at := range c.At {
				d, err := f.Failure(ctx, "sshd", id, base.Add(time.Duration(at)*time.Second), w)
				if err != nil {
					t.Fatal(err)
				}
				if d.Ban {
					bans = append(bans, j)
				}
				if d.Extend {
					extends = append(extends, j)
				}
			}
			if !slices.Equal(bans, c.Bans) || !slices.Equal(extends, c.Extends) {
				t.Errorf("failures at %v: bans at %v, extensions at %v; fail2ban: bans at %v, extensions at %v",
					c.At, bans, extends, c.Bans, c.Extends)
			}
		})
	}
}
