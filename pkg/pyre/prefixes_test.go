package pyre

import (
	"slices"
	"strings"
	"testing"
)

func TestPrefixes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{`^Failed (?:a|b) for`, []string{"Failed a for", "Failed b for"}},
		{`^[aA]uthentication (?:failure|error) x`, []string{"Authentication error x", "Authentication failure x", "authentication error x", "authentication failure x"}},
		{`^(?P<nofail>pam_[a-z]+\(sshd:auth\))`, []string{"pam_"}},
		{`^(?P<f>(?P<g>(?:Connection (?:closed|reset)|Disconnected))) (?:by|from)`, []string{"Connection closed by", "Connection closed from", "Connection reset by", "Connection reset from", "Disconnected by", "Disconnected from"}},
		{`\Ax(?i:y)`, []string{"x"}},
		{`(?i)^Failed`, nil},
		{`^(?:a|)b`, []string{"ab", "b"}},
		{`^a?b`, []string{"ab", "b"}},
		{`^a*b`, nil},
		{`^(?:x+y|z)`, []string{"x", "z"}},
		{`^(?=foo)bar`, []string{"bar"}},
		{`^\d+ x`, nil},
		{`Failed`, nil},
		{`^a|b`, nil},
		{`^a|^b`, []string{"a", "b"}},
		{`(?:^a|^b)c`, []string{"ac", "bc"}},
		{`^(?P<u>x)?y`, []string{"xy", "y"}},
		{`^(a)(?(1)b|c)`, []string{"ab", "ac"}},
		{`^(a)?(?(1)b|)c`, []string{"abc", "ac", "bc", "c"}},
		{`^.x`, nil},
	} {
		re, err := Compile(tt.in, Options{})
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if got := re.Prefixes(); !slices.Equal(got, tt.want) {
			t.Errorf("Prefixes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzPrefixes checks that every match of an anchored pattern starts with
// one of its Prefixes.
func FuzzPrefixes(f *testing.F) {
	f.Add(`^(?:Invalid|invalid) user (?P<u>.*?) from`, "Invalid user x from")
	f.Add(`^a?(?:b|c{1,2})d`, "ccd")
	f.Add(`^(?P<x>y)?(?(x)z|w)`, "yz")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 200 || len(s) > 200 {
			return
		}
		re, err := Compile(pat, Options{})
		if err != nil || re.Prefixes() == nil {
			return
		}
		m, err := re.FindRunes([]rune(s))
		if err != nil || m == nil || m.RuneIndex != 0 {
			return
		}
		text := string([]rune(s))
		for _, p := range re.Prefixes() {
			if strings.HasPrefix(text, p) {
				return
			}
		}
		t.Fatalf("%q matches %q, which starts with none of %q", pat, s, re.Prefixes())
	})
}

func TestRequired(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want [][]string
	}{
		{`^Received disconnect from (?P<h>\S+): ?3: .*: Auth fail(?: \[preauth\])?\s*$`, [][]string{{"Received disconnect from "}, {": Auth fail", ": Auth fail [preauth]"}, {": 3: ", ":3: "}}},
		{`abc|xyz`, [][]string{{"abc", "xyz"}}},
		{`(?:foo)+ \d+ (?:bar|baz)`, [][]string{{" bar", " baz"}, {"foo"}}},
		{`a(?=bcd)`, nil},
		{`x*`, nil},
	} {
		re, err := Compile(tt.in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := re.Required(); !slices.EqualFunc(got, tt.want, slices.Equal) {
			t.Errorf("Required(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRequired checks that every match meets all of Required's sets.
func FuzzRequired(f *testing.F) {
	f.Add(`^Failed (?:a|b) for (?P<u>.*) from x+ port`, "Failed a for u from xx port")
	f.Add(`(?:foo)+ \d+ (?:bar|baz)`, "foofoo 12 baz")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 200 || len(s) > 200 {
			return
		}
		re, err := Compile(pat, Options{})
		if err != nil || re.Required() == nil {
			return
		}
		m, err := re.FindRunes([]rune(s))
		if err != nil || m == nil {
			return
		}
		text := string(m.Runes())
		for _, set := range re.Required() {
			if !slices.ContainsFunc(set, func(l string) bool { return strings.Contains(text, l) }) {
				t.Fatalf("%q matches %q in %q, which holds none of %q", pat, text, s, set)
			}
		}
	})
}

func TestTextRequired(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want [][]string
	}{
		{`^(?=.*?(?:^|\s)msg="Invalid username"(?:\s|$))\s*(?:\w+=\S+\s*)+$`, [][]string{{`msg="Invalid username"`}}},
		{`a(?=bcd)`, [][]string{{"bcd"}}},
		{`a(?!bcd)`, nil},
	} {
		re, err := Compile(tt.in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := re.TextRequired(); !slices.EqualFunc(got, tt.want, slices.Equal) {
			t.Errorf("TextRequired(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzTextRequired checks that every text a regex matches in meets all of
// TextRequired's sets.
func FuzzTextRequired(f *testing.F) {
	f.Add(`^(?=.*?msg="x y")\s*(?:\w+=\S+\s*)+$`, `a=1 msg="x y" b=2`)
	f.Add(`a(?=b.*cd)`, "abxcd")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 200 || len(s) > 200 {
			return
		}
		re, err := Compile(pat, Options{})
		if err != nil || re.TextRequired() == nil {
			return
		}
		m, err := re.FindRunes([]rune(s))
		if err != nil || m == nil {
			return
		}
		text := string([]rune(s)) // as matched: invalid UTF-8 decoded to U+FFFD
		for _, set := range re.TextRequired() {
			if !slices.ContainsFunc(set, func(l string) bool { return strings.Contains(text, l) }) {
				t.Fatalf("%q matches in %q, which holds none of %q", pat, s, set)
			}
		}
	})
}
