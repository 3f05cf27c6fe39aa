package fwban

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/firewall"
)

// jailConf is what fwban takes from a jail section of a fail2ban jail
// configuration.
type jailConf struct {
	name     string
	kind     string // backend: iptables, ipset, nftables or action
	enabled  bool
	settings firewall.JailSettings
	actions  []string // action specs, for the action backend
	ignore   []string
	source   string // "file:line" of the jail's section
	actionAt string // "file:line" of its action option ("" when unknown)
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

// loadJails reads a fail2ban jail configuration (path, its .local file and
// jail.d/) with fail2ban's semantics. A jail whose action is one fail2ban
// iptables, ipset or nftables action gets the matching native backend with
// the action's port, protocol, chain and blocktype arguments; any other
// action list (mail, reporting, several actions) runs through the action
// backend.
func loadJails(path string) (map[string]*jailConf, error) {
	c, err := f2bconf.Read(path, nil)
	if err != nil {
		return nil, err
	}
	c.SetDefault("fail2ban_confpath", filepath.Dir(path))
	c.SetDefault("fail2ban_version", "1.0.2") // as fail2ban sets it; jail.conf's fail2ban_agent uses it
	jails := map[string]*jailConf{}
	for _, sec := range c.Sections() {
		switch sec {
		case "DEFAULT", "INCLUDES", "Definition", "Init", "KNOWN":
			continue
		}
		// Every option for the action backend's tags; an option that does
		// not interpolate is an error only if fwban itself needs it.
		opts := map[string]string{}
		for _, k := range c.Keys(sec) {
			v, err := c.Get(sec, k)
			if err != nil {
				if needed[k] {
					return nil, confErr(c, sec, k, err)
				}
				continue
			}
			opts[k] = v
		}
		j := &jailConf{name: sec, settings: firewall.JailSettings{Name: sec, Options: opts}}
		j.source = position(c, sec, "")
		j.actionAt = position(c, sec, "action")
		j.enabled = strings.EqualFold(strings.TrimSpace(opts["enabled"]), "true")
		j.ignore = f2bconf.SplitList(opts["ignoreip"])
		if v := strings.TrimSpace(opts["bantime"]); v != "" {
			d, err := f2bconf.ParseTime(v)
			if err != nil {
				return nil, confErr(c, sec, "bantime", err)
			}
			j.settings.Bantime = d
		}
		j.actions = f2bconf.SplitActions(opts["action"])
		args := map[string]string{}
		if len(j.actions) == 1 {
			name, a, err := f2bconf.ParseSpec(j.actions[0])
			if err != nil {
				return nil, confErr(c, sec, "action", err)
			}
			args = a
			var allports bool
			j.kind, allports = banactionKind(name, a)
			if allports {
				args["port"] = ""
			}
		}
		if j.kind == "" {
			j.kind = "action"
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
		j.settings.Ports = pick("port", "")
		if argPort && args["port"] == "" {
			j.settings.Ports = ""
		}
		j.settings.Protocol = pick("protocol", "tcp")
		j.settings.Chain = pick("chain", "INPUT")
		j.settings.Blocktype = pick("blocktype", "REJECT")
		if j.kind != "action" && !nativeFits(args, j.settings.Blocktype) {
			// fail2ban's own commands do what the kernel backends cannot
			// (pass2allow-ftp's blocktype RETURN with a returntype).
			j.kind = "action"
		}
		jails[sec] = j
	}
	return jails, nil
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

// needed are the options fwban reads itself.
var needed = map[string]bool{"enabled": true, "action": true, "banaction": true, "port": true, "protocol": true,
	"chain": true, "blocktype": true, "bantime": true, "ignoreip": true}

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
		if k := kindOf(n); j.enabled && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
