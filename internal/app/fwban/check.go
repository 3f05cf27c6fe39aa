package fwban

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/firewall"
	"github.com/banpipe/banpipe/pkg/firewall/action"
)

// anyJail names, in --check and --dump, the settings of the flags, which
// apply to every jail that --config does not define.
const anyJail = "*"

// jailReport is what --check and --dump learn about one jail.
type jailReport struct {
	name     string
	kind     string
	settings firewall.JailSettings
	ignore   []netip.Prefix
	specs    []string
	commands []action.Commands
	source   string
	enabled  bool
}

// checkJails reads and validates everything fwban would use without
// applying anything: the flags (already read into o), the jail
// configuration, each jail's settings and actions (read and rendered) and,
// unless noKernel, that each backend's tools and kernel features are there
// (the backends' Check). The jails are the enabled ones of --config, or
// every jail there when none is enabled (fwban applies the events of any
// jail it defines), or "*" for the flags' settings without --config. Every
// problem is written to stderr as "fwban: file:line: ..."; it returns the
// jails and how many problems it found.
//
// broken counts the enabled jails that cannot start (also in problems):
// fwban starts without them, reporting each as skipped.
func checkJails(ctx context.Context, o *options, noKernel bool, stderr io.Writer) (_ []*jailReport, problems, broken int) {
	report := func(err error) {
		problems++
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
	}
	f := &firewallSet{o: o, stderr: io.Discard, backends: map[string]firewall.Backend{}, routes: map[string]*route{}, ctx: ctx}
	defer f.Close()
	ig, err := parseIgnore(ctx, "--ignoreip", o.ignore, stderr)
	if err != nil {
		report(err)
		return nil, problems, broken
	}
	f.guard.List = ig
	var names []string
	if o.config != "" {
		if f.jails, err = loadJails(o.config); err != nil {
			report(err)
			return nil, problems, broken
		}
		for n, j := range f.jails {
			if j.enabled {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			for n := range f.jails {
				names = append(names, n)
			}
		}
		sort.Strings(names)
	}
	if len(names) == 0 {
		names = []string{anyJail}
	}
	if o.dryRunOutput != "" && o.dryRunOutput != "-" {
		o2 := *o
		o2.dryRunOutput = "-" // --check creates no file
		f.o = &o2
	}

	var out []*jailReport
	kinds := map[string]bool{}
	actionErrs := 0
	for _, n := range names {
		jr := &jailReport{name: n, kind: f.kindOf(n)}
		where := ""
		if j, ok := f.jails[n]; ok {
			jr.source, jr.enabled, jr.specs = j.source, j.enabled, j.actions
			where = j.source + ": [" + n + "] "
			if j.actionAt != "" {
				where = j.actionAt + ": [" + n + "] action: "
			}
		}
		jail := n
		if n == anyJail {
			jail = "check"
			jr.enabled = true
		}
		r := f.route(jail)
		if j, ok := f.jails[n]; ok && j.enabled && j.err != nil {
			broken++
			report(fmt.Errorf("%v (jail %s skipped)", j.err, n))
			continue
		}
		if r.err != nil {
			report(fmt.Errorf("%s%v", prefixOr(jr.source, n), r.err))
			continue
		}
		jr.settings = r.settings
		jr.ignore = r.guard.List.Prefixes()
		kinds[jr.kind] = true
		switch jr.kind {
		case "action":
			if jr.specs == nil {
				jr.specs = specsOf(o.actions)
			}
			b, ok := r.backend.(*action.Backend)
			if !ok {
				report(fmt.Errorf("%sjail %s: no action backend", where, n))
				continue
			}
			jr.commands, err = b.Commands(r.settings)
			if err != nil {
				actionErrs++
				report(fmt.Errorf("%s%v", where, err))
				continue
			}
		default:
			if err := firewall.CheckSettings(r.settings); err != nil {
				report(fmt.Errorf("%s%v", prefixOr(jr.source, n), err))
				continue
			}
			if err := checkPorts(r.settings); err != nil {
				report(fmt.Errorf("%sjail %s: %v", prefixOr(jr.source, jail), jail, err))
				continue
			}
		}
		out = append(out, jr)
	}
	// The action backend's Check renders every operation of every action;
	// the kernel backends' look for their tools and kernel features.
	for _, kind := range sortedKinds(kinds) {
		if kind != "action" && noKernel || kind == "action" && actionErrs > 0 {
			continue // (the action backend's Check would report them again)
		}
		b, err := f.backend(kind)
		if err != nil {
			report(err)
			continue
		}
		if err := b.Check(ctx); err != nil {
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, e := range errs {
				report(fmt.Errorf("backend %s: %w", b.Name(), e))
			}
		}
	}
	return out, problems, broken
}

// checkPorts reports a service name that the services database does not
// know, or a port number out of range: the kernel backends would only
// fail at the first ban.
func checkPorts(s firewall.JailSettings) error {
	p := strings.TrimSpace(s.Ports)
	switch strings.ToLower(p) {
	case "", "all", "any":
		return nil
	}
	proto := strings.ToLower(strings.TrimSpace(s.Protocol))
	if proto != "udp" {
		proto = "tcp" // services are looked up as tcp for the other protocols
	}
	for _, part := range strings.Split(p, ",") {
		for _, q := range strings.Split(strings.TrimSpace(part), ":") {
			if n, err := strconv.Atoi(q); err == nil {
				if n < 0 || n > 65535 {
					return fmt.Errorf("port %q: %d is out of range", s.Ports, n)
				}
				continue
			}
			if _, err := net.LookupPort(proto, q); err != nil {
				return fmt.Errorf("port %q: unknown service %q (see /etc/services)", s.Ports, q)
			}
		}
	}
	return nil
}

func prefixOr(source, jail string) string {
	if source == "" {
		return ""
	}
	return source + ": [" + jail + "] "
}

func sortedKinds(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func specsOf(entries []string) []string {
	var out []string
	for _, e := range entries {
		out = append(out, f2bconf.SplitActions(e)...)
	}
	return out
}

// summary is the one line --check prints for a jail.
func (jr *jailReport) summary() string {
	if jr.kind == "action" {
		var parts []string
		for _, c := range jr.commands {
			s := c.Name
			if strings.Contains(c.Spec, "[") {
				s += "[...]"
			}
			parts = append(parts, s)
		}
		return jr.name + ": action " + strings.Join(parts, ", ")
	}
	ports := "all ports"
	if p := strings.TrimSpace(jr.settings.Ports); p != "" && !strings.EqualFold(p, "all") && !strings.EqualFold(p, "any") && p != "0:65535" {
		ports = "ports " + p
	}
	blocktype := jr.settings.Blocktype
	if blocktype == "" {
		blocktype = "REJECT"
	}
	return fmt.Sprintf("%s: %s, %s, %s, %s", jr.name, jr.kind, ports, jr.settings.Protocol, blocktype)
}

// dumpJail is the JSON form of a jail in --dump.
type dumpJail struct {
	Backend string `json:"backend"`
	// Name is the name of the jail's chains and sets on the kernel
	// backends (f2b-<name>): its action's name= argument, else the jail.
	Name      string       `json:"name,omitempty"`
	Enabled   bool         `json:"enabled"`
	Source    string       `json:"source,omitempty"`
	Ports     string       `json:"ports"`
	Protocol  string       `json:"protocol"`
	Chain     string       `json:"chain"`
	Blocktype string       `json:"blocktype"`
	Bantime   int64        `json:"bantime"` // seconds, -1 permanent
	IgnoreIP  []string     `json:"ignoreip"`
	Actions   []dumpAction `json:"actions,omitempty"`
}

type dumpAction struct {
	Spec     string            `json:"spec"`
	Name     string            `json:"name,omitempty"`
	Timeout  int64             `json:"timeout,omitempty"` // seconds
	Commands map[string]string `json:"commands,omitempty"`
}

func (jr *jailReport) dump() dumpJail {
	s := jr.settings
	d := dumpJail{Backend: jr.kind, Enabled: jr.enabled, Source: jr.source, Ports: strings.TrimSpace(s.Ports),
		Protocol: s.Protocol, Chain: s.Chain, Blocktype: s.Blocktype, IgnoreIP: []string{}}
	if d.Ports == "" {
		d.Ports = "all"
	}
	if s.Bantime < 0 {
		d.Bantime = -1
	} else {
		d.Bantime = int64(s.Bantime.Seconds())
	}
	for _, p := range jr.ignore {
		d.IgnoreIP = append(d.IgnoreIP, firewall.FormatPrefix(p))
	}
	if jr.kind != "action" && jr.name != anyJail {
		d.Name = s.Name
	}
	if jr.kind == "action" {
		for _, c := range jr.commands {
			d.Actions = append(d.Actions, dumpAction{Spec: c.Spec, Name: c.Name, Timeout: int64(c.Timeout.Seconds()), Commands: c.Commands})
		}
	} else {
		for _, sp := range jr.specs {
			d.Actions = append(d.Actions, dumpAction{Spec: sp})
		}
	}
	return d
}

// checkCmd is fwban --check and --dump: validate, then print one summary
// line per jail (--check) or the jails' settings as one JSON object keyed
// by jail name (--dump). Exit 2 on any problem, with nothing on stdout;
// --dump shows the jails that start, failing only on a problem other than
// a broken jail (skipped at start) or when no jail can start.
func checkCmd(c *cli.Context, o *options, dump, noKernel bool) error {
	jails, problems, broken := checkJails(c.Context, o, noKernel, c.App.ErrWriter)
	if dump && broken > 0 && len(jails) == 0 && problems == broken {
		fmt.Fprintf(c.App.ErrWriter, "%s: %s: no jail could start\n", name, o.config)
	}
	if !dump && problems > 0 || dump && (problems > broken || len(jails) == 0) {
		return clirun.Silent{Code: clirun.ExitUsage}
	}
	w := c.App.Writer
	if dump {
		m := make(map[string]dumpJail, len(jails))
		for _, jr := range jails {
			m[jr.name] = jr.dump()
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // tags such as <ip> stay readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			return clirun.Failure(err)
		}
		return nil
	}
	for _, jr := range jails {
		if _, err := fmt.Fprintln(w, jr.summary()); err != nil {
			return clirun.Failure(err)
		}
	}
	return nil
}
