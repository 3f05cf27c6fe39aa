package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Shell is the shell that runs the commands, as fail2ban does.
const Shell = "/bin/sh"

// maxOutput bounds the standard error kept for an error message.
const maxOutput = 4096

// ErrTimeout is wrapped by the error of a command that ran out of time.
var ErrTimeout = errors.New("timed out")

// CommandError is the error of a command that failed.
type CommandError struct {
	Action    string // the action's name ("sendmail-whois")
	Operation string // "actionban", "actionstart", ...
	Err       error  // *exec.ExitError, ErrTimeout, or why it could not start
	Stderr    string // the end of its standard error, trimmed
}

// Error returns "action NAME: OPERATION: cause: stderr".
func (e *CommandError) Error() string {
	msg := fmt.Sprintf("action %s: %s: %v", e.Action, e.Operation, e.Err)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// Unwrap returns the cause.
func (e *CommandError) Unwrap() error { return e.Err }

// tailBuffer keeps the last maxOutput bytes written to it.
type tailBuffer struct {
	buf   []byte
	trunc bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	t.buf = append(t.buf, p...)
	if len(t.buf) > maxOutput {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-maxOutput:]...)
		t.trunc = true
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	s := strings.TrimSpace(string(bytes.ToValidUTF8(t.buf, []byte("?"))))
	s = strings.ReplaceAll(s, "\n", "; ")
	if t.trunc {
		s = "..." + s
	}
	return s
}

// runner runs commands with /bin/sh -c.
type runner struct {
	shell string
	// prefix runs the shell through another command (tests: "ip netns
	// exec NS"), which must exec the shell in its own process.
	prefix []string
	// stdout receives the commands' standard output; nil discards it
	// (fwban's standard output is the event stream, never the commands').
	stdout interface{ Write([]byte) (int, error) }
}

// run runs sc with /bin/sh -c in a process group of its own, its standard
// input /dev/null, its environment the process's own (minus any inherited
// BANPIPE_ variables) plus sc.env. After timeout the whole group is killed.
// A non-zero exit status is an error carrying the end of standard error.
func (r *runner) run(ctx context.Context, action, op string, sc script, timeout time.Duration) error {
	if sc.text == "" {
		return nil
	}
	shell := r.shell
	if shell == "" {
		shell = Shell
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	argv := append(append([]string(nil), r.prefix...), shell, "-c", sc.text)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = environ(sc.env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The negative pid names the process group: the shell and
		// everything it started.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = time.Second
	var stderr tailBuffer
	cmd.Stderr = &stderr
	if r.stdout != nil {
		cmd.Stdout = r.stdout
	}
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("%w after %v (process group killed)", ErrTimeout, timeout)
	} else if ctx.Err() != nil {
		err = ctx.Err()
	}
	return &CommandError{Action: action, Operation: op, Err: err, Stderr: stderr.String()}
}

// environ returns the process's environment without BANPIPE_ variables, plus
// extra.
func environ(extra []string) []string {
	base := os.Environ()
	env := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		if !strings.HasPrefix(kv, "BANPIPE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
