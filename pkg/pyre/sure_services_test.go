package pyre_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/pyre"
)

// TestSureFirstOnServiceLogs: on every line of the generated log of every
// service, on each line's text after its first 16 bytes (the date) and
// after the first ": " past them (a syslog message), the sure-match walker of every
// failregex of every built-in filter (sshd in every mode) and of
// fail2ban's file of the same name says what it says when it walks every
// part (its skips of the parts that cannot take the next character
// change no answer).
func TestSureFirstOnServiceLogs(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	checked, yes := 0, 0
	for _, svc := range authgen.Services() {
		var buf bytes.Buffer
		if _, err := authgen.Generate(&buf, authgen.Options{Lines: n, Seed: 5, Service: svc}); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimRight(buf.Bytes(), "\n"), []byte("\n"))
		var defs []*filter.Definition
		for _, name := range authgen.ServiceFilters(svc) {
			modes := []string{""}
			if name == "sshd" {
				modes = []string{"normal", "ddos", "extra", "aggressive"}
			}
			for _, mode := range modes {
				var args map[string]string
				if mode != "" {
					args = map[string]string{"mode": mode}
				}
				def, err := filter.Load("filter.d/"+name+".conf", args, &filter.LoadOptions{FS: builtin.FS, Name: name})
				if err != nil {
					t.Fatal(err)
				}
				defs = append(defs, def)
				if f := "/etc/fail2ban/filter.d/" + name + ".conf"; fileExists(f) {
					def, err := filter.Load(f, args, nil)
					if err != nil {
						t.Fatal(err)
					}
					defs = append(defs, def)
				}
			}
		}
		for _, def := range defs {
			f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
			if err != nil {
				t.Fatal(err)
			}
			var res []*pyre.Regexp
			for _, r := range f.FailRegexes() {
				res = append(res, pyre.MustCompile(r.Expanded, pyre.Options{}))
			}
			for i, l := range lines {
				texts := [][]byte{l}
				if len(l) > 16 {
					texts = append(texts, l[16:])
					if j := bytes.Index(l[16:], []byte(": ")); j >= 0 {
						texts = append(texts, l[16+j+2:]) // a syslog message
					}
				}
				for _, text := range texts {
					for k, re := range res {
						got, want := re.SureMatch(text), pyre.SureMatchNoFirst(re, text)
						if got != want {
							t.Fatalf("%s %s, failregex %d, %s line %d %q: SureMatch %v, walking every part %v", def.File, def.Name, k+1, svc, i+1, text, got, want)
						}
						checked++
						if got {
							yes++
						}
					}
				}
			}
		}
	}
	t.Logf("%d walks compared, %d matches", checked, yes)
	if yes == 0 {
		t.Fatal("no walk said yes: nothing was compared")
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
