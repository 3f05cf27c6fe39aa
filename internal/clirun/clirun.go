// Package clirun is the frame shared by banpipe's three commands: it runs a
// urfave/cli App on given streams, keeps standard output for data, maps
// errors to exit statuses, and catches the argument-order mistake that
// urfave/cli v2 would silently accept.
package clirun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit statuses of every banpipe command.
const (
	ExitOK          = 0   // success
	ExitFailure     = 1   // runtime failure: I/O, firewall, lost input
	ExitUsage       = 2   // usage or configuration error
	ExitInterrupted = 130 // stopped by SIGINT
)

// Version is stamped by the Makefile (-X); Main falls back to build info.
var Version = ""

func init() {
	// -v is free for the commands; the version is --version only. Set once,
	// here, never in tests (it is a package global of urfave/cli).
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version and exit"}
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Fprintf(c.App.Writer, "%s %s\n", c.App.Name, c.App.Version)
	}
}

// BuildVersion returns the stamped version, or the one Go recorded in the
// binary (module version or VCS revision), or "devel".
func BuildVersion() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

// Error is an error with its exit status and optional hints.
type Error struct {
	Code  int
	Err   error
	Hints []string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ExitCode implements cli.ExitCoder.
func (e *Error) ExitCode() int { return e.Code }

// Usagef returns a usage error (exit status 2).
func Usagef(format string, args ...any) error {
	return &Error{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// Config wraps a configuration error (exit status 2).
func Config(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: ExitUsage, Err: err}
}

// Failure wraps a runtime error (exit status 1).
func Failure(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: ExitFailure, Err: err}
}

// WithHint adds a hint line to err.
func WithHint(err error, hint string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Hints = append(e.Hints, hint)
		return e
	}
	return &Error{Code: ExitFailure, Err: err, Hints: []string{hint}}
}

// Silent is returned by actions that have already reported their problem;
// Run prints nothing for it and exits with Code.
type Silent struct{ Code int }

func (s Silent) Error() string { return fmt.Sprintf("exit status %d", s.Code) }

// ExitCode implements cli.ExitCoder.
func (s Silent) ExitCode() int { return s.Code }

// Run runs app with args (args[0] is the program name) on the given
// streams and returns the exit status. It owns the App's output settings:
// usage errors go to stderr with exit status 2, nothing but data reaches
// stdout, and flags written after a positional argument are refused with a
// hint instead of being taken as file names.
func Run(ctx context.Context, app *cli.App, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := app.Name
	app.Reader, app.Writer, app.ErrWriter = stdin, stdout, stderr
	app.HideHelpCommand = true
	app.EnableBashCompletion = true
	if app.Version == "" {
		app.Version = BuildVersion()
	}
	app.ExitErrHandler = func(*cli.Context, error) {}
	app.OnUsageError = func(c *cli.Context, err error, _ bool) error {
		return &Error{Code: ExitUsage, Err: err, Hints: []string{fmt.Sprintf("run '%s --help' for usage", c.App.Name)}}
	}
	for _, cmd := range app.Commands {
		setUsageError(cmd, app.OnUsageError)
	}
	app.CommandNotFound = func(c *cli.Context, cmd string) {}
	err := app.RunContext(ctx, args)
	if err == nil {
		if ctx.Err() != nil && interrupted.Load() {
			return ExitInterrupted
		}
		return ExitOK
	}
	var silent Silent
	if errors.As(err, &silent) {
		return silent.Code
	}
	if errors.Is(err, context.Canceled) && interrupted.Load() {
		return ExitInterrupted
	}
	Report(stderr, name, err)
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	if strings.HasPrefix(err.Error(), "flag provided but not defined") || strings.Contains(err.Error(), "invalid value") {
		return ExitUsage
	}
	return ExitFailure
}

func setUsageError(cmd *cli.Command, f cli.OnUsageErrorFunc) {
	cmd.OnUsageError = f
	for _, sub := range cmd.Subcommands {
		setUsageError(sub, f)
	}
}

// Report writes err, and its hints, to w as "name: message" lines.
func Report(w io.Writer, name string, err error) {
	msg := err.Error()
	if msg == "" {
		return
	}
	fmt.Fprintf(w, "%s: %s\n", name, msg)
	var e *Error
	if errors.As(err, &e) {
		for _, h := range e.Hints {
			fmt.Fprintf(w, "%s: hint: %s\n", name, h)
		}
	}
}

// Warn writes a "name: message" diagnostic line to w.
func Warn(w io.Writer, name, format string, args ...any) {
	fmt.Fprintf(w, "%s: %s\n", name, fmt.Sprintf(format, args...))
}

// CheckArgs refuses positional arguments that look like flags: urfave/cli v2
// stops parsing flags at the first positional argument, so `FILE -f sshd`
// would otherwise read three files. A lone "-" means standard input.
func CheckArgs(c *cli.Context) error {
	args := c.Args().Slice()
	for i, a := range args {
		if len(a) > 1 && a[0] == '-' && i > 0 {
			fixed := append([]string{c.App.Name}, args[i:]...)
			fixed = append(fixed, args[:i]...)
			return &Error{Code: ExitUsage,
				Err: fmt.Errorf("option %s after the file argument %s", a, args[0]),
				Hints: []string{"options go before FILE arguments",
					"did you mean: " + strings.Join(fixed, " ")}}
		}
	}
	return nil
}

var interrupted atomic.Bool

// SignalContext returns a context cancelled by SIGINT or SIGTERM. After
// SIGINT, Run returns ExitInterrupted; SIGTERM is an orderly stop (exit 0
// when the command finished cleanly).
func SignalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			if s == os.Interrupt {
				interrupted.Store(true)
			}
			cancel()
		case <-ctx.Done():
		}
		signal.Stop(ch)
	}()
	return ctx, cancel
}

// IsTerminal reports whether w is a terminal (a character device): progress
// lines are shown only there.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
