package testenv

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how it was stopped.
type recorder struct {
	testing.TB
	how, msg string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.stop("skip", format, args) }
func (r *recorder) Fatalf(format string, args ...any) { r.stop("fatal", format, args) }

// stop records the first way t was stopped (the real ones do not return).
func (r *recorder) stop(how, format string, args []any) {
	if r.how == "" {
		r.how, r.msg = how, fmt.Sprintf(format, args...)
	}
}

func TestMissing(t *testing.T) {
	for _, c := range []struct{ ci, how string }{{"", "skip"}, {"false", "skip"}, {"true", "fatal"}, {"1", "fatal"}} {
		t.Setenv("CI", c.ci)
		r := &recorder{TB: t}
		Missing(r, "testenv: %s is not installed", "frob")
		if r.how != c.how || !strings.Contains(r.msg, "frob is not installed") {
			t.Errorf("CI=%q: %s %q, want %s naming the tool", c.ci, r.how, r.msg, c.how)
		}
		r = &recorder{TB: t}
		RequireCommand(r, "banpipe-no-such-command")
		if r.how != c.how || !strings.Contains(r.msg, "banpipe-no-such-command") {
			t.Errorf("CI=%q: RequireCommand: %s %q, want %s", c.ci, r.how, r.msg, c.how)
		}
		r = &recorder{TB: t}
		if RequireCommand(r, "sh"); r.how != "" {
			t.Errorf("CI=%q: RequireCommand(sh): %s %q", c.ci, r.how, r.msg)
		}
	}
}

func TestScriptCondition(t *testing.T) {
	t.Setenv("CI", "")
	if have, err := ScriptCondition("cmd:banpipe-no-such-command"); have || err != nil {
		t.Errorf("outside CI: %v, %v; want false, nil", have, err)
	}
	if have, err := ScriptCondition("cmd:sh"); !have || err != nil {
		t.Errorf("cmd:sh: %v, %v; want true, nil", have, err)
	}
	if _, err := ScriptCondition("nonsense"); err == nil {
		t.Error("an unknown condition was accepted")
	}
	t.Setenv("CI", "true")
	if _, err := ScriptCondition("cmd:banpipe-no-such-command"); err == nil || !strings.Contains(err.Error(), "CI=true") {
		t.Errorf("under CI: %v; want an error naming CI", err)
	}
}
