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
	in := `{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":"a.example","ip":"192.0.2.7"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":"b\u002eexample"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","ip":"","host":"c.example","host":"d.example"}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":""}` + "\n" +
		`{"time":"2026-11-21T10:04:05Z","jail":"sshd","host":7,"ip":"192.0.2.7"}` + "\n"
	r := NewReader(strings.NewReader(in), "stdin")
	r.HostOnlyWithoutIP()
	var e Event
	for _, want := range []string{"", "b.example", "d.example"} {
		if err := r.Read(&e); err != nil || e.Host != want {
			t.Fatalf("Read: %v, host %q, want %q", err, e.Host, want)
		}
	}
	if err := r.Read(&e); err == nil || !strings.Contains(err.Error(), `missing required field "ip" or "host"`) {
		t.Fatalf("empty host without an address: %v", err)
	}
	if err := r.Read(&e); err == nil || !strings.Contains(err.Error(), `field "host": want a string`) {
		t.Fatalf("host of the wrong type: %v", err)
	}
}
