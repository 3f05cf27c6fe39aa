package builtin_test

import (
	"bufio"
	"bytes"
	"slices"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/pyre"
)

// rewrites are failregexes of built-in filters rewritten for speed, each
// beside the form it replaced (expanded, as filter.Regex.Expanded gives
// it): the two must find the same match with the same groups on any text.
var rewrites = []struct {
	filter string
	index  int    // the failregex
	old    string // the form before
}{
	{"grafana", 0, `^(?=.*?(?:^|\s)msg="Invalid username or password"(?:\s|$))\s*(?:(?:uname=(?:"(?P<alt_user>(?:[^"\\]|\\.)[^"\\]*(?:\\.[^"\\]*)*)"|(?P<user>[^"\s]\S*)|(?=\s|$))|remote_addr=\[?(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))\]?(?=\s|$)|(?!(?:uname|remote_addr)=)[\w.]+=(?:"[^"\\]*(?:\\.[^"\\]*)*"|[^"\s]\S*|(?=\s|$)))(?:\s+|$))+$`},
}

type rewritePair struct {
	name     string
	now, old *pyre.Regexp
	names    []string
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
		out = append(out, rewritePair{rw.filter, now, old, now.Names()})
	}
	return out
}

// rewriteAgrees checks the two forms of p on text (as the regexes see a
// line: with its "\n") with regexp2, and with the byte backtracker where
// it answers.
func rewriteAgrees(t *testing.T, p rewritePair, text string) {
	t.Helper()
	run := func(re *pyre.Regexp) (bool, []pyre.Span) {
		slots := []int{0}
		for _, n := range p.names {
			slots = append(slots, re.Group(n))
		}
		out := make([]pyre.Span, len(slots))
		found, err := re.Find([]rune(text+"\n"), slots, out)
		if err != nil {
			t.Fatalf("%s on %q: %v", p.name, text, err)
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
	if f1 != f0 || f1 && !slices.Equal(s1, s0) {
		t.Errorf("%s on %q: now %v %v, before %v %v", p.name, text, f1, s1, f0, s0)
	}
}

// TestRewrites: each rewritten failregex and its former form agree on
// every line of its service's generated log, on the same line without its
// first field and with fields moved, and on hand-made lines.
func TestRewrites(t *testing.T) {
	lines := []string{
		`lvl=eror msg="Invalid username or password" uname=bob remote_addr=192.0.2.7`,
		`msg="Invalid username or password" uname="a \" remote_addr=203.0.113.9" remote_addr=192.0.2.7`,
		`msg="Invalid username or password" uname="" remote_addr=192.0.2.7`,
		`msg="Invalid username or password" remote_addr=x remote_addr=192.0.2.7`,
		`userId=0 u=1 r=2 ur.x= remote_addrx=3 unamex=4 msg="Invalid username or password" remote_addr=192.0.2.7`,
		` é=1 msg="Invalid username or password"  remote_addr=192.0.2.7 `,
		`x="msg="Invalid username or password"" remote_addr=192.0.2.7`,
		"a=1\tmsg=\"Invalid username or password\"\tremote_addr=192.0.2.7",
		`msg="Invalid username or password"x remote_addr=192.0.2.7`,
	}
	var log bytes.Buffer
	if _, err := authgen.Generate(&log, authgen.Options{Lines: 4000, Seed: 1, Service: "grafana"}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&log)
	for sc.Scan() {
		l := sc.Text()
		lines = append(lines, l)
		if i := bytes.IndexByte([]byte(l), ' '); i > 0 {
			lines = append(lines, l[i:], l[i+1:]+" "+l[:i])
		}
	}
	for _, p := range rewritePairs(t) {
		for _, l := range lines {
			rewriteAgrees(t, p, l)
		}
	}
}

// FuzzRewrites: each rewritten failregex and its former form agree on any
// text.
func FuzzRewrites(f *testing.F) {
	f.Add(`lvl=eror msg="Invalid username or password" uname=bob remote_addr=192.0.2.7`)
	f.Add(`msg="Invalid username or password" uname="a \" remote_addr=203.0.113.9" remote_addr=192.0.2.7`)
	f.Add(`u=1 r="x y" remote_addr=::1 msg="Invalid username or password"`)
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
