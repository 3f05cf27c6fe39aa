package pyre

import (
	"slices"
	"strings"
	"testing"
)

// FuzzTranslate checks that translation never panics, that what it accepts
// regexp2 compiles, that Find without groups (regexp2's capture-free
// program) agrees with a full match, and that the literal prefilter is
// exact: a text that matches contains one of the pattern's literals.
func FuzzTranslate(f *testing.F) {
	for _, tt := range translateTests {
		f.Add(tt.in, "Failed password for root from 192.0.2.1")
	}
	for _, c := range differentialCases {
		f.Add(c.pattern, c.inputs[0])
	}
	f.Add(`(?:Failed|Invalid) (?:user )?(?P<u>\S+)`, "Invalid user x")
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 200 || len(input) > 200 {
			return
		}
		re, err := Compile(pattern, Options{})
		if err != nil {
			return
		}
		m, err := re.FindRunes([]rune(input))
		if err != nil {
			return
		}
		// Find without groups runs regexp2's capture-free program
		if found, err := re.Find([]rune(input), nil, nil); err == nil && found != (m != nil) {
			t.Errorf("%q on %q: Find without groups says %v, FindRunes %v", pattern, input, found, m != nil)
		}
		if m == nil {
			return
		}
		lits := re.Literals()
		if lits == nil {
			return
		}
		text := string(m.Runes())
		for _, l := range lits {
			if strings.Contains(text, l) {
				return
			}
		}
		t.Errorf("%q (%q) matches %q in %q, which contains none of %q", pattern, re.Translated(), text, input, lits)
	})
}

// FuzzRE2 checks the RE2 form against regexp2 on any pattern and text:
// where FindBytes runs, it finds what Find finds, with the same match and
// group spans.
func FuzzRE2(f *testing.F) {
	for _, tt := range translateTests {
		f.Add(tt.in, "Failed password for root from 192.0.2.1 port 22\n")
	}
	for _, c := range differentialCases {
		for _, in := range c.inputs {
			f.Add(c.pattern, in)
		}
	}
	f.Add(`^(?:\[?(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):))\]?) x$`, "::1] x\n")
	f.Add(`(?i)^user (?P<user>.*?) from \S+\s*$`, "USER a b from c  \n")
	f.Add(`(?m)^a$\n^b$`, "a\nb\n")
	f.Add(`\bfoo[\W\d_]+\B.(?s:.)$`, "foo- x\n")
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 200 || len(input) > 200 {
			return
		}
		for _, multi := range []bool{false, true} {
			re, err := Compile(pattern, Options{Multiline: multi})
			if err != nil || !re.HasRE2() {
				return
			}
			slots := []int{0}
			for _, n := range re.Names() {
				slots = append(slots, re.Group(n))
			}
			want := make([]Span, len(slots))
			got := make([]Span, len(slots))
			gf, ok := re.FindBytes([]byte(input), slots, got)
			if !ok {
				return
			}
			wf, err := re.Find([]rune(input), slots, want)
			if err != nil {
				return
			}
			if gf != wf || wf && !slices.Equal(got, want) {
				t.Errorf("%q (multiline %v) on %q: regexp2 %v %v, RE2 %v %v\nRE2 form: %s", pattern, multi, input, wf, want, gf, got, re.RE2())
			}
		}
	})
}
