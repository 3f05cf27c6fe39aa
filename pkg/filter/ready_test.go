package filter

import (
	"path/filepath"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// TestReadyEveryFilter compiles the regexp2 program of every regex of
// every built-in filter (in each of authgen.FilterModes: sshd in its four)
// and of every filter file of fail2ban's that loads, as their first use
// would (package pyre compiles them lazily), and checks the group numbers
// Compile took without regexp2 against regexp2's. Without fail2ban's files
// the built-in half runs, then the test skips (fails under CI).
func TestReadyEveryFilter(t *testing.T) {
	type spec struct {
		file string
		args map[string]string
		opts *LoadOptions
	}
	var specs []spec
	for _, name := range builtin.Names() {
		for _, mode := range authgen.FilterModes(name) {
			args := authgen.FilterCase{Mode: mode}.Args()
			specs = append(specs, spec{"filter.d/" + name + ".conf", args, &LoadOptions{FS: builtin.FS, Name: name}})
		}
	}
	stock, _ := filepath.Glob(authgen.Fail2banFilterDir + "/*.conf")
	for _, f := range stock {
		specs = append(specs, spec{f, nil, nil})
	}
	checked := 0
	for _, s := range specs {
		def, err := Load(s.file, s.args, s.opts)
		if err != nil {
			if s.opts != nil {
				t.Fatal(err)
			}
			continue // a fail2ban file that needs arguments or includes
		}
		f, err := Compile(*def, Options{UseDNS: "no"})
		if err != nil {
			if s.opts != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := f.Ready(); err != nil {
			t.Errorf("%s: %v", s.file, err)
			continue
		}
		regexes := append(append([]*Regex{}, f.fail...), f.ignore...)
		if f.pref != nil {
			regexes = append(regexes, f.pref)
		}
		for _, r := range regexes {
			r2 := r.re.Regexp2()
			for _, g := range r.groups {
				if want := r2.GroupNumberFromName(g.name); g.num != want {
					t.Errorf("%s: %s: group %s is number %d, regexp2 says %d", s.file, r.Source, g.name, g.num, want)
				}
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d regexes checked", checked)
	}
	t.Logf("%d regexes of %d filter files", checked, len(specs))
	if len(stock) == 0 {
		testenv.Missing(t, "fail2ban is not installed (no %s/*.conf)", authgen.Fail2banFilterDir)
	}
}
