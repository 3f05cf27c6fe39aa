package action

import "strings"

// quoting is where a tag stands in a shell command.
type quoting int

const (
	quoteBare   quoting = iota // a word outside quotes (also inside $(...) and `...`)
	quoteDouble                // inside "..."
	quoteSingle                // inside '...'
	quoteArith                 // inside $((...)), ((...)) or [[...]]: no untrusted value may go there
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
	kind  byte // 'b' bare (top level), '"', '\'', '`', '(' for $(...), 'a' for $((...)) and ((...)), 'k' for [[...]]
	depth int  // nested parentheses inside $(...) or $((...))
	fresh bool // a '(' frame that has seen no byte yet
}

func newShellScanner() *shellScanner {
	return &shellScanner{stack: []frame{{kind: 'b'}}}
}

func (s *shellScanner) top() *frame { return &s.stack[len(s.stack)-1] }

func (s *shellScanner) push(k byte) { s.stack = append(s.stack, frame{kind: k}) }

// pushSub opens a $( command substitution, or $(( arithmetic if the next
// byte is another '('.
func (s *shellScanner) pushSub() {
	s.stack = append(s.stack, frame{kind: '(', fresh: true})
}

func (s *shellScanner) pop() {
	if len(s.stack) > 1 {
		s.stack = s.stack[:len(s.stack)-1]
	}
}

// quoting reports how the next byte would be quoted.
func (s *shellScanner) quoting() quoting {
	for i := len(s.stack) - 1; i >= 0; i-- {
		if k := s.stack[i].kind; k == 'a' || k == 'z' || k == 'k' {
			// Arithmetic evaluates the text that parameters expand to
			// (bash even runs $(...) in array subscripts of it).
			return quoteArith
		}
	}
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
	if f.kind == '(' && f.fresh {
		f.fresh = false
		if c == '(' {
			f.kind = 'a' // $(( is arithmetic
			return
		}
	}
	switch f.kind {
	case 'a':
		switch c {
		case '(':
			f.depth++
		case ')':
			if f.depth == 0 {
				f.kind = 'z' // the first ) of ))
			} else {
				f.depth--
			}
		}
		return
	case 'z':
		s.pop()
		return
	case 'k':
		if c == ']' && prev == ']' {
			s.pop()
		}
		return
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
				s.pushSub()
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
			switch {
			case prev == '$':
				s.pushSub()
			case prev == '(':
				// bash's (( arithmetic command (in dash a nested
				// subshell: taken as arithmetic all the same)
				s.push('a')
			case f.kind == '(':
				f.depth++
			}
		case '[':
			if prev == '[' {
				s.push('k') // bash's [[ ]], whose -eq etc. evaluate arithmetic
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
