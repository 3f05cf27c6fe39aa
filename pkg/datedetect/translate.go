package datedetect

import (
	"fmt"
	"strconv"
	"strings"
)

// translated is a Python pattern rewritten for regexp2's default (.NET)
// mode. groups lists the capturing groups in Python's numbering (groups[0]
// is group 1); unnamed groups get the synthetic names "_gN" so that they can
// be looked up by name (.NET numbers unnamed groups before named ones).
type translated struct {
	expr   string
	groups []string
}

func synth(n int) string { return "_g" + strconv.Itoa(n) }

// translate rewrites the Python regex syntax that date patterns use:
// (?P<n>…) → (?<n>…), (?P=n) → \k<n>, unnamed groups → named, numeric
// back-references → names, \Z → \z, {,n} → {0,n}, and drops the inline
// flags .NET lacks (u, a, L).
func translate(py string) (translated, error) {
	// First pass: number the groups as Python does.
	var groups []string
	for i := 0; i < len(py); i++ {
		switch py[i] {
		case '\\':
			i++
		case '[':
			i = skipClass(py, i)
		case '(':
			if i+1 < len(py) && py[i+1] == '?' {
				if strings.HasPrefix(py[i:], "(?P<") {
					j := strings.IndexByte(py[i:], '>')
					if j < 0 {
						return translated{}, fmt.Errorf("missing > in group name at offset %d", i)
					}
					groups = append(groups, py[i+4:i+j])
				}
			} else {
				groups = append(groups, synth(len(groups)+1))
			}
		}
	}
	seen := map[string]bool{}
	for _, g := range groups {
		if seen[g] {
			return translated{}, fmt.Errorf("redefinition of group name %q", g)
		}
		seen[g] = true
	}
	ref := func(s string) (string, bool) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > len(groups) {
			return "", false
		}
		return groups[n-1], true
	}
	var b strings.Builder
	gi := 0
	for i := 0; i < len(py); i++ {
		c := py[i]
		switch c {
		case '\\':
			if i+1 >= len(py) {
				return translated{}, fmt.Errorf("bad escape (end of pattern)")
			}
			d := py[i+1]
			switch {
			case d == 'Z':
				b.WriteString(`\z`)
				i++
			case d >= '1' && d <= '9':
				j := i + 1
				for j < len(py) && j < i+3 && py[j] >= '0' && py[j] <= '9' {
					j++
				}
				name, ok := ref(py[i+1 : j])
				if !ok {
					return translated{}, fmt.Errorf("invalid group reference %s at offset %d", py[i+1:j], i)
				}
				b.WriteString(`\k<` + name + `>`)
				i = j - 1
			default:
				b.WriteByte(c)
				b.WriteByte(d)
				i++
			}
		case '[':
			j := skipClass(py, i)
			if j >= len(py) {
				return translated{}, fmt.Errorf("unterminated character set at offset %d", i)
			}
			// .NET reads '[' inside a class as the start of a subtraction.
			cls := py[i : j+1]
			inner := cls[1 : len(cls)-1]
			var cb strings.Builder
			cb.WriteByte('[')
			for k := 0; k < len(inner); k++ {
				if inner[k] == '\\' && k+1 < len(inner) {
					cb.WriteString(inner[k : k+2])
					k++
					continue
				}
				if inner[k] == '[' {
					cb.WriteString(`\[`)
					continue
				}
				cb.WriteByte(inner[k])
			}
			cb.WriteByte(']')
			b.WriteString(cb.String())
			i = j
		case '{':
			if strings.HasPrefix(py[i:], "{,") {
				j := i + 2
				for j < len(py) && py[j] >= '0' && py[j] <= '9' {
					j++
				}
				if j > i+2 && j < len(py) && py[j] == '}' {
					b.WriteString("{0," + py[i+2:j] + "}")
					i = j
					continue
				}
			}
			b.WriteByte(c)
		case '(':
			rest := py[i:]
			switch {
			case strings.HasPrefix(rest, "(?P<"):
				j := strings.IndexByte(rest, '>')
				b.WriteString("(?<" + rest[4:j] + ">")
				gi++
				i += j
			case strings.HasPrefix(rest, "(?P="):
				j := strings.IndexByte(rest, ')')
				if j < 0 {
					return translated{}, fmt.Errorf("missing ) in group reference at offset %d", i)
				}
				name := rest[4:j]
				if !seen[name] {
					return translated{}, fmt.Errorf("unknown group name %q", name)
				}
				b.WriteString(`\k<` + name + `>`)
				i += j
			case strings.HasPrefix(rest, "(?("):
				j := strings.IndexByte(rest, ')')
				if j < 0 {
					return translated{}, fmt.Errorf("missing ) in conditional at offset %d", i)
				}
				name := rest[3:j]
				if n, ok := ref(name); ok {
					name = n
				} else if !seen[name] {
					return translated{}, fmt.Errorf("unknown group name %q", name)
				}
				b.WriteString("(?(" + name + ")")
				i += j
			case strings.HasPrefix(rest, "(?#"):
				j := strings.IndexByte(rest, ')')
				if j < 0 {
					return translated{}, fmt.Errorf("missing ) in comment at offset %d", i)
				}
				i += j
			case strings.HasPrefix(rest, "(?"):
				// flags: (?aiLmsux) or (?flags-flags:...)
				j := 2
				for j < len(rest) && strings.IndexByte("aiLmsux-", rest[j]) >= 0 {
					j++
				}
				if j == 2 || j >= len(rest) || (rest[j] != ')' && rest[j] != ':') {
					b.WriteString("(?")
					i++
					continue
				}
				var fl strings.Builder
				for _, f := range rest[2:j] {
					if f != 'u' && f != 'a' && f != 'L' {
						fl.WriteRune(f)
					}
				}
				flags := strings.TrimSuffix(fl.String(), "-")
				if rest[j] == ')' {
					if flags != "" {
						b.WriteString("(?" + flags + ")")
					}
				} else {
					b.WriteString("(?" + flags + ":")
				}
				i += j
			default:
				gi++
				b.WriteString("(?<" + synth(gi) + ">")
				_ = gi
			}
		default:
			b.WriteByte(c)
		}
	}
	return translated{expr: b.String(), groups: groups}, nil
}

// skipClass returns the index of the ']' closing the class opened at i
// (len(s) when there is none).
func skipClass(s string, i int) int {
	j := i + 1
	if j < len(s) && s[j] == '^' {
		j++
	}
	if j < len(s) && s[j] == ']' {
		j++
	}
	for j < len(s) {
		switch s[j] {
		case '\\':
			j += 2
			continue
		case ']':
			return j
		}
		j++
	}
	return len(s)
}
