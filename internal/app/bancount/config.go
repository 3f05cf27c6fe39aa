package bancount

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/banformula"
	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/ignore"
)

// config is the resolved configuration of a run.
type config struct {
	clockLog   bool
	state      string
	socket     string
	socketSet  bool // --socket given: failing to listen is an error
	logTarget  string
	maxTracked int
	compactAt  int64
	fleet      fleetConfig
	defaults   *jailSpec            // from the flags: jails not in the configuration
	jails      map[string]*jailSpec // from --config
	order      []string
	broken     map[string]error // enabled jails of --config that cannot start
	path       string           // --config
	warn       func(string)
}

// jailSpec is one jail's resolved settings.
type jailSpec struct {
	Name          string
	Settings      bans.Settings
	Formula       string
	IgnoreIP      []string
	IgnoreSelf    bool
	IgnoreCommand string
	list          *ignore.List
	guard         *ignore.Guard
}

func parseTimeFlag(name, v string) (time.Duration, error) {
	d, err := f2bconf.ParseTime(v)
	if err != nil {
		return 0, fmt.Errorf("--%s: %v", name, err)
	}
	return d, nil
}

func loadConfig(c *cli.Context) (*config, error) {
	cfg := &config{
		state: c.String("state"), socket: c.String("socket"), socketSet: c.IsSet("socket"), logTarget: c.String("log"),
		maxTracked: c.Int("max-tracked"), compactAt: c.Int64("compact-at"), jails: map[string]*jailSpec{}, broken: map[string]error{},
	}
	switch c.String("clock") {
	case "live":
	case "log":
		cfg.clockLog = true
	default:
		return nil, fmt.Errorf("--clock: %q is not live or log", c.String("clock"))
	}
	if cfg.maxTracked < 1 {
		return nil, fmt.Errorf("--max-tracked: must be at least 1")
	}
	d := &jailSpec{Name: "default", IgnoreIP: c.StringSlice("ignoreip"), IgnoreSelf: c.Bool("ignoreself"),
		IgnoreCommand: c.String("ignorecommand"), Formula: c.String("bantime-formula")}
	s := &d.Settings
	s.MaxRetry = c.Int("maxretry")
	if s.MaxRetry < 1 {
		return nil, fmt.Errorf("--maxretry: must be at least 1")
	}
	s.MaxMatches = c.Int("maxmatches")
	if !c.IsSet("maxmatches") || s.MaxMatches < 0 {
		s.MaxMatches = s.MaxRetry
	}
	var err error
	if s.FindTime, err = parseTimeFlag("findtime", c.String("findtime")); err != nil {
		return nil, err
	}
	if s.FindTime <= 0 {
		return nil, fmt.Errorf("--findtime: must be positive")
	}
	if s.BanTime, err = parseTimeFlag("bantime", c.String("bantime")); err != nil {
		return nil, err
	}
	in := &s.Increment
	in.Enabled = c.Bool("bantime-increment")
	in.Factor = c.Float64("bantime-factor")
	in.OverallJails = c.Bool("bantime-overalljails")
	if v := c.String("bantime-multipliers"); v != "" {
		if in.Multipliers, err = parseMultipliers(v); err != nil {
			return nil, fmt.Errorf("--bantime-multipliers: %v", err)
		}
	}
	if v := c.String("bantime-maxtime"); v != "" {
		if in.MaxTime, err = parseTimeFlag("bantime-maxtime", v); err != nil {
			return nil, err
		}
	}
	if v := c.String("bantime-rndtime"); v != "" {
		if in.RndTime, err = parseTimeFlag("bantime-rndtime", v); err != nil {
			return nil, err
		}
	}
	if d.Formula != "" {
		f, err := banformula.Compile(d.Formula)
		if err != nil {
			return nil, fmt.Errorf("--bantime-formula: %v", err)
		}
		in.Formula = f
	}
	if err := prefixFlags(c, s); err != nil {
		return nil, err
	}
	cfg.defaults = d
	if cfg.fleet, err = loadFleetConfig(c); err != nil {
		return nil, err
	}
	if p := c.String("config"); p != "" {
		if err := loadJailConf(cfg, p); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// prefixFlags reads the prefix counting and escalation flags into s.
func prefixFlags(c *cli.Context, s *bans.Settings) error {
	for _, f := range []struct {
		name string
		max  int
		dst  *int
	}{
		{"ipv4-prefix", 32, &s.IPv4Prefix}, {"ipv6-prefix", 128, &s.IPv6Prefix},
		{"escalate-ipv4-prefix", 32, &s.Escalate.IPv4Prefix}, {"escalate-ipv6-prefix", 128, &s.Escalate.IPv6Prefix},
		{"escalate-count", 1 << 20, &s.Escalate.Count},
	} {
		n := c.Int(f.name)
		if n < 0 || n > f.max {
			return fmt.Errorf("--%s: %d is not between 0 and %d", f.name, n, f.max)
		}
		*f.dst = n
	}
	if v := c.String("escalate-bantime"); v != "" {
		d, err := parseTimeFlag("escalate-bantime", v)
		if err != nil {
			return err
		}
		s.Escalate.BanTime = d
	}
	return nil
}

func parseMultipliers(v string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Fields(v) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, x)
	}
	return out, nil
}

// build makes the ignore lists; warn receives resolver and command problems.
func (cfg *config) build(warn func(string)) error {
	cfg.warn = warn
	all := []*jailSpec{cfg.defaults}
	for _, n := range cfg.order {
		all = append(all, cfg.jails[n])
	}
	// What no ban may cover, alone or inside a prefix: the admin's SSH
	// client and the machine's own addresses (read again when older than
	// ignore.OwnTTL), with each jail's ignore list.
	admin := ignore.SSHClients(os.Getenv("SSH_CONNECTION"), os.Getenv("SSH_CLIENT"))
	self := ignore.NewOwn(nil, func(err error) {
		warn(fmt.Sprintf("reading this machine's addresses: %v (the last addresses read are protected)", err))
	})
	for _, js := range all {
		l, err := ignore.New(js.IgnoreIP, ignore.Options{Self: js.IgnoreSelf, Command: js.IgnoreCommand, Warn: warn})
		if err != nil {
			return fmt.Errorf("jail %s: %w", js.Name, err)
		}
		js.list = l
		js.guard = &ignore.Guard{List: l, Admin: admin, Self: self}
	}
	return nil
}

// spec returns the settings of jail name.
func (cfg *config) spec(name string) *jailSpec {
	if js := cfg.jails[name]; js != nil {
		return js
	}
	return cfg.defaults
}

func (cfg *config) engineJail(name string) *bans.Jail {
	js := cfg.spec(name)
	j := &bans.Jail{Settings: js.Settings, Guard: js.guard}
	if js.list != nil {
		j.Ignore = js.list
	}
	return j
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "-1"
	}
	return strconv.FormatInt(int64(d/time.Second), 10)
}

func (js *jailSpec) summary() string {
	s := &js.Settings
	inc := "off"
	if s.Increment.Enabled {
		inc = "on"
	}
	n := len(js.IgnoreIP)
	if js.list != nil {
		n = len(js.list.Entries())
	}
	pfx := ""
	if s.IPv4Prefix > 0 || s.IPv6Prefix > 0 {
		pfx += fmt.Sprintf(", counted per prefix /%d /%d", s.IPv4Prefix, s.IPv6Prefix)
	}
	if e := s.Escalate; e.Count > 0 {
		pfx += fmt.Sprintf(", escalate %d bans to /%d /%d for %s", e.Count, e.IPv4Prefix, e.IPv6Prefix, fmtDur(escalateBantime(s)))
	}
	return fmt.Sprintf("%s: maxretry %d, findtime %s, bantime %s, increment %s, ignoreip %d entries%s",
		js.Name, s.MaxRetry, fmtDur(s.FindTime), fmtDur(s.BanTime), inc, n, pfx)
}

func escalateBantime(s *bans.Settings) time.Duration {
	if s.Escalate.BanTime != 0 {
		return s.Escalate.BanTime
	}
	return s.BanTime
}

// check prints one line per jail: its settings, or "JAIL: error: ..."
// for a jail that cannot start (exit 2 then, as logmatch --check).
func check(c *cli.Context, cfg *config) error {
	if err := cfg.build(func(string) {}); err != nil {
		return clirun.Config(err)
	}
	w := c.App.Writer
	if len(cfg.order) == 0 && len(cfg.broken) == 0 {
		fmt.Fprintln(w, cfg.defaults.summary())
	}
	names := append(cfg.brokenNames(), cfg.order...)
	sort.Strings(names)
	for _, n := range names {
		if err := cfg.broken[n]; err != nil {
			fmt.Fprintf(w, "%s: error: %v\n", n, err)
			continue
		}
		fmt.Fprintln(w, cfg.jails[n].summary())
	}
	if len(cfg.broken) > 0 {
		return clirun.Silent{Code: clirun.ExitUsage}
	}
	return nil
}

type dumpJail struct {
	Jail          string    `json:"jail"`
	MaxRetry      int       `json:"maxretry"`
	FindTime      int64     `json:"findtime"`
	BanTime       int64     `json:"bantime"`
	Increment     bool      `json:"bantime.increment"`
	Factor        float64   `json:"bantime.factor"`
	Formula       string    `json:"bantime.formula,omitempty"`
	Multipliers   []float64 `json:"bantime.multipliers,omitempty"`
	MaxTime       int64     `json:"bantime.maxtime,omitempty"`
	RndTime       int64     `json:"bantime.rndtime,omitempty"`
	OverallJails  bool      `json:"bantime.overalljails"`
	IgnoreIP      []string  `json:"ignoreip"`
	IgnoreSelf    bool      `json:"ignoreself"`
	IgnoreCommand string    `json:"ignorecommand,omitempty"`
	IPv4Prefix    int       `json:"ipv4prefix,omitempty"`
	IPv6Prefix    int       `json:"ipv6prefix,omitempty"`
	EscCount      int       `json:"escalate.count,omitempty"`
	EscIPv4       int       `json:"escalate.ipv4prefix,omitempty"`
	EscIPv6       int       `json:"escalate.ipv6prefix,omitempty"`
	EscBantime    int64     `json:"escalate.bantime,omitempty"`
}

func dump(c *cli.Context, cfg *config) error {
	if err := cfg.build(func(string) {}); err != nil {
		return clirun.Config(err)
	}
	if err := cfg.startable(func(msg string) { warnf(c.App.ErrWriter, "%s", msg) }); err != nil {
		return clirun.Config(err)
	}
	var out []dumpJail
	list := []*jailSpec{cfg.defaults}
	if len(cfg.order) > 0 {
		list = nil
		for _, n := range cfg.order {
			list = append(list, cfg.jails[n])
		}
	}
	for _, js := range list {
		s := &js.Settings
		f := s.Increment.Factor
		if f == 0 {
			f = 1
		}
		out = append(out, dumpJail{Jail: js.Name, MaxRetry: s.MaxRetry, FindTime: int64(s.FindTime / time.Second),
			BanTime: int64(s.BanTime / time.Second), Increment: s.Increment.Enabled, Factor: f, Formula: js.Formula,
			Multipliers: s.Increment.Multipliers, MaxTime: int64(s.Increment.MaxTime / time.Second),
			RndTime: int64(s.Increment.RndTime / time.Second), OverallJails: s.Increment.OverallJails,
			IgnoreIP: append([]string{}, js.list.Entries()...), IgnoreSelf: js.IgnoreSelf, IgnoreCommand: js.IgnoreCommand})
		if s.BanTime < 0 {
			out[len(out)-1].BanTime = -1
		}
		dj := &out[len(out)-1]
		dj.IPv4Prefix, dj.IPv6Prefix = s.IPv4Prefix, s.IPv6Prefix
		if e := s.Escalate; e.Count > 0 {
			dj.EscCount, dj.EscIPv4, dj.EscIPv6 = e.Count, e.IPv4Prefix, e.IPv6Prefix
			dj.EscBantime = int64(escalateBantime(s) / time.Second)
			if escalateBantime(s) < 0 {
				dj.EscBantime = -1
			}
		}
	}
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
