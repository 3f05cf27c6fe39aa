package f2bconf

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseSpec splits a filter or action reference such as
//
//	sshd[mode=aggressive, port="1,2"]
//	iptables[name=x][port=22]
//
// into its name and arguments, as fail2ban's extractOptions does: the name
// runs up to the first "["; the arguments are key=value pairs separated by
// commas (or "][" between groups), a value is "double-quoted",
// 'single-quoted' or bare (up to the next "," or "]"); keys are made of
// letters, digits, "_", "-" and "."; values are trimmed; a later key wins.
// The name is trimmed of white space (fail2ban keeps trailing spaces,
// which can only name a file that does not exist). args is never nil.
func ParseSpec(s string) (name string, args map[string]string, err error) {
	args = make(map[string]string)
	i := strings.IndexByte(s, '[')
	if i < 0 {
		if strings.TrimSpace(s) == "" {
			return "", nil, fmt.Errorf("empty name in %q", s)
		}
		return strings.TrimSpace(s), args, nil
	}
	if i == 0 || strings.TrimSpace(s[:i]) == "" {
		return "", nil, fmt.Errorf("missing name before [ in %q", clip(s))
	}
	name = strings.TrimSpace(s[:i])
	rest := strings.TrimRightFunc(s[i:], unicode.IsSpace)
	if !strings.HasSuffix(rest, "]") {
		return "", nil, fmt.Errorf("unexpected option syntax (no closing ]) in %q", clip(s))
	}
	opts := rest[1 : len(rest)-1]
	pos := 0
	for {
		start := pos
		// alternative 1: \s*([\w\-_\.]+)=(value)(separator)
		p := skipSpace(opts, pos)
		q := skipKey(opts, p)
		if q > p && q < len(opts) && opts[q] == '=' {
			key := opts[p:q]
			p = q + 1
			var val string
			quoted := false
			if p < len(opts) && (opts[p] == '"' || opts[p] == '\'') {
				if e := strings.IndexByte(opts[p+1:], opts[p]); e >= 0 {
					val = opts[p+1 : p+1+e]
					p += e + 2
					quoted = true
				}
			}
			if !quoted {
				e := strings.IndexAny(opts[p:], ",]")
				if e < 0 {
					e = len(opts) - p
				}
				val = opts[p : p+e]
				p += e
			}
			switch {
			case p < len(opts) && opts[p] == ',':
				p++
			case p < len(opts) && opts[p] == ']':
				k := skipSpace(opts, p+1)
				if k < len(opts) && opts[k] == '[' {
					p = k + 1
				} else {
					return "", nil, fmt.Errorf("unexpected syntax at %d after option %q: %s", p, key, clip25(opts[p:]))
				}
			case atEnd(opts, p):
			default:
				return "", nil, fmt.Errorf("unexpected syntax at %d after option %q: %s", p, key, clip25(opts[p:]))
			}
			args[strings.TrimSpace(key)] = strings.TrimSpace(val)
			pos = p
			if pos >= len(opts) {
				break
			}
			continue
		}
		// alternative 2: ,?\s*$
		p = start
		if p < len(opts) && opts[p] == ',' {
			p++
		}
		if atEnd(opts, skipSpace(opts, p)) {
			break
		}
		return "", nil, fmt.Errorf("expected option, wrong syntax at %d: %s", start, clip25(opts[start:]))
	}
	return name, args, nil
}

func clip25(s string) string {
	if len(s) > 25 {
		return s[:25]
	}
	return s
}

// atEnd is Python's "$": the end, or before a final newline.
func atEnd(s string, p int) bool {
	return p >= len(s) || (p == len(s)-1 && s[p] == '\n')
}

func skipSpace(s string, p int) int {
	for p < len(s) {
		r, n := utf8.DecodeRuneInString(s[p:])
		if !unicode.IsSpace(r) {
			break
		}
		p += n
	}
	return p
}

func isKeyRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func skipKey(s string, p int) int {
	for p < len(s) {
		r, n := utf8.DecodeRuneInString(s[p:])
		if !isKeyRune(r) {
			break
		}
		p += n
	}
	return p
}

// SplitList splits a list option such as ignoreip on commas, spaces and
// newlines, dropping empty entries (fail2ban's splitwords).
func SplitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	out := f[:0]
	for _, x := range f {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// SplitActions splits an action (or filter) list into its entries, as
// fail2ban's splitWithOptions does for a jail's `action`: entries are
// separated by white space or newlines, but an entry's [key=value, ...]
// arguments may hold spaces and newlines, and may be separated from the
// name by spaces. Entries are trimmed; empty ones are dropped.
func SplitActions(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		end := splitEntry(s, i)
		if e := strings.TrimSpace(s[i:end]); e != "" {
			out = append(out, e)
		}
		if end <= i {
			end = i + n
		}
		i = end
	}
	return out
}

// splitEntry returns the end of the entry that starts at i (a non-space),
// following fail2ban's OPTION_SPLIT_CRE:
//
//	[^\[\s]+ (\s*\[ OPTS \])? \s*   followed by white space or the end
//	| \S+
func splitEntry(s string, i int) int {
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if r == '[' || unicode.IsSpace(r) {
			break
		}
		j += n
	}
	if j > i {
		budget := 10000
		if k, ok := matchGroups(s, j, &budget, func(k int) bool {
			m := skipSpace(s, k)
			return m == len(s) || m > k
		}); ok {
			return skipSpace(s, k)
		}
		// no arguments: the name must be followed by white space or the end
		if m := skipSpace(s, j); m == len(s) || m > j {
			return m
		}
	}
	// \S+
	for j = i; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		if unicode.IsSpace(r) {
			break
		}
		j += n
	}
	return j
}

// matchGroups matches \s*\[\s*(OPT)*\] at p with backtracking over the
// choice between a quoted and a bare value and over "][" as a separator,
// calling accept with each candidate end until it returns true.
func matchGroups(s string, p int, budget *int, accept func(int) bool) (int, bool) {
	p = skipSpace(s, p)
	if p >= len(s) || s[p] != '[' {
		return 0, false
	}
	return matchOpts(s, skipSpace(s, p+1), budget, accept)
}

// matchOpts matches (OPT)* \] at p, where OPT is
// [\w\-_\.]+=("[^"]*"|'[^']*'|[^,\]]*)\s*(,|\]\s*\[)?\s*
func matchOpts(s string, p int, budget *int, accept func(int) bool) (int, bool) {
	*budget--
	if *budget < 0 {
		return 0, false
	}
	// try one more OPT first (the star is greedy)
	q := skipKey(s, p)
	if q > p && q < len(s) && s[q] == '=' {
		v := q + 1
		var ends []int
		if v < len(s) && (s[v] == '"' || s[v] == '\'') {
			if e := strings.IndexByte(s[v+1:], s[v]); e >= 0 {
				ends = append(ends, v+e+2)
			}
		}
		e := strings.IndexAny(s[v:], ",]")
		if e < 0 {
			e = len(s) - v
		}
		ends = append(ends, v+e)
		for _, ve := range ends {
			k := skipSpace(s, ve)
			// separators: ",", "]\s*[", or none
			var next []int
			if k < len(s) && s[k] == ',' {
				next = append(next, skipSpace(s, k+1))
			}
			if k < len(s) && s[k] == ']' {
				if b := skipSpace(s, k+1); b < len(s) && s[b] == '[' {
					next = append(next, skipSpace(s, b+1))
				}
			}
			next = append(next, k)
			for _, nx := range next {
				if end, ok := matchOpts(s, nx, budget, accept); ok {
					return end, true
				}
				if *budget < 0 {
					return 0, false
				}
			}
		}
	}
	if p < len(s) && s[p] == ']' && accept(p+1) {
		return p + 1, true
	}
	return 0, false
}
