package logmatch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filters"
)

// setup is what the options resolve to.
type setup struct {
	def  *filter.Definition
	jail string
}

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
	if _, err := fs.Stat(filters.FS, p); err == nil {
		return p, filters.FS, name, args, nil
	}
	where := "among the built-in filters"
	if dir != "" {
		where = "in " + dir + " or " + where
	}
	return "", nil, "", nil, clirun.WithHint(clirun.Config(fmt.Errorf("unknown filter %q (not %s)", name, where)),
		"logmatch --list-filters lists the built-in filters")
}

// loadFilter reads the filter of spec.
func loadFilter(spec, dir string) (*filter.Definition, error) {
	file, fsys, name, args, err := resolveSpec(spec, dir)
	if err != nil {
		return nil, err
	}
	def, err := filter.Load(file, args, &filter.LoadOptions{FS: fsys, Name: name})
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
	names := filters.Names()
	sort.Strings(names)
	return names
}

// showFilter returns the text of built-in filter name.
func showFilter(name string) ([]byte, error) {
	name = strings.TrimSuffix(path.Base(name), ".conf")
	b, err := fs.ReadFile(filters.FS, "filter.d/"+name+".conf")
	if err != nil {
		return nil, clirun.WithHint(clirun.Usagef("no built-in filter %q", name), "logmatch --list-filters lists them")
	}
	return b, nil
}

// jailDefinition reads the filter of jail from a jail configuration.
func jailDefinition(conf, jail, dir string) (*filter.Definition, error) {
	return nil, clirun.Config(fmt.Errorf("%s: --config is not available in this build", conf))
}
