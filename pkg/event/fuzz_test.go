package event

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecode checks that Decode never panics, accepts only valid JSON, and
// that what it accepts survives Append and Decode again unchanged.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"time":"2026-11-21T10:04:05+01:00","jail":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"user":"root"}`,
		`{"action":"ban","jail":"sshd","ip":"203.0.113.0/24","bantime":-1,"until":"2026-11-21T10:04:05Z","restored":true}`,
		`{"action":"unban","jail":"j","host":"x","users":["a","b"],"applied":false,"error":"e"}`,
		`{"a":[{"b":1e5}],"time":"2026-11-21T10:04:05Z","jail":"\u00e9","host":"\ud800"}`,
		`{"time":"2026-11-21T23:59:59.999999999-05:30","jail":"sshd","filter":"sshd","ip":"192.0.2.7","lineno":7,"attempts":3}`,
		`{"time":"2026-02-29T10:04:05Z","jail":"sshd","ip":"192.0.2.7"}`,
		`[1,2]`, `{"time":`, "{\"jail\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	var in interner // the Reader's caches, kept across inputs
	f.Fuzz(func(t *testing.T, line []byte) {
		var e, er Event
		err := Decode(line, &e)
		var eh Event
		rerr := decodeWith(line, &er, &in, decodeOpts{})
		herr := decodeWith(line, &eh, &in, decodeOpts{nocap: true, hostIP: true})
		if (err == nil) != (herr == nil) || (err != nil && err.Error() != herr.Error()) {
			t.Fatalf("Decode and the Reader with options disagree on %q: %v / %v", line, err, herr)
		}
		wantHost := e.Host
		if e.IP.IsValid() && !e.HostID() {
			wantHost = ""
		}
		if err == nil && (eh.Host != wantHost || eh.ID() != e.ID() || eh.Captures != nil) {
			t.Fatalf("the Reader with options decodes %q as %+v, Decode as %+v", line, eh, e)
		}
		if (err == nil) != (rerr == nil) || (err != nil && err.Error() != rerr.Error()) {
			t.Fatalf("Decode and the Reader disagree on %q: %v / %v", line, err, rerr)
		}
		if err != nil {
			return
		}
		if !sameTime(er.Time, e.Time) || !sameTime(er.Until, e.Until) || er.Jail != e.Jail || er.Filter != e.Filter || er.Lineno != e.Lineno {
			t.Fatalf("Decode and the Reader decode %q differently: %+v / %+v", line, e, er)
		}
		if !json.Valid(line) {
			t.Fatalf("accepted invalid JSON %q", line)
		}
		out := Append(nil, &e)
		if !json.Valid(out) {
			t.Fatalf("Append gave invalid JSON %q", out)
		}
		var e2 Event
		if err := Decode(out, &e2); err != nil {
			t.Fatalf("re-decode of %q: %v", out, err)
		}
		if e2.ID() != e.ID() || e2.Jail != e.Jail || !e2.Time.Equal(e.Time) || e2.Action != e.Action {
			t.Fatalf("round trip changed the event: %q -> %q", line, out)
		}
	})
}

// sameTime reports whether a and b are the same instant in the same zone
// offset (times the general parser reads get a new *time.Location each).
func sameTime(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
}
