package pyre

import (
	"strings"
	"testing"
)

// btTests are patterns and texts for FindASCII beside regexp2: its order
// of ways (alternatives, greedy and lazy repeats, the first start), its
// groups (the last iteration's, undone on a step back) and look-arounds.
var btTests = []struct {
	pattern, text string
	known         bool // FindASCII answers
}{
	{`^Failed (?:(?P<nofail>publickey)|(?!publickey\b)\S+) for invalid user (?P<user>(?:(?! from \S+(?: (?:port [0-9]+|on \S+)){0,2}(?: ssh[0-9]*)?:).)*?) from ` + sureHost + `(?: (?:port [0-9]+|on \S+)){0,2}(?: ssh[0-9]*)?(?:: \S+ \S+)?\s*$`,
		"Failed password for invalid user x from 198.51.100.7 port 22 ssh2: from 203.0.113.9 port 40001 ssh2", true},
	{`^Failed (?:(?P<nofail>publickey)|(?!publickey\b)\S+) for invalid user (?P<user>(?:(?! from \S+(?: (?:port [0-9]+|on \S+)){0,2}(?: ssh[0-9]*)?:).)*?) from ` + sureHost + `(?: (?:port [0-9]+|on \S+)){0,2}(?: ssh[0-9]*)?(?:: \S+ \S+)?\s*$`,
		"Failed publickey for invalid user a from b from 192.0.2.1 port 2 ssh2", true},
	{sureTests[0].pattern, sureTests[0].text, true},
	{sureTests[1].pattern, sureTests[1].text, true},
	{sureTests[2].pattern, sureTests[2].text, true},
	{disconnectedPattern, "Disconnected from user git 192.0.2.174 port 11242", true},
	{disconnectedPattern, "Connection closed by invalid user a b 192.0.2.1 port 5 [preauth]", true},
	{`^(?:(?P<a>x)|y)+z`, "xyz", true},
	{`^(?:(?P<a>x)|(?P<b>y))+$`, "xyxy", true},
	{`(?P<a>a+)(?P<b>a*?)b`, "caaab", true},
	{`^a\S+b c$`, "axxb c", true},
	{`^(?:a|ab)(?P<c>c|bc)`, "abc", true},
	{`^.*x(?<=\dx)`, "12x", true},
	{`^(?P<d>\d+)(?<=5)x\b`, "15x", true},
	{`(?<!a)b`, "abcb", true},
	{`x(?=(?P<g>y))`, "xy", false}, // a group in a look-around
	{`^(?:a*)*b`, "aab", false},    // a repeat of the empty string
	{`(?i)^a`, "A", false},
	{`^\S+ x`, "é x", false},
	{`^x\s$`, "x", true},
	{`^x$\Z`, "x", true},
	{`^(?P<x>a)(?P=x)`, "aa", false},
	// conditionals on a named group (fail2ban's sshd.conf "Failed" lines)
	{`^Failed (?:(?P<nofail>publickey)|\S+) for (?P<cond_inv>invalid user )?(?P<user>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)) from (?P<ip4>(?:\d{1,3}\.){3}\d{1,3})(?: (?:port \d+|on \S+)){0,2}(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`,
		"Failed password for invalid user a b from 192.0.2.1 port 22 ssh2", true},
	{`^Failed (?:(?P<nofail>publickey)|\S+) for (?P<cond_inv>invalid user )?(?P<user>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)) from (?P<ip4>(?:\d{1,3}\.){3}\d{1,3})(?: (?:port \d+|on \S+)){0,2}(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`,
		"Failed password for root from 192.0.2.1 port 22 ssh2", true},
	{`^(?:(?P<a>x)|y)+(?(a)z|w)$`, "yxyz", true},
	{`^(?:(?P<a>x)y|xz)(?(a)1|2)`, "xz2", true},
	{`^(?P<a>a)?(?(1)b|c)`, "ab", true}, // the number of a named group
	// a range that ends in "-" (regexp2 needs it written "\x2D")
	{`[--A]`, "0", true},
	// two different negated class escapes: regexp2 reads them otherwise
	// than Python, the machine has no program
	{`[\W\D]`, "A", false},
	{`^[^\W\D]`, "1", false},
	{`[\W\Wa]`, "a", true},
	// a split skips a branch that cannot take the next character
	// (firstOf): optional parts, the text's end ("\n", then nothing),
	// runs that may be empty, assertions and look-arounds first in a
	// branch, lazy repeats, alternatives that share a first character
	{`^(?:x\s+)?(?:\[\d+\])?:?\s*(?:ab|ac|(?P<d>a)d)$`, "x  [12]: ad", true},
	{`^(?:x\s+)?(?:\[\d+\])?:?\s*(?:ab|ac|(?P<d>a)d)$`, "ac", true},
	{`^a(?:b|\s)?$`, "a", true},
	{`^a(?:b|\s*)$`, "a", true},
	{`^a(?:b|$)`, "a", true},
	{`^a(?:\b|c)`, "a", true},
	{`^a(?:(?=b)|c)b`, "ab", true},
	{`^a(?:(?!c)|c)d`, "ad", true},
	{`^(?P<a>x*?)(?:y|z*)(?P<b>q)?$`, "xxzz", true},
	{`(?:a|b)*?c`, "zzabbac", true},
	{`(?:\d+\.)?\d+x`, "1.2.3x", true},
	{`^(?:a|ab)(?:c|bcd)(?P<e>d*)$`, "abcd", true},
	{`^(?:\s+|x)*y`, "x x  xz", true},
	// a run's next ways skip the lengths after which the rest cannot
	// take the next character (skipRun), a look-around's body that
	// cannot take its first character is not run (may)
	{`^(?P<u>.*?) from (?P<h>\S+)$`, "a from b c from d", true},
	{`^(?P<u>.*?) from (?P<h>\S+)$`, "a frm b c fro", true},
	{`^(?P<u>.*?)(?: from|x)$`, "a from b x", true},
	{`^(?P<u>\S+)(?P<v>\d)x`, "ab1c2x", true},
	{`^(?P<u>\S+)(?P<v>\d)x`, "ab1c2", true},
	{`^(?P<u>.*)(?=\d)(?P<v>.+)$`, "a1b2c", true},
	{`^(?P<u>.*?)(?=\d)(?P<v>.+)$`, "ab2c", true},
	{`^(?P<u>.*?)(?<=\d)x`, "a1y2x", true},
	{`^(?P<u>.*?)(?<!\d)x`, "1x2xax", true},
	{`^(?:(?!ab).)*?c`, "aabac", true},
	{`^(?P<u>.*?)$`, "abc", true},
	{`^(?P<u>\s*)$`, "  ", true},
	{`^a.*?\n`, "ab", true},
	// tempered loops (passTempered): lazy and greedy, the way out or the
	// look-ahead's body able to take a character, one the set does not take
	{`^(?P<u>(?:(?! from \S+:).)*?) from (?P<h>\S+)$`, "a from b: c from d", true},
	{`^(?P<u>(?:(?! from \S+:).)*?) from (?P<h>\S+)$`, "a from b c from d", true},
	{`^(?P<u>(?:(?! from ).)*) from (?P<h>\S+)$`, "a b from c from d", true},
	{`^(?P<u>(?:(?!ab).)*?)b`, "xxaxbyb", true},
	{`^(?P<u>(?:(?!ab).)*)b`, "xxaxbyab", true},
	{`^(?:(?!x)[a-c])*d`, "abcad", true},
	{`^(?:(?!x)[a-c])*d`, "abxd", true},
	{`^(?:(?!x)[a-c])*?(?P<e>c*)d`, "abccd", true},
	{`(?:(?!ab).)*?c`, "zzabbac", true},
	{`^(?:(?!\b).)*x`, "a x", true},
	{`^(?:(?!a).)*$`, "bcd", true},
	{`^(?:(?!a).)*$`, "bcad", true},
}

func TestFindASCII(t *testing.T) {
	var sc Scratch
	for _, tt := range btTests {
		re := MustCompile(tt.pattern, Options{})
		found, known, diff := compareFindASCII(re, tt.text, &sc)
		if known != tt.known {
			t.Errorf("%q on %q: known %v, want %v", tt.pattern, tt.text, known, tt.known)
		}
		if diff != "" {
			t.Errorf("%q on %q: %s", tt.pattern, tt.text, diff)
		}
		_ = found
	}
}

// compareFindASCII runs FindASCII and regexp2's Find with every named
// group on text and describes where they differ ("" when FindASCII does
// not know or agrees).
func compareFindASCII(re *Regexp, text string, sc *Scratch) (found, known bool, diff string) {
	slots := []int{0}
	for _, n := range re.Names() {
		slots = append(slots, re.Group(n))
	}
	got := make([]Span, len(slots))
	found, known = re.FindASCII([]byte(text), slots, got, sc)
	if !known {
		return found, known, ""
	}
	want := make([]Span, len(slots))
	wf, err := re.Find([]rune(text+"\n"), slots, want)
	if err != nil {
		return found, false, ""
	}
	if wf != found {
		return found, known, "FindASCII " + yes(found) + ", regexp2 " + yes(wf)
	}
	if !found {
		return found, known, ""
	}
	var b strings.Builder
	for i := range slots {
		g, w := got[i], want[i]
		if g.OK != w.OK || w.OK && (g.Index != w.Index || g.Length != w.Length) {
			name := "match"
			if i > 0 {
				name = re.Names()[i-1]
			}
			b.WriteString(name + ": FindASCII " + spanText(text, g) + ", regexp2 " + spanText(text, w) + "; ")
		}
	}
	return found, known, b.String()
}

func yes(b bool) string {
	if b {
		return "matches"
	}
	return "does not match"
}

func spanText(text string, s Span) string {
	if !s.OK {
		return "none"
	}
	t := text + "\n"
	return "[" + itoa(s.Index) + "+" + itoa(s.Length) + "] " + `"` + t[s.Index:s.Index+s.Length] + `"`
}

func itoa(i int) string {
	if i < 0 {
		return "-" + itoa(-i)
	}
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// FuzzFindASCII: where FindASCII knows, it finds what regexp2 finds, with
// the same span for the match and every named group.
func FuzzFindASCII(f *testing.F) {
	for _, tt := range btTests {
		f.Add(tt.pattern, tt.text)
	}
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
	var sc Scratch
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 300 || len(input) > 200 {
			return
		}
		re, err := Compile(pattern, Options{})
		if err != nil {
			return
		}
		if _, _, diff := compareFindASCII(re, input, &sc); diff != "" {
			t.Fatalf("%q on %q: %s", pattern, input, diff)
		}
	})
}

// TestASCIILine: asciiLine (eight bytes at a time) answers as a loop over
// the bytes, for every byte value at every place of texts up to 24 bytes
// long, alone and after another such byte.
func TestASCIILine(t *testing.T) {
	slow := func(b []byte) bool {
		for _, c := range b {
			if c >= 0x80 || c == '\n' {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 24; n++ {
		for at := 0; at < n; at++ {
			for v := 0; v < 256; v++ {
				for _, before := range []int{-1, '\n' - 1, '\n' + 1, 0x7f} {
					b := []byte(strings.Repeat("a", n))
					b[at] = byte(v)
					if before >= 0 && at > 0 {
						b[at-1] = byte(before)
					}
					if got, want := asciiLine(b), slow(b); got != want {
						t.Fatalf("asciiLine(%q) = %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}

// TestTempered: the splits of fail2ban's tempered user names (sshd's
// "(?:(?! from \S+...:).)*?", fail2ban's "(?:(?! from ).)*?") head
// tempered loops, which passTempered takes, and splits of other shapes
// do not.
func TestTempered(t *testing.T) {
	for _, tt := range []struct {
		pattern  string
		tempered bool
	}{
		{`^Failed \S+ for invalid user (?P<user>(?:(?! from \S+(?: (?:port [0-9]+|on \S+)){0,2}(?: ssh[0-9]*)?:).)*?) from (?P<ip4>\S+)`, true},
		{`^Failed \S+ for (?P<user>(?:(?! from ).)*?) from (?P<ip4>\S+)`, true},
		{`^(?:(?!a).)*b`, true},
		{`^(?:(?=a).)*b`, false},  // a positive look-ahead
		{`^(?:(?<!a).)*b`, false}, // a look-behind
		{`^(?:(?!a)..)*b`, false}, // two characters
		{`^(?:(?!a).){0,3}b`, false},
	} {
		p := MustCompile(tt.pattern, Options{}).backtracker()
		if p == nil {
			t.Fatalf("%q: no program", tt.pattern)
		}
		got := false
		for _, in := range p.inst {
			got = got || in.tempered
		}
		if got != tt.tempered {
			t.Errorf("%q: a tempered loop %v, want %v", tt.pattern, got, tt.tempered)
		}
	}
}
