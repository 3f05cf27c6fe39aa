package fwban

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/app/bancount"
	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/firewall"
)

// defaultManualJail is the jail of `fwban ban` without --jail.
const defaultManualJail = "manual"

// open reads the options and makes the firewall set of a subcommand;
// adHoc is for those that act on what an earlier fwban made (unban,
// flush; see firewallSet.adHoc).
func open(c *cli.Context, adHoc bool) (*firewallSet, *options, error) {
	if err := clirun.CheckArgs(c); err != nil {
		return nil, nil, err
	}
	o, err := readOptions(c)
	if err != nil {
		return nil, nil, err
	}
	fw, err := newFirewallSet(c.Context, o, c.App.ErrWriter, adHoc)
	if err != nil {
		return nil, nil, err
	}
	return fw, o, nil
}

func jailOf(c *cli.Context) string {
	j, _ := lookup(c, "jail", (*cli.Context).String)
	return j
}

// listCmd prints the bans the firewall holds as ban events (with until
// when the kernel holds a timeout).
func listCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return clirun.Usagef("list takes no arguments")
	}
	fw, _, err := open(c, false)
	if err != nil {
		return err
	}
	defer fw.Close()
	entries, err := fw.list(c.Context, jailOf(c))
	if err != nil {
		return err
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].Jail != entries[j].Jail {
			return entries[i].Jail < entries[j].Jail
		}
		return entries[i].Prefix.Addr().Less(entries[j].Prefix.Addr())
	})
	w := event.NewWriter(c.App.Writer)
	now := time.Now()
	for _, e := range entries {
		ev := &event.Event{Action: event.ActionBan, Jail: e.Jail, IP: e.Prefix}
		if e.Expires > 0 {
			ev.Until = now.Add(e.Expires).Truncate(time.Second)
			ev.Bantime = int64((e.Expires + time.Second - 1) / time.Second)
		} else {
			ev.Bantime = -1 // no timeout in the kernel
		}
		w.Write(ev)
	}
	if err := w.Flush(); err != nil {
		return clirun.Failure(err)
	}
	return nil
}

func parseAddrs(c *cli.Context) ([]event.Event, error) {
	if c.NArg() == 0 {
		return nil, clirun.Usagef("%s needs at least one address or prefix", c.Command.Name)
	}
	var evs []event.Event
	for _, s := range c.Args().Slice() {
		p, err := event.ParseIP(s)
		if err != nil {
			return nil, clirun.Usagef("%q: not an address or prefix", s)
		}
		evs = append(evs, event.Event{IP: p})
	}
	return evs, nil
}

// banCmd bans its arguments and prints one result each.
func banCmd(c *cli.Context) error {
	evs, err := parseAddrs(c)
	if err != nil {
		return err
	}
	fw, o, err := open(c, false)
	if err != nil {
		return err
	}
	jail := jailOf(c)
	if jail == "" {
		jail = defaultManualJail
	}
	a := &applier{fw: fw, w: event.NewWriter(c.App.Writer), stderr: c.App.ErrWriter}
	now := time.Now().Truncate(time.Second)
	for i := range evs {
		e := &evs[i]
		e.Action, e.Jail, e.Time = event.ActionBan, jail, now
		if o.jail.bantime < 0 {
			e.Bantime = -1
		} else {
			e.Bantime = int64(o.jail.bantime / time.Second)
			e.Until = now.Add(o.jail.bantime)
		}
		a.pending = append(a.pending, pending{ev: e})
	}
	return finishAdHoc(c.Context, a, fw)
}

func finishAdHoc(ctx context.Context, a *applier, fw *firewallSet) error {
	a.apply(ctx)
	werr := a.w.Flush()
	cerr := fw.Close()
	switch {
	case werr != nil:
		return clirun.Failure(werr)
	case cerr != nil:
		return clirun.Failure(cerr)
	case a.notApplied > 0:
		return clirun.Silent{Code: clirun.ExitFailure}
	}
	return nil
}

// unbanCmd unbans its arguments from --jail, or from every jail holding
// them.
func unbanCmd(c *cli.Context) error {
	evs, err := parseAddrs(c)
	if err != nil {
		return err
	}
	fw, _, err := open(c, true)
	if err != nil {
		return err
	}
	a := &applier{fw: fw, w: event.NewWriter(c.App.Writer), stderr: c.App.ErrWriter}
	jail := jailOf(c)
	now := time.Now().Truncate(time.Second)
	var ids []string
	for _, e := range evs {
		ids = append(ids, event.FormatPrefix(e.IP))
	}
	defer warnHeld(c, jail, ids)
	if jail != "" {
		for i := range evs {
			evs[i].Action, evs[i].Jail, evs[i].Time = event.ActionUnban, jail, now
			a.pending = append(a.pending, pending{ev: &evs[i]})
		}
		return finishAdHoc(c.Context, a, fw)
	}
	entries, err := fw.list(c.Context, "")
	if err != nil {
		fw.Close()
		return err
	}
	// The action backend cannot list what an earlier fwban banned: every
	// jail of --config that runs actions gets the unban.
	actionJails := fw.actionJails()
	for _, e := range evs {
		found := false
		for _, en := range entries {
			if en.Prefix.Masked() == e.IP {
				found = true
				a.pending = append(a.pending, pending{ev: &event.Event{Action: event.ActionUnban, Jail: en.Jail, IP: e.IP, Time: now, Reason: "manual"}})
			}
		}
		for _, j := range actionJails {
			found = true
			a.pending = append(a.pending, pending{ev: &event.Event{Action: event.ActionUnban, Jail: j, IP: e.IP, Time: now, Reason: "manual"}})
		}
		if !found {
			clirun.Warn(c.App.ErrWriter, name, "%s is not banned in any jail", firewall.FormatPrefix(e.IP))
		}
	}
	return finishAdHoc(c.Context, a, fw)
}

// flushCmd removes what fwban made for --jail (all jails by default).
func flushCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return clirun.Usagef("flush takes no arguments")
	}
	fw, _, err := open(c, true)
	if err != nil {
		return err
	}
	var ferr error
	jail := jailOf(c)
	for _, kind := range fw.kindsFor(jail) {
		b, err := fw.backend(kind)
		if err != nil {
			fw.Close()
			return err
		}
		ferr = errors.Join(ferr, b.Flush(c.Context, fw.objectFor(kind, jail)))
	}
	cerr := fw.Close()
	if err := errors.Join(ferr, cerr); err != nil {
		return clirun.Failure(fmt.Errorf("flush: %w", err))
	}
	warnHeld(c, jail, nil)
	return nil
}

// warnHeld tells on stderr about the bans of jail ("": all) among ids
// (nil: all of them) that bancount still holds: fwban's unban or flush is
// undone when bancount re-emits them at its next start.
func warnHeld(c *cli.Context, jail string, ids []string) {
	socket, _ := lookup(c, "bancount-socket", (*cli.Context).String)
	state, _ := lookup(c, "bancount-state", (*cli.Context).String)
	held, from, err := bancount.HeldBans(socket, state, jail)
	if err != nil {
		clirun.Warn(c.App.ErrWriter, name, "cannot check bancount's bans: %v", err)
		return
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, h := range held {
		if ids != nil && !want[h.ID] {
			continue
		}
		clirun.Warn(c.App.ErrWriter, name, "%s still holds the ban of %s in jail %s: it comes back when bancount restarts",
			from, oneLine(h.ID), oneLine(h.Jail))
		fmt.Fprintf(c.App.ErrWriter, "%s: hint: unban with bancount, which tells fwban: bancount unban %s %s\n",
			name, oneLine(h.Jail), oneLine(h.ID))
	}
}

// kindsFor returns the backends that may hold bans of jail ("": any).
func (f *firewallSet) kindsFor(jail string) []string {
	if jail != "" {
		if _, ok := f.jails[jail]; ok {
			return []string{f.kindOf(jail)}
		}
	}
	return f.kinds(false)
}

// objectFor returns the name backend kind knows jail by: its object name
// on the kernel backends, its name on the action backend ("" stays "").
func (f *firewallSet) objectFor(kind, jail string) string {
	if kind == "action" || jail == "" {
		return jail
	}
	return f.object(jail)
}

// actionJails returns the jails of --config that run actions, sorted.
func (f *firewallSet) actionJails() []string {
	var out []string
	for n, j := range f.jails {
		if j.err == nil && f.kindOf(n) == "action" && len(j.actions) > 0 {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// list returns the bans of jail ("": all) from every backend in use.
func (f *firewallSet) list(ctx context.Context, jail string) ([]firewall.Entry, error) {
	var all []firewall.Entry
	for _, kind := range f.kindsFor(jail) {
		b, err := f.backend(kind)
		if err != nil {
			return nil, err
		}
		es, err := b.List(ctx, f.objectFor(kind, jail))
		if err != nil {
			return nil, clirun.Failure(err)
		}
		if kind != "action" {
			for i := range es {
				es[i].Jail = f.jailOfObject(kind, es[i].Jail)
			}
		}
		all = append(all, es...)
	}
	return all, nil
}
