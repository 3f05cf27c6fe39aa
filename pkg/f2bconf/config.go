package f2bconf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Only regular files are read (a FIFO or device named by an include counts
// as missing).

// MaxIncludes bounds the number of files one Read or ReadMore may load,
// includes and .local files counted.
const MaxIncludes = 512

// Options for Read.
type Options struct {
	// FS is the file system to read from; nil means the operating
	// system's, with paths used as given. With an fs.FS, absolute paths
	// lose their leading slash.
	FS fs.FS
	// NoLocal reads only the named file and its [INCLUDES]: no NAME.local,
	// no NAME.d/ directory.
	NoLocal bool
}

// Config is a merged fail2ban configuration. Its methods only read it, so a
// Config may be used by several goroutines once Read and ReadMore are done.
type Config struct {
	opts     Options
	defaults *section
	sections map[string]*section
	order    []string
	known    map[string]*section // "KNOWN/<section>": values before their latest override
	files    []string            // every file merged, in order
	parsed   map[string]*fileData
}

// NotFound is the error of a missing section or option.
type NotFound struct {
	Section string
	Key     string // empty when the section is missing
}

func (e *NotFound) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("no section [%s]", e.Section)
	}
	return fmt.Sprintf("no option %q in [%s]", e.Key, e.Section)
}

// New returns an empty Config that reads through opts (nil: the OS, with
// .local files). Fill it with ReadMore.
func New(opts *Options) *Config {
	c := &Config{
		defaults: newSection("DEFAULT", "", 0),
		sections: make(map[string]*section),
		known:    make(map[string]*section),
		parsed:   make(map[string]*fileData),
	}
	if opts != nil {
		c.opts = *opts
	}
	return c
}

// Read reads a fail2ban configuration file: its [INCLUDES] before files,
// then the file, then its after files (include paths are relative to the
// including file's directory, and each included file brings its own .local
// when one exists), merging sections in fail2ban's order. Unless
// opts.NoLocal, a PATH that ends in ".conf" is read as fail2ban's
// ConfigReader reads NAME: NAME.conf, NAME.d/*.conf (sorted), NAME.local,
// NAME.d/*.local (sorted), each with its includes; the missing ones are
// skipped, but at least one must exist. Any other PATH is read with its
// .local beside it, when there is one.
//
// A missing include is an error naming the file and line of the include,
// except a missing *.local include, which is skipped (fail2ban's own files
// say "after = common.local"; fail2ban skips every missing include).
// Extra paths (e.g. jail.d/*.conf, jail.local) can be added with
// [Config.ReadMore].
func Read(p string, opts *Options) (*Config, error) {
	c := New(opts)
	var cands []string
	if !c.opts.NoLocal && strings.HasSuffix(p, ".conf") {
		base := strings.TrimSuffix(p, ".conf")
		cands = append(cands, p)
		cands = append(cands, c.glob(base+".d/*.conf")...)
		cands = append(cands, base+".local")
		cands = append(cands, c.glob(base+".d/*.local")...)
	} else {
		cands = append(cands, p)
	}
	var files []string
	for _, f := range cands {
		if c.exists(f) {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
	}
	if err := c.readList(files); err != nil {
		return nil, err
	}
	return c, nil
}

// ReadMore merges another file (with its includes and, unless NoLocal, its
// .local) into c, after what c holds. A missing file gives an error that
// matches fs.ErrNotExist with errors.Is, so callers can ignore it; on any
// error c is left unchanged.
func (c *Config) ReadMore(p string) error {
	if !c.exists(p) {
		return &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
	}
	return c.readList([]string{p})
}

// SetDefault sets an option of [DEFAULT], over any value read, as
// fail2ban's merge_defaults does (it sets fail2ban_version and
// fail2ban_confpath before reading a jail).
func (c *Config) SetDefault(key, val string) {
	c.defaults.set(strings.ToLower(key), &value{raw: val})
}

// Files returns the files merged into c, in the order they were read.
func (c *Config) Files() []string { return append([]string(nil), c.files...) }

func (c *Config) readList(files []string) error {
	budget := MaxIncludes
	all, err := c.includes(files, nil, &budget)
	if err != nil {
		return err
	}
	// parse everything first, so that an error leaves c unchanged
	fds := make([]*fileData, 0, len(all))
	for _, f := range all {
		fd, err := c.parse(f)
		if err != nil {
			return err
		}
		fds = append(fds, fd)
	}
	for _, fd := range fds {
		c.merge(fd)
	}
	return nil
}

// conditionalRE is fail2ban's CONDITIONAL_RE: "Init?family=inet6".
var conditionalRE = regexp.MustCompile(`^(\w+)(\?.+)$`)

// ConditionalBase returns the base of a conditional section or option name
// (fail2ban's CONDITIONAL_RE: "Init?family=inet6" gives "Init") and
// whether name is one.
func ConditionalBase(name string) (string, bool) {
	if m := conditionalRE.FindStringSubmatch(name); m != nil {
		return m[1], true
	}
	return "", false
}

// merge adds one file's sections as fail2ban's
// SafeConfigParserWithIncludes.read does.
func (c *Config) merge(fd *fileData) {
	c.files = append(c.files, fd.path)
	for _, k := range fd.defaults.keys {
		v := *fd.defaults.vals[k]
		c.defaults.set(k, &v)
	}
	for _, s := range fd.sections {
		name := s.name
		s = s.clone()
		if m := conditionalRE.FindStringSubmatch(name); m != nil {
			// conditional section: its keys become "key?cond" of the base section
			name = m[1]
			cs := newSection(name, s.file, s.line)
			for _, k := range s.keys {
				cs.set(k+m[2], s.vals[k])
			}
			s = cs
		}
		if old, ok := c.sections[name]; ok {
			kn := c.known[name]
			if kn == nil {
				kn = newSection("KNOWN/"+name, s.file, s.line)
				c.known[name] = kn
			}
			for _, k := range s.keys {
				if v, ok := old.vals[k]; ok {
					kn.set(k, v)
				}
			}
			for _, k := range s.keys {
				old.set(k, s.vals[k])
			}
			continue
		}
		s.name = name
		c.sections[name] = s
		c.order = append(c.order, name)
	}
}

// includes expands files as fail2ban's _getIncludes: each file followed by
// its .local, each replaced by before-includes + itself + after-includes.
func (c *Config) includes(files, seen []string, budget *int) ([]string, error) {
	var expanded []string
	for _, f := range files {
		expanded = append(expanded, f)
		if c.opts.NoLocal {
			continue
		}
		local := strings.TrimSuffix(f, path.Ext(f)) + ".local"
		if !contains(files, local) && c.exists(local) {
			expanded = append(expanded, local)
		}
	}
	var out []string
	for _, f := range expanded {
		*budget--
		if *budget < 0 {
			return nil, errorf(f, 0, "too many included files (more than %d)", MaxIncludes)
		}
		fd, err := c.parse(f)
		if err != nil {
			return nil, err
		}
		var before, after []string
		if inc, ok := fd.index["INCLUDES"]; ok {
			dir := path.Dir(f)
			if c.opts.FS == nil {
				dir = filepath.Dir(f)
			}
			single := New(&c.opts)
			single.merge(fd)
			for _, which := range []string{"before", "after"} {
				if _, ok := inc.vals[which]; !ok {
					continue
				}
				v, err := single.Get("INCLUDES", which)
				if err != nil {
					return nil, err
				}
				pos := inc.vals[which]
				for _, r := range strings.Split(v, "\n") {
					r = strings.TrimSpace(r)
					if r == "" {
						continue
					}
					if !filepath.IsAbs(r) {
						r = filepath.Join(dir, r)
					}
					if contains(seen, r) {
						continue
					}
					if !c.exists(r) {
						if strings.HasSuffix(r, ".local") {
							continue // optional by convention, as in fail2ban's own files
						}
						return nil, errorf(pos.file, pos.line, "include %s: %s not found", which, r)
					}
					sub, err := c.includes([]string{r}, append(seen[:len(seen):len(seen)], f), budget)
					if err != nil {
						return nil, err
					}
					if which == "before" {
						before = append(before, sub...)
					} else {
						after = append(after, sub...)
					}
				}
			}
		}
		out = append(out, before...)
		out = append(out, f)
		out = append(out, after...)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *Config) fsPath(p string) string {
	p = strings.TrimPrefix(path.Clean(filepath.ToSlash(p)), "/")
	if p == "" {
		return "."
	}
	return p
}

func (c *Config) exists(p string) bool {
	var fi fs.FileInfo
	var err error
	if c.opts.FS == nil {
		fi, err = os.Stat(p)
	} else {
		fi, err = fs.Stat(c.opts.FS, c.fsPath(p))
	}
	return err == nil && fi.Mode().IsRegular()
}

func (c *Config) glob(pattern string) []string {
	var m []string
	if c.opts.FS == nil {
		m, _ = filepath.Glob(pattern)
	} else {
		m, _ = fs.Glob(c.opts.FS, c.fsPath(pattern))
	}
	sort.Strings(m)
	return m
}

func (c *Config) parse(p string) (*fileData, error) {
	if fd, ok := c.parsed[p]; ok {
		return fd, nil
	}
	var f io.ReadCloser
	var err error
	if c.opts.FS == nil {
		f, err = os.Open(p)
	} else {
		f, err = c.opts.FS.Open(c.fsPath(p))
	}
	var data []byte
	if err == nil {
		// read at most one byte more than allowed: never a whole huge file
		data, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
		f.Close()
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{File: p, Err: err}
	}
	fd, err := parseFile(p, data)
	if err != nil {
		return nil, err
	}
	c.parsed[p] = fd
	return fd, nil
}

// Sections returns the section names in first-seen order, without DEFAULT
// and INCLUDES. Conditional sections such as [Init?family=inet6] are merged
// into their base section ([Init]) as options "key?family=inet6", as
// fail2ban does.
func (c *Config) Sections() []string {
	out := make([]string, 0, len(c.order))
	for _, n := range c.order {
		if n != "INCLUDES" {
			out = append(out, n)
		}
	}
	return out
}

// HasSection reports whether section exists (DEFAULT counts when it has an
// option).
func (c *Config) HasSection(name string) bool {
	if name == "DEFAULT" {
		return len(c.defaults.keys) > 0
	}
	_, ok := c.sections[name]
	return ok
}

// Keys returns the option names of section, in the order first written,
// followed by those of [DEFAULT] that the section does not set. It returns
// nil for a missing section.
func (c *Config) Keys(section string) []string {
	if section == "DEFAULT" {
		return append([]string(nil), c.defaults.keys...)
	}
	s, ok := c.sections[section]
	if !ok {
		return nil
	}
	out := append([]string(nil), s.keys...)
	for _, k := range c.defaults.keys {
		if _, ok := s.vals[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// OwnKeys returns the option names set in section itself, without those
// of [DEFAULT] (fail2ban's options(section, withDefault=False)).
func (c *Config) OwnKeys(section string) []string {
	if section == "DEFAULT" {
		return append([]string(nil), c.defaults.keys...)
	}
	if s, ok := c.sections[section]; ok {
		return append([]string(nil), s.keys...)
	}
	return nil
}

// lookup finds key (lower-cased) in section, else in [DEFAULT]. A key
// "name?cond" from a conditional section keeps the case of cond as written
// in the section header; it is found with the case given, too.
func (c *Config) lookup(section, key string) (*value, bool) {
	if s, ok := c.sections[section]; ok && section != "DEFAULT" {
		if v, ok := s.vals[key]; ok {
			return v, true
		}
	}
	v, ok := c.defaults.vals[key]
	return v, ok
}

// lookupAny is lookup for a key as the caller gave it: lower-cased, else
// lower-cased before its "?" only.
func (c *Config) lookupAny(section, key string) (*value, bool) {
	if v, ok := c.lookup(section, strings.ToLower(key)); ok {
		return v, true
	}
	if i := strings.IndexByte(key, '?'); i >= 0 {
		return c.lookup(section, strings.ToLower(key[:i])+key[i:])
	}
	return nil, false
}

// Raw returns the value of key (lower-cased) before interpolation, from
// section, else from [DEFAULT].
func (c *Config) Raw(section, key string) (string, bool) {
	v, ok := c.lookupAny(section, key)
	if !ok {
		return "", false
	}
	return v.raw, true
}

// Pos returns the file and line where the value of key in section (or
// [DEFAULT]) was defined; line is 0 when it was not read from a file, and
// file is "" when there is no such value.
func (c *Config) Pos(section, key string) (file string, line int) {
	v, ok := c.lookupAny(section, key)
	if !ok {
		return "", 0
	}
	return v.file, v.line
}

// SectionPos returns the file and line of a section's first header.
func (c *Config) SectionPos(section string) (file string, line int) {
	if s, ok := c.sections[section]; ok {
		return s.file, s.line
	}
	return "", 0
}

// Known returns the raw value key had in section before its latest override
// by a later file (what %(known/key)s refers to).
func (c *Config) Known(section, key string) (string, bool) {
	if kn, ok := c.known[section]; ok {
		if v, ok := kn.vals[strings.ToLower(key)]; ok {
			return v.raw, true
		}
	}
	return "", false
}

// sectionOptRE is fail2ban's SECTION_OPTNAME_CRE.
var sectionOptRE = regexp.MustCompile(`^([\w\-]+)/([^\s>]+)$`)

// Get returns the value of key in section (else in [DEFAULT]) with its
// %(name)s references resolved as fail2ban's configparser resolves them:
// a name is looked up in the section, then in [DEFAULT]; %(__name__)s is
// the section's name; %(known/name)s is the value name had in this section
// before the latest override by a later file (else [DEFAULT]'s);
// %(default/name)s is [DEFAULT]'s; %(other/name)s is the raw value of name
// in section [other] (else [DEFAULT]'s), resolved in this section.
// %% is a literal %. References nest at most 10 deep.
//
// A key of the form "known/name" asks for the value before the latest
// override (else the current value), and "other/name" for the value in
// [other], as fail2ban's get_ex does.
//
// A missing section or option gives a *NotFound error; an interpolation
// error is an *Error at the place of the value.
func (c *Config) Get(section, key string) (string, error) {
	return c.get(section, key, nil)
}

// get looks key up in section (vars first); key is lower-cased, except the
// section part of "section/key".
func (c *Config) get(section, key string, vars map[string]string) (string, error) {
	if section != "DEFAULT" {
		if _, ok := c.sections[section]; !ok {
			return "", &NotFound{Section: section}
		}
	}
	lkey := strings.ToLower(key)
	if vars != nil {
		if v, ok := vars[lkey]; ok {
			return c.interpolate(section, lkey, v, "", 0, vars)
		}
	}
	v, ok := c.lookupAny(section, key)
	if !ok {
		if m := sectionOptRE.FindStringSubmatch(key); m != nil {
			sec, opt := m[1], strings.ToLower(m[2])
			switch strings.ToLower(sec) {
			case "known":
				// As fail2ban's get_ex: the value before the override, else
				// the section's own value, both without vars (a var of the
				// same name, e.g. an action argument chain="<known/chain>",
				// is what known/ looks past).
				if kn, ok := c.known[section]; ok {
					if v, ok := kn.vals[opt]; ok {
						return c.interpolate(section, lkey, v.raw, v.file, v.line, nil)
					}
				}
				return c.get(section, opt, nil)
			case "default":
				return c.get("DEFAULT", opt, nil)
			default:
				if _, ok := c.sections[sec]; ok {
					return c.get(sec, opt, nil)
				}
			}
		}
		return "", &NotFound{Section: section, Key: lkey}
	}
	return c.interpolate(section, lkey, v.raw, v.file, v.line, vars)
}

// MaxInterpolationDepth is Python configparser's limit on nested %(name)s.
const MaxInterpolationDepth = 10

func (c *Config) interpolate(section, key, raw, file string, line int, vars map[string]string) (string, error) {
	if !strings.Contains(raw, "%") {
		return raw, nil
	}
	var b strings.Builder
	if err := c.interp(&b, section, key, raw, 1, vars); err != nil {
		return "", &Error{File: file, Line: line, Err: fmt.Errorf("[%s] %s: %w", section, key, err)}
	}
	return b.String(), nil
}

// MaxValueSize bounds an interpolated or substituted value.
const MaxValueSize = 4 << 20

var errTooLarge = errors.New("value too large after interpolation")

func (c *Config) interp(b *strings.Builder, section, key, rest string, depth int, vars map[string]string) error {
	if depth > MaxInterpolationDepth {
		return fmt.Errorf("interpolation deeper than %d levels (a loop?)", MaxInterpolationDepth)
	}
	for rest != "" {
		if b.Len() > MaxValueSize {
			return errTooLarge
		}
		p := strings.IndexByte(rest, '%')
		if p < 0 {
			b.WriteString(rest)
			return nil
		}
		b.WriteString(rest[:p])
		rest = rest[p:]
		if len(rest) < 2 {
			return fmt.Errorf("'%%' must be followed by '%%' or '(', found %q", rest)
		}
		switch rest[1] {
		case '%':
			b.WriteByte('%')
			rest = rest[2:]
		case '(':
			end := strings.IndexByte(rest, ')')
			if end < 3 || end+1 >= len(rest) || rest[end+1] != 's' {
				return fmt.Errorf("bad interpolation reference %q", clip(rest))
			}
			name := strings.ToLower(rest[2:end])
			rest = rest[end+2:]
			v, ok := c.ref(section, name, vars)
			if !ok {
				return fmt.Errorf("no option %q for %%(%s)s", name, name)
			}
			if strings.Contains(v, "%") {
				if err := c.interp(b, section, key, v, depth+1, vars); err != nil {
					return err
				}
			} else {
				b.WriteString(v)
			}
		default:
			return fmt.Errorf("'%%' must be followed by '%%' or '(', found %q", clip(rest))
		}
	}
	return nil
}

// sectionOptSubstRE matches the name inside fail2ban's SECTION_OPTSUBST_CRE.
var sectionOptSubstRE = regexp.MustCompile(`^([\w\-]+)/(.+)$`)

// ref resolves one %(name)s reference to its raw value.
func (c *Config) ref(section, name string, vars map[string]string) (string, bool) {
	if v, ok := vars[name]; ok {
		return v, true
	}
	if v, ok := c.lookup(section, name); ok {
		return v.raw, true
	}
	if name == "__name__" {
		return section, true
	}
	m := sectionOptSubstRE.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	sec, opt := m[1], m[2]
	switch strings.ToLower(sec) {
	case "known":
		if kn, ok := c.known[section]; ok {
			if v, ok := kn.vals[opt]; ok {
				return v.raw, true
			}
		}
	case "default":
	default:
		s, ok := c.sections[sec]
		if !ok {
			// fail2ban's sections are case-sensitive, its names here are not
			for n, x := range c.sections {
				if strings.EqualFold(n, sec) {
					s, ok = x, true
					break
				}
			}
		}
		if !ok {
			return "", false
		}
		if v, ok := s.vals[opt]; ok {
			return v.raw, true
		}
	}
	if v, ok := c.defaults.vals[opt]; ok {
		return v.raw, true
	}
	return "", false
}

// Section returns every option of section (its own and [DEFAULT]'s) with
// %(name)s references resolved. The defaults map is consulted as fail2ban's
// getOptions consults its pOptions: for a key it holds, defaults[key] is
// used instead of the file's value, both in the result and wherever
// %(key)s refers to it. Keys that only defaults holds are not added.
func (c *Config) Section(section string, defaults map[string]string) (map[string]string, error) {
	if section != "DEFAULT" {
		if _, ok := c.sections[section]; !ok {
			return nil, &NotFound{Section: section}
		}
	}
	var vars map[string]string
	if len(defaults) > 0 {
		vars = make(map[string]string, len(defaults))
		for k, v := range defaults {
			vars[strings.ToLower(k)] = v
		}
	}
	keys := c.Keys(section)
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		v, err := c.get(section, k, vars)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// GetWith is Get with extra values consulted first, as Section consults
// its defaults (fail2ban's get with vars).
func (c *Config) GetWith(section, key string, vars map[string]string) (string, error) {
	var lv map[string]string
	if len(vars) > 0 {
		lv = make(map[string]string, len(vars))
		for k, v := range vars {
			lv[strings.ToLower(k)] = v
		}
	}
	return c.get(section, key, lv)
}
