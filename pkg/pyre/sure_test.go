package pyre

import (
	"strings"
	"testing"
)

// The hosts of fail2ban's <HOST> as its failregexes expand it.
const sureHost = `(?:\[?(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))\]?|(?P<dns>[\w\-.^_]*\w))`

// sshd's closed connections (the built-in filter's shape).
const disconnectedPattern = `^(?:Connection (?:closed|reset)|Disconnected) (?:by|from)(?: (?:authenticating|invalid) user (?:\S+|.*?))? ` + sureHost + `(?: port [0-9]+)?(?: \[preauth\])?\s*$`

var sureTests = []struct {
	pattern, text string
	sure          bool // SureMatch's answer (true only where regexp2 matches)
}{
	{`^(?P<mlfforget>(?P<mlfgained>Accepted [\w/-]+)) for (?P<user>\S+) from ` + sureHost + `(?=\s|$)`,
		"Accepted publickey for alice from 198.51.100.114 port 10199 ssh2: RSA SHA256:zyA", true},
	{`^(?P<mlfforget>(?P<mlfgained>Accepted [\w/-]+)) for (?P<user>\S+) from ` + sureHost + `(?=\s|$)`,
		"Accepted keyboard-interactive/pam for bob from 2001:db8::7", true},
	{`^(?P<nofail>Received (?P<mlfforget>disconnect)) from ` + sureHost + `(?: (?:port [0-9]+|on \S+)){0,2}: ?11:\s`,
		"Received disconnect from 2001:db8:69a9:c903::b4 port 36043:11: disconnected by user", true},
	{`^(?P<nofail>Received (?P<mlfforget>disconnect)) from ` + sureHost + `(?: (?:port [0-9]+|on \S+)){0,2}: ?11:\s`,
		"Received disconnect from 192.0.2.177 port 63220:11: disconnected by user", true},
	// a match the one way does not find (the greedy \S+ must give back): "don't know"
	{`^a\S+b c$`, "axxb c", false},
	// no match
	{`^Accepted \w+ for`, "Accepted keyboard-interactive/pam for x", false},
	// the text's "\n" is the end for $ and \Z, \s sees it
	{`^x\s$`, "x", true},
	{`^x$\Z`, "x", false},
	{`^x\n\Z`, "x", true},
	{`^(?:a|ab)c`, "abc", false},
	{`^(?:ab|a)c`, "abc", true},
	{`^a{2,3}?b`, "aab", true},
	{`^a{2,3}?b`, "aaab", false},
	{`^.*x(?<=\dx)`, "12x", false}, // .* takes the x
	{`^\d+(?<=5)x\b`, "15x", true},
	{`^\d+(?<=5)x\b`, "15xy", false},
	// parts without a walker: never sure
	{`^(?!b)a`, "a", false},
	{`(?i)^a`, "a", false},
	{`^(?P<x>a)(?P=x)`, "aa", false},
	{`^(?>a)`, "a", false},
	// a byte outside ASCII stops the walk
	{`^\S+ x`, "é x", false},
	{`^a.`, "aé", false},
}

func TestSureMatch(t *testing.T) {
	for _, tt := range sureTests {
		re := MustCompile(tt.pattern, Options{})
		if got := re.SureMatch([]byte(tt.text)); got != tt.sure {
			t.Errorf("%q on %q: SureMatch %v, want %v", tt.pattern, tt.text, got, tt.sure)
		}
		m, err := re.FindRunes([]rune(tt.text + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if tt.sure && m == nil {
			t.Errorf("%q on %q: sure, but regexp2 finds no match", tt.pattern, tt.text)
		}
	}
}

// TestExactMatch: ExactMatch decides both ways where the walker cannot
// (backtracking, negative look-arounds), and says "don't know" where it
// must classify a character outside ASCII.
func TestExactMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, text string
		match, known  bool
	}{
		{`^a\S+b c$`, "axxb c", true, true},
		{`^(?:a|ab)c`, "abc", true, true},
		{`^.*x(?<=\dx)`, "12x", true, true},
		{`^(?!b)a`, "a", true, true},
		{`^(?!a)a`, "a", false, true},
		{`(?<!1)x`, "1x2x", true, true},
		{`(?<!1)x`, "1x1x", false, true},
		{disconnectedPattern, "Disconnected from user git 192.0.2.174 port 11242", false, true},
		{disconnectedPattern, "Disconnected from invalid user a b 192.0.2.174 port 11242", true, true},
		{`x\b`, "x", true, true},
		{`^\S+$`, "aé", false, false},
		{`(?i)a`, "a", false, false},
	} {
		re := MustCompile(tt.pattern, Options{})
		match, known := re.ExactMatch([]byte(tt.text))
		if match != tt.match || known != tt.known {
			t.Errorf("%q on %q: ExactMatch %v %v, want %v %v", tt.pattern, tt.text, match, known, tt.match, tt.known)
		}
		m, err := re.FindRunes([]rune(tt.text + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if known && match != (m != nil) {
			t.Errorf("%q on %q: ExactMatch %v, regexp2 %v", tt.pattern, tt.text, match, m != nil)
		}
	}
}

func TestAlwaysNonEmpty(t *testing.T) {
	for _, tt := range []struct {
		pattern, name string
		want          bool
	}{
		{`^(?P<a>x+)(?P<b>y)?(?P<c>z*)(?:(?P<d>u)|v)(?:(?P<e>w))+`, "a", true},
		{`^(?P<a>x+)(?P<b>y)?(?P<c>z*)(?:(?P<d>u)|v)(?:(?P<e>w))+`, "b", false},
		{`^(?P<a>x+)(?P<b>y)?(?P<c>z*)(?:(?P<d>u)|v)(?:(?P<e>w))+`, "c", false},
		{`^(?P<a>x+)(?P<b>y)?(?P<c>z*)(?:(?P<d>u)|v)(?:(?P<e>w))+`, "d", false},
		{`^(?P<a>x+)(?P<b>y)?(?P<c>z*)(?:(?P<d>u)|v)(?:(?P<e>w))+`, "e", true},
		{`^(?P<nofail>Received (?P<mlfforget>disconnect)) from`, "mlfforget", true},
		{`(?=(?P<a>x))`, "a", false},
		{`^x`, "a", false},
	} {
		if got := MustCompile(tt.pattern, Options{}).AlwaysNonEmpty(tt.name); got != tt.want {
			t.Errorf("%q: AlwaysNonEmpty(%q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// FuzzSureMatch: where SureMatch says yes, regexp2 finds a match in the
// text with its "\n" (and, for a pattern whose group always holds text,
// a match with that group's text); where ExactMatch knows, it says what
// regexp2 says.
func FuzzSureMatch(f *testing.F) {
	for _, tt := range sureTests {
		f.Add(tt.pattern, tt.text)
	}
	for _, tt := range translateTests {
		f.Add(tt.in, "Failed password for root from 192.0.2.1 port 22")
	}
	for _, c := range differentialCases {
		for _, in := range c.inputs {
			f.Add(c.pattern, strings.TrimSuffix(in, "\n"))
		}
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 300 || len(input) > 200 {
			return
		}
		for _, multi := range []bool{false, true} {
			re, err := Compile(pattern, Options{Multiline: multi})
			if err != nil {
				return
			}
			m, err := re.FindRunes([]rune(input + "\n"))
			if err != nil {
				continue
			}
			if match, known := re.ExactMatch([]byte(input)); known && match != (m != nil) {
				t.Fatalf("%q (multiline %v) on %q: ExactMatch says %v, regexp2 %v", pattern, multi, input, match, m != nil)
			}
			sure := re.SureMatch([]byte(input))
			if plain := sureMatchNoFirst(re, []byte(input)); plain != sure {
				t.Fatalf("%q (multiline %v) on %q: SureMatch says %v, without its first-character checks %v", pattern, multi, input, sure, plain)
			}
			if !sure {
				continue
			}
			if m == nil {
				t.Fatalf("%q (multiline %v) on %q: SureMatch says it matches, regexp2 finds no match", pattern, multi, input)
			}
			for _, n := range re.Names() {
				if re.AlwaysNonEmpty(n) {
					if g := m.GroupByName(n); g == nil || len(g.Captures) == 0 || g.String() == "" {
						t.Fatalf("%q on %q: group %s is always non-empty, but is empty in regexp2's match", pattern, input, n)
					}
				}
			}
		}
	})
}

// BenchmarkSureMatch: the walker and the exact matcher beside regexp2 (Find with the groups a
// filter asks for) on sshd's session lines.
func BenchmarkSureMatch(b *testing.B) {
	for _, c := range []struct{ name, pattern, text string }{
		{"accepted", sureTests[0].pattern, sureTests[0].text},
		{"disconnect-ip6", sureTests[2].pattern, sureTests[2].text},
		{"disconnect-ip4", sureTests[3].pattern, sureTests[3].text},
		{"disconnected-user", disconnectedPattern, "Disconnected from user git 192.0.2.174 port 11242"},
	} {
		re := MustCompile(c.pattern, Options{})
		text := []byte(c.text)
		want, _ := re.ExactMatch(text)
		b.Run(c.name+"/walker", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if re.SureMatch(text) != want {
					b.Fatal("SureMatch says otherwise")
				}
			}
		})
		b.Run(c.name+"/exact", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if m, k := re.ExactMatch(text); m != want || !k {
					b.Fatal("ExactMatch says otherwise")
				}
			}
		})
		b.Run(c.name+"/bt", func(b *testing.B) {
			slots := []int{0}
			for _, n := range re.Names() {
				slots = append(slots, re.Group(n))
			}
			out := make([]Span, len(slots))
			var sc Scratch
			for i := 0; i < b.N; i++ {
				if ok, k := re.FindASCII(text, slots, out, &sc); ok != want || !k {
					b.Fatal("FindASCII says otherwise")
				}
			}
		})
		b.Run(c.name+"/regexp2", func(b *testing.B) {
			runes := []rune(c.text + "\n")
			slots := []int{0}
			for _, n := range re.Names() {
				slots = append(slots, re.Group(n))
			}
			out := make([]Span, len(slots))
			for i := 0; i < b.N; i++ {
				if ok, _ := re.Find(runes, slots, out); ok != want {
					b.Fatal("regexp2 says otherwise")
				}
			}
		})
	}
}
