package pyre_test

import (
	"bytes"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/pyre"
)

// TestSureFirstOnServiceLogs: on every line of the generated log of every
// service, on each line's text after its first 16 bytes (the date) and
// after the first ": " past them (a syslog message), the sure-match walker of every
// failregex of every built-in filter (sshd in every mode) and of
// fail2ban's file of the same name (authgen.Cases, a subtest each; a
// missing fail2ban file skips its subtest, or fails it under CI) says
// what it says when it walks every part (its skips of the parts that
// cannot take the next character change no answer).
func TestSureFirstOnServiceLogs(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	checked, yes := 0, 0
	for c, lines := range authgen.Cases(authgen.Options{Lines: n, Seed: 5}) {
		t.Run(c.Name(), func(t *testing.T) {
			f := loadCase(t, c)
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
							t.Fatalf("failregex %d, line %d %q: SureMatch %v, walking every part %v", k+1, i+1, text, got, want)
						}
						checked++
						if got {
							yes++
						}
					}
				}
			}
		})
	}
	t.Logf("%d walks compared, %d matches", checked, yes)
	if yes == 0 {
		t.Fatal("no walk said yes: nothing was compared")
	}
}

// loadCase compiles the filter file of c; fail2ban's is required
// (testenv.RequireFile: fails under CI, skips elsewhere).
func loadCase(t *testing.T, c authgen.FilterCase) *filter.Filter {
	t.Helper()
	if c.Fail2ban() {
		testenv.RequireFile(t, c.Path, "fail2ban")
	}
	def, err := filter.Load(c.Path, c.Args(), &filter.LoadOptions{FS: c.FS})
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
