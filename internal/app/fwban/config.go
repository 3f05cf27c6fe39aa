package fwban

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/firewall"
	"github.com/banpipe/banpipe/pkg/ignore"
	"github.com/banpipe/banpipe/pkg/jailconf"
)

// jailConf is what fwban takes from a jail of a fail2ban jail
// configuration (read by package jailconf, as bancount and logmatch read
// it).
type jailConf struct {
	name     string
	kind     string // backend: iptables, ipset, nftables or action
	enabled  bool
	settings firewall.JailSettings
	// object is the name of the jail's chains and sets on the kernel
	// backends (f2b-<object>): the action's name= argument as fail2ban's
	// action files use it, else the jail's name.
	object   string
	actions  []string // action specs, for the action backend
	ignore   []string
	source   string // "file:line" of the jail's section
	actionAt string // "file:line" of its action option ("" when unknown)
	err      error  // a disabled jail whose settings do not resolve
}

// banactionKind maps a fail2ban action to a native backend: kind is "" when
// the action runs through the action backend.
func banactionKind(name string, args map[string]string) (kind string, allports bool) {
	switch name {
	case "iptables", "iptables-multiport", "iptables-new":
		return "iptables", false
	case "iptables-allports":
		return "iptables", true
	case "iptables-ipset", "iptables-ipset-proto4", "iptables-ipset-proto6":
		return "ipset", args["type"] == "allports"
	case "iptables-ipset-proto6-allports", "iptables-ipset-allports":
		return "ipset", true
	case "nftables", "nftables-multiport":
		return "nftables", args["type"] == "allports"
	case "nftables-allports":
		return "nftables", true
	}
	return "", false
}

// fwbanOptions are the jail options fwban reads itself beyond those
// package jailconf types: a value that does not interpolate is an error
// (jailconf leaves such options out of Options).
var fwbanOptions = []string{"banaction", "port", "protocol", "chain", "blocktype"}

// loadJails reads a fail2ban jail configuration (path, jail.d/, the .local
// files) with package jailconf. A jail whose action is one fail2ban
// iptables, ipset or nftables action gets the matching native backend with
// the action's port, protocol, chain, blocktype and name arguments; any
// other action list (mail, reporting, several actions) runs through the
// action backend. A jail whose settings do not resolve keeps its error:
// its events are refused with it; an enabled one is reported and skipped
// at start (as fail2ban's "Errors in jail 'X'. Skipping..."), the other
// jails run; a disabled one is left out, as fail2ban leaves it out.
func loadJails(path string) (map[string]*jailConf, error) {
	set, err := jailconf.LoadEach(path)
	if err != nil {
		return nil, err
	}
	c := set.Config()
	jails := map[string]*jailConf{}
	for _, sec := range set.Names() {
		switch sec {
		case "DEFAULT", "INCLUDES", "Definition", "Init", "KNOWN":
			continue
		}
		broken := func(err error) {
			// Its events are refused with the error (--check lists it
			// when it is enabled, or when no jail is enabled).
			jails[sec] = &jailConf{name: sec, object: sec, kind: "action", enabled: isEnabled(set, sec), err: err}
		}
		j, err := set.Jail(sec)
		if err != nil {
			broken(err)
			continue
		}
		opts := j.Options
		var optErr error
		for _, k := range fwbanOptions {
			if _, ok := opts[k]; ok {
				continue
			}
			if _, err := c.Get(sec, k); err != nil && !isNotFound(err) {
				optErr = confErr(c, sec, k, err)
				break
			}
		}
		if optErr != nil {
			broken(optErr)
			continue
		}
		jc := &jailConf{name: sec, enabled: j.Enabled, object: sec, ignore: j.IgnoreIP,
			settings: firewall.JailSettings{Name: sec, Options: opts}}
		jc.source = j.Source
		jc.actionAt = position(c, sec, "action")
		if _, ok := opts["bantime"]; ok {
			jc.settings.Bantime = j.BanTime // (else --bantime)
		}
		for _, a := range j.Actions {
			jc.actions = append(jc.actions, a.Spec)
		}
		args := map[string]string{}
		if len(j.Actions) == 1 {
			a := j.Actions[0]
			for k, v := range a.Args {
				args[k] = v
			}
			var allports bool
			jc.kind, allports = banactionKind(a.Name, args)
			if allports {
				args["port"] = ""
			}
		}
		if jc.kind == "" {
			jc.kind = "action"
		}
		pick := func(key, def string) string {
			for _, v := range []string{args[key], opts[key]} {
				if v = strings.TrimSpace(v); v != "" && !strings.Contains(v, "<") {
					return v
				}
			}
			return def
		}
		_, argPort := args["port"]
		jc.settings.Ports = pick("port", "")
		if argPort && args["port"] == "" {
			jc.settings.Ports = ""
		}
		jc.settings.Protocol = pick("protocol", "tcp")
		jc.settings.Chain = pick("chain", "INPUT")
		jc.settings.Blocktype = pick("blocktype", "REJECT")
		if v := strings.TrimSpace(args["name"]); v != "" && !strings.Contains(v, "<") {
			jc.object = v // (case kept, as fail2ban's f2b-<name>)
		}
		if jc.kind != "action" && !nativeFits(args, jc.settings.Blocktype) {
			// fail2ban's own commands do what the kernel backends cannot
			// (pass2allow-ftp's blocktype RETURN with a returntype).
			jc.kind = "action"
		}
		jails[sec] = jc
	}
	return jails, nil
}

// startable passes each enabled jail that cannot start to skipped, and
// fails when no enabled jail of path can start.
func startable(path string, jails map[string]*jailConf, skipped func(err error, jail string)) error {
	var names []string
	good := 0
	for n, j := range jails {
		switch {
		case j.enabled && j.err != nil:
			names = append(names, n)
		case j.enabled:
			good++
		}
	}
	sort.Strings(names)
	for _, n := range names {
		skipped(jails[n].err, n)
	}
	if len(names) > 0 && good == 0 {
		return fmt.Errorf("%s: no jail could start", path)
	}
	return nil
}

func isEnabled(set *jailconf.Set, name string) bool {
	for _, n := range set.EnabledNames() {
		if n == name {
			return true
		}
	}
	return false
}

func isNotFound(err error) bool {
	var nf *f2bconf.NotFound
	return errors.As(err, &nf)
}

// nativeArgs are the arguments of a fail2ban iptables, ipset or nftables
// action that the kernel backends implement.
var nativeArgs = map[string]bool{"port": true, "protocol": true, "chain": true, "blocktype": true,
	"name": true, "type": true, "bantime": true, "actname": true}

// nativeFits reports whether a kernel backend does what an action with
// args and blocktype asks: no other argument, a blocktype it knows.
func nativeFits(args map[string]string, blocktype string) bool {
	for k := range args {
		if !nativeArgs[strings.ToLower(k)] {
			return false
		}
	}
	return firewall.CheckSettings(firewall.JailSettings{Name: "x", Blocktype: blocktype}) == nil
}

// position returns "file:line" of key in section sec (of the section
// itself for key ""), "" when unknown.
func position(c *f2bconf.Config, sec, key string) string {
	var file string
	var line int
	if key != "" {
		file, line = c.Pos(sec, key)
	}
	if file == "" {
		file, line = c.SectionPos(sec)
	}
	if file == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", file, line)
}

func confErr(c *f2bconf.Config, sec, key string, err error) error {
	file, line := c.Pos(sec, key)
	if key == "" || file == "" {
		file, line = c.SectionPos(sec)
	}
	what := "[" + sec + "]"
	if key != "" {
		what += " " + key
	}
	if file == "" {
		return fmt.Errorf("%s: %v", what, err)
	}
	return fmt.Errorf("%s:%d: %s: %v", file, line, what, err)
}

// enabledKinds returns the backends (kindOf each) of the enabled jails,
// sorted.
func enabledKinds(jails map[string]*jailConf, kindOf func(string) string) []string {
	seen := map[string]bool{}
	var out []string
	for n, j := range jails {
		if k := kindOf(n); j.enabled && j.err == nil && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// parseIgnore reads ignoreip entries (--ignoreip values, a jail's
// ignoreip) with package ignore's grammar, the one bancount uses:
// addresses, prefixes (CIDR or dotted netmask), host names (resolved now
// and every 5 minutes) and file: lists, several per value separated by
// spaces or commas. It returns the list a ban must not overlap (nil for
// no values).
func parseIgnore(_ context.Context, what string, vals []string, stderr io.Writer) (*ignore.List, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	l, err := ignore.New(vals, ignore.Options{Warn: func(msg string) { clirun.Warn(stderr, name, "%s: %s (ignored)", what, msg) }})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return l, nil
}
