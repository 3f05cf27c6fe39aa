package authgen

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"io/fs"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

func generate(t *testing.T, n int, seed uint64) ([]byte, Stats) {
	t.Helper()
	var b bytes.Buffer
	st, err := Generate(&b, Options{Lines: n, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), st
}

func TestDeterministic(t *testing.T) {
	a, _ := generate(t, 20000, 1)
	b, _ := generate(t, 20000, 1)
	c, _ := generate(t, 20000, 2)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Error("the same seed gave different logs")
	}
	if bytes.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same log")
	}
}

// failureShape recognises, independently of the generator, the sshd
// failure lines.
var failureShape = regexp.MustCompile(`sshd\[\d+\]: (?:Failed (?:password|publickey) for |Invalid user |pam_unix\(sshd:auth\): authentication failure;|Connection closed by (?:authenticating|invalid) user |error: maximum authentication attempts exceeded |Disconnected from (?:invalid|authenticating) user |Received disconnect from .*\[preauth\]$|banner exchange: |Unable to negotiate with |PAM \d+ more authentication failures;|Disconnecting authenticating user |Connection reset by .*\[preauth\]$)`)

var syslogLine = regexp.MustCompile(`^([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) web01 ([a-zA-Z-]+)(?:\[\d+\])?: +\S`)

var addrIn = regexp.MustCompile(`(?:from|rhost=|SRC=|by|with|user \S+) ((?:\d+\.){3}\d+|[0-9a-f]*:[0-9a-f:]+)(?: |$)`)

func TestShapesAndRatio(t *testing.T) {
	const n = 20000
	log, st := generate(t, n, 7)
	if st.Lines != n {
		t.Fatalf("Stats.Lines = %d, want %d", st.Lines, n)
	}
	sc := bufio.NewScanner(bytes.NewReader(log))
	lines, fails := 0, 0
	progs := map[string]int{}
	var last time.Time
	for sc.Scan() {
		line := sc.Text()
		lines++
		m := syslogLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d is not a syslog line: %q", lines, line)
		}
		ts, err := time.Parse(time.Stamp, m[1])
		if err != nil {
			t.Fatalf("line %d: date %q: %v", lines, m[1], err)
		}
		if lines > 1 && ts.Before(last) {
			t.Fatalf("line %d goes back in time: %q", lines, line)
		}
		last = ts
		progs[m[2]]++
		if failureShape.MatchString(line) {
			fails++
		}
		for _, a := range addrIn.FindAllStringSubmatch(line, -1) {
			if _, err := netip.ParseAddr(a[1]); err != nil {
				t.Fatalf("line %d: bad address %q: %q", lines, a[1], line)
			}
		}
	}
	if lines != n {
		t.Fatalf("%d lines, want %d", lines, n)
	}
	if fails != st.Failures {
		t.Errorf("%d lines have a failure shape, the generator counted %d", fails, st.Failures)
	}
	if r := float64(fails) / n; r < 0.095 || r > 0.105 {
		t.Errorf("failure ratio %.4f, want 0.10", r)
	}
	for _, p := range []string{"sshd", "CRON", "systemd-logind", "systemd", "sudo", "kernel"} {
		if progs[p] == 0 {
			t.Errorf("no %s lines", p)
		}
	}
	if !strings.Contains(string(log), "2001:db8:") || !strings.Contains(string(log), "203.0.113.") {
		t.Error("documentation addresses missing")
	}
}

// TestServices: every service log is deterministic, has about
// FailureRatio failure lines, and fills in every placeholder.
func TestServices(t *testing.T) {
	for _, svc := range Services() {
		var a, b bytes.Buffer
		st, err := Generate(&a, Options{Lines: 5000, Seed: 3, Service: svc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Generate(&b, Options{Lines: 5000, Seed: 3, Service: svc}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: the same seed gave different logs", svc)
		}
		if got := bytes.Count(a.Bytes(), []byte("\n")); got != 5000 || st.Lines != 5000 {
			t.Errorf("%s: %d lines (Stats %d), want 5000", svc, got, st.Lines)
		}
		if r := float64(st.Failures) / 5000; r < 0.08 || r > 0.12 {
			t.Errorf("%s: failure ratio %.3f, want about %.2f", svc, r, FailureRatio)
		}
		if bytes.Contains(a.Bytes(), []byte("{")) {
			t.Errorf("%s: a placeholder left in the log", svc)
		}
		if len(ServiceFilters(svc)) == 0 {
			t.Errorf("%s: no filters", svc)
		}
	}
	if _, err := Generate(io.Discard, Options{Lines: 1, Service: "nope"}); err == nil {
		t.Error("an unknown service gave no error")
	}
}

// TestFilterCases: every built-in filter is listed on a log, each case's
// built-in file is in its FS, each built-in case has fail2ban's twin, and
// Cases yields each case with its log's lines.
func TestFilterCases(t *testing.T) {
	seen := map[string]bool{}
	cases := FilterCases(Options{Lines: 10, Seed: 1})
	for i, c := range cases {
		if c.Log.Lines != 10 || c.Log.Seed != 1 || !slices.Contains(ServiceFilters(c.Log.Service), c.Filter) {
			t.Errorf("%s: %+v: not the caller's options, or not a filter of the service", c.Name(), c.Log)
		}
		if c.Fail2ban() {
			if b := cases[i-1]; b.Fail2ban() || b.Filter != c.Filter || b.Mode != c.Mode || c.Path != Fail2banFilterDir+"/"+c.Filter+".conf" {
				t.Errorf("%s after %s (%s)", c.Name(), b.Name(), c.Path)
			}
			continue
		}
		if _, err := fs.Stat(c.FS, c.Path); err != nil {
			t.Errorf("%s: %v", c.Name(), err)
		}
		seen[c.Filter] = true
	}
	for _, name := range builtin.Names() {
		if !seen[name] {
			t.Errorf("built-in filter %s has no case", name)
		}
	}
	var auth []string
	for _, c := range FilterCases(Options{Service: "auth"}) {
		auth = append(auth, c.Name())
	}
	if len(auth) != 8 {
		t.Errorf("the auth log's cases: %q, want sshd's 4 modes, built-in and fail2ban's", auth)
	}
	i := 0
	seq, first := Cases(Options{Lines: 10, Seed: 1}), 0
	for range seq {
		first++
	}
	for c, lines := range seq { // a second walk of the same sequence
		want, err := Lines(c.Log)
		if err != nil {
			t.Fatal(err)
		}
		if c != cases[i] || !slices.EqualFunc(lines, want, bytes.Equal) || len(lines) != 10 {
			t.Fatalf("Cases: case %d is %s with %d lines, want %s", i, c.Name(), len(lines), cases[i].Name())
		}
		i++
	}
	if first != len(cases) || i != len(cases) {
		t.Errorf("Cases yields %d cases, then %d, FilterCases lists %d", first, i, len(cases))
	}
	t.Logf("%d cases", len(cases))
}
