package filter

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/banpipe/banpipe/pkg/f2bconf"
)

// LoadOptions tell Load where to read.
type LoadOptions struct {
	// FS is the file system to read from (e.g. the built-in filters);
	// nil means the operating system's.
	FS fs.FS
	// Name is the filter's name in events; "" means the file's base name.
	Name string
	// Vars are values %(name)s references see before the file's own (a
	// jail's options, as fail2ban's JailReader passes them); unlike args
	// they do not become <name> tags.
	Vars map[string]string
	// AutoLogType, when set, is the logtype given to a filter whose
	// arguments and [Definition] set none (fail2ban's applyAutoOptions:
	// "journal" for a systemd backend, else "file").
	AutoLogType string
}

// Load reads the filter file at p (a .conf file; its .local and
// NAME.d/ overrides are read too) with the given arguments (a spec's
// [key=value, ...], overriding [Init]) and resolves its options as
// fail2ban's FilterReader does: [f2bconf.Config.Combine] with
// [f2bconf.FilterKeys] (getOptions, getCombined), then convert.
func Load(p string, args map[string]string, opts *LoadOptions) (*Definition, error) {
	var o LoadOptions
	if opts != nil {
		o = *opts
	}
	cfg, err := f2bconf.Read(p, &f2bconf.Options{FS: o.FS})
	if err != nil {
		return nil, err
	}
	name := o.Name
	if name == "" {
		name = strings.TrimSuffix(path.Base(filepath.ToSlash(p)), ".conf")
	}
	initOpts := make(map[string]string, len(args)+1)
	for k, v := range args {
		initOpts[k] = v
	}
	if o.AutoLogType != "" && initOpts["logtype"] == "" && !slices.Contains(cfg.OwnKeys("Definition"), "logtype") {
		initOpts["logtype"] = o.AutoLogType
	}
	res, err := cfg.Combine(f2bconf.FilterKeys, false, o.Vars, initOpts, f2bconf.TagOptions{})
	if err != nil {
		// reading an option already names its file and line; a <tag>
		// that cannot be substituted is placed at [Definition]
		var fe *f2bconf.Error
		var nf *f2bconf.NotFound
		if errors.As(err, &fe) || errors.As(err, &nf) {
			return nil, err
		}
		file, line := cfg.SectionPos("Definition")
		return nil, &f2bconf.Error{File: file, Line: line, Err: err}
	}
	def := &Definition{Name: name, File: p}
	def.Pos = func(option string) (string, int) {
		if f, l := cfg.Pos("Definition", option); f != "" {
			return f, l
		}
		return cfg.Pos("Init", option)
	}
	def.Raw = func(option string) string {
		v, _ := cfg.Raw("Definition", option)
		return v
	}
	_, explicitFail := res["failregex"]
	def.PrefRegex = res["prefregex"]
	def.FailRegex = splitRegexes(res["failregex"])
	def.IgnoreRegex = splitRegexes(res["ignoreregex"])
	def.DatePattern = res["datepattern"]
	def.UseDNS = res["usedns"]
	def.LogType = res["logtype"]
	for _, l := range strings.Split(res["journalmatch"], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			def.JournalMatch = append(def.JournalMatch, l)
		}
	}
	if v, ok := res["maxlines"]; ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			f, l := def.Pos("maxlines")
			return nil, &f2bconf.Error{File: f, Line: l, Err: fmt.Errorf("maxlines: %q is not an integer greater than zero", v)}
		}
		def.MaxLines = n
	}
	if !explicitFail || len(def.FailRegex) == 0 {
		return nil, &f2bconf.Error{File: p, Err: errors.New("filter has no failregex")}
	}
	return def, nil
}

// splitRegexes splits a multi-line option into its regexes, dropping
// empty lines, as fail2ban's _fillStream does.
func splitRegexes(v string) []string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
