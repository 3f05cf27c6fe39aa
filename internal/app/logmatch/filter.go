package logmatch

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/filter/injection"
	"github.com/banpipe/banpipe/pkg/jailconf"
)

// resolveSpec finds the file of a filter spec: PATH.conf (or a path with
// a slash), else NAME in dir, else NAME among the built-in filters.
func resolveSpec(spec, dir string) (file string, fsys fs.FS, name string, args map[string]string, err error) {
	name, args, err = f2bconf.ParseSpec(spec)
	if err != nil {
		return "", nil, "", nil, clirun.Usagef("filter %q: %v", spec, err)
	}
	if name == "" {
		return "", nil, "", nil, clirun.Usagef("filter %q: no name", spec)
	}
	if strings.HasSuffix(name, ".conf") || strings.ContainsRune(name, '/') {
		p := name
		if !strings.HasSuffix(p, ".conf") {
			p += ".conf"
		}
		if _, err := os.Stat(p); err != nil {
			return "", nil, "", nil, clirun.Config(fmt.Errorf("filter %s: %w", p, errors.Unwrap(err)))
		}
		return p, nil, strings.TrimSuffix(filepath.Base(p), ".conf"), args, nil
	}
	if dir != "" {
		p := filepath.Join(dir, name+".conf")
		if _, err := os.Stat(p); err == nil {
			return p, nil, name, args, nil
		}
	}
	p := "filter.d/" + name + ".conf"
	if _, err := fs.Stat(builtin.FS, p); err == nil {
		return p, builtin.FS, name, args, nil
	}
	where := "among the built-in filters"
	if dir != "" {
		where = "in " + dir + " or " + where
	}
	return "", nil, "", nil, clirun.WithHint(clirun.Config(fmt.Errorf("unknown filter %q (not %s)", name, where)),
		"logmatch --list-filters lists the built-in filters")
}

// loadFilter reads the filter of spec; autoLogType is fail2ban's automatic
// logtype ("journal" for journal input), "" for none.
func loadFilter(spec, dir, autoLogType string) (*filter.Definition, error) {
	file, fsys, name, args, err := resolveSpec(spec, dir)
	if err != nil {
		return nil, err
	}
	def, err := filter.Load(file, args, &filter.LoadOptions{FS: fsys, Name: name, AutoLogType: autoLogType})
	if err != nil {
		if fsys != nil {
			return nil, clirun.Config(fmt.Errorf("built-in %w", err))
		}
		return nil, clirun.Config(err)
	}
	return def, nil
}

// listFilters prints the built-in filter names.
func listFilters() []string {
	names := builtin.Names()
	sort.Strings(names)
	return names
}

// showFilter returns the text of built-in filter name.
func showFilter(name string) ([]byte, error) {
	name = strings.TrimSuffix(path.Base(name), ".conf")
	b, err := fs.ReadFile(builtin.FS, "filter.d/"+name+".conf")
	if err != nil {
		return nil, clirun.WithHint(clirun.Usagef("no built-in filter %q", name), "logmatch --list-filters lists them")
	}
	return b, nil
}

// jailOptions are the jail options fail2ban's JailReader passes to the
// filter (its _configOpts).
var jailOptions = []string{"enabled", "backend", "maxretry", "maxmatches", "findtime", "bantime",
	"bantime.increment", "bantime.factor", "bantime.formula", "bantime.multipliers", "bantime.maxtime",
	"bantime.rndtime", "bantime.overalljails", "ignorecommand", "ignoreself", "ignoreip", "ignorecache",
	"filter", "logtimezone", "logencoding", "logpath", "action"}

// jailDefinition reads the filter of jail from a jail configuration, as
// fail2ban's JailReader does: the jail's filter spec, looked up in dir
// (default: filter.d beside the configuration) then among the built-in
// filters, with the jail's options for interpolation and logtype from its
// backend. It also returns the jail's logtimezone.
func jailDefinition(conf, jail, dir, input string) (*filter.Definition, string, error) {
	set, err := jailconf.Load(conf)
	if err != nil {
		return nil, "", clirun.Config(err)
	}
	j, err := set.Jail(jail)
	if err != nil {
		return nil, "", clirun.Config(err)
	}
	if j.FilterName == "" {
		return nil, "", clirun.Config(fmt.Errorf("%s: jail %s has no filter", j.Source, jail))
	}
	if dir == "" {
		dir = filepath.Join(filepath.Dir(conf), "filter.d")
	}
	file, fsys, name, _, err := resolveSpec(j.FilterName, dir)
	if err != nil {
		return nil, "", err
	}
	vars := map[string]string{}
	for _, k := range jailOptions {
		if v, ok := j.Options[k]; ok {
			vars[k] = v
		}
	}
	auto := "file"
	if strings.HasPrefix(j.Options["backend"], "systemd") || input == "journal-json" {
		auto = "journal"
	}
	def, err := filter.Load(file, j.FilterArgs, &filter.LoadOptions{FS: fsys, Name: name, Vars: vars, AutoLogType: auto})
	if err != nil {
		return nil, "", clirun.Config(err)
	}
	return def, j.Options["logtimezone"], nil
}

// warnInjectable warns on stderr when jail's filter can be made to blame an
// address a client writes into a log line (package injection's probes:
// fail2ban 1.0.2's sshd, pam-generic and vsftpd are such filters).
func warnInjectable(stderr io.Writer, jail string, def *filter.Definition, f *filter.Filter) {
	found, err := injection.Probe(f, def.DatePattern)
	if err != nil || len(found) == 0 {
		return
	}
	what := def.File
	if what == "" {
		what = nameOr(def.Name, "(regex)")
	}
	seen := map[string]bool{}
	for _, fd := range found {
		if seen[fd.Shape] {
			continue
		}
		seen[fd.Shape] = true
		warnf(stderr, "warning: %s: filter %s is injectable: a client can make it report an address it writes (%s): %q reports %s",
			jail, what, fd.Shape, fd.Line, injection.Written)
	}
	if _, err := fs.Stat(builtin.FS, "filter.d/"+def.Name+".conf"); err == nil {
		warnf(stderr, "hint: the built-in filter %s reports the real client or nothing (-f %s; in a jail, filter = %s with no %s.conf in its filter.d)", def.Name, def.Name, def.Name, def.Name)
	}
}
