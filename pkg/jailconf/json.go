package jailconf

import (
	"encoding/json"
	"time"
)

// MarshalJSON writes the jail as fail2ban-client -d would describe it, with
// times in seconds (bantime -1 when permanent):
//
//	{"name":"sshd","enabled":true,"filter":"sshd[mode=normal]","maxretry":5,
//	 "findtime":600,"bantime":600,"increment":{...},"ignoreip":[...],
//	 "ignoreself":true,"actions":[{"name":"iptables-multiport","args":{...}}],
//	 "source":"/etc/fail2ban/jail.conf:279","options":{...}}
func (j *Jail) MarshalJSON() ([]byte, error) {
	type action struct {
		Name string            `json:"name"`
		Args map[string]string `json:"args"`
	}
	type increment struct {
		Enabled      bool    `json:"enabled"`
		Factor       float64 `json:"factor"`
		Formula      string  `json:"formula,omitempty"`
		Multipliers  []int   `json:"multipliers,omitempty"`
		MaxTime      float64 `json:"maxtime,omitempty"`
		RndTime      float64 `json:"rndtime,omitempty"`
		OverallJails bool    `json:"overalljails"`
	}
	type cache struct {
		Key      string  `json:"key"`
		MaxCount int     `json:"max_count"`
		MaxTime  float64 `json:"max_time"`
	}
	out := struct {
		Name          string            `json:"name"`
		Enabled       bool              `json:"enabled"`
		Filter        string            `json:"filter"`
		MaxRetry      int               `json:"maxretry"`
		MaxMatches    int               `json:"maxmatches,omitempty"`
		FindTime      float64           `json:"findtime"`
		BanTime       float64           `json:"bantime"`
		Increment     increment         `json:"increment"`
		IgnoreIP      []string          `json:"ignoreip"`
		IgnoreSelf    bool              `json:"ignoreself"`
		IgnoreCommand string            `json:"ignorecommand,omitempty"`
		IgnoreCache   *cache            `json:"ignorecache,omitempty"`
		LogPaths      []string          `json:"logpath"`
		Actions       []action          `json:"actions"`
		Source        string            `json:"source"`
		Options       map[string]string `json:"options"`
	}{
		Name: j.Name, Enabled: j.Enabled, Filter: j.Filter, MaxRetry: j.MaxRetry, MaxMatches: j.MaxMatches,
		FindTime: seconds(j.FindTime), BanTime: seconds(j.BanTime),
		Increment: increment{
			Enabled: j.Increment.Enabled, Factor: j.Increment.Factor, Formula: j.Increment.Formula,
			Multipliers: j.Increment.Multipliers, MaxTime: seconds(j.Increment.MaxTime),
			RndTime: seconds(j.Increment.RndTime), OverallJails: j.Increment.OverallJails,
		},
		IgnoreIP: nonNil(j.IgnoreIP), IgnoreSelf: j.IgnoreSelf, IgnoreCommand: j.IgnoreCommand,
		LogPaths: nonNil(j.LogPaths), Actions: []action{}, Source: j.Source, Options: j.Options,
	}
	if c := j.IgnoreCache; c != nil {
		out.IgnoreCache = &cache{Key: c.Key, MaxCount: c.MaxCount, MaxTime: seconds(c.MaxTime)}
	}
	for _, a := range j.Actions {
		out.Actions = append(out.Actions, action{Name: a.Name, Args: a.Args})
	}
	return json.Marshal(out)
}

func seconds(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return d.Seconds()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
