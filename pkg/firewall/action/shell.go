package action

import "strings"

// quoting is where a tag stands in a shell command.
type quoting int

const (
	quoteBare   quoting = iota // a word outside quotes (also inside $(...) and `...`)
	quoteDouble                // inside "..."
	quoteSingle                // inside '...'
)

// reference returns the text that expands to the value of the shell
// variable name, standing at a place quoted with q, as one literal word part:
// the shell expands it once and never interprets the value (no word
// splitting, no globbing, no command substitution, no tilde expansion).
func reference(name string, q quoting) string {
	switch q {
	case quoteDouble:
		return "${" + name + "}"
	case quoteSingle:
		// Close the single quotes, expand in double quotes, reopen.
		return `'"${` + name + `}"'`
	default:
		return `"${` + name + `}"`
	}
}

// shellScanner follows the quoting of a POSIX shell command one byte at a
// time, enough to tell where a tag stands: single and double quotes,
// backslash escapes, `...` and $(...) command substitutions (which start a
// new, bare, quoting level even inside double quotes), and comments.
// Here-documents are not followed: a tag in a here-document body is taken
// as bare, which puts literal double quotes around its value there (never
// an injection).
type shellScanner struct {
	stack   []frame
	escape  bool // the previous byte was an unquoted or double-quoted backslash
	comment bool // inside a # comment (until the end of the line)
	prev    byte
}

type frame struct {
	kind  byte // 'b' bare (top level), '"', '\'', '`', '(' for $(...)
	depth int  // nested parentheses inside $(...)
}

func newShellScanner() *shellScanner {
	return &shellScanner{stack: []frame{{kind: 'b'}}}
}

func (s *shellScanner) top() *frame { return &s.stack[len(s.stack)-1] }

func (s *shellScanner) push(k byte) { s.stack = append(s.stack, frame{kind: k}) }

func (s *shellScanner) pop() {
	if len(s.stack) > 1 {
		s.stack = s.stack[:len(s.stack)-1]
	}
}

// quoting reports how the next byte would be quoted.
func (s *shellScanner) quoting() quoting {
	switch s.top().kind {
	case '"':
		return quoteDouble
	case '\'':
		return quoteSingle
	}
	return quoteBare
}

// inComment reports whether the next byte is part of a comment.
func (s *shellScanner) inComment() bool { return s.comment }

// feed advances the scanner over text.
func (s *shellScanner) feed(text string) {
	for i := 0; i < len(text); i++ {
		s.step(text[i])
	}
}

func (s *shellScanner) step(c byte) {
	prev := s.prev
	s.prev = c
	if s.comment {
		if c == '\n' {
			s.comment = false
		}
		return
	}
	if s.escape {
		s.escape = false
		s.prev = '_' // an escaped byte is part of a word, never special
		return
	}
	f := s.top()
	switch f.kind {
	case '\'':
		if c == '\'' {
			s.pop()
		}
	case '"':
		switch c {
		case '\\':
			s.escape = true
		case '"':
			s.pop()
		case '`':
			s.push('`')
		case '(':
			if prev == '$' {
				s.push('(')
			}
		}
	default: // bare, `...`, $(...)
		switch c {
		case '\\':
			s.escape = true
		case '\'':
			s.push('\'')
		case '"':
			s.push('"')
		case '`':
			if f.kind == '`' {
				s.pop()
			} else {
				s.push('`')
			}
		case '(':
			if prev == '$' {
				s.push('(')
			} else if f.kind == '(' {
				f.depth++
			}
		case ')':
			if f.kind == '(' {
				if f.depth == 0 {
					s.pop()
				} else {
					f.depth--
				}
			}
		case '#':
			if wordStart(prev) {
				s.comment = true
			}
		}
	}
}

// wordStart reports whether a byte after prev starts a shell word.
func wordStart(prev byte) bool {
	return prev == 0 || strings.IndexByte(" \t\n;&|()", prev) >= 0
}
