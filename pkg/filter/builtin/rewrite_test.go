package builtin_test

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/pyre"
)

// rewrites are failregexes of built-in filters rewritten for speed, each
// beside the form it replaced (expanded, as filter.Regex.Expanded gives
// it): the two must find the same match with the same groups on any text.
var rewrites = []struct {
	filter  string
	service string // the generated log it is checked on
	index   int    // the failregex
	old     string // the form before
}{
	{"grafana", "grafana", 0, `^(?=.*?(?:^|\s)msg="Invalid username or password"(?:\s|$))\s*(?:(?:uname=(?:"(?P<alt_user>(?:[^"\\]|\\.)[^"\\]*(?:\\.[^"\\]*)*)"|(?P<user>[^"\s]\S*)|(?=\s|$))|remote_addr=\[?(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))\]?(?=\s|$)|(?!(?:uname|remote_addr)=)[\w.]+=(?:"[^"\\]*(?:\\.[^"\\]*)*"|[^"\s]\S*|(?=\s|$)))(?:\s+|$))+$`},
	{"nginx-botsearch", "nginx-access", 0, `^\[?(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))\]? - \S+ \[\] "(?:GET|POST|HEAD) /\/?(?:roundcube|(?:ext)?mail|horde|(?:v-?)?webmail|(?:typo3/|xampp/|admin/|)(?:pma|(?:php)?[Mm]y[Aa]dmin)|wp-(?:login|signup|admin)\.php|cgi-bin|mysqladmin)[^,]* \S+" 404 .+$`},
	{"nginx-botsearch", "nginx-error", 1, `^ \[error\] [0-9]+#[0-9]+: \*[0-9]+ (?:\S+ )?"\S+" (?:failed|is not found) \(2: No such file or directory\), client: \[?(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))\]?, server: \S*, request: "(?:GET|POST|HEAD) /\/?(?:roundcube|(?:ext)?mail|horde|(?:v-?)?webmail|(?:typo3/|xampp/|admin/|)(?:pma|(?:php)?[Mm]y[Aa]dmin)|wp-(?:login|signup|admin)\.php|cgi-bin|mysqladmin)[^,]* \S+", .*?$`},
}

type rewritePair struct {
	name     string
	service  string
	now, old *pyre.Regexp
	names    []string
	dates    *datedetect.Detector
}

func rewritePairs(tb testing.TB) []rewritePair {
	tb.Helper()
	var out []rewritePair
	for _, rw := range rewrites {
		def, err := filter.Load("filter.d/"+rw.filter+".conf", nil, &filter.LoadOptions{FS: builtin.FS, Name: rw.filter})
		if err != nil {
			tb.Fatal(err)
		}
		f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
		if err != nil {
			tb.Fatal(err)
		}
		now, err := pyre.Compile(f.FailRegexes()[rw.index].Expanded, pyre.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		old := pyre.MustCompile(rw.old, pyre.Options{})
		if !slices.Equal(now.Names(), old.Names()) {
			tb.Fatalf("%s: groups %q, before %q", rw.filter, now.Names(), old.Names())
		}
		dd, err := datedetect.New(datedetect.Options{Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Location: time.UTC, Pattern: def.DatePattern})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, rewritePair{rw.filter, rw.service, now, old, now.Names(), dd})
	}
	return out
}

// rewriteAgrees checks the two forms of p on text (as the regexes see a
// line: with its "\n") with regexp2, and with the byte backtracker where
// it answers.
func rewriteAgrees(t *testing.T, p rewritePair, text string) bool {
	t.Helper()
	timeout := false
	run := func(re *pyre.Regexp) (bool, []pyre.Span) {
		slots := []int{0}
		for _, n := range p.names {
			slots = append(slots, re.Group(n))
		}
		out := make([]pyre.Span, len(slots))
		found, err := re.Find([]rune(text+"\n"), slots, out)
		if err != nil {
			// regexp2's timeout (wall time: a loaded machine, fuzzing
			// workers): nothing to compare
			timeout = true
			return false, nil
		}
		var sc pyre.Scratch
		bout := make([]pyre.Span, len(slots))
		if bf, known := re.FindASCII([]byte(text), slots, bout, &sc); known && (bf != found || found && !slices.Equal(bout, out)) {
			t.Fatalf("%s on %q: the byte backtracker %v %v, regexp2 %v %v", p.name, text, bf, bout, found, out)
		}
		return found, out
	}
	f1, s1 := run(p.now)
	f0, s0 := run(p.old)
	if timeout {
		return false
	}
	if f1 != f0 || f1 && !slices.Equal(s1, s0) {
		t.Errorf("%s on %q: now %v %v, before %v %v", p.name, text, f1, s1, f0, s0)
	}
	return f1
}

// TestRewrites: each rewritten failregex and its former form agree on
// every line of its service's generated log (as the regexes see it: its
// date cut out), on the same line with its first field moved to its end
// and without it, and on hand-made lines.
func TestRewrites(t *testing.T) {
	made := []string{
		`lvl=eror msg="Invalid username or password" uname=bob remote_addr=192.0.2.7`,
		`msg="Invalid username or password" uname="a \" remote_addr=203.0.113.9" remote_addr=192.0.2.7`,
		`msg="Invalid username or password" uname="" remote_addr=192.0.2.7`,
		`msg="Invalid username or password" remote_addr=x remote_addr=192.0.2.7`,
		`userId=0 u=1 r=2 ur.x= remote_addrx=3 unamex=4 msg="Invalid username or password" remote_addr=192.0.2.7`,
		` é=1 msg="Invalid username or password"  remote_addr=192.0.2.7 `,
		`x="msg="Invalid username or password"" remote_addr=192.0.2.7`,
		"a=1\tmsg=\"Invalid username or password\"\tremote_addr=192.0.2.7",
		`msg="Invalid username or password"x remote_addr=192.0.2.7`,
		`192.0.2.7 - - [] "GET /wp-login.php HTTP/1.1 x" 404 1 "-" "a"`,
		`192.0.2.7 - - [] "GET /wp-login.php?a b HTTP/1.1" 404 1 "-" "a, b" 404 2`,
		`::1 - - [] "GET /pma, HTTP/1.1" 404 1`,
		` [error] 1#1: *1 open() "/x" failed (2: No such file or directory), client: 192.0.2.7, server: x, request: "GET /mail a b HTTP/1.1", host: "x"`,
	}
	for _, p := range rewritePairs(t) {
		var log bytes.Buffer
		if _, err := authgen.Generate(&log, authgen.Options{Lines: 4000, Seed: 1, Service: p.service}); err != nil {
			t.Fatal(err)
		}
		lines := slices.Clone(made)
		sc := bufio.NewScanner(&log)
		for sc.Scan() {
			l := sc.Text()
			if _, s, e, ok := p.dates.Find(l); ok && s >= 0 && e >= s {
				l = l[:s] + l[e:]
			}
			lines = append(lines, l)
			if i := strings.IndexByte(l, ' '); i > 0 {
				lines = append(lines, l[i:], l[i+1:]+" "+l[:i])
			}
		}
		found := 0
		for _, l := range lines {
			if rewriteAgrees(t, p, l) {
				found++
			}
		}
		if found < 20 {
			t.Errorf("%s: %d lines of %d match, want many", p.name, found, len(lines))
		}
	}
}

// FuzzRewrites: each rewritten failregex and its former form agree on any
// text.
func FuzzRewrites(f *testing.F) {
	f.Add(`lvl=eror msg="Invalid username or password" uname=bob remote_addr=192.0.2.7`)
	f.Add(`msg="Invalid username or password" uname="a \" remote_addr=203.0.113.9" remote_addr=192.0.2.7`)
	f.Add(`u=1 r="x y" remote_addr=::1 msg="Invalid username or password"`)
	f.Add(`192.0.2.7 - - [] "GET /wp-login.php?a b HTTP/1.1" 404 1 "-" "a, b" 404 2`)
	f.Add(` [error] 1#1: *1 open() "/x" failed (2: No such file or directory), client: 192.0.2.7, server: x, request: "GET /mail a b HTTP/1.1", host: "x"`)
	var pairs []rewritePair
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 300 || bytes.IndexByte([]byte(text), '\n') >= 0 {
			return
		}
		if pairs == nil {
			pairs = rewritePairs(t)
		}
		for _, p := range pairs {
			rewriteAgrees(t, p, text)
		}
	})
}
