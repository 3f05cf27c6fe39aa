package builtin_test

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
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// required are the filters issue 3 asks for.
var required = []string{
	"apache-auth", "apache-badbots", "courier-auth", "dovecot", "exim",
	"mysqld-auth", "named-refused", "nginx-botsearch", "nginx-http-auth",
	"nginx-limit-req", "pam-generic", "postfix", "proftpd", "pure-ftpd",
	"recidive", "sendmail-auth", "sendmail-reject", "sshd", "vsftpd",
}

func TestNames(t *testing.T) {
	names := builtin.Names()
	for _, n := range required {
		if !slices.Contains(names, n) {
			t.Errorf("Names() lacks %q", n)
		}
	}
	for _, n := range names {
		if n == "common" || strings.HasSuffix(n, "-common") {
			t.Errorf("Names() lists the include-only file %q", n)
		}
		if _, err := fs.Stat(builtin.FS, "filter.d/"+n+".conf"); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if _, err := os.Stat("testdata/" + n); err != nil {
			t.Errorf("%s has no sample log: %v", n, err)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	if _, err := fs.Stat(builtin.FS, "filter.d/common.conf"); err != nil {
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
	"apache-noscript": {{"script": `/\S*\.php`}, {"logging": "all"}},
	"traefik-auth":    {{"mode": "normal"}, {"mode": "ddos"}, {"mode": "aggressive"}, {"req-method": "POST"}},
}

func load(t *testing.T, name string, args map[string]string) *filter.Filter {
	t.Helper()
	def, err := filter.Load("filter.d/"+name+".conf", args, &filter.LoadOptions{FS: builtin.FS, Name: name})
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
	for _, name := range builtin.Names() {
		t.Run(name, func(t *testing.T) {
			f := load(t, name, nil)
			if len(f.FailRegexes()) == 0 {
				t.Errorf("no failregex")
			}
			for _, args := range options[name] {
				load(t, name, args)
			}
			b, err := fs.ReadFile(builtin.FS, "filter.d/"+name+".conf")
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
	names := builtin.Names()
	tally := f2bsample.Replay(t, "testdata", names, f2bsample.DirLoader(builtin.FS, "filter.d"))
	tally.Judge(t, "built-in samples", tally.Cases, nil)
	if tally.Cases < 10*len(names) {
		t.Errorf("only %d cases for %d filters", tally.Cases, len(names))
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
	py := testenv.RequirePython(t, "fail2ban")
	cmd := exec.Command(py, "testdata/f2b/samples.py", ".")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		testenv.Missing(t, "fail2ban is not installed for %s: %s", py, strings.TrimSpace(string(out)))
	}
	if err != nil {
		t.Fatalf("fail2ban's sample test failed: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "... ok"); n != len(builtin.Names()) {
		t.Errorf("fail2ban passed %d sample files, want %d:\n%s", n, len(builtin.Names()), out)
	}
}

// TestRFC5424NoRunaway feeds the rfc5424 prefix a long unclosed "[" (the
// line that makes fail2ban's own common.conf backtrack for ever): it must
// be answered well within the match timeout, as a non-match.
func TestRFC5424NoRunaway(t *testing.T) {
	def, err := filter.Load("filter.d/sshd.conf", map[string]string{"logtype": "rfc5424"}, &filter.LoadOptions{FS: builtin.FS, Name: "sshd"})
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

// hostile are long lines built to make the built-in filters backtrack:
// the parts a client controls (user names, URLs, agents, quoted commands)
// repeat what the regexes look for, and the line then ends wrong.
var hostile = map[string]string{
	"apache-auth":       "[Sun Aug 14 11:10:01 2005] [error] [client 192.0.2.1] Digest: user `" + strings.Repeat("x' in realm `y' ", 3000) + "z",
	"apache-badbots":    `192.0.2.1 - - [14/Aug/2005:09:20:01 +0200] "GET / HTTP/1.1" 200 5 "` + strings.Repeat(`\" "`, 10000) + `" "x`,
	"apache-auth2":      "[Sun Aug 14 11:10:01 2005] [error] [client 192.0.2.1] Authorization of user " + strings.Repeat("x to access y ", 5000) + "z",
	"dovecot2":          "Aug 14 07:20:01 mx dovecot: imap-login: Disconnected" + strings.Repeat(": a", 20000) + " (x",
	"apache-noscript":   "[Sun Aug 14 11:20:01 2005] [error] [client 192.0.2.1] script '" + strings.Repeat("/x.php' not found or ", 3000) + "z",
	"apache-overflows":  "[Sun Aug 14 11:30:01 2005] [error] [client 192.0.2.1] " + strings.Repeat("request failed: ", 4000) + "z",
	"apache-nohome":     "[Sun Aug 14 11:40:01 2005] [error] [client 192.0.2.1] File does not exist: " + strings.Repeat("/x", 30000),
	"webmin-auth":       "Aug 14 00:20:01 srv webmin[3001]: Invalid login as x" + strings.Repeat(" from 192.0.2.1", 4000) + " y",
	"gitlab":            "2005-08-14T10:00:01Z: Failed Login: username=x" + strings.Repeat(" ip=192.0.2.1", 5000) + " y",
	"grafana":           `t=2005-08-14T10:10:01+0200 msg="Invalid username or password" ` + strings.Repeat(`a="\" b=c d=\"" e=f=g `, 3000) + `remote_addr="`,
	"grafana2":          `t=2005-08-14T10:10:01+0200 msg="Invalid username or password" ` + strings.Repeat(`uname=x remote_addr=192.0.2.1 `, 3000) + `remote_addr="`,
	"courier-auth":      "Aug 14 08:10:01 mx imapd: LOGIN FAILED, user=x" + strings.Repeat(", a=1", 10000) + ", ip=[zz",
	"dropbear":          "Aug 14 00:40:01 rtr dropbear[812]: Login attempt for nonexistent user '" + strings.Repeat("x' from 192.0.2.1:22 '", 3000) + "z",
	"nginx-bad-request": `192.0.2.1 - - [14/Aug/2005:00:50:01 +0200] "` + strings.Repeat(`\" 400 "`, 6000) + "z",
	"traefik-auth":      `192.0.2.1 - x [14/Aug/2005:00:30:01 +0200] "GET ` + strings.Repeat(`/" 200 "GET `, 5000) + "z",
	"dovecot":           "Aug 14 07:20:01 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x" + strings.Repeat(">, method=PLAIN, rip=192.0.2.1, lip=1", 1500) + ", rip=zz",
	"exim":              "2005-08-14 05:40:20 SMTP protocol error in \"" + strings.Repeat(`a" `, 10000) + "H=(x) [192.0.2.1] AUTH command",
	"mysqld-auth":       "050814  5:00:05 [Warning] Access denied for user 'x" + strings.Repeat("'@'192.0.2.1' (using password: YES) ", 1500) + "z",
	"named-refused":     "Aug 14 09:00:01 ns1 named[711]: client 192.0.2.5#53: query '" + strings.Repeat("x' denied ", 5000) + "z",
	"nginx-botsearch":   `2005/08/14 06:50:04 [error] 4401#4401: *201 "` + strings.Repeat(`/x" failed (2: No such file or directory), client: 192.0.2.1, `, 1000) + "z",
	"nginx-http-auth":   `2005/08/14 08:30:01 [error] 2201#2201: *17 user "x` + strings.Repeat(`": password mismatch, client: 192.0.2.1, server: a, request: "GET / HTTP/1.1", host: "a`, 600) + `"z`,
	"nginx-limit-req":   `2005/08/14 07:40:01 [error] 3301#3301: *101 limiting requests, excess: 1 by zone "` + strings.Repeat(`a", client: `, 5000),
	"pam-generic":       "Aug 14 04:10:01 box sshd[6601]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=" + strings.Repeat("a rhost=192.0.2.1 ", 3000) + "x",
	"postfix":           "Aug 14 06:30:01 mx postfix/smtpd[2001]: NOQUEUE: reject: RCPT from unknown[192.0.2.71]: 554 5.7.1 " + strings.Repeat("<a>: ", 10000),
	"proftpd":           "Aug 14 03:10:01 ftp proftpd[7101]: ftp.example.org (client.example.net[192.0.2.31]) - USER " + strings.Repeat("r (Login failed): ", 3000) + "x",
	"pure-ftpd":         "Aug 14 01:30:01 ftp pure-ftpd: (?@192.0.2.71) [WARNING] Authentication failed for user [" + strings.Repeat("] [", 10000) + "x",
	"recidive":          `{` + strings.Repeat(`"action":"ban","ip":"x",`, 2000) + `"jail":"recidive"}`,
	"sendmail-auth":     "Aug 14 04:50:01 mx sm-mta[5101]: 7Q1AbCdE012345: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=x" + strings.Repeat(", relay=[192.0.2.1]", 3000) + " z",
	"sendmail-reject":   "Aug 14 04:55:01 mx sm-mta[6101]: 7Q1AbCdE020001: ruleset=check_relay" + strings.Repeat(", arg1=x", 6000) + ", relay=z",
	"sshd":              "Aug 14 10:01:02 gw sshd[3101]: Failed password for invalid user x" + strings.Repeat(" from 192.0.2.1 port 22", 2500) + " y",
	"vsftpd":            "Sun Aug 14 02:20:05 2005 [pid 8105] [x" + strings.Repeat(`] FAIL LOGIN: Client "192.0.2.1", "`, 2000) + "z",
}

// TestHostileLines runs each built-in filter (in its widest mode) over
// long hostile lines: each must be answered within the engine's default
// match timeout (scaled under the race detector), without a failure.
func TestHostileLines(t *testing.T) {
	set, err := fuzzSet()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range builtin.Names() {
		if _, ok := hostile[n]; !ok {
			t.Errorf("%s: no hostile line", n)
		}
	}
	for key, line := range hostile {
		name := strings.TrimSuffix(key, "2")
		i := slices.IndexFunc(set, func(ff fuzzFilter) bool { return ff.f.Name() == name })
		if i < 0 {
			t.Errorf("%s: no such filter", name)
			continue
		}
		ff := set[i]
		dd, err := datedetect.New(datedetect.Options{Now: f2bsample.Now, Location: f2bsample.Zone(), Pattern: ff.pattern})
		if err != nil {
			t.Fatal(err)
		}
		f := ff.f
		if testenv.Race {
			// Same regexes, a timeout scaled to the race detector's
			// slow-down: linear matching stays far below it, runaway
			// backtracking on these lines far above.
			def := f.Def
			if f, err = filter.Compile(def, filter.Options{UseDNS: "raw", Timeout: 15 * time.Second}); err != nil {
				t.Fatal(err)
			}
		}
		now := func() time.Time { return f2bsample.Now }
		m := filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: now, Clock: now})
		start := time.Now()
		res, err := m.Line([]byte(line))
		t.Logf("%s: %d bytes in %v", key, len(line), time.Since(start).Round(time.Millisecond))
		if err != nil {
			t.Errorf("%s: %d-byte hostile line: %v", key, len(line), err)
			continue
		}
		if len(res.Failures) != 0 {
			t.Errorf("%s: hostile line gave %+v", key, res.Failures)
		}
	}
}
