// Package bancount implements the bancount command: fail2ban's decision half
// as a stream filter. It reads failure events (JSON Lines, see pkg/event) on
// standard input and writes ban and unban events on standard output.
//
// One process serves every jail: an event's "jail" picks its settings,
// from the flags or from a fail2ban jail configuration (--config). The state
// (bans, the increment history, the failure windows and the dedupe
// watermark) lives in --state and survives restarts; a control socket
// (--socket) answers `bancount status`, `bancount ban` and `bancount unban`.
//
// At the end of its input bancount writes its state and exits; bans still
// running stay in the state, and the next start re-emits them with
// "restored":true or unbans those that ended meanwhile. With the live clock,
// unbans fire on the wall clock while bancount runs, input or not.
package bancount

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
)

// Default paths.
const (
	DefaultState  = "/var/lib/banpipe/bancount.state"
	DefaultSocket = "/run/banpipe/bancount.sock"
)

// Main runs bancount with args (args[0] is the program name) and returns its exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return clirun.Run(ctx, newApp(stdin, stdout, stderr), args, stdin, stdout, stderr)
}

func socketFlag() cli.Flag {
	return &cli.StringFlag{Name: "socket", Value: DefaultSocket, EnvVars: []string{"BANCOUNT_SOCKET"},
		Usage: "control socket `PATH` (\"none\": no socket)"}
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "bancount",
		Usage: "decide bans from failure events, with fail2ban's rules",
		Description: `Reads failure events (JSON Lines, one per line, as logmatch writes them)
on standard input and writes ban and unban events on standard output.
One bancount serves every jail: an event's "jail" picks its settings, from
the flags or from --config. A bad line is reported as "stdin:LINE: reason"
and skipped.

State (--state): bans, the increment history, failure windows and the
re-scan watermark. At start, running bans are emitted again with
"restored":true and ended ones are unbanned. bancount exits at the end of
its input (a stream filter); bans still running wait in the state for the
next start. With --clock live (default) unbans fire on the wall clock while
bancount runs, input or not; with --clock log "now" is the newest event
time (replays, cron re-scans: the same lines are never counted twice).

Control (root only): bancount status [JAIL] [--json], bancount ban JAIL
IP|CIDR, bancount unban [JAIL] IP, bancount unban --all [JAIL]; the running
bancount emits the resulting events on its output.

Fleet mode (--fleet redis://HOST:PORT/DB): the hosts' bancounts count
failures in one shared window per address in Redis, and every host emits
the bans decided anywhere (and manual bans and unbans); while Redis does
not answer, each host decides from its local window and publishes its
bans when Redis is back. See bancount(1), FLEET MODE.

Exit status: 0 on success (also after bad input lines), 1 on a runtime
failure (state locked or unwritable, socket), 2 on a usage or configuration
error, 130 after SIGINT.`,
		UsageText: "bancount [options] < failures.jsonl > bans.jsonl\nbancount status [JAIL] [--json]\nbancount ban JAIL IP|CIDR|ID\nbancount unban [JAIL] IP | --all [JAIL]",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "maxretry", Value: 5, Usage: "failures that ban, within findtime"},
			&cli.IntFlag{Name: "maxmatches", Value: -1, DefaultText: "--maxretry",
				Usage: "log lines (the failures' matches) a window keeps and puts on its ban, the last ones (fail2ban's maxmatches; 0: none)"},
			&cli.StringFlag{Name: "findtime", Value: "10m", Usage: "the rate window (fail2ban time syntax: 600, 10m, 1h30m, 1d)"},
			&cli.StringFlag{Name: "bantime", Value: "10m", Usage: "ban length (fail2ban time syntax; -1: permanent)"},
			&cli.StringSliceFlag{Name: "ignoreip", Usage: "never ban these addresses, prefixes, host names or file:LISTs (repeatable)"},
			&cli.BoolFlag{Name: "ignoreself", Value: true, Usage: "never ban this machine's own addresses"},
			&cli.StringFlag{Name: "ignorecommand", Usage: "ignore an id when this command exits 0 (<ip> is passed as \"$1\")"},
			&cli.BoolFlag{Name: "bantime-increment", Usage: "lengthen the bans of repeat offenders"},
			&cli.Float64Flag{Name: "bantime-factor", Value: 1, Usage: "increment factor"},
			&cli.StringFlag{Name: "bantime-formula", Usage: "increment formula (fail2ban's Python expression subset)"},
			&cli.StringFlag{Name: "bantime-multipliers", Usage: "increment multipliers, e.g. \"1 2 4 8 16 32 64\""},
			&cli.StringFlag{Name: "bantime-maxtime", Usage: "longest incremented ban"},
			&cli.StringFlag{Name: "bantime-rndtime", Usage: "random seconds added to incremented bans"},
			&cli.BoolFlag{Name: "bantime-overalljails", Usage: "count bans of every jail for the increment"},
			&cli.IntFlag{Name: "ipv4-prefix", Usage: "count and ban IPv4 failures per prefix of `N` bits (0: per address, as fail2ban)"},
			&cli.IntFlag{Name: "ipv6-prefix", Usage: "count and ban IPv6 failures per prefix of `N` bits, e.g. 64 (0: per address)"},
			&cli.IntFlag{Name: "escalate-count", Usage: "ban a prefix when `N` distinct bans run inside it (0: never)"},
			&cli.IntFlag{Name: "escalate-ipv4-prefix", Value: 24, Usage: "the IPv4 prefix length escalation bans (0: IPv4 never escalates)"},
			&cli.IntFlag{Name: "escalate-ipv6-prefix", Value: 48, Usage: "the IPv6 prefix length escalation bans (0: IPv6 never escalates)"},
			&cli.StringFlag{Name: "escalate-bantime", Usage: "ban length of an escalated prefix (default: --bantime)"},
			&cli.StringFlag{Name: "clock", Value: "live", Usage: "\"live\" (wall clock) or \"log\" (now is the newest event time, never more than a minute ahead of the wall clock)"},
			&cli.StringFlag{Name: "state", Value: DefaultState, EnvVars: []string{"BANCOUNT_STATE"}, Usage: "state `PATH` (\"none\": keep nothing)"},
			socketFlag(),
			&cli.IntFlag{Name: "max-tracked", Value: 1_000_000, Usage: "most failure windows kept; the oldest is evicted first"},
			&cli.StringFlag{Name: "config", Usage: "fail2ban jail configuration `FILE` (jail.conf; jail.d/ and .local are read too)"},
			&cli.StringFlag{Name: "log", Usage: "write a fail2ban.log-style ban log to `FILE`, or \"syslog\""},
			&cli.StringFlag{Name: "metrics", EnvVars: []string{"BANCOUNT_METRICS"}, Usage: "serve Prometheus metrics at http://`ADDR`/metrics (e.g. 127.0.0.1:9432; default off)"},
			&cli.StringFlag{Name: "metrics-file", EnvVars: []string{"BANCOUNT_METRICS_FILE"}, Usage: "write the metrics to `PATH` at exit, atomically (node_exporter's textfile collector)"},
			&cli.Int64Flag{Name: "compact-at", Value: 256 << 20, Hidden: true,
				Usage: "journal size in bytes that starts a background compaction (tests)"},
			&cli.BoolFlag{Name: "check", Usage: "check the configuration, print one line per jail, and exit"},
			&cli.BoolFlag{Name: "dump", Usage: "print the resolved settings of every jail as JSON, and exit"},
		}, fleetFlags()...),
		Commands: []*cli.Command{
			{
				Name:      "status",
				Usage:     "show jails, failures being counted and bans of the running bancount",
				ArgsUsage: "[JAIL]",
				Flags: []cli.Flag{socketFlag(),
					&cli.StringFlag{Name: "state", Usage: "read the state `PATH` instead of asking a running bancount (for cron runs)"},
					&cli.StringFlag{Name: "clock", Value: "live", Usage: "with --state: \"live\" (time left from the wall clock) or \"log\" (from the newest event)"},
					&cli.BoolFlag{Name: "json", Usage: "print JSON"},
					&cli.IntFlag{Name: "windows", Value: 20, Usage: "failure windows to list per jail"}},
				Action: func(c *cli.Context) error {
					if err := clirun.CheckArgs(c); err != nil {
						return err
					}
					if c.NArg() > 1 {
						return clirun.Usagef("status takes at most one JAIL")
					}
					return clientStatus(c, c.Args().First())
				},
			},
			{
				Name:      "ban",
				Usage:     "ban an address, prefix or id in a jail now",
				ArgsUsage: "JAIL IP|CIDR|ID",
				Flags:     []cli.Flag{socketFlag()},
				Action: func(c *cli.Context) error {
					if err := clirun.CheckArgs(c); err != nil {
						return err
					}
					if c.NArg() != 2 {
						return clirun.Usagef("ban needs JAIL and IP")
					}
					return clientCall(c, request{Cmd: "ban", Jail: c.Args().Get(0), ID: c.Args().Get(1), Guard: sshPeers()})
				},
			},
			{
				Name:      "unban",
				Usage:     "end a ban now (in every jail when JAIL is not given)",
				ArgsUsage: "[JAIL] IP | --all [JAIL]",
				Flags:     []cli.Flag{socketFlag(), &cli.BoolFlag{Name: "all", Usage: "end every ban"}},
				Action: func(c *cli.Context) error {
					if err := clirun.CheckArgs(c); err != nil {
						return err
					}
					args := c.Args().Slice()
					switch {
					case c.Bool("all") && len(args) <= 1:
						return clientCall(c, request{Cmd: "unban", All: true, Jail: c.Args().First()})
					case c.Bool("all"):
						return clirun.Usagef("unban --all takes at most one JAIL")
					case len(args) == 1:
						return clientCall(c, request{Cmd: "unban", ID: args[0]})
					case len(args) == 2:
						return clientCall(c, request{Cmd: "unban", Jail: args[0], ID: args[1]})
					}
					return clirun.Usagef("unban needs [JAIL] IP, or --all")
				},
			},
		},
		Action: func(c *cli.Context) error {
			if err := clirun.CheckArgs(c); err != nil {
				return err
			}
			if c.NArg() > 0 {
				return clirun.Usagef("unexpected argument %q: bancount reads standard input", c.Args().First())
			}
			cfg, err := loadConfig(c)
			if err != nil {
				return clirun.Config(err)
			}
			switch {
			case c.Bool("check"):
				return check(c, cfg)
			case c.Bool("dump"):
				return dump(c, cfg)
			}
			return run(c.Context, c, cfg, stdin, stdout, stderr)
		},
	}
}

func warnf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "bancount: "+format+"\n", args...)
}
