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

// filterOptions are fail2ban's FilterReader._configOpts.
var filterOptions = []string{"usedns", "prefregex", "ignoreregex", "failregex", "maxlines", "datepattern", "journalmatch"}

// Load reads the filter file at p (a .conf file; its .local and
// NAME.d/ overrides are read too) with the given arguments (a spec's
// [key=value, ...], overriding [Init]) and resolves its options as
// fail2ban's FilterReader does (getOptions, getCombined, convert).
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
	pOpts := map[string]string{}
	initOpts := map[string]string{}
	for k, v := range args {
		initOpts[k] = v
	}
	if o.AutoLogType != "" && initOpts["logtype"] == "" && !slices.Contains(cfg.OwnKeys("Definition"), "logtype") {
		initOpts["logtype"] = o.AutoLogType
	}
	for k, v := range o.Vars {
		pOpts[k] = v
	}
	for k, v := range initOpts {
		pOpts[k] = v
	}
	defOpts := map[string]string{}
	if cfg.HasSection("Definition") {
		for _, k := range filterOptions {
			if _, ok := pOpts[k]; ok {
				continue
			}
			v, err := cfg.GetWith("Definition", k, pOpts)
			if err != nil {
				var nf *f2bconf.NotFound
				if errors.As(err, &nf) {
					continue
				}
				return nil, err
			}
			defOpts[k] = v
		}
	}
	if cfg.HasSection("Init") {
		for _, k := range cfg.OwnKeys("Init") {
			if k == "__name__" {
				continue
			}
			v, err := cfg.Get("Init", k)
			if err != nil {
				return nil, err
			}
			if !strings.HasPrefix(k, "known/") {
				initOpts["known/"+k] = v
			}
			if _, ok := initOpts[k]; !ok {
				initOpts[k] = v
			}
		}
	}
	combined := map[string]string{}
	for k, v := range defOpts {
		combined[k] = v
	}
	for k, v := range initOpts {
		combined[k] = v
	}
	var ignore []string
	for k := range combined {
		if base, ok := f2bconf.ConditionalBase(k); ok {
			ignore = append(ignore, base)
		}
	}
	cache := map[string]*string{}
	lookup := func(tag string) (string, bool) {
		if v, ok := cache[tag]; ok {
			if v == nil {
				return "", false
			}
			return *v, true
		}
		v, err := cfg.GetWith("Definition", tag, pOpts)
		if err != nil {
			cache[tag] = nil
			return "", false
		}
		cache[tag] = &v
		return v, true
	}
	res, err := f2bconf.SubstituteTags(combined, f2bconf.TagOptions{Ignore: ignore, Lookup: lookup})
	if err != nil {
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
