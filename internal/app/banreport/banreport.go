// Package banreport implements the banreport command: it reads banpipe's
// events (failures from logmatch, bans and unbans from bancount, fwban's
// results, in any mix) and writes one self-contained HTML page with a text
// summary, charts drawn as inline SVG, and tables.
//
// # Bounded memory
//
// The input may hold tens of millions of events; the report needs a fixed
// amount of memory whatever its size:
//
//   - top lists (addresses, networks, user names, banned ids) are counted with
//     the Space-Saving algorithm in 10,000 counters each: exact while fewer
//     distinct keys come, otherwise each count is at most total/10,000 above the
//     true one (the report shows the bound, "±N");
//   - distinct addresses and user names are counted exactly up to 65,536, then
//     estimated with a HyperLogLog (about 0.8% standard error; shown with "≈");
//   - counts over time go in at most 720 buckets per series, whose width grows
//     (1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h, 1 day, 1 week, 4 weeks) as the
//     events' span grows; 12 jails are drawn by name, the rest as "(other)";
//   - repeat offenders (highest bancount) are kept exactly in 1,000 entries;
//   - running bans (to tell an extension of a ban from a new one) are
//     remembered up to 262,144 at once.
package banreport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/f2bconf"
)

// Main runs banreport with args (args[0] is the program name) and returns its exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return clirun.Run(ctx, newApp(stdin, stdout, stderr), args, stdin, stdout, stderr)
}

const usageText = `banreport [OPTIONS] [FILE...] > report.html

   Reads banpipe events (JSON Lines: failures from logmatch, bans and unbans
   from bancount, results from fwban, in any mix) from the FILEs or standard
   input ("-" is standard input) and writes one self-contained HTML page on
   standard output (or --output): a summary, failures and bans over time per
   jail, the top addresses and their /24 and /64 networks, the user names
   tried, bans by length, repeat offenders and the busiest hours. Charts are
   inline SVG; the page loads nothing and needs no JavaScript.

     logmatch -f sshd /var/log/auth.log | tee f.jsonl |
       bancount --clock log --state none --socket none |
       cat f.jsonl - | banreport > report.html

   A bad line is reported as "banreport: FILE:LINE: reason", counted in the
   report, and skipped. Memory is bounded (top lists are approximate past
   10,000 distinct keys, and say so); on a terminal a progress line shows on
   standard error. Hours are shown in the zone of TZ.

   Exit status: 0 on success (also after bad lines), 1 when an input could
   not be read or the report not written, 2 for a usage error, 130 after
   SIGINT.`

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "banreport",
		Usage:     "an HTML report of banpipe's failures and bans",
		UsageText: usageText,
		ArgsUsage: "[FILE...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "since", Usage: "only events at or after `TIME`: RFC 3339, YYYY-MM-DD[THH:MM], or a duration before now (24h, 7d)", EnvVars: []string{"BANREPORT_SINCE"}},
			&cli.StringFlag{Name: "until", Usage: "only events before `TIME` (same forms as --since)", EnvVars: []string{"BANREPORT_UNTIL"}},
			&cli.StringFlag{Name: "now", Usage: "`TIME` (RFC 3339) that durations in --since and --until count back from; default the clock", EnvVars: []string{"BANREPORT_NOW"}},
			&cli.StringFlag{Name: "title", Value: "banpipe report", Usage: "page `TITLE`", EnvVars: []string{"BANREPORT_TITLE"}},
			&cli.IntFlag{Name: "top", Value: 15, Usage: "`N` rows in each top list (1 to 100)", EnvVars: []string{"BANREPORT_TOP"}},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the page to `FILE` (replaced atomically) instead of standard output", EnvVars: []string{"BANREPORT_OUTPUT"}},
		},
		Action: func(c *cli.Context) error {
			if err := clirun.CheckArgs(c); err != nil {
				return err
			}
			return run(c, stdin, stdout, stderr)
		},
	}
}

// parseWhen parses a --since/--until value.
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		var t time.Time
		var err error
		if layout == time.RFC3339Nano {
			t, err = time.Parse(layout, s)
		} else {
			t, err = time.ParseInLocation(layout, s, loc)
		}
		if err == nil {
			return t, nil
		}
	}
	d, err := f2bconf.ParseTime(s)
	if err != nil || d < 0 {
		return time.Time{}, errors.New("not a time (RFC 3339, YYYY-MM-DD[THH:MM]) or a duration (24h, 7d)")
	}
	return now.Add(-d), nil
}

func run(c *cli.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	loc := time.Local
	now := time.Now()
	if s := c.String("now"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return clirun.Usagef("--now %q: not an RFC 3339 time", s)
		}
		now = t
	}
	var since, until time.Time
	for _, w := range []struct {
		name string
		t    *time.Time
	}{{"since", &since}, {"until", &until}} {
		if s := c.String(w.name); s != "" {
			t, err := parseWhen(s, now, loc)
			if err != nil {
				return clirun.Usagef("--%s %q: %v", w.name, s, err)
			}
			*w.t = t
		}
	}
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		return clirun.Usagef("--until %s is not after --since %s", until.Format(time.RFC3339), since.Format(time.RFC3339))
	}
	top := c.Int("top")
	if top < 1 || top > 100 {
		return clirun.Usagef("--top %d: must be between 1 and 100", top)
	}

	r := &reader{
		ctx: c.Context, stderr: stderr, since: since, until: until,
		col:      newCollector(loc),
		progress: clirun.IsTerminal(stderr),
	}
	files := c.Args().Slice()
	if len(files) == 0 {
		files = []string{"-"}
	}
	var readErr error
	for _, name := range files {
		if err := r.readFile(name, stdin); err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			warnf(stderr, "%v", err)
			readErr = err
		}
	}
	if r.progress && r.shown {
		fmt.Fprint(stderr, "\r\033[K")
	}

	rep := buildReport(r.col, reportOptions{
		title: c.String("title"), top: top, since: since, until: until, loc: loc,
		bad: r.bad, outside: r.outside, files: files, version: c.App.Version,
	})
	if err := writeOutput(c.String("output"), stdout, rep.render); err != nil {
		return clirun.Failure(err)
	}
	if readErr != nil {
		return clirun.Silent{Code: clirun.ExitFailure}
	}
	return nil
}

// writeOutput writes the page to stdout, or to path through a temporary
// file renamed over it (a reader never sees half a page).
func writeOutput(path string, stdout io.Writer, render func(io.Writer) error) error {
	if path == "" || path == "-" {
		return render(stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := render(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}

type reader struct {
	ctx          context.Context
	stderr       io.Writer
	since, until time.Time
	col          *collector
	bad, outside int64
	progress     bool
	shown        bool
	lastShow     time.Time
}

func (r *reader) readFile(name string, stdin io.Reader) error {
	in, source := stdin, "stdin"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in, source = f, name
	}
	er := event.NewReader(in, source)
	var ev event.Event
	for n := 0; ; n++ {
		if n&0xffff == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
			if r.progress && n > 0 {
				r.showProgress()
			}
		}
		err := er.Read(&ev)
		if err == io.EOF {
			return nil
		}
		var le *event.LineError
		if errors.As(err, &le) {
			r.bad++
			warnf(r.stderr, "%v", le)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: read: %w", source, err)
		}
		if !r.since.IsZero() || !r.until.IsZero() {
			if ev.Time.IsZero() || (!r.since.IsZero() && ev.Time.Before(r.since)) || (!r.until.IsZero() && !ev.Time.Before(r.until)) {
				r.outside++
				continue
			}
		}
		r.col.add(&ev)
	}
}

func (r *reader) showProgress() {
	now := time.Now()
	if now.Sub(r.lastShow) < 200*time.Millisecond {
		return
	}
	r.lastShow, r.shown = now, true
	fmt.Fprintf(r.stderr, "\r\033[Kbanreport: %d events, %d failures, %d bans, %d bad lines", r.col.events, r.col.failures, r.col.bans, r.bad)
}

func warnf(w io.Writer, format string, args ...any) {
	clirun.Warn(w, "banreport", format, args...)
}

// oneLine keeps s printable on one line (for titles and labels).
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
