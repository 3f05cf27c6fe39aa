package f2bconf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

const stockDir = "/etc/fail2ban"

func stockFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(stockDir, pattern))
	if len(files) == 0 {
		testenv.Missing(t, "no %s under %s (fail2ban not installed)", pattern, stockDir)
	}
	return files
}

// TestStockFilters reads every filter of the installed fail2ban and
// resolves its [Definition] and [Init] sections (except for the files that
// are only included by others, whose values refer to their includers').
func TestStockFilters(t *testing.T) {
	for _, f := range stockFiles(t, "filter.d/*.conf") {
		c, err := Read(f, nil)
		if err != nil {
			t.Errorf("Read(%s): %v", f, err)
			continue
		}
		if strings.HasSuffix(f, "common.conf") {
			continue
		}
		if _, err := c.Get("Definition", "failregex"); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		for _, sec := range []string{"Definition", "Init"} {
			if !c.HasSection(sec) {
				continue
			}
			if _, err := c.Section(sec, nil); err != nil {
				t.Errorf("%s: Section(%s): %v", f, sec, err)
			}
		}
	}
}

// TestStockActions reads every action of the installed fail2ban.
func TestStockActions(t *testing.T) {
	for _, f := range stockFiles(t, "action.d/*.conf") {
		c, err := Read(f, nil)
		if err != nil {
			t.Errorf("Read(%s): %v", f, err)
			continue
		}
		for _, sec := range []string{"Definition", "Init"} {
			if !c.HasSection(sec) {
				continue
			}
			if _, err := c.Section(sec, nil); err != nil {
				t.Errorf("%s: Section(%s): %v", f, sec, err)
			}
		}
	}
}

// TestStockJail reads the installed jail.conf and resolves every jail.
func TestStockJail(t *testing.T) {
	f := filepath.Join(stockDir, "jail.conf")
	if _, err := os.Stat(f); err != nil {
		testenv.Missing(t, "fail2ban is not installed: %v", err)
	}
	c, err := Read(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDefault("fail2ban_version", "1.0.2")
	c.SetDefault("fail2ban_confpath", stockDir)
	// the options fail2ban's JailReader gets
	opts := []string{"enabled", "backend", "maxretry", "findtime", "bantime",
		"bantime.increment", "bantime.factor", "bantime.formula", "bantime.multipliers",
		"bantime.maxtime", "bantime.rndtime", "bantime.overalljails", "ignorecommand",
		"ignoreself", "ignoreip", "ignorecache", "filter", "logtimezone", "logencoding",
		"logpath", "action", "usedns", "prefregex", "ignoreregex", "failregex", "maxlines",
		"datepattern", "journalmatch"}
	n := 0
	for _, s := range c.Sections() {
		for _, o := range opts {
			if _, err := c.Get(s, o); err != nil && !errors.As(err, new(*NotFound)) {
				t.Errorf("[%s] %s: %v", s, o, err)
			}
		}
		if _, err := c.Get(s, "action"); err != nil {
			t.Errorf("[%s]: action: %v (DEFAULT not merged?)", s, err)
		}
		n++
	}
	if n < 50 {
		t.Errorf("only %d jails in %s", n, f)
	}
	if got, _ := c.Get("sshd", "port"); got != "ssh" {
		t.Errorf("[sshd] port = %q, want ssh", got)
	}
}
