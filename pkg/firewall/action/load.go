package action

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/banpipe/banpipe/pkg/f2bconf"
)

// Operations, the commands of an action file's [Definition].
const (
	opStart   = "actionstart"
	opStop    = "actionstop"
	opCheck   = "actioncheck"
	opRepair  = "actionrepair"
	opBan     = "actionban"
	opUnban   = "actionunban"
	opProlong = "actionprolong"
	opFlush   = "actionflush"
)

var operations = []string{opStart, opStop, opCheck, opRepair, opBan, opUnban, opProlong, opFlush}

// escapedTags are fail2ban's CommandAction._escapedTags: never resolved from
// the properties, only from a ban.
var escapedTags = []string{"matches", "ipmatches", "ipjailmatches"}

// families are the address families of conditional sections.
var families = []string{"inet4", "inet6"}

// definition is one action of one jail as fail2ban's CommandAction holds it:
// its properties, with tags substituted among them for each family.
type definition struct {
	spec    string // as given, e.g. `sendmail-whois[dest="a@b"]`
	file    string // the action's name, e.g. "sendmail-whois"
	name    string // the actname: file, or file-<name> for a second instance
	timeout time.Duration

	norestored    bool
	startOnDemand bool
	repairOnUnban bool
	conditional   bool              // has [Init?family=...] options
	props         map[string]string // as fail2ban's server holds them
	byFamily      map[string]map[string]string
	commands      map[string]map[string]string // family key -> op -> static command
	pos           map[string]string            // op -> "file:line: " of its definition
}

// loadDefinition reads the action named by spec from dir for jail, with the
// jail's options jailOpts, as fail2ban's ActionReader does:
//
//   - the arguments of the spec override jailArgs (the jail's port,
//     protocol and chain, passed as jail.conf's default action_ passes
//     them), which override [Init], which overrides the jail's
//     options, which override [Definition] (for options [Definition] and the
//     jail both set, the jail's value wins, as with fail2ban's vars);
//   - name defaults to the jail's name; [Init] values are also known as
//     known/NAME;
//   - tags of the form <section/option> are looked up in the file's other
//     sections.
//
// f2bconf's Combine does the combination as fail2ban's client does.
func loadDefinition(dir, spec, jail string, jailArgs, jailOpts map[string]string, defTimeout time.Duration, fsys fs.FS) (*definition, error) {
	file, args, err := f2bconf.ParseSpec(spec)
	if err != nil {
		return nil, fmt.Errorf("action %q: %w", spec, err)
	}
	if file == "" || strings.ContainsAny(file, "/\\") || file == "." || file == ".." {
		return nil, fmt.Errorf("action %q: bad action name %q", spec, file)
	}
	if strings.HasSuffix(file, ".py") {
		return nil, fmt.Errorf("action %q: python actions (%s) are not supported", spec, file)
	}
	path := filepath.Join(dir, file+".conf")
	var opts *f2bconf.Options
	if fsys != nil {
		opts = &f2bconf.Options{FS: fsys}
	}
	cfg, err := f2bconf.Read(path, opts)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("action %q: %s: no such action file", spec, path)
		}
		return nil, fmt.Errorf("action %q: %w", spec, err)
	}
	if !cfg.HasSection("Definition") {
		return nil, fmt.Errorf("action %q: %s: no [Definition] section", spec, path)
	}

	// initOpts as fail2ban's ActionReader makes them: the arguments, name
	// defaulting to the jail, actname to the file (plus a suffix for a
	// second instance with another name).
	initOpts := make(map[string]string, len(jailArgs)+len(args)+2)
	for k, v := range jailArgs {
		initOpts[strings.ToLower(k)] = v
	}
	for k, v := range args {
		initOpts[strings.ToLower(k)] = v
	}
	n, ok := initOpts["name"]
	if !ok {
		n = jail
		initOpts["name"] = n
	}
	actname, ok := initOpts["actname"]
	if !ok {
		actname = file
		if n != jail {
			if strings.HasPrefix(n, jail) {
				actname += n[len(jail):]
			} else {
				actname += "-" + n
			}
		}
		initOpts["actname"] = actname
	}

	// The options as fail2ban's client combines them ([Definition]'s
	// commands, [Init], the arguments, tags resolved among them and in
	// [Definition] with the jail's options consulted first), and as its
	// server then holds them: without the known/ copies.
	combined, err := cfg.Combine(f2bconf.ActionKeys, false, jailOpts, initOpts,
		f2bconf.TagOptions{Ignore: append([]string{"timeout", "bantime"}, escapedTags...)})
	if err != nil {
		return nil, fmt.Errorf("action %q: %s%w", spec, where(cfg, err), err)
	}
	props := make(map[string]string, len(combined))
	for k, v := range combined {
		if !strings.HasPrefix(k, "known/") {
			props[k] = v
		}
	}
	d := &definition{spec: spec, file: file, name: actname, timeout: defTimeout, props: props, pos: map[string]string{}}
	for _, op := range operations {
		if f, line := cfg.Pos("Definition", op); f != "" && line > 0 {
			d.pos[op] = fmt.Sprintf("%s:%d: ", f, line)
		}
	}
	if err := d.prepare(); err != nil {
		if w := where(cfg, err); w != "" {
			return nil, fmt.Errorf("action %q: %s%w", spec, w, err)
		}
		return nil, fmt.Errorf("action %q: %s: %w", spec, path, err)
	}
	return d, nil
}

// optionRE finds the option an error is about: "tag <NAME> ..." of
// f2bconf.SubstituteTags, or "NAME: ..." of prepare.
var optionRE = regexp.MustCompile(`^(?:tag <([^ <>?]+)(?:\?[^ <>]*)?>|([a-z_]+): )`)

// where returns "file:line: " of the option err is about, read from cfg's
// [Definition] or [Init], or "" when the error names none or already
// carries a place (an *f2bconf.Error).
func where(cfg *f2bconf.Config, err error) string {
	var fe *f2bconf.Error
	if errors.As(err, &fe) {
		return ""
	}
	m := optionRE.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	opt := m[1] + m[2]
	for _, sec := range []string{"Definition", "Init"} {
		if file, line := cfg.Pos(sec, opt); file != "" && line > 0 {
			return fmt.Sprintf("%s:%d: ", file, line)
		}
	}
	return ""
}

// prepare derives the settings of d from its properties and substitutes
// the tags among them for each family.
func (d *definition) prepare() error {
	// bantime and timeout are not tags (fail2ban's WRAP_CMD_PARAMS); the
	// escaped tags only come from a ban.
	if v, ok := d.props["timeout"]; ok && strings.TrimSpace(v) != "" {
		t, err := f2bconf.ParseTime(v)
		if err != nil || t <= 0 {
			return fmt.Errorf("timeout: not a positive time: %q", v)
		}
		d.timeout = t
	}
	if d.timeout <= 0 {
		d.timeout = DefaultTimeout
	}
	delete(d.props, "timeout")
	delete(d.props, "bantime")
	for _, t := range escapedTags {
		delete(d.props, t)
	}
	for k := range d.props {
		if strings.Contains(k, "?family=") {
			d.conditional = true
		}
	}
	var err error
	if d.norestored, err = propBool(d.props, "norestored", false); err != nil {
		return err
	}
	if d.startOnDemand, err = propBool(d.props, "actionstart_on_demand", d.conditional); err != nil {
		return err
	}
	if d.repairOnUnban, err = propBool(d.props, "actionrepair_on_unban", false); err != nil {
		return err
	}
	d.byFamily = make(map[string]map[string]string)
	fams := []string{""}
	if d.conditional {
		fams = families
	}
	for _, f := range fams {
		to := f2bconf.TagOptions{Ignore: escapedTags}
		if f != "" {
			to.Conditional = "family=" + f
		}
		sub, err := f2bconf.SubstituteTags(d.props, to)
		if err != nil {
			return err
		}
		d.byFamily[f] = sub
	}
	// Render the static part of every command once.
	d.commands = make(map[string]map[string]string)
	for f, props := range d.byFamily {
		d.commands[f] = make(map[string]string)
		for _, op := range operations {
			q, ok := props[op]
			if !ok || strings.TrimSpace(q) == "" {
				continue
			}
			cmd, err := renderStatic(q, props, f, nil)
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			d.commands[f][op] = strings.TrimSpace(cmd)
		}
	}
	return nil
}

// command returns the static part of operation op for family ("" when
// the action has none).
func (d *definition) command(op, family string) (string, error) {
	return d.commands[d.familyKey(family)][op], nil
}

// familyKey is the family whose substituted properties apply.
func (d *definition) familyKey(family string) string {
	if d.conditional && family != "" {
		return family
	}
	if d.conditional {
		return families[0]
	}
	return ""
}

// startFamily is the family an ip's family is started under: its own for
// an action with conditional sections, "" otherwise.
func (d *definition) startFamily(family string) string {
	if d.conditional {
		return family
	}
	return ""
}

// propBool reads a boolean option as fail2ban's configreader does.
func propBool(props map[string]string, key string, def bool) (bool, error) {
	v, ok := props[key]
	if !ok {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("%s: not a boolean: %q", key, v)
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}
