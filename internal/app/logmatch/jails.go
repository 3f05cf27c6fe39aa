package logmatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/jailconf"
)

// runJails runs the jails of o.config (every enabled jail, or the --jail
// ones) on their own sources: logpath files and, for backend = systemd,
// the journal. A jail that cannot start is reported and skipped.
func runJails(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	if o.filter != "" {
		return clirun.Usagef("--config takes the filter from the jail: give -f/--filter or --config, not both")
	}
	set, err := jailconf.LoadEach(o.config)
	if err != nil {
		return clirun.Config(err)
	}
	names := set.EnabledNames()
	if len(o.jails) > 0 {
		names = o.jails
		for _, n := range names {
			if _, err := set.Jail(n); err != nil && !isKnownJail(set, n) {
				return clirun.Config(err)
			}
		}
	}
	var specs []*jailSpec
	broken := 0
	for _, n := range names {
		js, err := loadJail(set, o, n)
		if err == nil && o.check {
			// regexp2's programs are otherwise compiled on first use
			if err = js.f.Ready(); err == nil {
				err = checkSources(js)
			}
		}
		if err != nil {
			broken++
			if o.check {
				fmt.Fprintf(stdout, "%s: error: %v\n", n, err)
			} else {
				warnf(stderr, "%v (jail %s skipped)", err, n)
			}
			continue
		}
		if o.check {
			fmt.Fprintf(stdout, "%s: ok: filter %s, %d failregex, %d ignoreregex, maxlines %d, backend %s, %s\n",
				js.name, js.def.Name, len(js.f.FailRegexes()), len(js.f.IgnoreRegexes()), js.f.MaxLines(),
				js.backend, describeSources(js))
			warnInjectable(stderr, js.name, js.def, js.f)
		}
		specs = append(specs, js)
	}
	switch {
	case o.check:
		if broken > 0 {
			return clirun.Silent{Code: clirun.ExitUsage}
		}
		return nil
	case o.dump:
		for _, js := range specs {
			if err := dump(stdout, js.name, js.f); err != nil {
				return err
			}
		}
		return nil
	}
	if len(specs) == 0 {
		if len(names) == 0 {
			return clirun.Config(fmt.Errorf("%s: no enabled jail", o.config))
		}
		return clirun.Config(fmt.Errorf("%s: no jail could start", o.config))
	}
	return runSources(ctx, o, specs, event.NewWriter(stdout), stderr)
}

func isKnownJail(set *jailconf.Set, name string) bool {
	for _, n := range set.Names() {
		if n == name {
			return true
		}
	}
	return false
}

// fileBackends are fail2ban's backends that read logpath files.
var fileBackends = map[string]bool{"auto": true, "polling": true, "pyinotify": true, "gamin": true}

// loadJail builds jail name of set as fail2ban's JailReader does: its
// filter (filter.d beside the configuration, then the built-in ones) with
// the jail's options, the filter options the jail overrides, its backend,
// logpath, logencoding, logtimezone and findtime. Errors name the file and
// line at fault.
func loadJail(set *jailconf.Set, o *options, name string) (*jailSpec, error) {
	j, err := set.Jail(name)
	if err != nil {
		return nil, err
	}
	at := func(key string, err error) error {
		file, line := set.Config().Pos(name, key)
		if file == "" {
			file, line = splitSource(j.Source)
		}
		return &f2bconf.Error{File: file, Line: line, Err: fmt.Errorf("[%s] %s: %w", name, key, err)}
	}
	if j.FilterName == "" {
		return nil, at("filter", errors.New("no filter"))
	}
	bname, bargs, err := f2bconf.ParseSpec(j.Options["backend"])
	if err != nil {
		return nil, at("backend", err)
	}
	if bname != "systemd" && !fileBackends[bname] {
		return nil, at("backend", fmt.Errorf("unknown backend %q (want auto, polling, pyinotify or systemd)", bname))
	}
	if bname == "systemd" {
		if v := bargs["journalflags"]; v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return nil, at("backend", fmt.Errorf("journalflags %q: not an integer", v))
			}
		}
	}
	dir := o.filterDir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(o.config), "filter.d")
	}
	file, fsys, fname, _, err := resolveSpec(j.FilterName, dir)
	if err != nil {
		return nil, at("filter", errors.Unwrap(err))
	}
	vars := map[string]string{}
	for _, k := range jailOptions {
		if v, ok := j.Options[k]; ok {
			vars[k] = v
		}
	}
	auto := "file"
	if bname == "systemd" {
		auto = "journal"
	}
	def, err := filter.Load(file, j.FilterArgs, &filter.LoadOptions{FS: fsys, Name: fname, Vars: vars, AutoLogType: auto})
	if err != nil {
		return nil, err
	}
	if err := jailFilterOptions(set, name, def, at); err != nil {
		return nil, err
	}
	latin1 := false
	switch enc := strings.ToLower(strings.TrimSpace(j.Options["logencoding"])); enc {
	case "", "auto", "utf-8", "utf8", "ascii", "us-ascii":
	case "latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1":
		latin1 = true
	default:
		return nil, at("logencoding", fmt.Errorf("unsupported encoding %q (want auto, utf-8, ascii or latin-1)", enc))
	}
	js, err := compileJail(o, def, name, j.Options["logtimezone"])
	if err != nil {
		var ce *clirun.Error
		if errors.As(err, &ce) {
			err = ce.Err
		}
		return nil, err
	}
	js.source = j.Source
	js.dd.Store(nil) // sources make each runner's detector when it starts
	js.findTime = j.FindTime
	js.backend, js.backendArgs = bname, bargs
	js.latin1 = latin1
	if bname != "systemd" {
		for _, p := range j.LogPaths {
			// fail2ban's " head"/" tail" suffix: where to start a file
			// never read; banpipe reads within findtime either way.
			if i := strings.LastIndexByte(p, ' '); i > 0 && (p[i+1:] == "head" || p[i+1:] == "tail") {
				p = strings.TrimSpace(p[:i])
			}
			js.logPaths = append(js.logPaths, p)
		}
		if len(js.logPaths) == 0 {
			return nil, at("logpath", errors.New("no log file to read (backend "+bname+")"))
		}
	}
	return js, nil
}

// jailFilterOptions applies the filter options a jail (or [DEFAULT])
// sets itself, as fail2ban's JailReader does: they replace the filter's
// (%(known/failregex)s gives the filter's own value).
func jailFilterOptions(set *jailconf.Set, name string, def *filter.Definition, at func(string, error) error) error {
	known := map[string]string{
		"failregex":    strings.Join(def.FailRegex, "\n"),
		"ignoreregex":  strings.Join(def.IgnoreRegex, "\n"),
		"prefregex":    def.PrefRegex,
		"datepattern":  def.DatePattern,
		"usedns":       def.UseDNS,
		"journalmatch": strings.Join(def.JournalMatch, "\n"),
		"maxlines":     strconv.Itoa(def.MaxLines),
	}
	filterPos := def.Pos
	jailSet := map[string]bool{}
	def.Pos = func(option string) (string, int) {
		if jailSet[option] {
			return set.Config().Pos(name, option)
		}
		if filterPos == nil {
			return "", 0
		}
		return filterPos(option)
	}
	for _, k := range []string{"usedns", "prefregex", "ignoreregex", "failregex", "maxlines", "datepattern", "journalmatch"} {
		v, err := set.Resolve(name, k, known)
		if err != nil {
			var nf *f2bconf.NotFound
			if errors.As(err, &nf) {
				continue
			}
			return err
		}
		jailSet[k] = true
		switch k {
		case "usedns":
			def.UseDNS = strings.TrimSpace(v)
		case "prefregex":
			def.PrefRegex = v
		case "ignoreregex":
			def.IgnoreRegex = nonEmptyLines(v)
		case "failregex":
			def.FailRegex = nonEmptyLines(v)
		case "datepattern":
			def.DatePattern = strings.TrimSpace(v)
		case "journalmatch":
			def.JournalMatch = nil
			for _, l := range nonEmptyLines(v) {
				def.JournalMatch = append(def.JournalMatch, strings.TrimSpace(l))
			}
		case "maxlines":
			if strings.TrimSpace(v) == "" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return at("maxlines", fmt.Errorf("%q is not an integer greater than zero", v))
			}
			def.MaxLines = n
		}
	}
	return nil
}

func nonEmptyLines(v string) []string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func splitSource(src string) (string, int) {
	i := strings.LastIndexByte(src, ':')
	if i < 0 {
		return src, 0
	}
	n, _ := strconv.Atoi(src[i+1:])
	return src[:i], n
}

// checkSources reports a jail whose log files exist but cannot be read.
// A log that does not exist yet is not an error: it is read when it
// appears.
func checkSources(js *jailSpec) error {
	if js.backend == "systemd" {
		return nil
	}
	for _, p := range js.logPaths {
		matches, _ := filepath.Glob(p)
		for _, m := range matches {
			f, err := os.Open(m)
			if err != nil {
				file, line := splitSource(js.source)
				return &f2bconf.Error{File: file, Line: line, Err: fmt.Errorf("[%s] logpath %s: %w", js.name, m, errors.Unwrap(err))}
			}
			f.Close()
		}
	}
	return nil
}

// describeSources says what a jail reads, for --check.
func describeSources(js *jailSpec) string {
	if js.backend == "systemd" {
		m := strings.Join(js.def.JournalMatch, " + ")
		if m == "" {
			m = "(all)"
		}
		return "journal " + m
	}
	var parts []string
	for _, p := range js.logPaths {
		matches, _ := filepath.Glob(p)
		switch {
		case len(matches) == 0:
			parts = append(parts, p+" (no file yet)")
		case len(matches) == 1 && matches[0] == p:
			parts = append(parts, p)
		default:
			parts = append(parts, fmt.Sprintf("%s (%d files)", p, len(matches)))
		}
	}
	return "files " + strings.Join(parts, ", ")
}
