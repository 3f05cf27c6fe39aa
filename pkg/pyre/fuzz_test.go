package pyre

import (
	"strings"
	"testing"
)

// FuzzTranslate checks that translation never panics, that what it accepts
// regexp2 compiles, and that the literal prefilter is exact: a text that
// matches contains one of the pattern's literals.
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
		if err != nil || m == nil {
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
