// Package logmatch implements the logmatch command: it reads log text and
// writes one JSON failure event per failure a fail2ban filter finds.
package logmatch

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/internal/metrics"
	"github.com/banpipe/banpipe/pkg/filter"
)

// Main runs logmatch with args (args[0] is the program name) and returns its exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	tuneGC()
	return clirun.Run(ctx, newApp(stdin, stdout, stderr), args, stdin, stdout, stderr)
}

const usageText = `logmatch [OPTIONS] [FILE...]
   logmatch --config JAIL.CONF [--jail NAME]... [--follow] [--positions FILE]

   Reads log lines from the FILEs (or standard input; "-" is standard input)
   and writes one JSON failure event per failure on standard output:

     {"time":"...","jail":"sshd","filter":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"attempts":1,"user":"root"}

   Filters are fail2ban filter.d files (read unchanged) or banpipe's built-in
   ones: -f sshd, -f 'sshd[mode=aggressive]', -f /etc/fail2ban/filter.d/sshd.conf.
   Without a filter, -e/--regex gives failregexes directly ('Failed .* from <HOST>').

   With --config and no FILE, every enabled jail of a fail2ban configuration
   runs at once on its own logpath files (globs included) or, for backend =
   systemd, its journal (journalctl -o json with its journalmatch); each
   event carries its jail. A jail that cannot start is reported with its
   file and line and skipped. --follow keeps reading as tail -F and
   journalctl -f do; --positions FILE goes on where the last run stopped.
   --check prints one line per jail with its sources (exit 2: a broken jail).

   Line numbers count on across FILEs. Diagnostics go to standard error as
   "logmatch: FILE:LINE: ..." lines; a bad line is counted and skipped.

   Environment: each option can also be set through the variable shown after
   it, e.g. LOGMATCH_FILTER=sshd; a flag wins over its variable. TZ (a zone
   name or a POSIX rule such as CET-01CEST-02,M3.5.0,M10.5.0) is the zone of
   timestamps that carry none.

   Exit status: 0 on success, 1 when input could not be read, 2 for a usage
   or configuration error (bad option, unknown filter, bad regex).`

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "logmatch",
		Usage:     "find fail2ban filter failures in log text, as JSON events",
		UsageText: usageText,
		ArgsUsage: "[FILE...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "filter", Aliases: []string{"f"}, Usage: "filter `SPEC`: NAME or PATH.conf, optionally with [key=value, ...]", EnvVars: []string{"LOGMATCH_FILTER"}},
			&cli.StringFlag{Name: "filter-dir", Usage: "look filter NAMEs up in `DIR` first, then among the built-in filters", EnvVars: []string{"LOGMATCH_FILTER_DIR"}},
			&cli.StringFlag{Name: "config", Usage: "read every enabled jail of fail2ban configuration `JAIL.CONF` (its filter, logpath, backend, ...)", EnvVars: []string{"LOGMATCH_CONFIG"}},
			&cli.StringSliceFlag{Name: "jail", Usage: "jail `NAME` of the events (default: the filter's name); with --config, only this jail (repeatable)", EnvVars: []string{"LOGMATCH_JAIL"}},
			&cli.StringSliceFlag{Name: "regex", Aliases: []string{"e"}, Usage: "a failregex `REGEX` (repeatable; added after the filter's)", EnvVars: []string{"LOGMATCH_REGEX"}},
			&cli.StringSliceFlag{Name: "ignore-regex", Usage: "an ignoreregex `REGEX` (repeatable)", EnvVars: []string{"LOGMATCH_IGNORE_REGEX"}},
			&cli.StringFlag{Name: "datepattern", Usage: "fail2ban datepattern `PATTERN` instead of the filter's", EnvVars: []string{"LOGMATCH_DATEPATTERN"}},
			&cli.IntFlag{Name: "maxlines", Usage: "`N` lines buffered for multi-line failregexes, instead of the filter's", EnvVars: []string{"LOGMATCH_MAXLINES"}},
			&cli.StringFlag{Name: "usedns", Usage: "`MODE` for host names: yes, warn, no or raw (default: the filter's, else warn)", EnvVars: []string{"LOGMATCH_USEDNS"}},
			&cli.DurationFlag{Name: "dns-timeout", Value: filter.DefaultDNSTimeout, Usage: "deadline `DURATION` of one host name look-up (usedns yes and warn); a name without an answer in time gives no address", EnvVars: []string{"LOGMATCH_DNS_TIMEOUT"}},
			&cli.StringFlag{Name: "now", Usage: "`TIME` (RFC 3339) taken as \"now\" for year-less dates and lines without one; default the clock", EnvVars: []string{"LOGMATCH_NOW"}},
			&cli.StringFlag{Name: "logtimezone", Usage: "`ZONE` of timestamps that carry none (UTC, UTC+0200, Europe/Paris); default TZ", EnvVars: []string{"LOGMATCH_LOGTIMEZONE"}},
			&cli.StringFlag{Name: "input", Value: "text", Usage: "input `FORMAT`: text, or journal-json (journalctl -o json)", EnvVars: []string{"LOGMATCH_INPUT"}},
			&cli.DurationFlag{Name: "timeout", Value: time.Second, Usage: "match timeout `DURATION` of one regex on one line", EnvVars: []string{"LOGMATCH_TIMEOUT"}},
			&cli.BoolFlag{Name: "stats", Usage: "print counts on standard error at the end: lines, matched, ignored, missed, hits per regex and date template", EnvVars: []string{"LOGMATCH_STATS"}},
			&cli.BoolFlag{Name: "print-missed", Usage: "print lines no failregex matched on standard error", EnvVars: []string{"LOGMATCH_PRINT_MISSED"}},
			&cli.BoolFlag{Name: "print-ignored", Usage: "print lines an ignoreregex dropped on standard error", EnvVars: []string{"LOGMATCH_PRINT_IGNORED"}},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"F"}, Usage: "keep reading the FILEs (or, with --config, every jail's logs and journal) as tail -F and journalctl -f do", EnvVars: []string{"LOGMATCH_FOLLOW"}},
			&cli.StringFlag{Name: "positions", Usage: "remember in `FILE` how far each log and journal was read, and go on from there at the next start", EnvVars: []string{"LOGMATCH_POSITIONS"}},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.NumCPU(), Usage: "match FILE arguments on `N` cores (the output is the same, in order; multi-line filters use one)", EnvVars: []string{"LOGMATCH_JOBS"}},
			&cli.DurationFlag{Name: "poll-interval", Value: time.Second, Usage: "`DURATION` between checks of polled logs (backend = polling, or where inotify is not available)", EnvVars: []string{"LOGMATCH_POLL_INTERVAL"}},
			&cli.StringFlag{Name: "metrics", Usage: "serve Prometheus metrics at http://`ADDR`/metrics (e.g. 127.0.0.1:9431; default off)", EnvVars: []string{"LOGMATCH_METRICS"}},
			&cli.StringFlag{Name: "metrics-file", Usage: "write the metrics to `PATH` at exit, atomically (node_exporter's textfile collector)", EnvVars: []string{"LOGMATCH_METRICS_FILE"}},
			&cli.BoolFlag{Name: "list-filters", Usage: "list the built-in filters and exit"},
			&cli.StringFlag{Name: "show-filter", Usage: "print built-in filter `NAME` (a fail2ban filter.d file) and exit"},
			&cli.BoolFlag{Name: "check", Usage: "read and compile the filter, print a one-line summary and exit (2 on error)"},
			&cli.BoolFlag{Name: "dump", Usage: "print the resolved filter (regexes after interpolation) as JSON and exit"},
		},
		Action: func(c *cli.Context) error {
			if err := clirun.CheckArgs(c); err != nil {
				return err
			}
			o, err := readOptions(c)
			if err != nil {
				return err
			}
			if o.check || o.dump || o.listFilters || o.showFilter != "" {
				return run(c.Context, o, stdin, stdout, stderr)
			}
			exp, err := metrics.New(o.metricsAddr, o.metricsFile)
			if err != nil {
				return clirun.Usagef("%v", err)
			}
			exp.Announce(stderr, "logmatch")
			o.metrics = newMetrics(exp.Registry())
			err = run(c.Context, o, stdin, stdout, stderr)
			if cerr := exp.Close(); cerr != nil && err == nil {
				err = clirun.Failure(cerr)
			}
			return err
		},
	}
}

// tuneGC trades a little memory for CPU: logmatch's live heap is a few
// MiB, so the default GOGC=100 collects very often. GOGC=400 with a 20 MiB
// soft limit keeps the peak RSS under 30 MiB and cuts about a quarter of
// the CPU time on a large log. GOGC and GOMEMLIMIT in the environment win.
// memoryLimit is the soft memory limit of tuneGC (per source followed,
// perSourceMemory more).
const memoryLimit = 20 << 20

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func warnf(w io.Writer, format string, args ...any) {
	clirun.Warn(w, "logmatch", format, args...)
}

// oneLine makes a log line printable on one diagnostic line.
func oneLine(s string) string {
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
