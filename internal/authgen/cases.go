package authgen

import (
	"bytes"
	"io/fs"
	"iter"

	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// Fail2banFilterDir is where Debian's fail2ban package keeps its filter
// files.
const Fail2banFilterDir = "/etc/fail2ban/filter.d"

// A FilterCase is one filter file to run over the generated log of a
// service: a built-in filter in one of the modes the tests take
// (FilterModes), or fail2ban's file of the same name with the same mode.
type FilterCase struct {
	Log    Options // Generate's options for the service's log (Log.Service)
	Filter string  // the filter's name, one of ServiceFilters(Log.Service)
	Mode   string  // the mode argument; "" for none (the file's default)
	// Path is the file in FS: the built-in filter's filter.d/NAME.conf in
	// pkg/filter/builtin's FS, or fail2ban's Fail2banFilterDir/NAME.conf
	// with FS nil (the operating system's: there only where fail2ban is
	// installed, which the tests check with testenv.RequireFile).
	Path string
	FS   fs.FS
}

// Fail2ban reports whether the case's file is fail2ban's.
func (c FilterCase) Fail2ban() bool { return c.FS == nil }

// Args returns the filter arguments of the case's mode: nil, or mode=Mode.
func (c FilterCase) Args() map[string]string {
	if c.Mode == "" {
		return nil
	}
	return map[string]string{"mode": c.Mode}
}

// Name names the case, e.g. "auth/sshd[mode=ddos]" for the built-in
// filter, "nginx-error/f2b:nginx-botsearch" for fail2ban's file.
func (c FilterCase) Name() string {
	s := c.Log.Service + "/"
	if c.Fail2ban() {
		s += "f2b:"
	}
	s += c.Filter
	if c.Mode != "" {
		s += "[mode=" + c.Mode + "]"
	}
	return s
}

// FilterModes returns the modes the tests run the built-in filter name in:
// sshd, the filter of the auth log, in each of its four; any other filter
// in its default ("", no mode argument).
func FilterModes(name string) []string {
	if name == "sshd" {
		return []string{"normal", "ddos", "extra", "aggressive"}
	}
	return []string{""}
}

// FilterCases lists the filter files to run over the generated log of
// every service (in the order of Services; only log.Service's when it is
// set), each case's Log being log (lines, seed ...) with the service set:
// each filter of the service (in the order of ServiceFilters) in each of
// its FilterModes, the built-in file, then fail2ban's of the same name
// with the same mode.
func FilterCases(log Options) []FilterCase {
	var out []FilterCase
	for _, svc := range Services() {
		if log.Service != "" && log.Service != svc {
			continue
		}
		l := log
		l.Service = svc
		for _, name := range ServiceFilters(svc) {
			for _, mode := range FilterModes(name) {
				out = append(out,
					FilterCase{Log: l, Filter: name, Mode: mode, Path: "filter.d/" + name + ".conf", FS: builtin.FS},
					FilterCase{Log: l, Filter: name, Mode: mode, Path: Fail2banFilterDir + "/" + name + ".conf"})
			}
		}
	}
	return out
}

// Cases yields each case of FilterCases(log) with the lines of its log
// (Lines), each log generated once for the cases that run over it in a
// row. It panics if a log cannot be generated (log's options are wrong).
func Cases(log Options) iter.Seq2[FilterCase, [][]byte] {
	return func(yield func(FilterCase, [][]byte) bool) {
		var lines [][]byte
		var cur Options
		for i, c := range FilterCases(log) {
			if i == 0 || c.Log != cur {
				var err error
				if lines, err = Lines(c.Log); err != nil {
					panic("authgen: " + err.Error())
				}
				cur = c.Log
			}
			if !yield(c, lines) {
				return
			}
		}
	}
}

// Lines generates the log opts describes and returns its lines, without
// their line ends.
func Lines(opts Options) ([][]byte, error) {
	var b bytes.Buffer
	if _, err := Generate(&b, opts); err != nil {
		return nil, err
	}
	return bytes.Split(bytes.TrimSuffix(b.Bytes(), []byte("\n")), []byte("\n")), nil
}
