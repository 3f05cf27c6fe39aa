package bans

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/event"
)

// TestDifferentialFail2ban feeds 200 seeded random streams of failures,
// with and without an <F-ID>, to the engine and to fail2ban's own code
// (testdata/f2b_decide.py: fail2ban's Filter decides each failure's id,
// its FailManager counts), and requires the same bans: the same ids in
// the same order, at the same time, with the same failures and the same
// address (the first failure's, as fail2ban's ticket keeps it). Rules 4
// to 7 of the shared notes (fail2ban-bans.md); bans outlast the streams,
// and an id already banned is not banned again.
func TestDifferentialFail2ban(t *testing.T) {
	py := testenv.RequirePython(t, "fail2ban.server.failmanager")
	const streams = 200
	var in strings.Builder
	type stream struct {
		maxretry, findtime int
		events             []*event.Event
	}
	all := make([]stream, streams)
	fids := []string{"alice", "bob", "carol", "198.51.100.1"}
	addrs := []string{"198.51.100.1", "198.51.100.2", "203.0.113.3", "2001:db8::4", "2001:db8::5"}
	for s := range all {
		rng := rand.New(rand.NewPCG(uint64(s), 14))
		st := &all[s]
		st.maxretry = 2 + rng.IntN(4)
		st.findtime = []int{60, 300, 600}[rng.IntN(3)]
		fmt.Fprintf(&in, "#stream %d %d\n", st.maxretry, st.findtime)
		at := base
		for i := 0; i < 40; i++ {
			at = at.Add(time.Duration(rng.IntN(st.findtime/2+1)) * time.Second)
			if rng.IntN(8) == 0 {
				at = at.Add(-time.Duration(rng.IntN(30)) * time.Second) // a little out of order
			}
			ip := addrs[rng.IntN(len(addrs))]
			host := ip
			id := ""
			if rng.IntN(2) == 0 {
				id = fids[rng.IntN(len(fids))]
				host = id
			}
			ev := &event.Event{Time: at, Jail: "diff", Host: host, Lineno: int64(i + 1)}
			ev.IP, _ = event.ParseIP(ip)
			st.events = append(st.events, ev)
			if id != "" {
				fmt.Fprintf(&in, "%s fail id=%s from %s\n", at.UTC().Format(time.DateTime), id, ip)
			} else {
				fmt.Fprintf(&in, "%s fail from %s\n", at.UTC().Format(time.DateTime), ip)
			}
		}
	}
	cmd := exec.Command(py, "testdata/f2b_decide.py")
	cmd.Env = []string{"TZ=UTC", "PATH=/usr/bin:/bin"}
	cmd.Stdin = strings.NewReader(in.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban: %v: %s", err, stderr.String())
	}
	var want [][]string
	cur := []string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if sc.Text() == "end" {
			want = append(want, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, sc.Text())
	}
	if len(want) != streams {
		t.Fatalf("fail2ban decided %d streams, want %d (stderr: %s)", len(want), streams, stderr.String())
	}
	differ, bans := 0, 0
	for s, st := range all {
		var got []string
		var en *Engine
		en = New(Config{
			Jail: func(string) *Jail {
				return &Jail{Settings: settings(st.maxretry, time.Duration(st.findtime)*time.Second, 24*time.Hour)}
			},
			Clock: func() time.Time { return base.Add(365 * 24 * time.Hour) },
			Emit: func(e *event.Event) {
				if e.Action != event.ActionBan || en.Extending() {
					return
				}
				ip := e.IP.Addr().String()
				got = append(got, fmt.Sprintf("ban %s %s %d %d", e.ID(), ip, e.Time.Unix(), e.Failures))
			},
		})
		for _, ev := range st.events {
			en.Failure(ev)
		}
		bans += len(want[s])
		if strings.Join(got, "\n") != strings.Join(want[s], "\n") {
			differ++
			if differ <= 3 {
				t.Errorf("stream %d (maxretry %d, findtime %d):\nbanpipe:\n%s\nfail2ban:\n%s", s, st.maxretry, st.findtime,
					strings.Join(got, "\n"), strings.Join(want[s], "\n"))
			}
		}
	}
	t.Logf("%d streams, %d bans by fail2ban, %d streams decided differently", streams, bans, differ)
	if differ > 0 {
		t.Errorf("%d of %d streams decided differently from fail2ban", differ, streams)
	}
}
