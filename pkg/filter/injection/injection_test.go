package injection_test

import (
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/filter/injection"
)

func compile(t *testing.T, def *filter.Definition, err error) (*filter.Filter, string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.Compile(*def, filter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f, def.DatePattern
}

var modes = []map[string]string{nil, {"mode": "ddos"}, {"mode": "extra"}, {"mode": "aggressive"}, {"publickey": "any"}, {"logtype": "journal"}}

// TestBuiltinPass: no built-in filter, in any mode, reports the written
// address on a probe.
func TestBuiltinPass(t *testing.T) {
	for _, n := range builtin.Names() {
		for _, args := range modes {
			def, err := filter.Load("filter.d/"+n+".conf", args, &filter.LoadOptions{FS: builtin.FS, Name: n})
			var f *filter.Filter
			if err == nil {
				f, err = filter.Compile(*def, filter.Options{})
			}
			if err != nil {
				if args != nil {
					continue // a mode the filter does not have
				}
				t.Fatal(err)
			}
			got, err := injection.Probe(f, def.DatePattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range got {
				t.Errorf("built-in %s%v: %s", n, args, g)
			}
		}
	}
}

// TestInjectableFlagged: a filter that reads the user name greedily is
// flagged, and fail2ban 1.0.2's sshd (default and ddos mode), pam-generic
// and vsftpd are (skipped without fail2ban; required under CI=true).
func TestInjectableFlagged(t *testing.T) {
	own := &filter.Definition{Name: "own", FailRegex: []string{`Failed \S+ for (?:invalid user )?\S+ from <HOST>`}}
	f, _ := compile(t, own, nil)
	if got, err := injection.Probe(f, ""); err != nil || len(got) == 0 {
		t.Errorf("a filter taking the first 'from' passes: %v %v", got, err)
	}
	// A filter that ends each line at the client passes.
	safe := &filter.Definition{Name: "safe", FailRegex: []string{`^\S+ \S+ \S+ \S+ sshd\[\d+\]: Failed \S+ for invalid user (?:(?! from ).)+ from <HOST> port \d+ ssh2$`}}
	if f, _ = compile(t, safe, nil); true {
		if got, _ := injection.Probe(f, ""); len(got) != 0 {
			t.Errorf("a safe filter is flagged: %v", got)
		}
	}

	const dir = "/etc/fail2ban/filter.d"
	testenv.RequireFile(t, dir+"/sshd.conf", "fail2ban")
	for _, c := range []struct {
		name  string
		args  map[string]string
		shape string
	}{
		{"sshd", nil, "x from"},
		{"sshd", map[string]string{"mode": "ddos"}, "on\""},
		{"sshd", map[string]string{"mode": "extra"}, "on\""},
		{"sshd", map[string]string{"mode": "aggressive"}, "x from"},
		{"pam-generic", nil, "FTP USER"},
		{"vsftpd", nil, "FTP USER"},
	} {
		def, err := filter.Load(dir+"/"+c.name+".conf", c.args, &filter.LoadOptions{Name: c.name})
		f, dp := compile(t, def, err)
		got, err := injection.Probe(f, dp)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range got {
			found = found || strings.Contains(g.Shape, c.shape)
		}
		if !found {
			t.Errorf("fail2ban's %s%v not flagged for %q: %v", c.name, c.args, c.shape, got)
		}
	}
}
