package filter

import (
	"bytes"
	"regexp"
	"strings"
)

// bracketGuard is an exact pre-check for a failregex whose every match
// holds a word, whitespace and "[" not followed by a text, as recidive's
// `NOTICE\s+\[(?!recidive\])` (the ban lines of the recidive jail itself,
// a quarter of a fail2ban log, meet every literal of the regex and made it
// backtrack through the whole syslog prefix). The regex can only match a
// line with an occurrence of word, one or more whitespace characters, "["
// and then not the text.
type bracketGuard struct {
	word, not []byte
}

// guardRE finds `WORD\s+\[(?!TEXT)` in an expanded failregex (TEXT of
// word characters, "-", and escaped "]" or ".").
var guardRE = regexp.MustCompile(`([A-Za-z]{3,})\\s\+\\\[\(\?!((?:[A-Za-z0-9_-]|\\[\].])+)\)`)

// newBracketGuard returns the guard of an expanded pattern, or nil. The
// sequence must lie at the top level of a pattern without alternation at
// that level and without inline flags (ignore case, verbose), so that
// every match contains it.
func newBracketGuard(exp string) *bracketGuard {
	if hasInlineFlags(exp) {
		return nil
	}
	m := guardRE.FindStringSubmatchIndex(exp)
	if m == nil {
		return nil
	}
	start := m[2]
	// the word's first letter may be an escape's (\sNOTICE)
	if escaped(exp, start) {
		start++
	}
	if m[3]-start < 3 || !topLevel(exp, start) {
		return nil
	}
	not := strings.NewReplacer(`\]`, "]", `\.`, ".").Replace(exp[m[4]:m[5]])
	return &bracketGuard{word: []byte(exp[start:m[3]]), not: []byte(not)}
}

// hasInlineFlags reports whether the pattern sets a flag inline ("(?i)",
// "(?x:...)"): anything but (?:, (?P, (?=, (?!, (?<, (?#.
func hasInlineFlags(exp string) bool {
	for i := 0; i+2 < len(exp); i++ {
		if exp[i] == '\\' {
			i++
			continue
		}
		if exp[i] == '(' && exp[i+1] == '?' && strings.IndexByte(":P=!<#", exp[i+2]) < 0 {
			return true
		}
	}
	return false
}

// escaped reports whether exp[i] is escaped by a backslash.
func escaped(exp string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && exp[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// topLevel reports whether position at of exp lies outside every group and
// character class, and the pattern has no "|" outside groups.
func topLevel(exp string, at int) bool {
	depth, atTop := 0, false
	for i := 0; i < len(exp); i++ {
		if i == at {
			atTop = depth == 0
		}
		switch exp[i] {
		case '\\':
			i++
		case '[':
			// a class: skip to its end ("]" first is a member)
			i++
			if i < len(exp) && exp[i] == '^' {
				i++
			}
			if i < len(exp) && exp[i] == ']' {
				i++
			}
			for i < len(exp) && exp[i] != ']' {
				if exp[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(exp) {
				return false
			}
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 {
				return false
			}
		}
	}
	return atTop && depth == 0
}

// possible reports whether buf has an occurrence of word, whitespace
// (Python's \s; any non-ASCII byte may be whitespace: then yes) and "["
// not followed by g.not.
func (g *bracketGuard) possible(buf []byte) bool {
	for i := 0; ; {
		j := bytes.Index(buf[i:], g.word)
		if j < 0 {
			return false
		}
		k := i + j + len(g.word)
		ws := k
		for ws < len(buf) && isSpaceByte(buf[ws]) {
			ws++
		}
		switch {
		case ws < len(buf) && buf[ws] >= 0x80:
			return true
		case ws > k && ws < len(buf) && buf[ws] == '[' && !bytes.HasPrefix(buf[ws+1:], g.not):
			return true
		}
		i += j + 1
	}
}

// isSpaceByte: the ASCII characters Python's \s matches in a str pattern.
func isSpaceByte(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r' || c >= 0x1c && c <= 0x1f
}
