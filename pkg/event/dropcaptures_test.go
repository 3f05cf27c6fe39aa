package event

import (
	"strings"
	"testing"
)

func TestDropCaptures(t *testing.T) {
	in := `{"time":"2026-11-21T10:04:05Z","jail":"sshd","ip":"192.0.2.7","user":"root","port":"22"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","ip":"192.0.2.7","user":"ro` + "\n"
	r := NewReader(strings.NewReader(in), "stdin")
	r.DropCaptures()
	var e Event
	if err := r.Read(&e); err != nil || e.Captures != nil || e.ID() != "192.0.2.7" {
		t.Fatalf("Read: %v, captures %v", err, e.Captures)
	}
	if err := r.Read(&e); err == nil {
		t.Fatal("a broken capture value is still an error")
	}
}

func TestHostOnlyWithoutIP(t *testing.T) {
	in := `{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":"192.0.2.7","ip":"192.0.2.7"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":"::ffff:192.0.2.7","ip":"192.0.2.7"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":"a.example","ip":"192.0.2.7"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":"b\u002eexample"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","ip":"","host":"c.example","host":"d.example"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":""}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":7,"ip":"192.0.2.7"}` + "\n"
	r := NewReader(strings.NewReader(in), "stdin")
	r.HostOnlyWithoutIP()
	var e Event
	for _, want := range []struct{ host, id string }{{"", "192.0.2.7"}, {"", "192.0.2.7"},
		{"a.example", "a.example"}, {"b.example", "b.example"}, {"d.example", "d.example"}} {
		if err := r.Read(&e); err != nil || e.Host != want.host || e.ID() != want.id {
			t.Fatalf("Read: %v, host %q, id %q, want %+v", err, e.Host, e.ID(), want)
		}
	}
	if err := r.Read(&e); err == nil || !strings.Contains(err.Error(), `missing required field "ip" or "host"`) {
		t.Fatalf("empty host without an address: %v", err)
	}
	if err := r.Read(&e); err == nil || !strings.Contains(err.Error(), `field "host": want a string`) {
		t.Fatalf("host of the wrong type: %v", err)
	}
}

func TestResolvedID(t *testing.T) {
	for _, tt := range []struct{ line, id string }{
		{`{"time":"2026-11-21T10:04:05Z","jail":"j","host":"a.example","ip":"192.0.2.7","resolved":true}`, "192.0.2.7"},
		{`{"time":"2026-11-21T10:04:05Z","jail":"j","host":"a.example","ip":"192.0.2.7"}`, "a.example"},
		{`{"time":"2026-11-21T10:04:05Z","jail":"j","host":"192.0.2.7","ip":"192.0.2.7","resolved":false}`, "192.0.2.7"},
		{`{"time":"2026-11-21T10:04:05Z","jail":"j","host":"s1","ip":"2001:db8::/64"}`, "s1"},
	} {
		var e Event
		if err := Decode([]byte(tt.line), &e); err != nil {
			t.Fatal(err)
		}
		if e.ID() != tt.id {
			t.Errorf("%s: ID() = %q, want %q", tt.line, e.ID(), tt.id)
		}
		if back := string(Append(nil, &e)); back != tt.line && e.Resolved {
			t.Errorf("round trip: %s, want %s", back, tt.line)
		}
	}
}
