// Package fwban implements the fwban command: it reads ban and unban events
// (JSON Lines, see package event) and applies them to the kernel firewall
// through a backend (package firewall), writing one result per event: the
// event it read plus "applied":true, or "applied":false and an "error".
//
// Events that arrive together (everything read before the input pauses, up
// to --batch events) are applied as one batch per jail. On iptables, where
// each batch of unbans lists and rebuilds the jail's chain, unbans wait
// for unbans to pause (--unban-linger, at most --unban-batch of them) and
// go as one batch; bans never wait behind them. Bans of loopback,
// the unspecified address, 0.0.0.0/0 and ::/0 (and any prefix overlapping
// them), of --ignoreip and of the client of the SSH session fwban runs
// under are refused with a result saying why.
//
// Subcommands: list, ban, unban and flush act on the firewall at once;
// list prints the bans held as ban events (bantime -1 where the kernel holds
// no timeout).
//
// --check reads and validates everything fwban would use (flags, the jail
// configuration of --config, each jail's settings and action.d files, the
// backends' tools and kernel features unless --no-kernel-check) and prints
// one line per jail, e.g. "sshd: nftables, ports 22, tcp, REJECT"; --dump
// prints the jails' resolved settings as one JSON object keyed by jail,
// with the action backend's commands rendered (ban tags left as tags).
// Neither reads events nor changes the firewall; any error is reported as
// "fwban: file:line: ..." with exit status 2.
//
// A ban event whose "until" has passed is applied for its bantime (a replay
// of old logs decides in log time), unless it was restored from state
// ("restored":true): then it is stale and not applied.
//
// # Exit status
//
//	0    every event was applied or refused by policy (safety, no address)
//	1    bad input lines, events not applied because of firewall errors,
//	     a backend that cannot work (missing tool or kernel feature), I/O
//	2    usage or configuration error
//	130  interrupted (SIGINT); SIGTERM stops in order (exit 0)
package fwban

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/app/bancount"
	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/firewall"
	"github.com/banpipe/banpipe/pkg/firewall/action"
	"github.com/banpipe/banpipe/pkg/ignore"
)

const name = "fwban"

// Main runs fwban with args (args[0] is the program name) and returns its exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// The netlink library (ipset) writes its own log lines about kernel
	// attributes it does not parse: nothing reaches stderr that is not
	// "fwban: ...".
	log.SetOutput(io.Discard)
	return clirun.Run(ctx, newApp(), args, stdin, stdout, stderr)
}

// Backend names accepted by --backend.
var backendNames = []string{"iptables", "ipset", "nftables", "action", "dry-run"}

// flags returns fresh definitions of the options shared by the stream and
// the subcommands (they may be given before or after the subcommand).
func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "backend", Aliases: []string{"b"}, Value: "iptables", EnvVars: []string{"FWBAN_BACKEND"},
			Usage: "firewall `BACKEND`: " + strings.Join(backendNames, ", ") + "; with --config, unless given, each jail's banaction or action chooses"},
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, EnvVars: []string{"FWBAN_CONFIG"},
			Usage: "fail2ban jail configuration `FILE` (jail.conf/jail.local): per-jail banaction, action, port, protocol, chain, blocktype, ignoreip"},
		&cli.StringFlag{Name: "ports", Aliases: []string{"port"}, Usage: "blocked `PORTS` (\"22,2222\", \"ssh\", \"1000:2000\"); default: all ports"},
		&cli.StringFlag{Name: "protocol", Value: "tcp", Usage: "`PROTOCOL` of the blocked ports: tcp, udp, sctp, dccp, all"},
		&cli.BoolFlag{Name: "allports", Usage: "block every port (overrides --ports)"},
		&cli.StringFlag{Name: "chain", Value: "INPUT", Usage: "iptables `CHAIN` hooking the jail chains"},
		&cli.StringFlag{Name: "blocktype", Value: "REJECT", Usage: "`VERDICT`: REJECT, DROP or \"REJECT --reject-with TYPE\""},
		&cli.DurationFlag{Name: "bantime", Value: firewall.DefaultBantime, Usage: "ban `LENGTH` for ban events that carry no bantime/until"},
		&cli.StringSliceFlag{Name: "ignoreip", Usage: "never ban `ADDR` (address, CIDR or host name; repeatable, or space separated)"},
		&cli.BoolFlag{Name: "flush-on-exit", Usage: "remove the chains, sets and rules fwban made when it stops (otherwise they stay)"},
		&cli.StringFlag{Name: "dry-run-output", Value: "-", Usage: "`FILE` the dry-run backend writes its commands to (- for standard error)"},
		&cli.StringSliceFlag{Name: "action", Usage: "fail2ban action `SPEC` NAME[key=value,...] for the action backend (repeatable)"},
		&cli.StringFlag{Name: "action-dir", Value: action.DefaultDir, Usage: "`DIR` of fail2ban action files"},
		&cli.DurationFlag{Name: "wait", Value: 10 * time.Second, Usage: "longest `WAIT` for the xtables lock per iptables command (then tried again, 3 times)"},
		&cli.StringFlag{Name: "iptables", Usage: "iptables `VARIANT`: legacy or nft (default: iptables as found in PATH)"},
		&cli.IntFlag{Name: "batch", Value: 10000, Usage: "apply at most `N` events per batch"},
		&cli.DurationFlag{Name: "unban-linger", Value: defaultUnbanLinger,
			Usage: "iptables: unbans wait until unbans pause for `D` (at most 25 × D), then go in one batch per jail (0: no wait)"},
		&cli.IntFlag{Name: "unban-batch", Value: defaultUnbanBatch, Usage: "iptables: at most `N` unbans wait (--unban-linger)"},
		&cli.StringFlag{Name: "metrics", EnvVars: []string{"FWBAN_METRICS"}, Usage: "serve Prometheus metrics at http://`ADDR`/metrics (e.g. 127.0.0.1:9433; default off)"},
		&cli.StringFlag{Name: "metrics-file", EnvVars: []string{"FWBAN_METRICS_FILE"}, Usage: "write the metrics to `PATH` at exit, atomically (node_exporter's textfile collector)"},
	}
}

// bancountFlags tell unban and flush where bancount keeps its bans, to
// warn about a ban that bancount will re-emit.
func bancountFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "bancount-socket", Value: bancount.DefaultSocket, EnvVars: []string{"BANCOUNT_SOCKET"},
			Usage: "control `SOCKET` of the bancount whose bans to check (\"none\": do not check)"},
		&cli.StringFlag{Name: "bancount-state", Value: bancount.DefaultState, EnvVars: []string{"BANCOUNT_STATE"},
			Usage: "bancount state `PATH` to check when no bancount answers on the socket (\"none\": do not check)"},
	}
}

func jailFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "jail", Aliases: []string{"j"}, Usage: usage}
}

func newApp() *cli.App {
	sub := func(c *cli.Command) *cli.Command {
		c.Flags = append(c.Flags, flags()...)
		return c
	}
	return &cli.App{
		// --action takes fail2ban's action syntax whole (commas inside
		// [...] and quotes); --ignoreip values are split by package ignore.
		DisableSliceFlagSeparator: true,
		Name:                      name,
		Usage:                     "apply ban and unban events to the kernel firewall",
		UsageText:                 "fwban [options] < events.jsonl\nfwban [options] --check|--dump\nfwban [options] list|ban|unban|flush [--jail JAIL] [ADDR...]",
		Flags: append(flags(),
			&cli.BoolFlag{Name: "check", Usage: "read and check the flags, the jail configuration, the actions and the backends' tools, print one line per jail, apply nothing"},
			&cli.BoolFlag{Name: "dump", Usage: "check as --check does, then print each jail's resolved settings (actions with their commands) as JSON"},
			&cli.BoolFlag{Name: "no-kernel-check", Usage: "with --check or --dump, check the configuration only, not the firewall tools and kernel features"},
		),
		Action: stream,
		Commands: []*cli.Command{
			sub(&cli.Command{Name: "list", Usage: "print the bans the firewall holds, as ban events", ArgsUsage: " ",
				Flags: []cli.Flag{jailFlag("only the bans of `JAIL`")}, Action: listCmd}),
			sub(&cli.Command{Name: "ban", Usage: "ban addresses or prefixes at once", ArgsUsage: "ADDR|CIDR...",
				Flags: []cli.Flag{jailFlag("`JAIL` to ban in (default: manual)")}, Action: banCmd}),
			sub(&cli.Command{Name: "unban", Usage: "unban addresses or prefixes at once (warns when bancount still holds the ban: use bancount unban)", ArgsUsage: "ADDR|CIDR...",
				Flags: append([]cli.Flag{jailFlag("`JAIL` to unban from (default: every jail holding it)")}, bancountFlags()...), Action: unbanCmd}),
			sub(&cli.Command{Name: "flush", Usage: "remove the chains, sets and rules of a jail (default: all)", ArgsUsage: " ",
				Flags: append([]cli.Flag{jailFlag("only `JAIL`")}, bancountFlags()...), Action: flushCmd}),
		},
	}
}

// lookup returns the value of flag n from the innermost context that set
// it, or the default.
func lookup[T any](c *cli.Context, n string, get func(*cli.Context, string) T) (T, bool) {
	for _, x := range c.Lineage() {
		if x.IsSet(n) {
			return get(x, n), true
		}
	}
	return get(c, n), false
}

// options are fwban's settings, read from the flags.
type options struct {
	backend      string
	backendSet   bool
	config       string
	jail         settingsFlags
	ignore       []string
	flushOnExit  bool
	dryRunOutput string
	actions      []string
	actionDir    string
	actionDirSet bool
	wait         time.Duration
	batch        int
	unbanLinger  time.Duration
	unbanBatch   int
	variant      string
}

// Unbans of iptables jails wait until unbans pause for defaultUnbanLinger
// (--unban-linger), at most defaultUnbanBatch of them (--unban-batch):
// see applier.later.
const (
	defaultUnbanLinger = 200 * time.Millisecond
	defaultUnbanBatch  = 100000
)

type settingsFlags struct {
	ports, protocol, chain, blocktype string
	allports                          bool
	bantime                           time.Duration
}

func readOptions(c *cli.Context) (*options, error) {
	str := func(n string) string { v, _ := lookup(c, n, (*cli.Context).String); return v }
	o := &options{}
	o.backend, o.backendSet = lookup(c, "backend", (*cli.Context).String)
	o.config = str("config")
	o.jail.ports = str("ports")
	o.jail.protocol = str("protocol")
	o.jail.chain = str("chain")
	o.jail.blocktype = str("blocktype")
	o.jail.allports, _ = lookup(c, "allports", (*cli.Context).Bool)
	o.jail.bantime, _ = lookup(c, "bantime", (*cli.Context).Duration)
	o.ignore, _ = lookup(c, "ignoreip", (*cli.Context).StringSlice)
	o.flushOnExit, _ = lookup(c, "flush-on-exit", (*cli.Context).Bool)
	o.dryRunOutput = str("dry-run-output")
	o.actions, _ = lookup(c, "action", (*cli.Context).StringSlice)
	o.actionDir, o.actionDirSet = lookup(c, "action-dir", (*cli.Context).String)
	o.wait, _ = lookup(c, "wait", (*cli.Context).Duration)
	o.batch, _ = lookup(c, "batch", (*cli.Context).Int)
	o.unbanLinger, _ = lookup(c, "unban-linger", (*cli.Context).Duration)
	o.unbanBatch, _ = lookup(c, "unban-batch", (*cli.Context).Int)
	o.variant = str("iptables")
	if err := firewall.CheckVariant(o.variant); err != nil {
		return nil, clirun.Usagef("--iptables: %v", err)
	}
	if !validBackend(o.backend) {
		return nil, clirun.Usagef("--backend %q: want one of %s", o.backend, strings.Join(backendNames, ", "))
	}
	if o.batch < 1 {
		return nil, clirun.Usagef("--batch %d: want at least 1", o.batch)
	}
	if o.unbanLinger < 0 {
		return nil, clirun.Usagef("--unban-linger %v: want 0 or more", o.unbanLinger)
	}
	if o.unbanBatch < 1 {
		return nil, clirun.Usagef("--unban-batch %d: want at least 1", o.unbanBatch)
	}
	if o.wait < time.Second {
		return nil, clirun.Usagef("--wait %v: want at least 1s", o.wait)
	}
	return o, nil
}

func validBackend(b string) bool {
	for _, n := range backendNames {
		if b == n {
			return true
		}
	}
	return false
}

// firewallSet holds the backends and the jails' settings.
type firewallSet struct {
	o        *options
	stderr   io.Writer
	guard    ignore.Guard
	backends map[string]firewall.Backend
	routes   map[string]*route
	closers  []io.Closer
	jails    map[string]*jailConf // from --config
	ctx      context.Context
	// adHoc is set for the subcommands (unban, flush) that act on what an
	// earlier fwban made: the action backend then takes every action as
	// started with bans in place (action.Config.AssumeStarted).
	adHoc bool
	met   *fwMetrics // nil: metrics off
}

// route is where a jail's events go.
type route struct {
	jail     string
	backend  firewall.Backend
	settings firewall.JailSettings
	guard    *ignore.Guard
	err      error
	touched  bool
	met      *routeMetrics // nil: metrics off
}

func newFirewallSet(ctx context.Context, o *options, stderr io.Writer, adHoc bool) (*firewallSet, error) {
	f := &firewallSet{o: o, stderr: stderr, backends: map[string]firewall.Backend{}, routes: map[string]*route{}, ctx: ctx, adHoc: adHoc}
	ig, err := parseIgnore(ctx, "--ignoreip", o.ignore, stderr)
	if err != nil {
		return nil, clirun.Usagef("%v", err)
	}
	f.guard.List = ig
	f.guard.Admin = ignore.SSHClients(os.Getenv("SSH_CONNECTION"), os.Getenv("SSH_CLIENT"))
	// The machine's own addresses (read again when older than
	// ignore.OwnTTL) are never banned, alone or inside a prefix, whatever
	// ignoreself says.
	f.guard.Self = ignore.NewOwn(nil, func(err error) {
		clirun.Warn(stderr, name, "reading this machine's addresses: %v (the last addresses read are protected)", err)
	})
	if o.config != "" {
		if f.jails, err = loadJails(o.config); err != nil {
			return nil, clirun.Config(err)
		}
		if err := startable(o.config, f.jails, func(err error, jail string) {
			clirun.Warn(stderr, name, "%v (jail %s skipped)", err, jail)
		}); err != nil {
			return nil, clirun.Config(err)
		}
	}
	for _, kind := range f.kinds(true) {
		b, err := f.backend(kind)
		if err != nil {
			f.Close()
			return nil, err
		}
		if err := b.Check(ctx); err != nil {
			f.Close()
			err = clirun.Failure(fmt.Errorf("backend %s: %w", b.Name(), err))
			if msg := err.Error(); kind != "action" && (strings.Contains(msg, "not found") || strings.Contains(msg, "ermission") || strings.Contains(msg, "not permitted")) {
				err = clirun.WithHint(err, "fwban changes the firewall: run it as root, with the backend's tools installed (or use --backend dry-run)")
			}
			return nil, err
		}
	}
	return f, nil
}

// kinds returns the backends in use: --backend when given or without a
// configuration, else those of the configured jails (the enabled ones only
// when enabled is true; --backend's when none).
func (f *firewallSet) kinds(enabled bool) []string {
	if f.o.backendSet || len(f.jails) == 0 {
		return []string{f.o.backend}
	}
	var ks []string
	if enabled {
		ks = enabledKinds(f.jails, f.kindOf)
	} else {
		all := map[string]*jailConf{}
		for n, j := range f.jails {
			c := *j
			c.enabled = true
			all[n] = &c
		}
		ks = enabledKinds(all, f.kindOf)
	}
	if len(ks) == 0 {
		return []string{f.o.backend}
	}
	return ks
}

// kindOf returns the backend of jail.
func (f *firewallSet) kindOf(jail string) string {
	if j, ok := f.jails[jail]; ok && !f.o.backendSet && (j.kind != "action" || len(j.actions) > 0) {
		return j.kind // a jail without action uses --backend
	}
	return f.o.backend
}

// backend returns the backend of kind, made at first use.
func (f *firewallSet) backend(kind string) (firewall.Backend, error) {
	if b, ok := f.backends[kind]; ok {
		return b, nil
	}
	cfg := firewall.IPTablesConfig{Wait: f.o.wait, Variant: f.o.variant}
	var b firewall.Backend
	switch kind {
	case "iptables":
		b = firewall.NewIPTables(cfg)
	case "ipset":
		b = firewall.NewIPSet(cfg)
	case "nftables":
		b = firewall.NewNFTables()
	case "dry-run":
		w := f.stderr
		if f.o.dryRunOutput != "" && f.o.dryRunOutput != "-" {
			file, err := os.Create(f.o.dryRunOutput)
			if err != nil {
				return nil, clirun.Failure(fmt.Errorf("--dry-run-output: %w", err))
			}
			f.closers = append(f.closers, file)
			w = file
		}
		b = firewall.NewDryRun(w)
	case "action":
		if len(f.o.actions) == 0 && !f.hasActionJails() {
			return nil, clirun.WithHint(clirun.Usagef("--backend action needs --action NAME[key=value,...]"),
				"for example: --action 'iptables-multiport[port=ssh]' or --action sendmail-whois")
		}
		cfg := action.Config{Dir: f.actionDir(), Actions: f.o.actions, StopOnClose: f.o.flushOnExit, Stdout: f.stderr,
			Jails: map[string]action.Jail{}, AssumeStarted: f.adHoc}
		for n, j := range f.jails {
			if f.kindOf(n) == "action" && len(j.actions) > 0 {
				cfg.Jails[n] = action.Jail{Actions: j.actions, Options: j.settings.Options}
			}
		}
		a, err := action.New(cfg)
		if err != nil {
			return nil, clirun.Config(err)
		}
		b = a
	default:
		return nil, clirun.Usagef("unknown backend %q", kind)
	}
	f.backends[kind] = b
	return b, nil
}

// actionDir returns the action.d directory: --action-dir when given, else
// the action.d beside --config's file (as logmatch reads filter.d there),
// else fail2ban's.
func (f *firewallSet) actionDir() string {
	if f.o.actionDirSet || f.o.config == "" {
		return f.o.actionDir
	}
	return filepath.Join(filepath.Dir(f.o.config), "action.d")
}

// setMetrics turns metrics on, also for the routes made so far.
func (f *firewallSet) setMetrics(m *fwMetrics) {
	f.met = m
	for j, r := range f.routes {
		if r.met == nil && r.err == nil {
			r.met = m.route(j, f.kindOf(j))
		}
	}
}

// route returns the route of jail.
func (f *firewallSet) route(jail string) *route {
	if r, ok := f.routes[jail]; ok {
		return r
	}
	if len(f.routes) >= maxJails {
		if _, ok := f.jails[jail]; !ok {
			return &route{jail: jail, err: fmt.Errorf("more than %d jails: refusing jail %q", maxJails, jail)}
		}
	}
	r := &route{jail: jail, guard: &f.guard}
	f.routes[jail] = r
	kind := f.kindOf(jail)
	r.met = f.met.route(jail, kind)
	if err := firewall.CheckJailName(f.object(jail)); err != nil && kind != "action" {
		r.err = err
		return r
	}
	s := firewall.JailSettings{
		Name: jail, Ports: f.o.jail.ports, Protocol: f.o.jail.protocol, Chain: f.o.jail.chain,
		Blocktype: f.o.jail.blocktype, Bantime: f.o.jail.bantime,
	}
	if f.o.jail.allports {
		s.Ports = ""
	}
	if j, ok := f.jails[jail]; ok && j.err != nil {
		r.err = j.err
		return r
	}
	if j, ok := f.jails[jail]; ok {
		s = j.settings
		if s.Bantime == 0 {
			s.Bantime = f.o.jail.bantime
		}
		if kind != "action" {
			s.Name = j.object // f2b-<name> (fail2ban's name= argument)
		}
		if len(j.ignore) > 0 {
			// One list of --ignoreip and the jail's ignoreip.
			ig, err := parseIgnore(f.ctx, "jail "+jail+": ignoreip", append(append([]string(nil), f.o.ignore...), j.ignore...), f.stderr)
			if err != nil {
				r.err = err
				return r
			}
			r.guard = &ignore.Guard{List: ig, Admin: f.guard.Admin, Self: f.guard.Self}
		}
	}
	r.settings = s
	r.backend, r.err = f.backend(kind)
	return r
}

// object returns the name of jail's chains and sets on the kernel
// backends: its name= argument from --config, else the jail's name.
func (f *firewallSet) object(jail string) string {
	if j, ok := f.jails[jail]; ok && j.object != "" {
		return j.object
	}
	return jail
}

// jailOfObject returns the jail whose kernel objects are named object
// (the inverse of object), for list: the jail's own name.
func (f *firewallSet) jailOfObject(kind, object string) string {
	if _, ok := f.jails[object]; ok && f.object(object) == object {
		return object
	}
	var names []string
	for n, j := range f.jails {
		if j.object == object && f.kindOf(n) == kind {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return object
	}
	sort.Strings(names)
	return names[0]
}

func (f *firewallSet) hasActionJails() bool {
	for n, j := range f.jails {
		if f.kindOf(n) == "action" && len(j.actions) > 0 {
			return true
		}
	}
	return false
}

// Close releases the backends; with --flush-on-exit it first removes what
// the touched jails made.
func (f *firewallSet) Close() error {
	var errs []error
	if f.o.flushOnExit {
		for _, r := range f.routes {
			if r.touched && r.backend != nil {
				if err := r.backend.Flush(context.Background(), r.jail); err != nil {
					errs = append(errs, fmt.Errorf("flush jail %s: %w", r.jail, err))
				}
			}
		}
	}
	for _, b := range f.backends {
		if err := b.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range f.closers {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// maxBantime is the longest bantime of an event, in seconds (292 years):
// a longer one is taken as this long.
const maxBantime = int64(math.MaxInt64 / int64(time.Second))

// maxJails bounds the jails fwban keeps settings for: the events of
// further jails are refused, so that input naming ever new jails cannot
// make fwban create chains and sets without end.
const maxJails = 1000

// banOf converts an event into a firewall ban.
func banOf(e *event.Event) firewall.Ban {
	b := firewall.Ban{
		Jail: e.Jail, Prefix: e.IP, Until: e.Until, Time: e.Time,
		Failures: e.Failures, Bancount: e.Bancount, Restored: e.Restored, Matches: e.Matches,
	}
	switch {
	case e.Bantime < 0:
		b.Bantime = -1
	case e.Bantime > maxBantime:
		b.Bantime = time.Duration(maxBantime) * time.Second // (longer would overflow)
	case e.Bantime > 0:
		b.Bantime = time.Duration(e.Bantime) * time.Second
	}
	if len(e.Captures) == 0 && e.Host == "" && e.Filter == "" && len(e.Users) == 0 {
		return b // no map per event of a storm that has nothing to put in it
	}
	b.Captures = make(map[string]string, len(e.Captures)+3)
	for k, v := range e.Captures {
		b.Captures[k] = v
	}
	if e.Host != "" {
		b.Captures["host"] = e.Host
	}
	if e.Filter != "" {
		b.Captures["filter"] = e.Filter
	}
	if len(e.Users) > 0 {
		b.Captures["users"] = strings.Join(e.Users, ",")
	}
	return b
}
