package pyre

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
)

var translateTests = []struct {
	name, in, want string
}{
	{"named group", `(?P<user>\S+)`, `(?<user>\S+)`},
	{"named backref", `(?P<s>[-/])\d(?P=s)`, `(?<s>[\-/])[0-9\d]\k<s>`},
	{"brace zero min", `\(\d{,3}\)`, `\([0-9\d]{0,3}\)`},
	{"digit and word classes, ASCII first", `\d\w[\d\w.]\D\W`, `[0-9\d][a-zA-Z0-9_\w][0-9\da-zA-Z0-9_\w.]\D\W`},
	{"brace literal", `a{x}b{1,2`, `a\{x\}b\{1,2`},
	{"brace any", `a{,}`, `a*`},
	{"flags u dropped", `(?iu)foo`, `(?i)foo`},
	{"flags x applied", "(?x) a b # comment\n c", `abc`},
	{"Z to z", `foo\Z`, `foo\z`},
	{"escaped word punct", `\_\<\'`, `_<'`},
	{"non-ascii escape", `\é`, `é`},
	{"class bracket", `^[[:alpha:]]x$`, `^[\[:alpha:]\]x$`},
	{"class negated bracket", `[^[]+`, `[^\[]+`},
	{"class first bracket", `[]a]`, `[\]a]`},
	{"class ranges", `[a-z0-9\-_]`, `[a-z0-9\-_]`},
	{"numeric backref", `(a)(?P<n>b)\1\2`, `(?<__py1>a)(?<n>b)\k<__py1>\k<n>`},
	{"numeric conditional", `(<)?x(?(1)>|$)`, `(?<__py1><)?x(?(__py1)>|$)`},
	{"named conditional", `(?P<q>")?x(?(q)")`, `(?<q>")?x(?(q)")`},
	{"unicode escapes", `\U0001F600\x41\u00e9\t`, "😀Aé\\x09"},
	{"octal", `\0\101`, `\x00A`},
	{"possessive", `a++b`, `(?>a+)b`},
	{"lazy", `a+?b{2,3}?`, `a+?b{2,3}?`},
	{"lookarounds", `(?<=:)(?!x)(?=y)(?<!z)`, `(?<=:)(?!x)(?=y)(?<!z)`},
	{"scoped flags", `(?i:ab)(?-i:c)`, `(?i:ab)(?-i:c)`},
	{"comment group", `a(?#note)b`, `ab`},
	{"dollar and caret", `^a$`, `^a$`},
	{"atomic", `(?>a|ab)c`, `(?>a|ab)c`},
}

func TestTranslate(t *testing.T) {
	for _, tt := range translateTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Translate(tt.in)
			if err != nil {
				t.Fatalf("Translate(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Translate(%q)\ngot  %q\nwant %q", tt.in, got, tt.want)
			}
			if _, err := Compile(tt.in, Options{}); err != nil {
				t.Errorf("Compile(%q): %v", tt.in, err)
			}
		})
	}
}

var rejectTests = []struct{ in, msg string }{
	{`(?P<a>x)(?P<a>y)`, "redefinition"},
	{`(?P=nope)`, "unknown group name"},
	{`a(?i)b`, "global flags not at the start"},
	{`(?a)x`, "unsupported inline flag"},
	{`(?L)x`, "unsupported inline flag"},
	{`\N{DIGIT ONE}`, `\N{...}`},
	{`\q`, `bad escape`},
	{`(?<=a+)b`, "fixed-width"},
	{`(abc`, "missing )"},
	{`abc)`, "unbalanced parenthesis"},
	{`[abc`, "unterminated character set"},
	{`*a`, "nothing to repeat"},
	{`^*`, "nothing to repeat"},
	{`a**`, "multiple repeat"},
	{`a{3,2}`, "min repeat greater"},
	{`\2(a)`, "invalid group reference"},
	{`(?(x)a|b)`, "unknown group name"},
	{`(a)(?(1)b|c|d)`, "more than two branches"},
	{`[z-a]`, "bad character range"},
}

func TestReject(t *testing.T) {
	for _, tt := range rejectTests {
		_, err := Translate(tt.in)
		if err == nil {
			t.Errorf("Translate(%q) succeeded, want an error containing %q", tt.in, tt.msg)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Translate(%q): error %T, want *Error", tt.in, err)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Translate(%q) = %v, want it to contain %q", tt.in, err, tt.msg)
		}
	}
}

var literalTests = []struct {
	in   string
	want []string
}{
	{`Failed password for .* from `, []string{"Failed password for "}},
	{`Failed (?:password|publickey) for`, []string{"Failed password for", "Failed publickey for"}},
	{`(?:Connection closed|Disconnected) by`, []string{"Connection closed by", "Disconnected by"}},
	{`^ab\d+xyz`, []string{"xyz"}},
	{`(?i)Failed password`, nil},
	{`(?i:failed) password`, []string{" password"}},
	{`Invalid user (?P<user>\S+) from`, []string{"Invalid user "}},
	{`ab|\d+`, nil},
	{`(?:abc)?def`, []string{"abcdef", "def"}},
	{`(?:abc)*de`, nil},
	{`(?:abcd)+`, []string{"abcd"}},
	{`[Ff]ailed`, []string{"Failed", "failed"}},
	{`[^F]ailed`, []string{"ailed"}},
	{`foo(?=bar)baz`, []string{"foobaz"}},
	{`(?P<x>abc)(?P=x)`, []string{"abc"}},
	{`\d+`, nil},
	{`a.b`, nil},
	{`(a)?(?(1)xyz|uvw)`, []string{"auvw", "axyz", "uvw", "xyz"}}, // a superset: conditionals are read as alternatives
}

func TestLiterals(t *testing.T) {
	for _, tt := range literalTests {
		got := Literals(tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Literals(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// pyCase is one (pattern, input) pair checked against CPython.
type pyCase struct {
	Pattern string `json:"p"`
	Flags   int    `json:"f"` // 8 = re.MULTILINE
	Input   string `json:"s"`
}

type pyResult struct {
	Err    string             `json:"err"`
	Match  bool               `json:"m"`
	Span   [2]int             `json:"span"`
	Groups map[string]*string `json:"g"`
}

var pyScript = `
import json, re, sys
out = []
for c in json.load(sys.stdin):
    try:
        m = re.compile(c["p"], c["f"]).search(c["s"])
    except re.error as e:
        out.append({"err": str(e)}); continue
    if not m:
        out.append({"m": False}); continue
    out.append({"m": True, "span": list(m.span()), "g": m.groupdict()})
json.dump(out, sys.stdout)
`

// differentialCases are tricky constructs with inputs that tell the
// engines apart when the translation is wrong.
var differentialCases = []struct {
	pattern string
	inputs  []string
}{
	{`^(?P<a>x)(y)\1$`, []string{"xyx", "xyy"}},
	{`(?P<a>x)(y)(?P=a)`, []string{"xyx", "xyy"}},
	{`\(\d{,3}\)`, []string{"(12)", "(1234)", "{,3}", "()"}},
	{`^[[:alpha:]]x$`, []string{"[x", "a]x", "[]x", ":]x"}},
	{`foo$`, []string{"foo", "foo\n", "foo\n\n", "foox"}},
	{`foo\Z`, []string{"foo", "foo\n"}},
	{`^a\<b\'c$`, []string{"a<b'c"}},
	{`(<)?x(?(1)>|$)`, []string{"<x>", "x", "<x", "x>"}},
	{`(?P<q>")?v(?(q)")`, []string{`"v"`, `v`, `"v`}},
	{`(?i)fAiLeD`, []string{"FAILED", "failed"}},
	{`(?i:ab)c`, []string{"ABc", "ABC"}},
	{`(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})`, []string{"::ffff:1.2.3.4", "x 10.0.0.1 y"}},
	{`(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):))`, []string{"2001:db8::1", "fe80::", "::1"}},
	{`a.b`, []string{"a\nb", "axb"}},
	{`^x`, []string{"a\nx"}},
	{`\s+`, []string{"\t", "\u00a0", "x"}},
	{`\w+`, []string{"héllo", "a_b"}},
	{`\d`, []string{"٣", "x"}},
	{`a{2}b{1,}c{,2}d`, []string{"aabbcd", "aabd", "aabccd", "aabcccd"}},
	{`(?:a|ab)(?:c|bcd)(?P<r>d*)`, []string{"abcd", "abd"}},
	{`(?P<x>a)|(?P<y>b)`, []string{"b", "a"}},
	{`(a)(?P<n>b)?c`, []string{"ac", "abc"}},
	{`x*+x`, []string{"xxx"}},
	{`(?>a|ab)c`, []string{"abc", "ac"}},
	{`\bfoo\b`, []string{"a foo b", "afoo"}},
	{`[\]\-^]+`, []string{"]-^", "abc"}},
	{`(?x) a \  b  # c`, []string{"a b", "ab"}},
	{`[^[]+\]`, []string{"abc]", "[abc]"}},
}

func TestPythonDifferential(t *testing.T) {
	py := testenv.RequireCommand(t, "python3")
	var cases []pyCase
	for _, c := range differentialCases {
		for _, in := range c.inputs {
			cases = append(cases, pyCase{Pattern: c.pattern, Input: in})
		}
	}
	want := runPython(t, py, cases)
	for i, c := range cases {
		w := want[i]
		re, err := Compile(c.Pattern, Options{Multiline: c.Flags&8 != 0})
		if w.Err != "" {
			if err == nil {
				t.Errorf("%q: Python refuses it (%s), we compile it", c.Pattern, w.Err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.Pattern, err)
			continue
		}
		checkAgainst(t, re, c, w)
	}
}

func checkAgainst(t *testing.T, re *Regexp, c pyCase, w pyResult) {
	t.Helper()
	m, err := re.FindRunes([]rune(c.Input))
	if err != nil {
		t.Errorf("%q on %q: %v", c.Pattern, c.Input, err)
		return
	}
	if (m != nil) != w.Match {
		t.Errorf("%q on %q: match %v, Python %v (translated %q)", c.Pattern, c.Input, m != nil, w.Match, re.Translated())
		return
	}
	if m == nil {
		return
	}
	// Find (the allocation-free API) reports the same spans.
	nums := []int{0}
	for _, n := range re.Names() {
		nums = append(nums, re.Group(n))
	}
	spans := make([]Span, len(nums))
	if ok, err := re.Find([]rune(c.Input), nums, spans); !ok || err != nil {
		t.Errorf("%q on %q: Find %v %v, FindRunes matched", c.Pattern, c.Input, ok, err)
	} else {
		if spans[0] != (Span{m.RuneIndex, m.RuneLength, true}) {
			t.Errorf("%q on %q: Find span %v", c.Pattern, c.Input, spans[0])
		}
		for i, n := range re.Names() {
			g := m.GroupByName(n)
			want := Span{}
			if len(g.Captures) > 0 {
				want = Span{g.RuneIndex, g.RuneLength, true}
			}
			if spans[1+i] != want {
				t.Errorf("%q on %q: Find group %s %v, want %v", c.Pattern, c.Input, n, spans[1+i], want)
			}
		}
	}
	if m.RuneIndex != w.Span[0] || m.RuneIndex+m.RuneLength != w.Span[1] {
		t.Errorf("%q on %q: span [%d,%d], Python %v", c.Pattern, c.Input, m.RuneIndex, m.RuneIndex+m.RuneLength, w.Span)
	}
	for name, v := range w.Groups {
		g := m.GroupByName(name)
		got := (*string)(nil)
		if g != nil && len(g.Captures) > 0 {
			s := g.String()
			got = &s
		}
		if (got == nil) != (v == nil) || got != nil && *got != *v {
			t.Errorf("%q on %q: group %s = %v, Python %v", c.Pattern, c.Input, name, deref(got), deref(v))
		}
	}
	if lits := re.Literals(); lits != nil {
		found := false
		for _, l := range lits {
			found = found || strings.Contains(c.Input, l)
		}
		if !found {
			t.Errorf("%q on %q matches but contains none of the literals %q", c.Pattern, c.Input, lits)
		}
	}
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func runPython(t *testing.T, py string, cases []pyCase) []pyResult {
	t.Helper()
	in, _ := json.Marshal(cases)
	cmd := exec.Command(py, "-c", pyScript)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var res []pyResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("python3 output: %v (%d results for %d cases)", err, len(res), len(cases))
	}
	return res
}

func TestTimeout(t *testing.T) {
	re := MustCompile(`^(a+)+$`, Options{Timeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := re.FindRunes([]rune(strings.Repeat("a", 40) + "!"))
	if err == nil {
		t.Fatal("catastrophic match returned without a timeout error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}
	// The pattern stays usable.
	if m, err := re.FindRunes([]rune("aaa")); err != nil || m == nil {
		t.Errorf("after a timeout: match %v, err %v", m, err)
	}
}

// TestConfirmedTimeout: a match that fails sooner than its timeout by the
// wall clock (regexp2's approximate clock jumped) runs once more; one that
// fails after its timeout does not.
func TestConfirmedTimeout(t *testing.T) {
	stale := errors.New("match timeout after 1h (the clock jumped)")
	calls := 0
	err := Confirmed(time.Hour, func() error {
		calls++
		if calls == 1 {
			return stale
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Errorf("a timeout an hour early: err %v after %d runs, want nil after 2", err, calls)
	}

	calls = 0
	err = Confirmed(time.Microsecond, func() error {
		calls++
		for start := time.Now(); time.Since(start) <= time.Microsecond; {
		}
		return stale
	})
	if err != stale || calls != 1 {
		t.Errorf("a timeout the wall clock confirms: err %v after %d runs, want it after 1", err, calls)
	}
}

func TestNames(t *testing.T) {
	re := MustCompile(`(?P<b>x)(y)(?P<a>z)\2`, Options{})
	if got := re.Names(); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("Names() = %q", got)
	}
	m, _ := re.FindRunes([]rune("xyzy"))
	if m == nil {
		t.Fatal("no match")
	}
	if g := m.GroupByNumber(re.Group("a")); g.String() != "z" {
		t.Errorf("group a = %q", g.String())
	}
	if re.Group("__py2") != -1 || re.HasGroup("__py2") {
		t.Error("synthetic group names leak into Names")
	}
}
