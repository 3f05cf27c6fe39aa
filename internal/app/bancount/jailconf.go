package bancount

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/banpipe/banpipe/pkg/banformula"
	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/jailconf"
)

// loadJailConf reads a fail2ban jail configuration (path, its jail.d/ and
// .local files, with package jailconf) into cfg.jails. Every jail section
// gives the settings of events of that jail (options it and [DEFAULT] do
// not set take fail2ban's server defaults); --check and --dump list the
// enabled jails (all of them when none is enabled). An enabled jail whose
// settings do not resolve goes to cfg.broken: it is reported and skipped,
// as fail2ban skips it ("Errors in jail 'X'. Skipping..."), and its
// events are refused; a disabled one is left out, as fail2ban leaves it out.
func loadJailConf(cfg *config, path string) error {
	set, err := jailconf.LoadEach(path)
	if err != nil {
		return err
	}
	cfg.path = path
	enabledNames := map[string]bool{}
	for _, n := range set.EnabledNames() {
		enabledNames[n] = true
	}
	var enabled, all []string
	for _, name := range set.Names() {
		j, err := set.Jail(name)
		var js *jailSpec
		if err == nil {
			js, err = specFromJail(j)
		}
		if err != nil {
			if enabledNames[name] {
				cfg.broken[name] = err
			}
			continue
		}
		cfg.jails[name] = js
		all = append(all, name)
		if j.Enabled {
			enabled = append(enabled, name)
		}
	}
	cfg.order = enabled
	if len(enabled) == 0 && len(cfg.broken) == 0 {
		cfg.order = all
	}
	sort.Strings(cfg.order)
	return nil
}

// startable reports each broken jail to warn as skipped, and fails when
// no jail of the configuration can start.
func (cfg *config) startable(warn func(string)) error {
	for _, n := range cfg.brokenNames() {
		warn(fmt.Sprintf("%v (jail %s skipped)", cfg.broken[n], n))
	}
	if len(cfg.broken) > 0 && len(cfg.order) == 0 {
		return fmt.Errorf("%s: no jail could start", cfg.path)
	}
	return nil
}

func (cfg *config) brokenNames() []string {
	var out []string
	for n := range cfg.broken {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func specFromJail(j *jailconf.Jail) (*jailSpec, error) {
	in := j.Increment
	js := &jailSpec{
		Name:          j.Name,
		IgnoreIP:      j.IgnoreIP,
		IgnoreSelf:    j.IgnoreSelf,
		IgnoreCommand: j.IgnoreCommand,
		Formula:       in.Formula,
		Settings: bans.Settings{MaxRetry: j.MaxRetry, FindTime: j.FindTime, BanTime: j.BanTime,
			Increment: bans.Increment{Enabled: in.Enabled, Factor: in.Factor, MaxTime: in.MaxTime,
				RndTime: in.RndTime, OverallJails: in.OverallJails}},
	}
	// maxmatches: jail.conf sets %(maxretry)s; unset, fail2ban's server
	// keeps 5.
	js.Settings.MaxMatches = j.MaxMatches
	if _, ok := j.Options["maxmatches"]; !ok {
		js.Settings.MaxMatches = bans.DefaultSettings().MaxMatches
	}
	js.Settings.IPv4Prefix, js.Settings.IPv6Prefix = j.IPv4Prefix, j.IPv6Prefix
	js.Settings.Escalate = bans.Escalate{Count: j.Escalate.Count, IPv4Prefix: j.Escalate.IPv4Prefix,
		IPv6Prefix: j.Escalate.IPv6Prefix, BanTime: j.Escalate.BanTime}
	for _, m := range in.Multipliers {
		js.Settings.Increment.Multipliers = append(js.Settings.Increment.Multipliers, float64(m))
	}
	if in.Formula != "" && in.Formula != jailconf.DefaultFormula {
		f, err := banformula.Compile(in.Formula)
		if err != nil {
			return nil, errors.New(j.Source + ": [" + j.Name + "] bantime.formula: " + err.Error())
		}
		js.Settings.Increment.Formula = f
	}
	if js.Settings.MaxRetry < 1 {
		return nil, errors.New(j.Source + ": [" + j.Name + "] maxretry: must be at least 1")
	}
	if js.Settings.FindTime <= 0 {
		js.Settings.FindTime = 10 * time.Minute
	}
	return js, nil
}
