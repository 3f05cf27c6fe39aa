package builtin_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// Debian's fail2ban package: its filters and its annotated sample logs.
const (
	f2bFilters = "/etc/fail2ban/filter.d"
	f2bLogs    = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"
)

// TestDropIn replays fail2ban's own sample logs for every filter we ship
// (real lines from real daemons, with the modes and options fail2ban tests)
// through our engine twice: with fail2ban's filter of that name and with
// ours. Both must report the same failures (host, user, time, attempts) on
// every line, so a jail that swaps in the built-in filter keeps its
// verdicts. The few deliberate differences are listed in stockDeviations.
func TestDropIn(t *testing.T) {
	for _, p := range []string{f2bFilters, f2bLogs} {
		if _, err := os.Stat(p); err != nil {
			testenv.Missing(t, "fail2ban is not installed (%s)", p)
		}
	}
	ours := f2bsample.DirLoader(builtin.FS, "filter.d")
	stock := f2bsample.DirLoader(nil, f2bFilters)
	lines, same := 0, 0
	for _, name := range builtin.Names() {
		if _, err := os.Stat(f2bLogs + "/" + name); err != nil {
			continue
		}
		combos, err := f2bsample.Read(f2bLogs, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, c := range combos {
			gotOurs, err := f2bsample.RunEngine(c, ours)
			if err != nil {
				t.Errorf("%s[%s] (ours): %v", name, c.Key, err)
				continue
			}
			gotStock, err := f2bsample.RunEngine(c, stock)
			if err != nil {
				t.Logf("%s[%s]: fail2ban's filter does not run here: %v", name, c.Key, err)
				continue
			}
			for i, l := range c.Lines {
				lines++
				a, b := verdict(gotOurs[i], gotStock[i]), verdict(gotStock[i], nil)
				if a == b {
					same++
					continue
				}
				if why, ok := stockDeviations[l.Text]; ok {
					t.Logf("deliberate: %s:%d: %s", l.File, l.Lineno, why)
					continue
				}
				t.Errorf("%s[%s] %s:%d:\n    %s\n    ours:  %s\n    stock: %s", name, c.Key, l.File, l.Lineno, l.Text, a, b)
			}
		}
	}
	if lines < 500 {
		t.Errorf("only %d stock sample lines read", lines)
	}
	t.Logf("%d of %d stock sample lines give the same verdict with our filters and fail2ban's", same, lines)
}

// verdict describes the failures of one line. With ref (fail2ban's
// filter's failures on the same line), the user is written as ref's where
// ours only captures it better: fail2ban captures none, keeps sshd's
// "invalid user " in front of the name or Apache's ":" after it.
func verdict(gs, ref []f2bsample.Got) string {
	if len(gs) == 0 {
		return "no failure"
	}
	var b strings.Builder
	for i, g := range gs {
		user := g.Groups["user"]
		if i < len(ref) {
			if r := ref[i].Groups["user"]; r == "" || r == "invalid user "+user || r == user+":" {
				user = r
			}
		}
		fmt.Fprintf(&b, "host=%s user=%q time=%s attempts=%d; ", g.Host, user, g.Time.UTC().Format("2006-01-02T15:04:05.999999"), g.Attempts)
	}
	return b.String()
}

// stockDeviations are stock sample lines on which the built-in filters
// knowingly differ from fail2ban's, with the reason.
var stockDeviations = map[string]string{
	// Issue 16: the built-in filters report the real client or nothing.
	// fail2ban's samples read these ambiguous shapes one way; the same
	// text arises from an injection read the other way, so no address
	// is reported (see the comments in sshd.conf and pam-generic.conf).
	"Nov 11 08:04:52 redbamboo sshd[2737]: Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2":            "the same text as the user name 'test from 127.0.0.1 port 58946 ssh2:' gives (issue 16 finding 1): neither address",
	"srv sshd[2737]: Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2":                                  "the same line, journal form",
	"Jul 19 18:11:50 srv2 daemon: pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser=test rhost=192.0.2.151 rhost=192.0.2.1":       "two rhost=: fail2ban's samples read this shape both ways (this line: the last; the next: the first); neither address",
	"Jul 19 18:11:52 srv2 daemon: pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser= rhost=192.0.2.2 user=test rhost=192.0.2.152": "two rhost=: neither address",
	"Feb 6 12:02:29 server vsftpd(pam_unix)[15522]: authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=64.168.103.1 user=user1":                "a real PAM failure that fail2ban's vsftpd filter misses (its sample says so); ours counts it",
}

// TestFail2banStock runs fail2ban itself with our filters over its own
// sample logs (testdata/f2b/stock.py): every annotated case must agree but
// the deliberate differences.
func TestFail2banStock(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: fail2ban run skipped")
	}
	py := "/usr/bin/python3"
	for _, p := range []string{py, f2bLogs} {
		if _, err := os.Stat(p); err != nil {
			testenv.Missing(t, "%s missing: fail2ban is not installed", p)
		}
	}
	out, err := exec.Command(py, "testdata/f2b/stock.py", ".", f2bLogs).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		testenv.Missing(t, "fail2ban is not installed for %s: %s", py, strings.TrimSpace(string(out)))
	}
	if err != nil {
		t.Fatalf("stock.py: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	summary := ""
	for i, l := range lines {
		if strings.HasSuffix(l, " agree") {
			summary = l
		}
		if !strings.HasPrefix(l, "MISMATCH ") || i+1 >= len(lines) {
			continue
		}
		text := strings.TrimPrefix(lines[i+1], "    ")
		if why, ok := stockDeviations[text]; ok {
			t.Logf("deliberate: %s (%s)", l, why)
			continue
		}
		t.Errorf("%s\n%s", l, lines[i+1])
	}
	var agree, cases int
	if _, err := fmt.Sscanf(summary, "%d of %d agree", &agree, &cases); err != nil || cases < 500 {
		t.Fatalf("no summary from stock.py (%q):\n%s", summary, out)
	}
	t.Logf("fail2ban with our filters on its own samples: %s", summary)
}

// TestSameOptionNames checks that each built-in filter defines every key
// that fail2ban's filter of that name (with its includes) defines: modes,
// options and the names a jail or a .local may override.
func TestSameOptionNames(t *testing.T) {
	if _, err := os.Stat(f2bFilters); err != nil {
		testenv.Missing(t, "fail2ban is not installed (%s)", f2bFilters)
	}
	stockRead := func(p string) ([]byte, error) { return os.ReadFile(f2bFilters + "/" + p) }
	oursRead := func(p string) ([]byte, error) { return fs.ReadFile(builtin.FS, "filter.d/"+p) }
	for _, n := range builtin.Names() {
		want := confKeys(t, stockRead, n+".conf", map[string]bool{})
		if want == nil {
			continue
		}
		have := confKeys(t, oursRead, n+".conf", map[string]bool{})
		for k := range want {
			if !have[k] {
				t.Errorf("%s: fail2ban's filter defines %q, ours does not", n, k)
			}
		}
	}
}

var (
	keyRE     = regexp.MustCompile(`^([A-Za-z_][\w.-]*)\s*[=:]`)
	sectionRE = regexp.MustCompile(`^\[([^\]]+)\]`)
)

// confKeys returns the keys a fail2ban .conf file and the files it
// includes define (nil when the file does not exist).
func confKeys(t *testing.T, read func(string) ([]byte, error), name string, seen map[string]bool) map[string]bool {
	if seen[name] {
		return map[string]bool{}
	}
	seen[name] = true
	b, err := read(name)
	if err != nil {
		return nil
	}
	keys := map[string]bool{}
	section := ""
	for _, l := range strings.Split(string(b), "\n") {
		if m := sectionRE.FindStringSubmatch(l); m != nil {
			section = m[1]
			continue
		}
		m := keyRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if section == "INCLUDES" {
			for _, inc := range strings.Fields(l[len(m[0]):]) {
				if strings.HasSuffix(inc, ".conf") {
					for k := range confKeys(t, read, inc, seen) {
						keys[k] = true
					}
				}
			}
			continue
		}
		keys[m[1]] = true
	}
	return keys
}

// TestCommonConfDropIn runs fail2ban's own sample test over every filter
// fail2ban installs, with our common.conf in place of fail2ban's
// (testdata/f2b/common.py): users' filters include common.conf, so ours
// must serve all of them. The two zzz-* test filters cannot run on
// Debian's layout whichever common.conf is used (their include climbs out
// of the tree) and are left out.
func TestCommonConfDropIn(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: fail2ban run skipped")
	}
	py := "/usr/bin/python3"
	for _, p := range []string{py, f2bFilters, f2bLogs} {
		if _, err := os.Stat(p); err != nil {
			testenv.Missing(t, "%s missing: fail2ban is not installed", p)
		}
	}
	out, err := exec.Command(py, "testdata/f2b/common.py", "filter.d/common.conf", f2bFilters).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		testenv.Missing(t, "fail2ban is not installed for %s: %s", py, strings.TrimSpace(string(out)))
	}
	if err != nil {
		t.Fatalf("common.py: %v\n%s", err, out)
	}
	ok := 0
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, "testSampleRegexs") {
			continue
		}
		if strings.HasSuffix(l, " ok") {
			ok++
			continue
		}
		if strings.HasPrefix(l, "testSampleRegexsZZZ-") {
			continue
		}
		t.Errorf("with our common.conf: %s", l)
	}
	if ok < 80 {
		t.Errorf("only %d of fail2ban's sample tests passed with our common.conf:\n%s", ok, out)
	}
	t.Logf("%d of fail2ban's filters pass its sample test with our common.conf", ok)
}

// TestCommonConfEngine replays fail2ban's sample logs through our engine
// with each of fail2ban's filters twice: including fail2ban's common.conf
// and including ours. Every line must give the same failures.
func TestCommonConfEngine(t *testing.T) {
	for _, p := range []string{f2bFilters, f2bLogs} {
		if _, err := os.Stat(p); err != nil {
			testenv.Missing(t, "fail2ban is not installed (%s)", p)
		}
	}
	staged := t.TempDir()
	ents, err := os.ReadDir(f2bFilters)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(f2bFilters + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "common.conf" {
			if b, err = fs.ReadFile(builtin.FS, "filter.d/common.conf"); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(staged+"/"+e.Name(), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ours := f2bsample.DirLoader(nil, staged)
	stock := f2bsample.DirLoader(nil, f2bFilters)
	lines, same := 0, 0
	for _, name := range f2bsample.Names(f2bLogs, f2bFilters) {
		combos, err := f2bsample.Read(f2bLogs, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, c := range combos {
			gotStock, err := f2bsample.RunEngine(c, stock)
			if err != nil {
				continue // a filter the engine cannot run either way
			}
			gotOurs, err := f2bsample.RunEngine(c, ours)
			if err != nil {
				t.Errorf("%s[%s] with our common.conf: %v", name, c.Key, err)
				continue
			}
			for i, l := range c.Lines {
				lines++
				if a, b := verdict(gotOurs[i], nil), verdict(gotStock[i], nil); a != b {
					t.Errorf("%s[%s] %s:%d:\n    %s\n    our common.conf:  %s\n    fail2ban's:       %s", name, c.Key, l.File, l.Lineno, l.Text, a, b)
					continue
				}
				same++
			}
		}
	}
	if lines < 1000 {
		t.Errorf("only %d sample lines read", lines)
	}
	t.Logf("%d of %d lines of fail2ban's samples give the same failures with our common.conf", same, lines)
}
