package bans

import (
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/ignore"
)

func prefixSettings() Settings {
	s := settings(3, time.Hour, time.Hour)
	s.IPv6Prefix, s.IPv4Prefix = 64, 24
	s.Escalate = Escalate{Count: 2, IPv6Prefix: 48, IPv4Prefix: 16, BanTime: 24 * time.Hour}
	return s
}

// TestPrefixCountingRestart: the failures of a /64 count as one window,
// which survives a restart (journal and snapshot); the third failure after
// the restart bans the /64; a second /64 ban of the /48 escalates; the
// escalated state (the /48 banned, the /64s not) survives a restart; a
// failure window inside the /48 that reaches maxretry adds no ban.
func TestPrefixCountingRestart(t *testing.T) {
	s := prefixSettings()
	cfg := func(rec *recorder, j Journal) Config {
		return Config{Jail: func(string) *Jail { return &Jail{Settings: s} }, Emit: rec.emit, Journal: j}
	}
	j := &memJournal{}
	run(New(cfg(&recorder{}, j)), []step{fail(0, "2001:db8:1:2::1"), fail(1, "2001:db8:1:2::2"), fail(2, "2001:db8:1:3::9")})
	rec := &recorder{}
	j2 := &memJournal{}
	en := New(cfg(rec, j2))
	for i := range j.recs {
		if err := en.Apply(&j.recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	en.Start()
	en.Restore()
	if en.Tracked() != 2 {
		t.Fatalf("tracked %d windows after the restart, want 2 (two /64s)", en.Tracked())
	}
	en.Failure(failure(3, "sshd", "2001:db8:1:2::3", 4))
	en.Failure(failure(4, "sshd", "2001:db8:1:3::a", 5))
	en.Failure(failure(5, "sshd", "2001:db8:1:3::b", 6))
	want := []string{
		"ban sshd 2001:db8:1:2::/64 t=3 f=3 bt=3600 c=1 until=3603",
		"ban sshd 2001:db8:1:3::/64 t=5 f=3 bt=3600 c=1 until=3605",
		"ban sshd 2001:db8:1::/48 t=5 f=6 bt=86400 c=1 until=86405",
		"unban sshd 2001:db8:1:2::/64 t=5",
		"unban sshd 2001:db8:1:3::/64 t=5",
	}
	if got := strings.Join(rec.out, "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	var snap []Record
	en.Snapshot(func(r *Record) error { snap = append(snap, *r); return nil })
	for name, recs := range map[string][]Record{"journal": append(append([]Record(nil), j.recs...), j2.recs...), "snapshot": snap} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			en := New(cfg(rec, nil))
			for i := range recs {
				if err := en.Apply(&recs[i]); err != nil {
					t.Fatal(err)
				}
			}
			en.Start()
			en.Restore()
			if got, want := strings.Join(rec.out, "|"), "ban sshd 2001:db8:1::/48 t=5 f=6 bt=86400 c=1 until=86405 restored"; got != want {
				t.Fatalf("restore: got %q want %q", got, want)
			}
			rec.out = nil
			for i, a := range []string{"2001:db8:1:4::1", "2001:db8:1:4::2", "2001:db8:1:4::3"} {
				en.Failure(failure(float64(10+i), "sshd", a, int64(20+i)))
			}
			if len(rec.out) != 0 {
				t.Errorf("a /64 inside the banned /48: %q, want no ban", rec.out)
			}
		})
	}
}

// TestPrefixGuard: a counted prefix or an escalation that would cover the
// guard's addresses is refused (told once, counted); the addresses are
// counted and banned one by one; a manual ban and a fleet ban of such a
// prefix are refused too.
func TestPrefixGuard(t *testing.T) {
	s := prefixSettings()
	g := &ignore.Guard{Admin: []netip.Addr{netip.MustParseAddr("2001:db8:1:2::77")},
		Self: ignore.OwnOf(netip.MustParseAddr("203.0.113.1"))}
	rec := &recorder{}
	var told []string
	en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: s, Guard: g} }, Emit: rec.emit,
		OnRefuse: func(jail, id string, err error) { told = append(told, err.Error()) }})
	run(en, []step{fail(0, "2001:db8:1:2::1"), fail(1, "2001:db8:1:2::2"), fail(2, "2001:db8:1:2::1"), fail(3, "2001:db8:1:2::1"),
		fail(4, "203.0.113.5"), fail(5, "203.0.113.5"), fail(6, "203.0.113.5")})
	want := []string{
		"ban sshd 2001:db8:1:2::1 t=3 f=3 bt=3600 c=1 until=3603",
		"ban sshd 203.0.113.5 t=6 f=3 bt=3600 c=1 until=3606",
	}
	if got := strings.Join(rec.out, "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	wantTold := []string{
		"refusing to ban 2001:db8:1:2::/64: the client of this SSH session (2001:db8:1:2::77)",
		"refusing to ban 203.0.113.0/24: an address of this machine (203.0.113.1)",
	}
	if strings.Join(told, "\n") != strings.Join(wantTold, "\n") {
		t.Fatalf("told\n%s\nwant\n%s", strings.Join(told, "\n"), strings.Join(wantTold, "\n"))
	}
	if st := en.Status("sshd", 0)[0].Stats; st.Refused != 2 {
		t.Errorf("refused = %d, want 2", st.Refused)
	}
	for _, id := range []string{"2001:db8:1::/48", "203.0.0.0/8", "0.0.0.0/0", "127.0.0.0/8", "2001:db8:1:2::77"} {
		if _, err := en.Ban("sshd", id); err == nil || !strings.Contains(err.Error(), "refusing to ban") {
			t.Errorf("Ban(%s) = %v, want a refusal", id, err)
		}
		ev := &event.Event{Action: event.ActionBan, Jail: "sshd", Time: base, Bantime: 600}
		ev.IP, _ = event.ParseIP(id)
		if en.Adopt(ev) {
			t.Errorf("Adopt(%s): adopted", id)
		}
	}
}

// TestHostIDBan: an <F-ID> failure counts under its host text; the ban
// carries host and ip and is restored with both.
func TestHostIDBan(t *testing.T) {
	var out []event.Event
	j := &memJournal{}
	cfg := Config{Jail: func(string) *Jail { return &Jail{Settings: settings(2, time.Hour, time.Hour)} },
		Emit: func(e *event.Event) { out = append(out, *e) }, Journal: j}
	en := New(cfg)
	for i, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		en.Failure(&event.Event{Time: base.Add(time.Duration(i) * time.Second), Jail: "web", Host: "alice",
			IP: netip.MustParsePrefix(ip + "/32")})
	}
	if len(out) != 1 || out[0].Host != "alice" || out[0].IP != netip.MustParsePrefix("198.51.100.1/32") {
		t.Fatalf("bans %+v, want one of alice with ip 198.51.100.1 (its first failure's, as fail2ban's ticket)", out)
	}
	out = nil
	cfg.Journal = nil
	en2 := New(cfg)
	for i := range j.recs {
		if err := en2.Apply(&j.recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	en2.Restore()
	if len(out) != 1 || out[0].Host != "alice" || out[0].IP != netip.MustParsePrefix("198.51.100.1/32") || !out[0].Restored {
		t.Fatalf("restored %+v", out)
	}
	if _, err := en2.Unban("web", "alice"); err != nil {
		t.Fatal(err)
	}
}

// TestFutureClamp: with the log clock an event after the wall clock plus
// the skew does not move now: it counts at now and is reported.
func TestFutureClamp(t *testing.T) {
	wall := base.Add(time.Hour)
	rec := &recorder{}
	var told []int64
	en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: settings(2, time.Hour, time.Hour)} }, Emit: rec.emit,
		Clock: func() time.Time { return wall }, OnFuture: func(jail string, t time.Time, lineno int64) { told = append(told, lineno) }})
	en.Failure(failure(3000, "sshd", "192.0.2.7", 1))
	en.Failure(failure(3600+60, "sshd", "198.51.100.1", 2)) // within the skew: moves now
	en.Failure(failure(86400*365, "sshd", "192.0.2.7", 3))  // a year ahead: counted at now
	if want := "ban sshd 192.0.2.7 t=3660 f=2 bt=3600 c=1 until=7260"; strings.Join(rec.out, "|") != want {
		t.Fatalf("got %q, want %q", rec.out, want)
	}
	if len(told) != 1 || told[0] != 3 {
		t.Errorf("told %v, want [3]", told)
	}
	if got := en.Now(); !got.Equal(base.Add(3660 * time.Second)) {
		t.Errorf("now %v, want %v", got, base.Add(3660*time.Second))
	}
	if st := en.Status("sshd", 0)[0].Stats; st.Future != 1 {
		t.Errorf("future = %d, want 1", st.Future)
	}
}

// TestHeapPerTrackedPrefix checks the memory bound with prefix counting:
// at most 256 bytes of heap per id being counted (100,000 /64s, one
// failure each).
func TestHeapPerTrackedPrefix(t *testing.T) {
	const n = 100_000
	s := settings(5, time.Hour, time.Hour)
	s.IPv6Prefix = 64
	en := New(Config{Jail: func(string) *Jail { return &Jail{Settings: s} }})
	addr := func(i int) netip.Addr {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, byte(i >> 16), byte(i >> 8), byte(i), 0, 0, 0, 0, 0, 0, 0, 7})
	}
	ev := &event.Event{Jail: "sshd"}
	ev.Time, ev.IP = base, netip.PrefixFrom(addr(n+1), 128)
	en.Failure(ev)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		ev.Time = base.Add(time.Duration(i) * time.Millisecond)
		ev.IP = netip.PrefixFrom(addr(i), 128)
		en.Failure(ev)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if en.Tracked() != n+1 {
		t.Fatalf("tracked %d", en.Tracked())
	}
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes of heap per tracked /64", per)
	if per > 256 {
		t.Errorf("%.0f bytes of heap per tracked /64, want at most 256", per)
	}
	runtime.KeepAlive(en)
}
