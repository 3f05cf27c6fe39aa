package bancount

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

// loadJailConf reads a fail2ban jail configuration (path, its jail.d/ and
// .local files) into cfg.jails. Every jail section gives the settings of
// events of that jail; the enabled ones are listed by --check and --dump
// (all of them when none is enabled). Options missing from a jail and from
// [DEFAULT] keep the flags' values.
func loadJailConf(cfg *config, path string) error {
	c, err := f2bconf.Read(path, nil)
	if err != nil {
		return err
	}
	c.SetDefault("fail2ban_confpath", filepath.Dir(path))
	var enabled, all []string
	for _, sec := range c.Sections() {
		switch sec {
		case "DEFAULT", "INCLUDES", "Definition", "Init", "KNOWN":
			continue
		}
		js, on, err := jailFromConf(c, sec, cfg.defaults)
		if err != nil {
			return err
		}
		cfg.jails[sec] = js
		all = append(all, sec)
		if on {
			enabled = append(enabled, sec)
		}
	}
	cfg.order = enabled
	if len(enabled) == 0 {
		cfg.order = all
	}
	sort.Strings(cfg.order)
	return nil
}

func jailFromConf(c *f2bconf.Config, sec string, def *jailSpec) (*jailSpec, bool, error) {
	js := *def
	js.Name = sec
	js.IgnoreIP = append([]string(nil), def.IgnoreIP...)
	s := &js.Settings
	s.Increment.Multipliers = append([]float64(nil), def.Settings.Increment.Multipliers...)
	where := func(key string, err error) error {
		file, line := c.Pos(sec, key)
		if file == "" {
			file, line = c.Pos("DEFAULT", key)
		}
		if file == "" {
			return fmt.Errorf("[%s] %s: %v", sec, key, err)
		}
		return fmt.Errorf("%s:%d: [%s] %s: %v", file, line, sec, key, err)
	}
	get := func(key string) (string, bool, error) {
		v, err := c.Get(sec, key)
		var nf *f2bconf.NotFound
		if errors.As(err, &nf) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		return strings.TrimSpace(v), true, nil
	}
	var firstErr error
	str := func(key string, set func(string) error) {
		if firstErr != nil {
			return
		}
		v, ok, err := get(key)
		if err == nil && ok {
			err = set(v)
		}
		if err != nil {
			firstErr = where(key, err)
		}
	}
	dur := func(key string, dst *time.Duration) {
		str(key, func(v string) error {
			d, err := f2bconf.ParseTime(v)
			if err == nil {
				*dst = d
			}
			return err
		})
	}
	boolean := func(key string, dst *bool) {
		str(key, func(v string) error {
			b, err := parseBool(v)
			if err == nil {
				*dst = b
			}
			return err
		})
	}
	enabled := false
	boolean("enabled", &enabled)
	str("maxretry", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a positive number", v)
		}
		s.MaxRetry = n
		return nil
	})
	dur("findtime", &s.FindTime)
	dur("bantime", &s.BanTime)
	boolean("bantime.increment", &s.Increment.Enabled)
	boolean("bantime.overalljails", &s.Increment.OverallJails)
	str("bantime.factor", func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		s.Increment.Factor = f
		return nil
	})
	str("bantime.multipliers", func(v string) error {
		m, err := parseMultipliers(v)
		s.Increment.Multipliers = m
		return err
	})
	str("bantime.formula", func(v string) error {
		f, err := CompileFormula(v)
		if err == nil {
			js.Formula, s.Increment.Formula = v, f
		}
		return err
	})
	str("bantime.maxtime", func(v string) error {
		d, err := f2bconf.ParseTime(v)
		s.Increment.MaxTime = d
		return err
	})
	str("bantime.rndtime", func(v string) error {
		d, err := f2bconf.ParseTime(v)
		s.Increment.RndTime = d
		return err
	})
	str("ignoreip", func(v string) error {
		js.IgnoreIP = []string{v}
		return nil
	})
	boolean("ignoreself", &js.IgnoreSelf)
	str("ignorecommand", func(v string) error {
		js.IgnoreCommand = v
		return nil
	})
	if firstErr != nil {
		return nil, false, firstErr
	}
	if s.FindTime <= 0 {
		return nil, false, where("findtime", errors.New("must be positive"))
	}
	return &js, enabled, nil
}

// parseBool reads fail2ban's booleans (configparser's and its own).
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "yes", "true", "on", "enabled":
		return true, nil
	case "0", "no", "false", "off", "disabled", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", v)
}
