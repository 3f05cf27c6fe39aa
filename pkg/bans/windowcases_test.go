package bans

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/windowcases"
	"github.com/banpipe/banpipe/pkg/event"
)

// TestWindowCases runs the table of fail2ban's window rules shared with
// pkg/fleet's Redis script through the engine, with the log clock.
func TestWindowCases(t *testing.T) {
	for i, c := range windowcases.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if why := c.Differs["bans"]; why != "" {
				t.Skipf("differs from fail2ban: %s", why)
			}
			s := Settings{MaxRetry: c.MaxRetry, FindTime: time.Duration(c.FindTime) * time.Second,
				BanTime: time.Duration(c.BanTime) * time.Second, Increment: Increment{Enabled: c.Increment}}
			var got []string // actions, in order (the engine may reuse an emitted event)
			en := New(Config{Emit: func(e *event.Event) { got = append(got, e.Action) },
				Jail: func(string) *Jail { return &Jail{Settings: s} }})
			id := fmt.Sprintf("192.0.2.%d", i+1)
			var bans, extends []int
			banned := false
			for j, at := range c.At {
				got = got[:0]
				en.Failure(failure(float64(at), "sshd", id, int64(j+1)))
				for _, a := range got {
					switch a {
					case event.ActionUnban:
						banned = false
					case event.ActionBan:
						if banned {
							extends = append(extends, j)
						} else {
							bans = append(bans, j)
						}
						banned = true
					}
				}
			}
			if !slices.Equal(bans, c.Bans) || !slices.Equal(extends, c.Extends) {
				t.Errorf("failures at %v: bans at %v, extensions at %v; fail2ban: bans at %v, extensions at %v",
					c.At, bans, extends, c.Bans, c.Extends)
			}
		})
	}
}
