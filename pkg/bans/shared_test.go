package bans

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
)

// fakeShared is a fleet window: it bans at the fleet-wide maxretry, or
// fails when down.
type fakeShared struct {
	down      bool
	counts    map[string]int
	published []string
}

func (f *fakeShared) Failure(_ context.Context, jail, id string, _ time.Time, weight, maxretry int, _ time.Duration) (bool, int, error) {
	if f.down {
		return false, 0, errors.New("redis unavailable")
	}
	f.counts[jail+" "+id] += weight
	n := f.counts[jail+" "+id]
	return n >= maxretry, n, nil
}

func (f *fakeShared) Publish(_ context.Context, ev *event.Event) error {
	f.published = append(f.published, ev.Action+" "+ev.ID())
	return nil
}

func (f *fakeShared) Subscribe(context.Context) <-chan *event.Event { return nil }

func TestSharedSeam(t *testing.T) {
	sh := &fakeShared{counts: map[string]int{}}
	rec := &recorder{}
	en := New(Config{Shared: sh, Emit: rec.emit, Jail: func(string) *Jail { return &Jail{Settings: settings(3, time.Hour, time.Hour)} }})
	// Two failures elsewhere in the fleet: the first one here bans.
	sh.counts["sshd 192.0.2.7"] = 2
	en.Failure(failure(0, "sshd", "192.0.2.7", 1))
	if len(rec.out) != 1 || !strings.HasPrefix(rec.out[0], "ban sshd 192.0.2.7 t=0 f=3") {
		t.Fatalf("shared decision: %q", rec.out)
	}
	if strings.Join(sh.published, ",") != "ban 192.0.2.7" {
		t.Errorf("published %q", sh.published)
	}
	// A ban decided elsewhere is applied without being published again.
	en.Remote(func() { en.Ban("sshd", "198.51.100.3") })
	if len(sh.published) != 1 || len(rec.out) != 2 {
		t.Errorf("remote ban: published %q, out %q", sh.published, rec.out)
	}
	// Fleet down: the local window decides.
	sh.down = true
	en.Failure(failure(1, "sshd", "192.0.2.9", 2))
	en.Failure(failure(2, "sshd", "192.0.2.9", 3))
	en.Failure(failure(3, "sshd", "192.0.2.9", 4))
	if last := rec.out[len(rec.out)-1]; !strings.HasPrefix(last, "ban sshd 192.0.2.9 t=3 f=3") {
		t.Errorf("local fallback: %q", rec.out)
	}
}
