package bans_test

import (
	"fmt"
	"time"

	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/event"
)

// Failures at 0, 300 and 601 s ban with maxretry 3 and findtime 600: the
// window is fail2ban's rate estimate, not a sliding window.
func ExampleEngine() {
	en := bans.New(bans.Config{
		Jail: func(string) *bans.Jail {
			return &bans.Jail{Settings: bans.Settings{MaxRetry: 3, FindTime: 10 * time.Minute, BanTime: time.Hour}}
		},
		Emit: func(e *event.Event) { fmt.Println(string(event.Append(nil, e))) },
	})
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	ip, _ := event.ParseIP("192.0.2.7")
	for i, sec := range []int{0, 300, 601} {
		en.Failure(&event.Event{Time: t0.Add(time.Duration(sec) * time.Second), Jail: "sshd", IP: ip, Lineno: int64(i + 1)})
	}
	// Output:
	// {"action":"ban","time":"2026-11-21T10:10:01Z","jail":"sshd","ip":"192.0.2.7","failures":3,"bantime":3600,"until":"2026-11-21T11:10:01Z","bancount":1}
}
