package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/firewall"
)

// DefaultDir is where fail2ban keeps its action files.
const DefaultDir = "/etc/fail2ban/action.d"

// DefaultTimeout is the time limit of one command unless the action or
// [Config] sets another, as in fail2ban.
const DefaultTimeout = 60 * time.Second

// Config configures a [Backend].
type Config struct {
	// Dir is the action.d directory; "" means [DefaultDir].
	Dir string
	// Actions are the action specs of every jail that Jails does not
	// list: "NAME" or "NAME[key=value, ...]", read from Dir/NAME.conf and
	// NAME.local. One entry may hold several specs separated by white
	// space or newlines, as a jail's action option does.
	Actions []string
	// Jails holds the actions and options of jails read from a jail
	// configuration, by jail name.
	Jails map[string]Jail
	// Timeout limits each command; an action's own timeout option wins;
	// 0 means [DefaultTimeout].
	Timeout time.Duration
	// StopOnClose runs the actionstop of every started action at Close
	// (fail2ban does at shutdown); otherwise Close runs nothing and what
	// the actions made stays.
	StopOnClose bool
	// AssumeStarted is for ad hoc commands run in a fresh process (fwban
	// unban, fwban flush) on what an earlier fwban made: every action is
	// taken as started with bans in place, so Unban runs actionunban for
	// any ban, and Flush runs actionflush and actionstop of every jail in
	// Jails or named to it. Without it, as in fail2ban, they only act on
	// what this backend did.
	AssumeStarted bool
	// Stdout receives the commands' standard output; nil discards it.
	Stdout io.Writer
	// LookupAddr resolves <ip-host>; nil means net.DefaultResolver's.
	LookupAddr func(ctx context.Context, addr string) ([]string, error)
	// FS, when set, is read instead of the operating system's files (Dir
	// is then a path inside it).
	FS fs.FS
}

// Jail is the part of a jail configuration the actions need.
type Jail struct {
	// Actions are the jail's action specs (its action option, one spec
	// per entry or several in one entry).
	Actions []string
	// Options are the jail's options (port, protocol, chain, logpath,
	// dest, sender, ...): they fill the tags that neither the spec's
	// arguments nor the action's [Init] set.
	Options map[string]string
}

// Backend runs fail2ban action.d commands. Its methods may be called from
// several goroutines; commands run one at a time, as in fail2ban.
type Backend struct {
	now    func() time.Time // the clock of <time> in commands without a ban
	cfg    Config
	runner runner
	mu     sync.Mutex
	jails  map[string]*jailState
	closed bool
}

type jailState struct {
	actions []*actionState
	known   map[netip.Prefix]time.Time // ban -> its end (zero: permanent or unknown)
}

// actionState is one action of one jail and what it has done.
type actionState struct {
	def      *definition
	settings firewall.JailSettings
	started  map[string]bool // by start family ("" without conditional sections)
	items    map[string]bool // by start family: holds bans
	banned   map[netip.Prefix]bool
	executed map[string]map[string]string // op -> start family -> command run
}

var _ firewall.Backend = (*Backend)(nil)

// New returns a backend for cfg. It reads no file yet: [Backend.Check]
// reads and renders every action named, and each jail's actions are read
// at its first ban.
func New(cfg Config) (*Backend, error) {
	if cfg.Dir == "" {
		cfg.Dir = DefaultDir
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("action: negative timeout %v", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if len(specs(cfg.Actions)) == 0 && len(cfg.Jails) == 0 {
		return nil, errors.New("action: no action given")
	}
	for _, s := range specs(cfg.Actions) {
		if _, _, err := f2bconf.ParseSpec(s); err != nil {
			return nil, fmt.Errorf("action %q: %w", s, err)
		}
	}
	for name, j := range cfg.Jails {
		if err := checkJailName(name); err != nil {
			return nil, err
		}
		for _, s := range specs(j.Actions) {
			if _, _, err := f2bconf.ParseSpec(s); err != nil {
				return nil, fmt.Errorf("jail %s: action %q: %w", name, s, err)
			}
		}
	}
	b := &Backend{cfg: cfg, jails: make(map[string]*jailState), now: time.Now}
	b.runner.stdout = cfg.Stdout
	return b, nil
}

// MaxJailName is the longest jail name the backend accepts.
const MaxJailName = 64

// checkJailName refuses jail names that could mean something to the shell:
// a jail's name is its actions' <name>, written into their commands as
// trusted text (chain names, subjects). Letters, digits and "_.-@+:" are
// allowed, starting with a letter or digit.
func checkJailName(name string) error {
	if name == "" || len(name) > MaxJailName {
		return fmt.Errorf("action: jail name %q: 1 to %d characters", name, MaxJailName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if i > 0 && strings.IndexByte("_.-@+:", c) >= 0 {
			continue
		}
		return fmt.Errorf("action: jail name %q: only letters, digits and _.-@+: are allowed", name)
	}
	return nil
}

// specs splits entries holding several specs.
func specs(entries []string) []string {
	var out []string
	for _, e := range entries {
		out = append(out, f2bconf.SplitActions(e)...)
	}
	return out
}

// Name returns "action", the backend's name for --backend.
func (b *Backend) Name() string { return "action" }

// Check verifies that the shell runs and that every action named in the
// configuration exists, reads and renders (every operation, for both
// families, with a sample ban), with the file and line of any error. It
// runs no action command.
func (b *Backend) Check(ctx context.Context) error {
	if st, err := os.Stat(Shell); err != nil || st.Mode()&0o111 == 0 {
		return fmt.Errorf("action: %s is not an executable shell", Shell)
	}
	if b.cfg.FS == nil {
		if st, err := os.Stat(b.cfg.Dir); err != nil || !st.IsDir() {
			return fmt.Errorf("action: %s: not a directory (the action.d directory)", b.cfg.Dir)
		}
	}
	var errs []error
	seen := map[string]bool{}
	check := func(js firewall.JailSettings) {
		st, err := b.load(js)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, a := range st.actions {
			for _, fam := range families {
				p := netip.MustParsePrefix("192.0.2.1/32")
				if fam == "inet6" {
					p = netip.MustParsePrefix("2001:db8::1/128")
				}
				base := b.banInfo(ctx, js, &firewall.Ban{Jail: js.Name, Prefix: p, Time: time.Now()}, fam)
				info := func(tag string) (value, bool) {
					if tag == "ip-host" {
						return value{text: "host.example"}, true // no DNS query
					}
					v, ok := base(tag)
					if ok && !v.trusted {
						// a sample, so that untrusted tags are placed
						v.text = "sample value"
					}
					return v, ok
				}
				for _, op := range operations {
					if _, err := a.render(op, fam, info); err != nil {
						err = fmt.Errorf("jail %s: action %s: %s%w", js.Name, a.def.name, a.def.pos[op], err)
						if !seen[err.Error()] { // (the same for both families)
							seen[err.Error()] = true
							errs = append(errs, err)
						}
					}
				}
			}
		}
	}
	if len(specs(b.cfg.Actions)) > 0 {
		check(firewall.JailSettings{Name: "check"})
	}
	for _, name := range sortedKeys(b.cfg.Jails) {
		check(firewall.JailSettings{Name: name})
	}
	return errors.Join(errs...)
}

// jailArgs are the jail settings passed to every action as arguments, as
// jail.conf's default action_ passes port, protocol and chain.
func jailArgs(js firewall.JailSettings) map[string]string {
	m := map[string]string{}
	if js.Ports != "" {
		m["port"] = js.Ports
	}
	if js.Protocol != "" {
		m["protocol"] = js.Protocol
	}
	if js.Chain != "" {
		m["chain"] = js.Chain
	}
	return m
}

// jailOptions are the jail's options: the settings' Options, the
// configured jail's Options over them. (Blocktype is not passed: fail2ban's
// actions set their own per family.)
func (b *Backend) jailOptions(js firewall.JailSettings) map[string]string {
	m := map[string]string{}
	for k, v := range js.Options {
		m[strings.ToLower(k)] = v
	}
	for k, v := range b.cfg.Jails[js.Name].Options {
		m[strings.ToLower(k)] = v
	}
	return m
}

// load reads the actions of a jail.
func (b *Backend) load(js firewall.JailSettings) (*jailState, error) {
	if err := checkJailName(js.Name); err != nil {
		return nil, err
	}
	list := specs(b.cfg.Actions)
	if j, ok := b.cfg.Jails[js.Name]; ok {
		list = specs(j.Actions)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("jail %s: no action", js.Name)
	}
	st := &jailState{known: make(map[netip.Prefix]time.Time)}
	args, opts := jailArgs(js), b.jailOptions(js)
	names := map[string]bool{}
	for _, s := range list {
		d, err := loadDefinition(b.cfg.Dir, s, js.Name, args, opts, b.cfg.Timeout, b.cfg.FS)
		if err != nil {
			return nil, fmt.Errorf("jail %s: %w", js.Name, err)
		}
		if names[d.name] {
			return nil, fmt.Errorf("jail %s: action %q: a second action named %s (give it another name=...)", js.Name, s, d.name)
		}
		names[d.name] = true
		a := &actionState{
			def:      d,
			settings: js,
			started:  map[string]bool{},
			items:    map[string]bool{},
			banned:   map[netip.Prefix]bool{},
			executed: map[string]map[string]string{},
		}
		if b.cfg.AssumeStarted {
			fams := []string{""}
			if d.conditional {
				fams = families
			}
			for _, f := range fams {
				a.started[f], a.items[f] = true, true
			}
		}
		st.actions = append(st.actions, a)
	}
	return st, nil
}

// jail returns the state of a jail, reading its actions the first time.
func (b *Backend) jail(js firewall.JailSettings) (*jailState, error) {
	if st, ok := b.jails[js.Name]; ok {
		return st, nil
	}
	st, err := b.load(js)
	if err != nil {
		return nil, err
	}
	b.jails[js.Name] = st
	return st, nil
}

var errClosed = errors.New("action: backend closed")

// Ban runs actionban of every action of the jail for each ban (after
// actionstart, the first time for the jail, or for the ban's family when
// the action has [Init?family=...] sections). A ban already in place runs
// actionprolong when the action has one, else nothing. A restored ban
// (Restored) of an action with norestored runs nothing. errs[i] joins the
// errors of the actions that failed for bans[i]; when only actions that
// block nothing (no actionunban: mail, reports) failed and the others
// worked, it is a *firewall.PartialError: the ban is in place.
func (b *Backend) Ban(ctx context.Context, jail firewall.JailSettings, bans []firewall.Ban) []error {
	return b.apply(ctx, jail, bans, true)
}

// Unban runs actionunban of every action of the jail for each ban that it
// banned; unbanning a ban it did not make (or no longer holds) is no error
// and runs nothing, as in fail2ban.
func (b *Backend) Unban(ctx context.Context, jail firewall.JailSettings, bans []firewall.Ban) []error {
	return b.apply(ctx, jail, bans, false)
}

func (b *Backend) apply(ctx context.Context, jail firewall.JailSettings, bans []firewall.Ban, ban bool) []error {
	errs := make([]error, len(bans))
	b.mu.Lock()
	defer b.mu.Unlock()
	fail := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	if b.closed {
		return fail(errClosed)
	}
	st, err := b.jail(jail)
	if err != nil {
		return fail(err)
	}
	for _, a := range st.actions {
		a.settings.Bantime, a.settings.Options = jail.Bantime, jail.Options
	}
	for i := range bans {
		bn := &bans[i]
		if !bn.Prefix.IsValid() {
			errs[i] = errors.New("action: no address to ban")
			continue
		}
		fam := familyOf(bn.Prefix)
		var aerrs []error
		ok, blocked, blockFailed := false, false, false
		for _, a := range st.actions {
			var err error
			if ban {
				err = b.banOne(ctx, a, bn, fam)
			} else {
				err = b.unbanOne(ctx, a, bn, fam)
			}
			blocks := a.blocks(fam)
			if err != nil {
				aerrs = append(aerrs, err)
				blockFailed = blockFailed || blocks
			} else {
				ok = true
				blocked = blocked || blocks
			}
		}
		errs[i] = errors.Join(aerrs...)
		if ban && errs[i] != nil && !blockFailed && (blocked || ok) {
			// Only notifications failed: the ban is in place.
			errs[i] = &firewall.PartialError{Err: errs[i]}
		}
		switch {
		case ban && ok:
			st.known[bn.Prefix] = banEnd(bn)
		case !ban:
			held := false
			for _, a := range st.actions {
				held = held || a.banned[bn.Prefix]
			}
			if !held {
				delete(st.known, bn.Prefix)
			}
		}
	}
	return errs
}

// blocks reports whether the action blocks anything for family fam: it
// has an actionunban (a notification such as sendmail or a report to
// blocklist.de has none; a failure of those leaves the ban in place).
func (a *actionState) blocks(fam string) bool {
	cmd, err := a.def.command(opUnban, fam)
	return err != nil || strings.TrimSpace(cmd) != ""
}

// banEnd returns when bn ends: its Until, else its Time plus its Bantime;
// zero when permanent or unknown.
func banEnd(bn *firewall.Ban) time.Time {
	switch {
	case !bn.Until.IsZero():
		return bn.Until
	case bn.Bantime > 0 && !bn.Time.IsZero():
		return bn.Time.Add(bn.Bantime)
	}
	return time.Time{}
}

func (b *Backend) banOne(ctx context.Context, a *actionState, bn *firewall.Ban, fam string) error {
	info := b.banInfo(ctx, a.settings, bn, fam)
	if a.banned[bn.Prefix] {
		// Already in place: prolong when the action can.
		return b.process(ctx, a, opProlong, fam, info)
	}
	if bn.Restored && a.def.norestored {
		a.banned[bn.Prefix] = true
		return nil
	}
	sf := a.def.startFamily(fam)
	if !a.started[sf] {
		// On demand, the ban's family starts; otherwise (fail2ban starts
		// those at the jail's start) every family of the action.
		fams := []string{sf}
		if !a.def.startOnDemand && a.def.conditional {
			fams = families
		}
		for _, f := range fams {
			if !a.started[f] {
				if err := b.start(ctx, a, f); err != nil {
					return err
				}
			}
		}
	}
	if err := b.process(ctx, a, opBan, fam, info); err != nil {
		return err
	}
	a.banned[bn.Prefix] = true
	a.items[sf] = true
	return nil
}

func (b *Backend) unbanOne(ctx context.Context, a *actionState, bn *firewall.Ban, fam string) error {
	if !a.banned[bn.Prefix] && !b.cfg.AssumeStarted {
		return nil
	}
	if err := b.process(ctx, a, opUnban, fam, b.banInfo(ctx, a.settings, bn, fam)); err != nil {
		return err
	}
	delete(a.banned, bn.Prefix)
	return nil
}

// process runs operation op of a ban as fail2ban's _processCmd: when the
// command fails and the action has an actioncheck, the check runs; when it
// fails too, actionrepair runs (or, without one, actionstop and
// actionstart), the check must then pass, and the command is tried once
// more. For an unban the repair only happens with actionrepair_on_unban.
func (b *Backend) process(ctx context.Context, a *actionState, op, fam string, info dynamicFunc) error {
	sc, err := a.render(op, fam, info)
	if err != nil {
		return &CommandError{Action: a.def.name, Operation: op, Err: err}
	}
	err = b.runner.run(ctx, a.def.name, op, sc, a.def.timeout)
	if err == nil {
		return nil
	}
	check, cerr := a.render(opCheck, fam, b.plainInfo(fam))
	if cerr != nil || check.text == "" || ctx.Err() != nil {
		return err
	}
	if b.runner.run(ctx, a.def.name, opCheck, check, a.def.timeout) == nil {
		// The environment is sane: try once more.
		return b.runner.run(ctx, a.def.name, op, sc, a.def.timeout)
	}
	if op == opUnban && !a.def.repairOnUnban {
		return fmt.Errorf("%w (actioncheck failed too: unban impossible)", err)
	}
	sf := a.def.startFamily(fam)
	repair, rerr := a.render(opRepair, fam, b.plainInfo(fam))
	switch {
	case rerr != nil:
		return errors.Join(err, rerr)
	case repair.text != "":
		if e := b.runner.run(ctx, a.def.name, opRepair, repair, a.def.timeout); e != nil {
			a.started[sf] = false
			return fmt.Errorf("%w; unable to restore environment: %v", err, e)
		}
		a.started[sf] = true
	default:
		_ = b.stop(ctx, a, sf)
		if e := b.start(ctx, a, sf); e != nil {
			return fmt.Errorf("%w; unable to restore environment: %v", err, e)
		}
	}
	if e := b.runner.run(ctx, a.def.name, opCheck, check, a.def.timeout); e != nil {
		return fmt.Errorf("%w; unable to restore environment: %v", err, e)
	}
	return b.runner.run(ctx, a.def.name, op, sc, a.def.timeout)
}

// operation runs a ban-less operation (start, stop, flush) for start family
// sf, skipping a command already run identically for another family.
func (b *Backend) operation(ctx context.Context, a *actionState, op, sf string) (ran string, err error) {
	sc, err := a.render(op, sf, b.plainInfo(sf))
	if err != nil {
		return "", &CommandError{Action: a.def.name, Operation: op, Err: err}
	}
	if sc.text == "" {
		return "", nil
	}
	for f, cmd := range a.executed[op] {
		if f != sf && cmd == sc.text {
			return sc.text, nil
		}
	}
	return sc.text, b.runner.run(ctx, a.def.name, op, sc, a.def.timeout)
}

func (a *actionState) record(op, sf, cmd string) {
	if a.executed[op] == nil {
		a.executed[op] = map[string]string{}
	}
	if cmd == "" {
		delete(a.executed[op], sf)
	} else {
		a.executed[op][sf] = cmd
	}
}

func (b *Backend) start(ctx context.Context, a *actionState, sf string) error {
	cmd, err := b.operation(ctx, a, opStart, sf)
	if err != nil {
		return err
	}
	a.started[sf] = true
	a.record(opStart, sf, cmd)
	a.record(opStop, sf, "")
	return nil
}

func (b *Backend) stop(ctx context.Context, a *actionState, sf string) error {
	if !a.started[sf] {
		return nil
	}
	cmd, err := b.operation(ctx, a, opStop, sf)
	a.started[sf] = false
	a.items[sf] = false
	if err != nil {
		return err
	}
	a.record(opStop, sf, cmd)
	a.record(opStart, sf, "")
	return nil
}

// flush removes the bans of action a: actionflush for each family holding
// bans, or, for an action without one, actionunban of each ban.
func (b *Backend) flush(ctx context.Context, a *actionState) error {
	var errs []error
	for _, sf := range sortedKeys(a.items) {
		if !a.items[sf] || !a.started[sf] {
			continue
		}
		cmd, err := b.operation(ctx, a, opFlush, sf)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if cmd == "" {
			for p := range a.banned {
				if a.def.startFamily(familyOf(p)) != sf {
					continue
				}
				bn := firewall.Ban{Jail: a.settings.Name, Prefix: p, Time: time.Now()}
				if err := b.unbanOne(ctx, a, &bn, familyOf(p)); err != nil {
					errs = append(errs, err)
				}
			}
		} else {
			a.record(opFlush, sf, cmd)
			for p := range a.banned {
				if a.def.startFamily(familyOf(p)) == sf {
					delete(a.banned, p)
				}
			}
		}
		a.items[sf] = false
	}
	a.executed[opFlush] = nil
	return errors.Join(errs...)
}

// List returns the bans this backend made for jail ("" for every jail).
// Expires is the time left until the ban's end as its event announced it
// (actions have no kernel timeout: a ban stays until its unban); 0 when
// permanent, unknown or past.
func (b *Backend) List(ctx context.Context, jail string) ([]firewall.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []firewall.Entry
	for _, name := range sortedKeys(b.jails) {
		if jail != "" && name != jail {
			continue
		}
		for p, end := range b.jails[name].known {
			e := firewall.Entry{Jail: name, Prefix: p}
			if d := time.Until(end); !end.IsZero() && d > 0 {
				e.Expires = d.Truncate(time.Second)
			}
			out = append(out, e)
		}
	}
	sortEntries(out)
	return out, nil
}

func sortEntries(es []firewall.Entry) {
	less := func(x, y firewall.Entry) bool {
		if x.Jail != y.Jail {
			return x.Jail < y.Jail
		}
		if c := x.Prefix.Addr().Compare(y.Prefix.Addr()); c != 0 {
			return c < 0
		}
		return x.Prefix.Bits() < y.Prefix.Bits()
	}
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && less(es[j], es[j-1]); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// Flush removes what the actions made for jail ("" for every jail): each
// action's bans (actionflush, or actionunban of each ban), then its
// actionstop. A later ban starts the action again.
func (b *Backend) Flush(ctx context.Context, jail string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	if b.cfg.AssumeStarted && !b.closed {
		names := sortedKeys(b.cfg.Jails)
		if jail != "" {
			names = []string{jail}
		}
		for _, n := range names {
			if _, err := b.jail(firewall.JailSettings{Name: n}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, name := range sortedKeys(b.jails) {
		if jail != "" && name != jail {
			continue
		}
		st := b.jails[name]
		for _, a := range st.actions {
			if err := b.flush(ctx, a); err != nil {
				errs = append(errs, err)
			}
			for _, sf := range sortedKeys(a.started) {
				if err := b.stop(ctx, a, sf); err != nil {
					errs = append(errs, err)
				}
			}
			a.banned = map[netip.Prefix]bool{}
		}
		st.known = make(map[netip.Prefix]time.Time)
	}
	return errors.Join(errs...)
}

// Close runs actionstop of every started action when Config.StopOnClose
// is set; otherwise it runs nothing. The backend refuses bans afterwards.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if !b.cfg.StopOnClose {
		return nil
	}
	ctx := context.Background()
	var errs []error
	for _, name := range sortedKeys(b.jails) {
		for _, a := range b.jails[name].actions {
			for _, sf := range sortedKeys(a.started) {
				if err := b.stop(ctx, a, sf); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// render renders operation op of a for family with the dynamic tags info.
func (a *actionState) render(op, family string, info dynamicFunc) (script, error) {
	cmd, err := a.def.command(op, family)
	if err != nil || cmd == "" {
		return script{}, err
	}
	sc, err := renderDynamic(cmd, info)
	if err != nil {
		return script{}, fmt.Errorf("%s: %w", op, err)
	}
	return sc, nil
}

// familyOf returns fail2ban's family name of p.
func familyOf(p netip.Prefix) string {
	if p.Addr().Is4() {
		return "inet4"
	}
	return "inet6"
}

// reverseName returns the PTR name of addr without its suffix, ending in
// a dot (fail2ban's <ip-rev>: 7.2.0.192. for 192.0.2.7).
func reverseName(addr netip.Addr) string {
	var b strings.Builder
	if addr.Is4() {
		a := addr.As4()
		for i := 3; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(a[i])))
			b.WriteByte('.')
		}
		return b.String()
	}
	a := addr.As16()
	const hex = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	return b.String()
}

// plainInfo is the dynamic tags of an operation without a ban (start,
// stop, flush, check, repair): the family and the time; the other ban tags
// are empty, as with fail2ban's empty ticket.
func (b *Backend) plainInfo(family string) dynamicFunc {
	now := strconv.FormatInt(b.now().Unix(), 10)
	return func(tag string) (value, bool) {
		switch tag {
		case "family":
			return value{text: family, trusted: true}, true
		case "time":
			return value{text: now, trusted: true}, true
		case "ip", "ip-rev", "ip-host", "fid", "matches", "ipmatches", "ipjailmatches", "bantime",
			"raw-ticket", "jail.banned", "jail.banned_total", "jail.found", "jail.found_total":
			return value{trusted: true}, true
		case "failures", "ipfailures", "ipjailfailures", "bancount", "restored":
			return value{text: "0", trusted: true}, true
		}
		if fTagRE.MatchString(tag) {
			return value{trusted: true}, true
		}
		return value{}, false
	}
}

// captureName maps a filter tag F-NAME to its capture: lower-cased, with
// fail2ban's renames (F-ID is fid, F-PORT fport).
var captureRenames = map[string]string{"id": "fid", "port": "fport"}

func capture(c map[string]string, tag string) (string, bool) {
	n := strings.ToLower(strings.TrimPrefix(tag, "F-"))
	if v, ok := c[n]; ok {
		return v, true
	}
	if r, ok := captureRenames[n]; ok {
		v, ok := c[r]
		return v, ok
	}
	for k, v := range c {
		if strings.EqualFold(k, n) {
			return v, true
		}
	}
	return "", false
}

// banInfo returns the dynamic tags of a ban. Only values banpipe makes
// are trusted: the address (parsed), its reverse name, the family and the
// numbers. The captures, the failure id, the matches and the host name
// from DNS come from outside and go through the environment.
func (b *Backend) banInfo(ctx context.Context, js firewall.JailSettings, bn *firewall.Ban, family string) dynamicFunc {
	ip := bn.Prefix.Addr().String()
	if !bn.Prefix.IsSingleIP() {
		ip = bn.Prefix.String()
	}
	t := bn.Time
	if t.IsZero() {
		t = time.Now()
	}
	bantime := formatBantime(bn, js)
	restored := "0"
	if bn.Restored {
		restored = "1"
	}
	trusted := func(s string) (value, bool) { return value{text: s, trusted: true}, true }
	untrusted := func(s string) (value, bool) { return value{text: s}, true }
	return func(tag string) (value, bool) {
		switch tag {
		case "ip":
			return trusted(ip)
		case "family":
			return trusted(family)
		case "ip-rev":
			return trusted(reverseName(bn.Prefix.Addr()))
		case "ip-host":
			return untrusted(b.hostName(ctx, bn.Prefix.Addr()))
		case "fid":
			if v, ok := capture(bn.Captures, "F-ID"); ok {
				return untrusted(v)
			}
			if v, ok := bn.Captures["host"]; ok {
				return untrusted(v)
			}
			return trusted(ip)
		case "failures", "ipfailures", "ipjailfailures":
			return trusted(strconv.Itoa(bn.Failures))
		case "bancount":
			return trusted(strconv.Itoa(bn.Bancount))
		case "time":
			return trusted(strconv.FormatInt(t.Unix(), 10))
		case "bantime":
			return trusted(bantime)
		case "restored":
			return trusted(restored)
		case "matches", "ipmatches", "ipjailmatches":
			// The lines of the ban (its window's last maxmatches), joined
			// by newlines as fail2ban's ActionInfo does. ipmatches and
			// ipjailmatches are the same lines: fail2ban merges past bans
			// from its database into them, banpipe keeps no log lines past
			// a ban (fail2ban without a database does the same).
			return untrusted(strings.Join(bn.Matches, "\n"))
		case "raw-ticket", "jail.banned", "jail.banned_total", "jail.found", "jail.found_total":
			// fail2ban's server counters: banpipe has none.
			return trusted("")
		}
		if fTagRE.MatchString(tag) {
			v, _ := capture(bn.Captures, tag)
			return untrusted(v)
		}
		return value{}, false
	}
}

// formatBantime returns <bantime>: the ban's, else until - time, else the
// jail's, else the jail option bantime, else firewall.DefaultBantime; -1
// when permanent.
func formatBantime(bn *firewall.Ban, js firewall.JailSettings) string {
	d := bn.Bantime
	if d == 0 && !bn.Until.IsZero() && !bn.Time.IsZero() {
		if d = bn.Until.Sub(bn.Time); d <= 0 {
			d = 0
		}
	}
	if d == 0 {
		d = js.Bantime
	}
	if d == 0 {
		if v, ok := js.Options["bantime"]; ok {
			d, _ = f2bconf.ParseTime(v)
		}
	}
	if d == 0 {
		d = firewall.DefaultBantime
	}
	if d < 0 {
		return "-1"
	}
	return strconv.FormatInt(int64(d/time.Second), 10)
}

// hostName resolves addr for <ip-host> (the first name, without its final
// dot), "" when it does not resolve within 5 s.
func (b *Backend) hostName(ctx context.Context, addr netip.Addr) string {
	lookup := b.cfg.LookupAddr
	if lookup == nil {
		lookup = net.DefaultResolver.LookupAddr
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	names, err := lookup(ctx, addr.String())
	if err != nil || len(names) == 0 {
		return ""
	}
	return strings.TrimSuffix(names[0], ".")
}
