package filters_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filters"
)

// required are the filters issue 3 asks for.
var required = []string{
	"apache-auth", "apache-badbots", "courier-auth", "dovecot", "exim",
	"mysqld-auth", "named-refused", "nginx-botsearch", "nginx-http-auth",
	"nginx-limit-req", "pam-generic", "postfix", "proftpd", "pure-ftpd",
	"recidive", "sendmail-auth", "sendmail-reject", "sshd", "vsftpd",
}

func TestNames(t *testing.T) {
	names := filters.Names()
	for _, n := range required {
		if !slices.Contains(names, n) {
			t.Errorf("Names() lacks %q", n)
		}
	}
	for _, n := range names {
		if n == "common" || strings.HasSuffix(n, "-common") {
			t.Errorf("Names() lists the include-only file %q", n)
		}
		if _, err := fs.Stat(filters.FS, "filter.d/"+n+".conf"); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if _, err := os.Stat("testdata/" + n); err != nil {
			t.Errorf("%s has no sample log: %v", n, err)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	if _, err := fs.Stat(filters.FS, "filter.d/common.conf"); err != nil {
		t.Errorf("common.conf not embedded: %v", err)
	}
}

// options lists, per filter, the option sets fail2ban's filter of the same
// name offers (and our doc comment promises); each must load and compile.
var options = map[string][]map[string]string{
	"sshd": {
		{"mode": "normal"}, {"mode": "ddos"}, {"mode": "extra"}, {"mode": "aggressive"},
		{"publickey": "nofail"}, {"publickey": "invalid"}, {"publickey": "any"}, {"publickey": "ignore"},
		{"mode": "aggressive", "publickey": "any"},
	},
	"postfix": {
		{"mode": "more"}, {"mode": "normal"}, {"mode": "rbl"}, {"mode": "auth"},
		{"mode": "ddos"}, {"mode": "extra"}, {"mode": "aggressive"}, {"mode": "errors"},
	},
	"dovecot":         {{"mode": "normal"}, {"mode": "aggressive"}},
	"exim":            {{"mode": "normal"}, {"mode": "aggressive"}},
	"sendmail-reject": {{"mode": "normal"}, {"mode": "extra"}, {"mode": "aggressive"}},
	"apache-auth": {
		{"mode": "normal"}, {"mode": "aggressive"},
		{"logging": "logfile"}, {"logging": "syslog"}, {"logging": "all"},
	},
	"nginx-http-auth": {{"mode": "normal"}, {"mode": "auth"}, {"mode": "fallback"}, {"mode": "aggressive"}},
	"nginx-limit-req": {{"ngx_limit_req_zones": "login|api"}},
	"apache-badbots":  {{"badbotscustom": `MyScraper/\d+`}},
	"nginx-botsearch": {{"wordpress": `wp-login\.php`}},
	"named-refused":   {{"_category": "security"}},
	"pam-generic":     {{"_ttys_re": "ssh"}},
	"recidive":        {{"_jailname": "repeat"}},
}

func load(t *testing.T, name string, args map[string]string) *filter.Filter {
	t.Helper()
	def, err := filter.Load("filter.d/"+name+".conf", args, &filter.LoadOptions{FS: filters.FS, Name: name})
	if err != nil {
		t.Fatalf("%s%v: load: %v", name, args, err)
	}
	f, err := filter.Compile(*def, filter.Options{})
	if err != nil {
		t.Fatalf("%s%v: compile: %v", name, args, err)
	}
	return f
}

// TestCompile loads and compiles every embedded filter with its default
// options, with each option set it offers, and with each logtype where it
// includes common.conf.
func TestCompile(t *testing.T) {
	for _, name := range filters.Names() {
		t.Run(name, func(t *testing.T) {
			f := load(t, name, nil)
			if len(f.FailRegexes()) == 0 {
				t.Errorf("no failregex")
			}
			for _, args := range options[name] {
				load(t, name, args)
			}
			b, err := fs.ReadFile(filters.FS, "filter.d/"+name+".conf")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "common.conf") && name != "nginx-botsearch" {
				for _, lt := range []string{"file", "short", "journal", "rfc5424"} {
					load(t, name, map[string]string{"logtype": lt})
				}
			}
		})
	}
}

// TestModesDiffer checks that each mode yields its own set of failregexes
// (a misspelt mode key would silently fall back to another mode's).
func TestModesDiffer(t *testing.T) {
	for name, sets := range options {
		seen := map[string]string{}
		for _, args := range sets {
			mode, ok := args["mode"]
			if !ok || len(args) != 1 {
				continue
			}
			f := load(t, name, args)
			var key []string
			for _, r := range f.FailRegexes() {
				key = append(key, r.Expanded)
			}
			if f.PrefRegex() != nil {
				key = append(key, f.PrefRegex().Expanded)
			}
			k := strings.Join(key, "\n")
			if other, dup := seen[k]; dup && !aliases[name+":"+mode+"="+other] && !aliases[name+":"+other+"="+mode] {
				t.Errorf("%s: mode=%s compiles to the same regexes as mode=%s", name, mode, other)
			}
			seen[k] = mode
		}
	}
}

// aliases are modes that are the same by design (as in fail2ban).
var aliases = map[string]bool{
	"postfix:more=normal":              true,
	"nginx-http-auth:auth=normal":      true,
	"sendmail-reject:aggressive=extra": true,
}

// TestSamples replays every annotated sample log through package filter,
// as fail2ban's own sample test runs it: each filter, each filterOptions
// combination. Every case must agree.
func TestSamples(t *testing.T) {
	names := filters.Names()
	tally := f2bsample.Replay(t, "testdata", names, f2bsample.DirLoader(filters.FS, "filter.d"), 1.0)
	if tally.Cases < 10*len(names) {
		t.Errorf("only %d cases for %d filters", tally.Cases, len(names))
	}
	if tally.Unexpected > 0 {
		t.Errorf("%d unannotated lines matched", tally.Unexpected)
	}
	// Each filter has positive and negative cases, injection attempts
	// among them.
	for _, n := range names {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if !strings.Contains(s, `"match": true`) || !strings.Contains(s, `"match": false`) {
			t.Errorf("%s: sample log needs positive and negative cases", n)
		}
		if !strings.Contains(s, "203.0.113.9") {
			t.Errorf("%s: sample log has no injection case (203.0.113.9)", n)
		}
	}
}

// TestFail2banAgrees runs fail2ban's own sample-test procedure
// (tests/samplestestcase.py, through testdata/f2b/samples.py) over the
// built-in filters and their samples: fail2ban is the reference.
func TestFail2banAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: fail2ban run skipped")
	}
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3: fail2ban's sample test skipped")
	}
	cmd := exec.Command(py, "testdata/f2b/samples.py", ".")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		t.Skipf("fail2ban is not installed for %s: %s", py, strings.TrimSpace(string(out)))
	}
	if err != nil {
		t.Fatalf("fail2ban's sample test failed: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "... ok"); n != len(filters.Names()) {
		t.Errorf("fail2ban passed %d sample files, want %d:\n%s", n, len(filters.Names()), out)
	}
}

// TestRFC5424NoRunaway feeds the rfc5424 prefix a long unclosed "[" (the
// line that makes fail2ban's own common.conf backtrack for ever): it must
// be answered well within the match timeout, as a non-match.
func TestRFC5424NoRunaway(t *testing.T) {
	def, err := filter.Load("filter.d/sshd.conf", map[string]string{"logtype": "rfc5424"}, &filter.LoadOptions{FS: filters.FS, Name: "sshd"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.Compile(*def, filter.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := filter.NewMatcher(f, filter.MatcherOptions{Now: func() time.Time { return f2bsample.Now }})
	for _, n := range []int{30, 1000, 20000} {
		line := " gw sshd 4302 - [" + strings.Repeat("a", n) + " Failed password for root from 192.0.2.1 port 22 ssh2"
		res, err := m.LineAt([]byte(line), f2bsample.Now)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(res.Failures) != 0 {
			t.Errorf("n=%d: unclosed structured data matched: %+v", n, res.Failures)
		}
	}
}
