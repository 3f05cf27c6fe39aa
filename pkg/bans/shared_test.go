package bans

import (
	"context"
	"errors"
	"net/netip"
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

// TestAdopt applies the other hosts' decisions: a ban keeps its end and is
// emitted once, not published again; an earlier end changes nothing, a
// later one extends; an ended ban is ignored; an unban ends the ban and the
// window; the journal rebuilds the adopted ban.
func TestAdopt(t *testing.T) {
	now := base
	sh := &fakeShared{counts: map[string]int{}}
	rec := &recorder{}
	jn := &memJournal{}
	cfg := Config{Live: true, Clock: func() time.Time { return now }, Shared: sh, Emit: rec.emit, Journal: jn,
		Jail: func(string) *Jail { return &Jail{Settings: settings(3, time.Hour, time.Hour)} }}
	en := New(cfg)
	ip := netip.MustParsePrefix("192.0.2.7/32")
	ban := func(until time.Duration, bantime int64) *event.Event {
		return &event.Event{Action: event.ActionBan, Time: now, Jail: "sshd", IP: ip, Failures: 3, Bancount: 2,
			Bantime: bantime, Until: base.Add(until)}
	}
	sh.down = true // the local window counts
	en.Failure(failure(0, "sshd", "192.0.2.7", 1))
	if !en.Adopt(ban(time.Hour, 3600)) {
		t.Fatal("ban not adopted")
	}
	if en.Adopt(ban(30*time.Minute, 1800)) || en.Adopt(ban(time.Hour, 3600)) {
		t.Error("a ban ending no later was adopted")
	}
	if !en.Adopt(ban(2*time.Hour, 7200)) {
		t.Error("a later end was not adopted")
	}
	if en.Adopt(&event.Event{Action: event.ActionBan, Time: now, Jail: "sshd", IP: netip.MustParsePrefix("192.0.2.8/32"),
		Bantime: 1, Until: base.Add(-time.Second)}) {
		t.Error("an ended ban was adopted")
	}
	want := []string{"ban sshd 192.0.2.7 t=0 f=3 bt=3600 c=2 until=3600", "ban sshd 192.0.2.7 t=0 f=3 bt=7200 c=2 until=7200"}
	if strings.Join(rec.out, "|") != strings.Join(want, "|") {
		t.Errorf("emitted %q, want %q", rec.out, want)
	}
	if len(sh.published) != 0 {
		t.Errorf("adopted decisions published again: %q", sh.published)
	}
	// the journal rebuilds it
	en2 := New(Config{Live: true, Clock: cfg.Clock, Jail: cfg.Jail})
	for i := range jn.recs {
		if err := en2.Apply(&jn.recs[i]); err != nil {
			t.Fatalf("replay %+v: %v", jn.recs[i], err)
		}
	}
	if st := en2.Status("sshd", 0); len(st) != 1 || len(st[0].Banned) != 1 || !st[0].Banned[0].End.Equal(base.Add(2*time.Hour)) {
		t.Errorf("replayed state %+v", st)
	}
	now = base.Add(time.Minute)
	if !en.Adopt(&event.Event{Action: event.ActionUnban, Time: now, Jail: "sshd", IP: ip, Reason: "manual"}) {
		t.Fatal("unban not adopted")
	}
	if last := rec.out[len(rec.out)-1]; last != "unban sshd 192.0.2.7 t=60" {
		t.Errorf("unban emitted %q", last)
	}
	if en.Tracked() != 0 {
		t.Errorf("the window survived the unban: %d tracked", en.Tracked())
	}
	if st := en.Status("sshd", 0); st[0].Stats.Fleet != 3 || st[0].Stats.Bans != 0 {
		t.Errorf("stats %+v", st[0].Stats)
	}
}

type ignoreOne netip.Addr

func (a ignoreOne) Ignored(id string, addr netip.Addr, hasAddr bool) (bool, string) {
	return hasAddr && addr == netip.Addr(a), "test list"
}

// TestAdoptRefuses: a ban from another host of the fleet is not adopted for
// an address this host ignores, for loopback, or for every address.
func TestAdoptRefuses(t *testing.T) {
	rec := &recorder{}
	en := New(Config{Live: true, Clock: func() time.Time { return base }, Emit: rec.emit,
		Jail: func(string) *Jail {
			return &Jail{Settings: settings(3, time.Hour, time.Hour), Ignore: ignoreOne(netip.MustParseAddr("192.0.2.50"))}
		}})
	for _, p := range []string{"192.0.2.50/32", "127.0.0.1/32", "::1/128", "0.0.0.0/0", "127.0.0.0/7"} {
		ev := &event.Event{Action: event.ActionBan, Time: base, Jail: "sshd", IP: netip.MustParsePrefix(p),
			Bantime: 3600, Until: base.Add(time.Hour)}
		if en.Adopt(ev) {
			t.Errorf("adopted a ban of %s", p)
		}
	}
	if len(rec.out) != 0 {
		t.Errorf("emitted %q", rec.out)
	}
	if st := en.Status("sshd", 0); st[0].Stats.Refused != 5 {
		t.Errorf("refused = %d, want 5", st[0].Stats.Refused)
	}
	ok := &event.Event{Action: event.ActionBan, Time: base, Jail: "sshd", IP: netip.MustParsePrefix("192.0.2.51/32"),
		Bantime: 3600, Until: base.Add(time.Hour)}
	if !en.Adopt(ok) {
		t.Error("an address not on the list was refused")
	}
}
