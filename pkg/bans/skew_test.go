package bans

import (
	"testing"
	"time"
)

// TestLiveClockSkew: with the live clock, an event up to 60 s away from
// now, in either direction, keeps its own time; one further away, in the
// past or in the future, counts as happening now. The ban is emitted now;
// its end is counted from the time the failure counts at.
func TestLiveClockSkew(t *testing.T) {
	now := base
	rec := &recorder{}
	en := New(Config{Live: true, Clock: func() time.Time { return now },
		Jail: func(string) *Jail { return &Jail{Settings: settings(1, time.Hour, 600*time.Second)} }, Emit: rec.emit})
	for i, c := range []struct {
		at   float64
		id   string
		want string
	}{
		{60, "192.0.2.1", "ban sshd 192.0.2.1 t=0 f=1 bt=600 c=1 until=660"},
		{-60, "192.0.2.2", "ban sshd 192.0.2.2 t=0 f=1 bt=600 c=1 until=540"},
		{61, "192.0.2.3", "ban sshd 192.0.2.3 t=0 f=1 bt=600 c=1 until=600"},
		{3000, "192.0.2.4", "ban sshd 192.0.2.4 t=0 f=1 bt=600 c=1 until=600"},
		{-61, "192.0.2.5", "ban sshd 192.0.2.5 t=0 f=1 bt=600 c=1 until=600"},
		{-3000, "192.0.2.6", "ban sshd 192.0.2.6 t=0 f=1 bt=600 c=1 until=600"},
	} {
		rec.out = nil
		en.Failure(failure(c.at, "sshd", c.id, int64(i+1)))
		if len(rec.out) != 1 || rec.out[0] != c.want {
			t.Errorf("failure at now%+gs: %q, want %q", c.at, rec.out, c.want)
		}
	}
}
