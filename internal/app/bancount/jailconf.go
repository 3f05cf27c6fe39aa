package bancount

import (
	"errors"
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
// enabled jails (all of them when none is enabled). A disabled jail whose
// settings do not resolve is left out, as fail2ban leaves it out.
func loadJailConf(cfg *config, path string) error {
	set, err := jailconf.Load(path)
	if err != nil {
		return err
	}
	var enabled, all []string
	for _, name := range set.Names() {
		j, err := set.Jail(name)
		if err != nil {
			if isEnabledName(set, name) {
				return err
			}
			continue
		}
		js, err := specFromJail(j)
		if err != nil {
			return err
		}
		cfg.jails[name] = js
		all = append(all, name)
		if j.Enabled {
			enabled = append(enabled, name)
		}
	}
	cfg.order = enabled
	if len(enabled) == 0 {
		cfg.order = all
	}
	sort.Strings(cfg.order)
	return nil
}

func isEnabledName(set *jailconf.Set, name string) bool {
	for _, j := range set.Enabled() {
		if j.Name == name {
			return true
		}
	}
	return false
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
