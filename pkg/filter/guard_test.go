package filter

import (
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"testing"
	"time"
)

func TestBracketGuard(t *testing.T) {
	for _, c := range []struct {
		exp       string
		word, not string // "" word: no guard
	}{
		{`^x(?:\s*y)?NOTICE\s+\[(?!recidive\])[^\]]*\]\s+Ban\s+(?P<ip4>\S+)\s*$`, "NOTICE", "recidive]"},
		{`^\sNOTICE\s+\[(?!recidive\])`, "NOTICE", "recidive]"},
		{`^\sNO\s+\[(?!recidive\])`, "", ""},                // the word is "O" after \s
		{`^(?:a|b)NOTICE\s+\[(?!r\.x\])`, "NOTICE", "r.x]"}, // alternation inside a group
		{`^a|NOTICE\s+\[(?!recidive\])`, "", ""},            // top-level alternation
		{`^(?:NOTICE\s+\[(?!recidive\]))?x`, "", ""},        // optional
		{`^[(]NOTICE\s+\[(?!recidive\])`, "NOTICE", "recidive]"},
		{`(?i)NOTICE\s+\[(?!recidive\])`, "", ""}, // ignore case
		{`NOTICE\s+\[(?!recidive\]|x)`, "", ""},   // not a plain text
	} {
		g := newBracketGuard(c.exp)
		switch {
		case c.word == "" && g != nil:
			t.Errorf("%s: guard %q %q, want none", c.exp, g.word, g.not)
		case c.word != "" && (g == nil || string(g.word) != c.word || string(g.not) != c.not):
			t.Errorf("%s: guard %+v, want %q %q", c.exp, g, c.word, c.not)
		}
	}
	g := &bracketGuard{word: []byte("NOTICE"), not: []byte("recidive]")}
	for line, want := range map[string]bool{
		"x NOTICE  [recidive] Ban 192.0.2.1":               false,
		"x NOTICE  [sshd] Ban 192.0.2.1":                   true,
		"x NOTICE [recidive] NOTICE\t[sshd] Ban 192.0.2.1": true,
		"x NOTICE[sshd] Ban 192.0.2.1":                     false, // no whitespace
		"x NOTICE \xc2\xa0[sshd] Ban 192.0.2.1":            true,  // U+00A0 may be \s
		"x NOTICE  [recidive":                              true,
		"x NOTICE  ":                                       false,
		"x NOTICE \x1c[sshd] Ban":                          true,
		"x INFO [sshd] Found 192.0.2.1":                    false,
		"x NOTICE  [recidive]] Ban 192.0.2.1":              false,
	} {
		if got := g.possible([]byte(line)); got != want {
			t.Errorf("possible(%q) = %v, want %v", line, got, want)
		}
	}
}

// TestBracketGuardRecidive checks the guard against the regexes on
// recidive's lines and their mutations (the built-in filter, without the
// prefilter, decides).
func TestBracketGuardRecidive(t *testing.T) {
	def, err := Load("filter.d/recidive.conf", nil, &LoadOptions{FS: builtin.FS, Name: "recidive"})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	if fast.pre.guard[0] == nil {
		t.Fatal("no guard for recidive's first failregex")
	}
	slow, _ := Compile(*def, Options{UseDNS: "no"})
	slow.pre = nil
	a := NewMatcher(fast, MatcherOptions{})
	b := NewMatcher(slow, MatcherOptions{})
	n := 0
	for _, base := range []string{
		" fail2ban.actions        [1]: NOTICE  [recidive] Ban 192.0.2.1",
		" fail2ban.actions        [1]: NOTICE  [sshd] Ban 192.0.2.1",
		" fail2ban.actions: NOTICE [recidive] Ban 192.0.2.1",
	} {
		for _, l := range mutations(base) {
			ra, err1 := a.LineAt([]byte(l), time.Unix(0, 0))
			ia, na := ra.Regex, len(ra.Failures)
			rb, err2 := b.LineAt([]byte(l), time.Unix(0, 0))
			if err1 != nil || err2 != nil || ia != rb.Regex || na != len(rb.Failures) {
				t.Fatalf("%q: with the guard %d (%d), without %d (%d) %v %v", l, ia, na, rb.Regex, len(rb.Failures), err1, err2)
			}
			n++
		}
	}
	t.Logf("%d lines identical", n)
}

// mutations returns s with each byte dropped, doubled, and replaced by a
// few others.
func mutations(s string) []string {
	out := []string{s}
	for i := range len(s) {
		out = append(out, s[:i]+s[i+1:], s[:i]+s[i:i+1]+s[i:])
		for _, c := range []string{" ", "\t", "[", "]", "\xa0", "\xc2\xa0", "x", "\x1c"} {
			out = append(out, s[:i]+c+s[i+1:])
		}
	}
	return out
}
