// Package jailconf reads fail2ban's jail configuration (jail.conf,
// jail.d/, jail.local) with fail2ban's semantics, for banpipe's tools: a
// [Set] of jails, each a [Jail] with its settings typed and resolved.
//
// # Files
//
// [Load] of /etc/fail2ban/jail.conf reads, as fail2ban's JailsReader does,
// jail.conf (with its [INCLUDES], e.g. paths-debian.conf), jail.d/*.conf
// in sorted order, jail.local, then jail.d/*.local, each file's values
// replacing earlier ones; [DEFAULT] supplies every jail's missing options.
// Given any other file (a jail.local, a test file), Load reads that file
// with its includes and its .local. The dialect is package f2bconf's.
//
// # Jails
//
// Every section but [INCLUDES], [Definition] and [Init] is a jail. Its
// options are read with %(name)s interpolation (%(__name__)s is the
// jail's name). The settings fail2ban itself reads are typed:
//
//	enabled           bool (1/on/true/yes; 0/off/false/no/empty), default false
//	filter            "name[key=value, ...]", default the jail's name
//	action            entries split as fail2ban does, each name[args]
//	maxretry          int, default 3 (fail2ban's server default; jail.conf sets 5)
//	findtime          fail2ban time ("10m"), default 10m
//	bantime           fail2ban time, negative = permanent, default 10m
//	bantime.increment bool, with .factor (number), .formula (text),
//	                  .multipliers (integers), .maxtime and .rndtime (times),
//	                  .overalljails (bool)
//	ignoreip          list split on spaces, commas and newlines
//	ignoreself        bool, default true
//	ignorecommand     text
//	ignorecache       key=<ip>, max-count=N (default 100), max-time=TIME (default 5m)
//	maxmatches        int, default 0 (not set)
//	ipv4prefix        int 0-32, default 0: count (and ban) IPv4 failures per
//	                  prefix of that length (banpipe's; 0 or 32: per address)
//	ipv6prefix        int 0-128, default 0: the same for IPv6 (64: per /64)
//	escalate.count    int, default 0 (off): distinct bans inside one prefix
//	                  that ban the prefix, with .ipv4prefix and .ipv6prefix
//	                  (ints, 0: that family never escalates) and .bantime
//	                  (time, default the jail's bantime) (banpipe's)
//	backend           text, default "auto" (added to Options)
//	logpath           one path a line (with an optional " head"/" tail")
//
// A bad value is an error naming the file and line of the option, as is a
// jail that cannot be resolved. [Load] fails for an error in an enabled
// jail (or an unreadable enabled); a disabled jail's error is returned
// when the jail is asked for by [Set.Jail], as fail2ban only reads the
// jails it starts.
package jailconf

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/banpipe/banpipe/pkg/f2bconf"
)

// Defaults fail2ban's server applies when a jail (and [DEFAULT]) does not
// set an option.
const (
	DefaultMaxRetry = 3
	DefaultFindTime = 10 * time.Minute
	DefaultBanTime  = 10 * time.Minute
	// DefaultFormula is the bantime.formula fail2ban uses when
	// bantime.increment is on and neither formula nor multipliers are set.
	DefaultFormula = "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor"
	// Fail2banVersion is the value of %(fail2ban_version)s: the fail2ban
	// release whose semantics banpipe follows.
	Fail2banVersion = "1.0.2"
)

// Set is a loaded jail configuration.
type Set struct {
	path  string
	cfg   *f2bconf.Config
	names []string
	// enabled lists the enabled jails, broken ones included.
	enabled []string
	jails   map[string]*Jail
	errs    map[string]error
}

// Jail is one jail's settings, resolved.
type Jail struct {
	Name    string
	Enabled bool
	// Filter is the filter spec as written after interpolation, e.g.
	// "sshd[mode=aggressive]" (jail.conf's default is
	// "%(__name__)s[mode=%(mode)s]"); FilterName and FilterArgs are its
	// parts (ParseSpec).
	Filter     string
	FilterName string
	FilterArgs map[string]string
	// Options holds every option of the jail and of [DEFAULT] after
	// %(x)s interpolation. An option fail2ban does not read itself whose
	// interpolation fails (jail.conf's action_cf_mwl without cfemail, a
	// failregex with %(known/failregex)s that only the filter can give)
	// is left out; Set.Config can resolve it with more values.
	Options   map[string]string
	MaxRetry  int
	FindTime  time.Duration
	BanTime   time.Duration // negative: permanent (f2bconf.Permanent)
	Increment Increment
	IgnoreIP  []string
	// IgnoreSelf is fail2ban's ignoreself: ignore the machine's own
	// addresses (default true).
	IgnoreSelf    bool
	IgnoreCommand string
	// IgnoreCache is the parsed ignorecache option (a cache of
	// ignorecommand's answers), nil when not set.
	IgnoreCache *IgnoreCache
	// IPv4Prefix and IPv6Prefix are banpipe's ipv4prefix and ipv6prefix:
	// failures inside one prefix of that length count (and are banned) as
	// one id; 0 means per address.
	IPv4Prefix, IPv6Prefix int
	// Escalate holds banpipe's escalate.* options.
	Escalate Escalate
	// MaxMatches is maxmatches (failure lines kept per address), 0 when not
	// set (jail.conf sets it to %(maxretry)s).
	MaxMatches int
	// LogPaths are the logpath lines (globs, possibly followed by " head"
	// or " tail").
	LogPaths []string
	// Actions are the `action` entries in order.
	Actions []Action
	// Source is "file:line" of the jail's first section header.
	Source string
}

// Escalate is banpipe's escalation of a jail: a prefix (IPv4Prefix or
// IPv6Prefix bits) is banned for BanTime when Count distinct bans run
// inside it. Count 0 is off; BanTime 0 means the jail's bantime.
type Escalate struct {
	Count                  int
	IPv4Prefix, IPv6Prefix int
	BanTime                time.Duration
}

// Action is one entry of a jail's `action` option, e.g.
// iptables-multiport[name=sshd, port="ssh", protocol="tcp"].
type Action struct {
	Name string            // e.g. "iptables-multiport" (an action.d file, or NAME.py)
	Args map[string]string // the [key=value, ...] arguments, never nil
	Spec string            // the entry as written, after %(x)s interpolation
}

// IgnoreCache is fail2ban's ignorecache option, e.g.
// "key=<ip>, max-count=100, max-time=5m".
type IgnoreCache struct {
	Key      string        // the cache key, a tag template such as "<ip>"
	MaxCount int           // max-count, default 100
	MaxTime  time.Duration // max-time, default 5m
}

// Increment holds the bantime.* options.
type Increment struct {
	Enabled bool    // bantime.increment
	Factor  float64 // bantime.factor, default 1
	// Formula is bantime.formula as written (a Python expression over
	// ban.Time, ban.Count and banFactor); empty when not set
	// (DefaultFormula then applies).
	Formula      string
	Multipliers  []int         // bantime.multipliers
	MaxTime      time.Duration // bantime.maxtime; 0: not set
	RndTime      time.Duration // bantime.rndtime; 0: not set
	OverallJails bool          // bantime.overalljails
}

// Load reads a jail configuration: path (e.g. /etc/fail2ban/jail.conf),
// then jail.d/*.conf (sorted), jail.local and jail.d/*.local beside it,
// as fail2ban's JailsReader does; for a path not ending in ".conf" (a
// jail.local, any single file), that file with its includes and .local.
func Load(path string) (*Set, error) {
	return LoadOptions(path, nil)
}

// LoadOptions is Load reading through opts (an fs.FS, no .local files).
func LoadOptions(path string, opts *f2bconf.Options) (*Set, error) {
	return load(path, opts, false)
}

// LoadEach is Load that keeps going past broken jails, as fail2ban skips
// a jail it cannot start ("Errors in jail 'X'. Skipping..."): it fails
// only when the files cannot be read; [Set.EnabledNames] lists the
// enabled jails, broken or not, and [Set.Jail] returns a broken jail's
// error.
func LoadEach(path string) (*Set, error) {
	return load(path, nil, true)
}

func load(path string, opts *f2bconf.Options, keepGoing bool) (*Set, error) {
	cfg, err := f2bconf.Read(path, opts)
	if err != nil {
		return nil, err
	}
	cfg.SetDefault("fail2ban_version", Fail2banVersion)
	cfg.SetDefault("fail2ban_confpath", filepath.Dir(path))
	s := &Set{path: path, cfg: cfg, jails: make(map[string]*Jail), errs: make(map[string]error)}
	var first error
	for _, name := range cfg.Sections() {
		switch name {
		case "Definition", "Init":
			continue
		}
		s.names = append(s.names, name)
		j, err := s.build(name)
		if j != nil && j.Enabled {
			s.enabled = append(s.enabled, name)
		}
		if err != nil {
			s.errs[name] = err
			if first == nil && j != nil && j.Enabled {
				first = err
			}
			continue
		}
		s.jails[name] = j
	}
	if first != nil && !keepGoing {
		return nil, first
	}
	return s, nil
}

// EnabledNames returns the names of the enabled jails in order, also
// those whose settings are broken (a jail whose enabled option cannot be
// read counts as enabled).
func (s *Set) EnabledNames() []string { return append([]string(nil), s.enabled...) }

// Config returns the merged configuration the jails were read from, e.g.
// to resolve an option with values Load does not know
// (f2bconf.Config.GetWith).
func (s *Set) Config() *f2bconf.Config { return s.cfg }

// Files returns the files read, in order.
func (s *Set) Files() []string { return s.cfg.Files() }

// Names returns every jail's name, in the order first seen.
func (s *Set) Names() []string { return append([]string(nil), s.names...) }

// Enabled returns the enabled jails, in order.
func (s *Set) Enabled() []*Jail {
	var out []*Jail
	for _, n := range s.names {
		if j, ok := s.jails[n]; ok && j.Enabled {
			out = append(out, j)
		}
	}
	return out
}

// Jail returns the named jail, or an error naming the configuration file
// when there is no such jail, or the jail's own configuration error.
func (s *Set) Jail(name string) (*Jail, error) {
	if err, ok := s.errs[name]; ok {
		return nil, err
	}
	if j, ok := s.jails[name]; ok {
		return j, nil
	}
	names := append([]string(nil), s.names...)
	sort.Strings(names)
	hint := ""
	if len(names) > 0 && len(names) <= 12 {
		hint = " (jails: " + strings.Join(names, ", ") + ")"
	} else if len(names) > 12 {
		hint = fmt.Sprintf(" (%d jails)", len(names))
	}
	return nil, &f2bconf.Error{File: s.path, Err: fmt.Errorf("no jail %q%s", name, hint)}
}

// needed are the options fail2ban's JailReader reads: their interpolation
// must succeed.
var needed = map[string]bool{
	"enabled": true, "backend": true, "maxretry": true, "maxmatches": true, "findtime": true,
	"bantime": true, "bantime.increment": true, "bantime.factor": true, "bantime.formula": true,
	"bantime.multipliers": true, "bantime.maxtime": true, "bantime.rndtime": true,
	"bantime.overalljails": true, "ignorecommand": true, "ignoreself": true, "ignoreip": true,
	"ignorecache": true, "filter": true, "logtimezone": true, "logencoding": true,
	"logpath": true, "action": true,
	"ipv4prefix": true, "ipv6prefix": true, "escalate.count": true, "escalate.ipv4prefix": true,
	"escalate.ipv6prefix": true, "escalate.bantime": true,
}

func (s *Set) build(name string) (*Jail, error) {
	c := s.cfg
	file, line := c.SectionPos(name)
	j := &Jail{
		Name:       name,
		Options:    make(map[string]string),
		MaxRetry:   DefaultMaxRetry,
		FindTime:   DefaultFindTime,
		BanTime:    DefaultBanTime,
		IgnoreSelf: true,
		Increment:  Increment{Factor: 1},
		Source:     fmt.Sprintf("%s:%d", file, line),
	}
	// enabled first: a disabled jail's errors do not fail Load
	if v, err := c.Get(name, "enabled"); err == nil {
		b, err := s.parseBool(name, "enabled", v)
		if err != nil {
			j.Enabled = true // unreadable: it may be meant on, so it fails Load
			return j, err
		}
		j.Enabled = b
	} else if !isNotFound(err) {
		return j, err
	}
	for _, k := range c.Keys(name) {
		v, err := c.Get(name, k)
		if err != nil {
			if needed[k] {
				return j, err
			}
			continue
		}
		j.Options[k] = v
	}
	o := j.Options
	var err error
	if v, ok := o["maxretry"]; ok {
		if j.MaxRetry, err = s.parseInt(name, "maxretry", v); err != nil {
			return j, err
		}
	}
	if v, ok := o["findtime"]; ok {
		if j.FindTime, err = s.parseTime(name, "findtime", v); err != nil {
			return j, err
		}
	}
	if v, ok := o["bantime"]; ok {
		if j.BanTime, err = s.parseTime(name, "bantime", v); err != nil {
			return j, err
		}
	}
	if err := s.increment(j); err != nil {
		return j, err
	}
	j.IgnoreIP = f2bconf.SplitList(o["ignoreip"])
	if v, ok := o["ignoreself"]; ok {
		if j.IgnoreSelf, err = s.parseBool(name, "ignoreself", v); err != nil {
			return j, err
		}
	}
	j.IgnoreCommand = o["ignorecommand"]
	if v := strings.TrimSpace(o["ignorecache"]); v != "" {
		_, args, err := f2bconf.ParseSpec("cache[" + v + "]")
		if err != nil {
			return j, s.errAt(name, "ignorecache", "ignorecache: %v", err)
		}
		ic := &IgnoreCache{Key: args["key"], MaxCount: 100, MaxTime: 5 * time.Minute}
		if v, ok := args["max-count"]; ok {
			if ic.MaxCount, err = s.parseInt(name, "ignorecache", v); err != nil {
				return j, err
			}
		}
		if v, ok := args["max-time"]; ok {
			if ic.MaxTime, err = s.parseTime(name, "ignorecache", v); err != nil {
				return j, err
			}
		}
		j.IgnoreCache = ic
	}
	if err := s.prefixes(j); err != nil {
		return j, err
	}
	if v, ok := o["maxmatches"]; ok && strings.TrimSpace(v) != "" {
		if j.MaxMatches, err = s.parseInt(name, "maxmatches", v); err != nil {
			return j, err
		}
	}
	if _, ok := o["backend"]; !ok {
		o["backend"] = "auto"
	}
	for _, l := range strings.Split(o["logpath"], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			j.LogPaths = append(j.LogPaths, l)
		}
	}
	j.Filter = name
	if v, ok := o["filter"]; ok {
		j.Filter = strings.TrimSpace(v)
	}
	if j.Filter != "" {
		if j.FilterName, j.FilterArgs, err = f2bconf.ParseSpec(j.Filter); err != nil {
			return j, s.errAt(name, "filter", "filter %q: %v", j.Filter, err)
		}
	}
	for _, a := range f2bconf.SplitActions(o["action"]) {
		n, args, err := f2bconf.ParseSpec(a)
		if err != nil {
			return j, s.errAt(name, "action", "action %q: %v", a, err)
		}
		j.Actions = append(j.Actions, Action{Name: n, Args: args, Spec: a})
	}
	return j, nil
}

func (s *Set) increment(j *Jail) error {
	o, name := j.Options, j.Name
	in := &j.Increment
	var err error
	if v, ok := o["bantime.increment"]; ok {
		if in.Enabled, err = s.parseBool(name, "bantime.increment", v); err != nil {
			return err
		}
	}
	if v, ok := o["bantime.factor"]; ok && strings.TrimSpace(v) != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 {
			return s.errAt(name, "bantime.factor", "bantime.factor: not a number: %q", v)
		}
		in.Factor = f
	}
	in.Formula = strings.TrimSpace(o["bantime.formula"])
	if v := strings.TrimSpace(o["bantime.multipliers"]); v != "" {
		for _, f := range strings.Fields(v) {
			m, err := strconv.Atoi(f)
			if err != nil || m < 0 {
				return s.errAt(name, "bantime.multipliers", "bantime.multipliers: not an integer: %q", f)
			}
			in.Multipliers = append(in.Multipliers, m)
		}
	}
	for _, k := range []string{"bantime.maxtime", "bantime.rndtime"} {
		v := strings.TrimSpace(o[k])
		if v == "" {
			continue
		}
		d, err := s.parseTime(name, k, v)
		if err != nil {
			return err
		}
		if d < 0 {
			return s.errAt(name, k, "%s: negative time %q", k, v)
		}
		if k == "bantime.maxtime" {
			in.MaxTime = d
		} else {
			in.RndTime = d
		}
	}
	if v, ok := o["bantime.overalljails"]; ok {
		if in.OverallJails, err = s.parseBool(name, "bantime.overalljails", v); err != nil {
			return err
		}
	}
	return nil
}

func isNotFound(err error) bool {
	var nf *f2bconf.NotFound
	return errors.As(err, &nf)
}

// errAt is an error at the place of jail's option key.
func (s *Set) errAt(jail, key, format string, args ...any) error {
	file, line := s.cfg.Pos(jail, key)
	if file == "" {
		file = s.path
	}
	return &f2bconf.Error{File: file, Line: line, Err: fmt.Errorf("[%s] "+format, append([]any{jail}, args...)...)}
}

// parseBool accepts fail2ban's true values (1, on, true, yes) and the
// matching false ones and the empty string; anything else, which fail2ban
// would take silently as false, is an error.
func (s *Set) parseBool(jail, key, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "on", "true", "yes":
		return true, nil
	case "0", "off", "false", "no", "":
		return false, nil
	}
	return false, s.errAt(jail, key, "%s: not a boolean (true/false, yes/no, on/off, 1/0): %q", key, v)
}

func (s *Set) parseInt(jail, key, v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(v), "+"))
	if err != nil {
		return 0, s.errAt(jail, key, "%s: not an integer: %q", key, v)
	}
	if n < 0 {
		return 0, s.errAt(jail, key, "%s: negative: %q", key, v)
	}
	return n, nil
}

// prefixes reads banpipe's prefix options (ipv4prefix, ipv6prefix,
// escalate.*).
func (s *Set) prefixes(j *Jail) error {
	o := j.Options
	for _, p := range []struct {
		key string
		max int
		dst *int
	}{
		{"ipv4prefix", 32, &j.IPv4Prefix}, {"ipv6prefix", 128, &j.IPv6Prefix},
		{"escalate.ipv4prefix", 32, &j.Escalate.IPv4Prefix}, {"escalate.ipv6prefix", 128, &j.Escalate.IPv6Prefix},
		{"escalate.count", 1 << 20, &j.Escalate.Count},
	} {
		v, ok := o[p.key]
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		n, err := s.parseInt(j.Name, p.key, v)
		if err != nil {
			return err
		}
		if n > p.max {
			return s.errAt(j.Name, p.key, "%s: %d is more than %d", p.key, n, p.max)
		}
		*p.dst = n
	}
	if v, ok := o["escalate.bantime"]; ok && strings.TrimSpace(v) != "" {
		d, err := s.parseTime(j.Name, "escalate.bantime", v)
		if err != nil {
			return err
		}
		j.Escalate.BanTime = d
	}
	return nil
}

func (s *Set) parseTime(jail, key, v string) (time.Duration, error) {
	d, err := f2bconf.ParseTime(v)
	if err != nil {
		return 0, s.errAt(jail, key, "%s: %v", key, err)
	}
	return d, nil
}

// Resolve returns option key of jail with %(x)s resolved, where filter
// holds the options of the jail's filter as fail2ban combines them
// (f2bconf.Config.Combine): fail2ban merges those into the jail as
// "known/NAME", so that a jail may write
//
//	failregex = %(known/failregex)s
//	            ^my own addition from <HOST>
//
// Load leaves such an option out of Jail.Options when it needs the
// filter; Resolve gives it. A missing option is an *f2bconf.NotFound.
func (s *Set) Resolve(jail, key string, filter map[string]string) (string, error) {
	vars := make(map[string]string, len(filter))
	for k, v := range filter {
		vars["known/"+k] = v
	}
	return s.cfg.GetWith(jail, key, vars)
}
