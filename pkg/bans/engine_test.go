package bans

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
)

var base = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// step is one input of a scenario: a failure of ID in Jail at base+At
// seconds ("@unban ID" unbans by hand, "@tick" ticks the clock).
type step struct {
	At   float64
	ID   string
	Jail string
}

func fail(at float64, id string) step { return step{At: at, ID: id} }

type recorder struct{ out []string }

func (r *recorder) emit(e *event.Event) {
	s := fmt.Sprintf("%s %s %s t=%d", e.Action, e.Jail, e.ID(), e.Time.Sub(base)/time.Second)
	if e.Action == event.ActionBan {
		s += fmt.Sprintf(" f=%d bt=%d c=%d", e.Failures, e.Bantime, e.Bancount)
		if !e.Until.IsZero() {
			s += fmt.Sprintf(" until=%d", e.Until.Sub(base)/time.Second)
		}
	}
	if e.Restored {
		s += " restored"
	}
	r.out = append(r.out, s)
}

func failure(at float64, jail, id string, lineno int64) *event.Event {
	e := &event.Event{Time: base.Add(time.Duration(at * float64(time.Second))), Jail: jail, Host: id, Lineno: lineno}
	if p, err := event.ParseIP(id); err == nil {
		e.IP = p
	}
	return e
}

func run(en *Engine, steps []step) {
	for i, s := range steps {
		jail := s.Jail
		if jail == "" {
			jail = "sshd"
		}
		switch {
		case strings.HasPrefix(s.ID, "@unban "):
			en.Unban(jail, strings.TrimPrefix(s.ID, "@unban "))
		default:
			en.Failure(failure(s.At, jail, s.ID, int64(i+1)))
		}
	}
}

func settings(maxretry int, findtime, bantime time.Duration) Settings {
	return Settings{MaxRetry: maxretry, FindTime: findtime, BanTime: bantime}
}

func every(interval float64, n int, id string) []step {
	var s []step
	for i := 0; i < n; i++ {
		s = append(s, fail(float64(i)*interval, id))
	}
	return s
}

func TestRules(t *testing.T) {
	inc := settings(3, 10*time.Minute, 10*time.Minute)
	inc.Increment = Increment{Enabled: true, Factor: 1}
	mult := inc
	mult.Increment.Multipliers = []float64{1, 5, 30}
	capped := inc
	capped.Increment.MaxTime = 15 * time.Minute
	rnd := inc
	rnd.Increment.RndTime = 100 * time.Second
	overall := inc
	overall.Increment.OverallJails = true
	short := settings(2, 10*time.Minute, 10*time.Second)
	perm := settings(2, 10*time.Minute, -1)

	tests := []struct {
		name  string
		jails map[string]Settings
		steps []step
		want  []string
	}{{
		name:  "rate estimate: 0 300 601 bans with maxretry 3",
		jails: map[string]Settings{"sshd": settings(3, 600*time.Second, time.Hour)},
		steps: []step{fail(0, "192.0.2.7"), fail(300, "192.0.2.7"), fail(601, "192.0.2.7")},
		want:  []string{"ban sshd 192.0.2.7 t=601 f=3 bt=3600 c=1 until=4201"},
	}, {
		name:  "every 170 s bans at the fifth",
		jails: map[string]Settings{"sshd": settings(5, 600*time.Second, time.Hour)},
		steps: every(170, 5, "192.0.2.7"),
		want:  []string{"ban sshd 192.0.2.7 t=680 f=5 bt=3600 c=1 until=4280"},
	}, {
		name:  "every 180 s never bans",
		jails: map[string]Settings{"sshd": settings(5, 600*time.Second, time.Hour)},
		steps: every(180, 40, "192.0.2.7"),
		want:  nil,
	}, {
		// 3 failures over 120 s with findtime 100 rescale to 2.5: half to
		// even gives 2, so the fourth failure makes 3 and does not ban
		// (half up would make 4 and ban).
		name:  "rescale rounds half to even",
		jails: map[string]Settings{"sshd": settings(4, 100*time.Second, time.Hour)},
		steps: []step{fail(0, "192.0.2.7"), fail(40, "192.0.2.7"), fail(80, "192.0.2.7"), fail(120, "192.0.2.7")},
		want:  nil,
	}, {
		name:  "window ending exactly findtime ago survives",
		jails: map[string]Settings{"sshd": settings(2, 600*time.Second, time.Hour)},
		steps: []step{fail(0, "192.0.2.7"), fail(600, "192.0.2.7")},
		want:  []string{"ban sshd 192.0.2.7 t=600 f=2 bt=3600 c=1 until=4200"},
	}, {
		name:  "window older than findtime is dropped",
		jails: map[string]Settings{"sshd": settings(2, 600*time.Second, time.Hour)},
		steps: []step{fail(0, "192.0.2.7"), fail(601, "192.0.2.7")},
		want:  nil,
	}, {
		name:  "ban ends when now passes until, not at it",
		jails: map[string]Settings{"sshd": settings(1, 600*time.Second, 600*time.Second)},
		steps: []step{fail(0, "192.0.2.7"), fail(600, "198.51.100.1"), fail(601, "198.51.100.2")},
		want: []string{"ban sshd 192.0.2.7 t=0 f=1 bt=600 c=1 until=600",
			"ban sshd 198.51.100.1 t=600 f=1 bt=600 c=1 until=1200",
			"unban sshd 192.0.2.7 t=601",
			"ban sshd 198.51.100.2 t=601 f=1 bt=600 c=1 until=1201"},
	}, {
		name:  "failures while banned extend the running ban and say so",
		jails: map[string]Settings{"sshd": settings(2, 600*time.Second, 600*time.Second)},
		steps: []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(100, "192.0.2.7"), fail(101, "192.0.2.7")},
		want: []string{"ban sshd 192.0.2.7 t=1 f=2 bt=600 c=1 until=601",
			"ban sshd 192.0.2.7 t=101 f=2 bt=700 c=1 until=701"},
	}, {
		name:  "failures can exceed maxretry (the rescale never lowers them)",
		jails: map[string]Settings{"sshd": settings(3, 600*time.Second, time.Hour)},
		steps: []step{fail(0, "192.0.2.7"), fail(500, "192.0.2.7"), fail(1000, "192.0.2.7"), fail(1100, "192.0.2.7")},
		want:  []string{"ban sshd 192.0.2.7 t=1100 f=4 bt=3600 c=1 until=4700"},
	}, {
		name:  "until is last failure + bantime, before event time + bantime",
		jails: map[string]Settings{"sshd": settings(2, 600*time.Second, 600*time.Second)},
		steps: []step{fail(0, "192.0.2.7"), fail(50, "192.0.2.9"), fail(20, "192.0.2.7")},
		want:  []string{"ban sshd 192.0.2.7 t=50 f=2 bt=600 c=1 until=620"},
	}, {
		name:  "failures while banned count into a fresh window: one more after the unban bans",
		jails: map[string]Settings{"sshd": settings(3, time.Hour, 600*time.Second)},
		steps: []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(2, "192.0.2.7"),
			fail(100, "192.0.2.7"), fail(200, "192.0.2.7"), fail(700, "192.0.2.7")},
		want: []string{"ban sshd 192.0.2.7 t=2 f=3 bt=600 c=1 until=602",
			"unban sshd 192.0.2.7 t=700",
			"ban sshd 192.0.2.7 t=700 f=3 bt=600 c=1 until=1300"},
	}, {
		name:  "permanent ban",
		jails: map[string]Settings{"sshd": perm},
		steps: []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(99999, "192.0.2.8")},
		want:  []string{"ban sshd 192.0.2.7 t=1 f=2 bt=-1 c=1"},
	}, {
		name:  "candidate whose ban already ended is ignored",
		jails: map[string]Settings{"sshd": short},
		steps: []step{fail(0, "192.0.2.7"), fail(50, "192.0.2.9"), fail(20, "192.0.2.7")},
		want:  nil,
	}, {
		name:  "an event more than 60 s old counts as now",
		jails: map[string]Settings{"sshd": short},
		// The failure at 20 arrives when now is 100: it counts at 100, and
		// bans until 110 (with its own time, 20 + 10 < 100, it would not).
		steps: []step{fail(0, "192.0.2.7"), fail(100, "192.0.2.9"), fail(20, "192.0.2.7")},
		want:  []string{"ban sshd 192.0.2.7 t=100 f=2 bt=10 c=1 until=110"},
	}, {
		name:  "increment doubles and known offenders weigh more",
		jails: map[string]Settings{"sshd": inc},
		steps: []step{
			fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(2, "192.0.2.7"), // ban 1: 600
			fail(1000, "192.0.2.7"), fail(1001, "192.0.2.7"), // weight 2: ban 2 at the 2nd
			fail(5000, "192.0.2.7"), // weight 3: ban 3 at once
		},
		want: []string{"ban sshd 192.0.2.7 t=2 f=3 bt=600 c=1 until=602",
			"unban sshd 192.0.2.7 t=1000",
			"ban sshd 192.0.2.7 t=1001 f=3 bt=1200 c=2 until=2201",
			"unban sshd 192.0.2.7 t=5000",
			"ban sshd 192.0.2.7 t=5000 f=2 bt=2400 c=3 until=7400"},
	}, {
		name:  "multipliers",
		jails: map[string]Settings{"sshd": mult},
		steps: []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(2, "192.0.2.7"),
			fail(1000, "192.0.2.7"), fail(1001, "192.0.2.7")},
		want: []string{"ban sshd 192.0.2.7 t=2 f=3 bt=600 c=1 until=602",
			"unban sshd 192.0.2.7 t=1000",
			"ban sshd 192.0.2.7 t=1001 f=3 bt=3000 c=2 until=4001"},
	}, {
		name:  "maxtime caps",
		jails: map[string]Settings{"sshd": capped},
		steps: []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(2, "192.0.2.7"),
			fail(1000, "192.0.2.7"), fail(1001, "192.0.2.7"), fail(5000, "192.0.2.7")},
		want: []string{"ban sshd 192.0.2.7 t=2 f=3 bt=600 c=1 until=602",
			"unban sshd 192.0.2.7 t=1000",
			"ban sshd 192.0.2.7 t=1001 f=3 bt=900 c=2 until=1901",
			"unban sshd 192.0.2.7 t=5000",
			"ban sshd 192.0.2.7 t=5000 f=2 bt=900 c=3 until=5900"},
	}, {
		name:  "rndtime adds random()*rndtime to repeat bans",
		jails: map[string]Settings{"sshd": rnd},
		steps: []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(2, "192.0.2.7"),
			fail(1000, "192.0.2.7"), fail(1001, "192.0.2.7")},
		want: []string{"ban sshd 192.0.2.7 t=2 f=3 bt=600 c=1 until=602",
			"unban sshd 192.0.2.7 t=1000",
			"ban sshd 192.0.2.7 t=1001 f=3 bt=1250 c=2 until=2251"},
	}, {
		name:  "overalljails sums counts over jails",
		jails: map[string]Settings{"sshd": overall, "nginx": overall},
		steps: []step{
			{0, "192.0.2.7", "sshd"}, {1, "192.0.2.7", "sshd"}, {2, "192.0.2.7", "sshd"}, // sshd 1
			{3, "192.0.2.7", "nginx"}, {4, "192.0.2.7", "nginx"}, {5, "192.0.2.7", "nginx"}, // nginx: count 2 (sum 1 +1)
			{5000, "192.0.2.7", "sshd"}, {5001, "192.0.2.7", "sshd"}, // weight by sshd row (1): 2 each
		},
		want: []string{"ban sshd 192.0.2.7 t=2 f=3 bt=600 c=1 until=602",
			"ban nginx 192.0.2.7 t=5 f=3 bt=1200 c=2 until=1205",
			"unban sshd 192.0.2.7 t=5000", "unban nginx 192.0.2.7 t=5000",
			"ban sshd 192.0.2.7 t=5001 f=3 bt=4800 c=4 until=9801"},
	}, {
		name:  "id without address is banned by host",
		jails: map[string]Settings{"sshd": settings(2, time.Hour, time.Hour)},
		steps: []step{fail(0, "user-42"), fail(1, "user-42")},
		want:  []string{"ban sshd user-42 t=1 f=2 bt=3600 c=1 until=3601"},
	}, {
		name:  "loopback never banned",
		jails: map[string]Settings{"sshd": settings(1, time.Hour, time.Hour)},
		steps: []step{fail(0, "127.0.0.1"), fail(1, "::1"), fail(2, "::ffff:127.0.0.2")},
		want:  nil,
	}, {
		name:  "manual unban: banned again only after maxretry anew",
		jails: map[string]Settings{"sshd": settings(2, time.Hour, time.Hour)},
		steps: []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(2, "@unban 192.0.2.7"),
			fail(3, "192.0.2.7"), fail(4, "192.0.2.7")},
		want: []string{"ban sshd 192.0.2.7 t=1 f=2 bt=3600 c=1 until=3601",
			"unban sshd 192.0.2.7 t=1",
			"ban sshd 192.0.2.7 t=4 f=2 bt=3600 c=1 until=3604"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			en := New(Config{
				Jail: func(name string) *Jail {
					s, ok := tt.jails[name]
					if !ok {
						t.Fatalf("unexpected jail %q", name)
					}
					return &Jail{Settings: s}
				},
				Rand: func() float64 { return 0.5 },
				Emit: rec.emit,
			})
			run(en, tt.steps)
			if got, want := strings.Join(rec.out, "\n"), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestPurgeForgetsOffenderAfterQuietDay(t *testing.T) {
	s := settings(2, 10*time.Minute, 10*time.Minute)
	s.Increment = Increment{Enabled: true, Factor: 1}
	rec := &recorder{}
	en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: s} }, Emit: rec.emit})
	run(en, []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7")})
	// A quiet day and a bit: the hourly purge forgets the row.
	day := 86400.0
	run(en, []step{fail(2*day, "198.51.100.1"), fail(2*day+10, "192.0.2.7"), fail(2*day+11, "192.0.2.7")})
	last := rec.out[len(rec.out)-1]
	if !strings.Contains(last, "bt=600 c=1") {
		t.Errorf("after a quiet day the offender should start again at count 1, got %q", last)
	}
}

func TestLiveClockUnbansWithoutInput(t *testing.T) {
	now := base
	rec := &recorder{}
	en := New(Config{Live: true, Clock: func() time.Time { return now },
		Jail: func(string) *Jail { return &Jail{Settings: settings(1, time.Minute, 30*time.Second)} }, Emit: rec.emit})
	en.Failure(failure(0, "sshd", "192.0.2.7", 1))
	now = now.Add(30 * time.Second)
	en.Tick()
	if len(rec.out) != 1 {
		t.Fatalf("unbanned too early: %q", rec.out)
	}
	now = now.Add(time.Second)
	en.Tick()
	if len(rec.out) != 2 || !strings.HasPrefix(rec.out[1], "unban sshd 192.0.2.7 t=31") {
		t.Fatalf("want an unban at 31, got %q", rec.out)
	}
	// Live: a failure older than findtime is stale.
	en.Failure(failure(-60, "sshd", "192.0.2.8", 2))
	if st := en.Status("sshd", 0)[0].Stats; st.Stale != 1 || len(rec.out) != 2 {
		t.Errorf("stale = %d, out %q", st.Stale, rec.out)
	}
}

func TestEvictionOldestFirst(t *testing.T) {
	en := New(Config{MaxTracked: 2, Jail: func(string) *Jail { return &Jail{Settings: settings(3, time.Hour, time.Hour)} }})
	run(en, []step{fail(0, "192.0.2.1"), fail(1, "192.0.2.2"), fail(2, "192.0.2.1"), fail(3, "192.0.2.3")})
	if en.Evictions() != 1 || en.Tracked() != 2 {
		t.Fatalf("evictions %d tracked %d", en.Evictions(), en.Tracked())
	}
	st := en.Status("sshd", 10)[0]
	var ids []string
	for _, w := range st.Windows {
		ids = append(ids, w.ID)
	}
	if got := strings.Join(ids, " "); got != "192.0.2.3 192.0.2.1" {
		t.Errorf("windows left %q, want the least recent (192.0.2.2) evicted", got)
	}
}

type memJournal struct{ recs []Record }

func (m *memJournal) Append(r *Record) {
	c := *r
	c.Keys = append([]MarkKey(nil), r.Keys...)
	m.recs = append(m.recs, c)
}

// TestReplayAndDedupe rebuilds an engine from its journal and from its
// snapshot, then re-reads the same failures: nothing counts twice, new
// failures count.
func TestReplayAndDedupe(t *testing.T) {
	s := settings(3, time.Hour, time.Hour)
	s.Increment = Increment{Enabled: true, Factor: 1}
	cfg := func(rec *recorder, j Journal) Config {
		return Config{Jail: func(string) *Jail { return &Jail{Settings: s} }, Emit: rec.emit, Journal: j}
	}
	input := []step{fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), fail(2, "192.0.2.7"), fail(3, "192.0.2.8"), fail(4, "192.0.2.8")}
	j := &memJournal{}
	en := New(cfg(&recorder{}, j))
	run(en, input)

	var snap []Record
	en.Snapshot(func(r *Record) error { snap = append(snap, *r); return nil })
	for name, recs := range map[string][]Record{"journal": j.recs, "snapshot": snap} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			en2 := New(cfg(rec, nil))
			for i := range recs {
				if err := en2.Apply(&recs[i]); err != nil {
					t.Fatal(err)
				}
			}
			en2.Start()
			en2.Restore()
			if want := "ban sshd 192.0.2.7 t=4 f=3 bt=3600 c=1 until=3602 restored"; strings.Join(rec.out, "|") != want {
				t.Fatalf("restore: got %q want %q", rec.out, want)
			}
			rec.out = nil
			run(en2, input) // the same scan again
			if len(rec.out) != 0 {
				t.Fatalf("re-scan counted again: %q", rec.out)
			}
			st := en2.Status("sshd", 10)[0]
			if st.Stats.Duplicates != int64(len(input)) {
				t.Errorf("duplicates = %d, want %d", st.Stats.Duplicates, len(input))
			}
			en2.Failure(failure(5, "sshd", "192.0.2.8", 6)) // a new line: third failure of .8
			if len(rec.out) != 1 || !strings.HasPrefix(rec.out[0], "ban sshd 192.0.2.8 t=5 f=3") {
				t.Errorf("new line after re-scan: %q", rec.out)
			}
		})
	}
}

func TestManualBan(t *testing.T) {
	rec := &recorder{}
	en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: settings(3, time.Hour, time.Hour)} }, Emit: rec.emit,
		Clock: func() time.Time { return base }})
	if _, err := en.Ban("sshd", "203.0.113.0/24"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"0.0.0.0/0", "127.0.0.0/7", "::1", "203.0.113.0/24"} {
		if _, err := en.Ban("sshd", bad); err == nil {
			t.Errorf("ban %s: no error", bad)
		}
	}
	if len(rec.out) != 1 || rec.out[0] != "ban sshd 203.0.113.0/24 t=0 f=3 bt=3600 c=1 until=3600" {
		t.Errorf("got %q", rec.out)
	}
	if got := en.UnbanAll(""); len(got) != 1 || got[0].IP != netip.MustParsePrefix("203.0.113.0/24") {
		t.Errorf("unban all: %v", got)
	}
}

// TestBanAfterUnbanIsNew checks that a window that remembers its id's ban
// does not extend a ban that ended (by hand or by expiry): the next
// candidate starts a new ban, and extends only that one.
func TestBanAfterUnbanIsNew(t *testing.T) {
	rec := &recorder{}
	en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: settings(2, time.Hour, 100*time.Second)} }, Emit: rec.emit})
	steps := []step{
		fail(0, "192.0.2.7"), fail(1, "192.0.2.7"), // ban until 101
		fail(2, "192.0.2.7"), fail(3, "192.0.2.7"), // extends to 103
		{At: 4, ID: "@unban 192.0.2.7"},
		fail(5, "192.0.2.7"), fail(6, "192.0.2.7"), // a new ban until 106
		fail(7, "192.0.2.7"), fail(8, "192.0.2.7"), // extends it to 108
		fail(200, "192.0.2.7"), fail(201, "192.0.2.7"), // expired at 109: a new ban
	}
	run(en, steps)
	want := []string{
		"ban sshd 192.0.2.7 t=1 f=2 bt=100 c=1 until=101",
		"ban sshd 192.0.2.7 t=3 f=2 bt=102 c=1 until=103",
		"unban sshd 192.0.2.7 t=3",
		"ban sshd 192.0.2.7 t=6 f=2 bt=100 c=1 until=106",
		"ban sshd 192.0.2.7 t=8 f=2 bt=102 c=1 until=108",
		"unban sshd 192.0.2.7 t=200",
		"ban sshd 192.0.2.7 t=201 f=2 bt=100 c=1 until=301",
	}
	if strings.Join(rec.out, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(rec.out, "\n"), strings.Join(want, "\n"))
	}
}

// TestMatchesPerWindow checks fail2ban's maxmatches: a window keeps the
// last maxmatches log lines of its failures (a multi-line failure brings
// several), a new window starts empty, and the ban carries the lines.
func TestMatchesPerWindow(t *testing.T) {
	tests := []struct {
		name       string
		maxMatches int
		failures   [][]string // the matches of each failure of one id
		want       []string   // the matches of the ban
	}{
		{name: "all kept", maxMatches: 3, failures: [][]string{{"a"}, {"b"}, {"c"}}, want: []string{"a", "b", "c"}},
		{name: "last kept", maxMatches: 2, failures: [][]string{{"a"}, {"b"}, {"c"}}, want: []string{"b", "c"}},
		{name: "multi-line", maxMatches: 4, failures: [][]string{{"a1", "a2"}, {"b1", "b2"}, {"c1", "c2"}}, want: []string{"b1", "b2", "c1", "c2"}},
		{name: "one failure over the bound", maxMatches: 2, failures: [][]string{{"a"}, {"b"}, {"c1", "c2", "c3"}}, want: []string{"c2", "c3"}},
		{name: "none kept", maxMatches: 0, failures: [][]string{{"a"}, {"b"}, {"c"}}, want: nil},
		{name: "failures without text", maxMatches: 3, failures: [][]string{nil, {"b"}, nil}, want: []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			s := settings(3, time.Hour, time.Hour)
			s.MaxMatches = tt.maxMatches
			en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: s} },
				Emit: func(e *event.Event) {
					if e.Action == event.ActionBan {
						got = append(got, append([]string(nil), e.Matches...))
					}
				}})
			for i, m := range tt.failures {
				f := failure(float64(i), "sshd", "192.0.2.7", int64(i+1))
				f.Matches = m
				en.Failure(f)
			}
			if len(got) != 1 || strings.Join(got[0], "|") != strings.Join(tt.want, "|") {
				t.Errorf("ban matches = %q, want one ban with %q", got, tt.want)
			}
		})
	}
	t.Run("new window starts empty", func(t *testing.T) {
		var got [][]string
		s := settings(2, 100*time.Second, time.Second)
		s.MaxMatches = 5
		en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: s} },
			Emit: func(e *event.Event) {
				if e.Action == event.ActionBan {
					got = append(got, append([]string(nil), e.Matches...))
				}
			}})
		for i, at := range []float64{0, 1, 500, 501} { // the first window ends in a ban; the second starts anew
			f := failure(at, "sshd", "192.0.2.7", int64(i+1))
			f.Matches = []string{fmt.Sprint("line ", i+1)}
			en.Failure(f)
		}
		want := [][]string{{"line 1", "line 2"}, {"line 3", "line 4"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ban matches = %q, want %q", got, want)
		}
	})
}
