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
