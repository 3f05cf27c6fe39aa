package f2bconf

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFileSize is the largest configuration file Read accepts.
const MaxFileSize = 16 << 20

// Error is a configuration error at a place: File and Line (1-based) say where,
// Err what. Line is 0 when the error concerns a whole file.
type Error struct {
	File string
	Line int
	Err  error
}

// Error returns "file:line: msg", or "file: msg" without a line.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	if e.File != "" {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}

// value is one option's raw text and where it was written.
type value struct {
	raw  string
	file string
	line int
}

// section is an ordered set of options.
type section struct {
	name string
	file string // where the section was first seen
	line int
	keys []string
	vals map[string]*value
}

func newSection(name, file string, line int) *section {
	return &section{name: name, file: file, line: line, vals: make(map[string]*value)}
}

func (s *section) set(key string, v *value) {
	if _, ok := s.vals[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.vals[key] = v
}

func (s *section) clone() *section {
	c := newSection(s.name, s.file, s.line)
	for _, k := range s.keys {
		v := *s.vals[k]
		c.set(k, &v)
	}
	return c
}

// fileData is one parsed file, before merging.
type fileData struct {
	path     string
	defaults *section
	sections []*section
	index    map[string]*section
}

// parseFile parses one file in the dialect of Python's configparser as
// fail2ban configures it: delimiters "=" and ":", full-line comments
// starting with "#" or ";", inline comments only with ";" preceded by
// white space, continuation lines indented deeper than their option line,
// blank lines kept inside values, lower-cased option names, strict
// (no section or option twice in one file).
func parseFile(path string, data []byte) (*fileData, error) {
	if len(data) > MaxFileSize {
		return nil, errorf(path, 0, "file too large (%d bytes, at most %d)", len(data), MaxFileSize)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	fd := &fileData{
		path:     path,
		defaults: newSection("DEFAULT", path, 0),
		index:    make(map[string]*section),
	}
	var (
		cur         *section
		curName     string
		opt         string   // current option, "" after a section header
		optLines    []string // its value lines
		optVal      *value
		indentLevel int
		seenOpt     = make(map[string]int) // "section\x00key" -> line
	)
	flush := func() {
		if optVal != nil {
			optVal.raw = strings.TrimRightFunc(strings.Join(optLines, "\n"), unicode.IsSpace)
			optVal = nil
			optLines = nil
		}
	}
	lineno := 0
	for len(data) > 0 {
		lineno++
		var line []byte
		// universal newlines: \n, \r\n, \r
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			line, data = data, nil
		} else {
			line = data[:i]
			if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				data = data[i+2:]
			} else {
				data = data[i+1:]
			}
		}
		if !utf8.Valid(line) {
			return nil, errorf(path, lineno, "invalid UTF-8")
		}
		s := string(line)
		commentStart := -1
		// inline comments: ";" at the start or after white space
		for j := strings.IndexByte(s, ';'); j >= 0; {
			if j == 0 || isSpaceBefore(s, j) {
				commentStart = j
				break
			}
			k := strings.IndexByte(s[j+1:], ';')
			if k < 0 {
				break
			}
			j += 1 + k
		}
		trimmed := strings.TrimSpace(s)
		if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";") {
			commentStart = 0
		}
		val := s
		if commentStart >= 0 {
			val = s[:commentStart]
		}
		val = strings.TrimSpace(val)
		if val == "" {
			// a blank line (not a comment) belongs to the value being read
			if commentStart < 0 && cur != nil && optVal != nil {
				optLines = append(optLines, "")
			}
			continue
		}
		indent := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) })
		if cur != nil && opt != "" && indent > indentLevel {
			optLines = append(optLines, val)
			continue
		}
		indentLevel = indent
		if val[0] == '[' {
			end := strings.LastIndexByte(val, ']')
			if end < 2 {
				if end == 1 {
					return nil, errorf(path, lineno, "empty section name")
				}
				return nil, errorf(path, lineno, "missing ] in section header %q", val)
			}
			flush()
			name := val[1:end]
			opt = ""
			if name == "DEFAULT" {
				cur = fd.defaults
				curName = name
				continue
			}
			if prev, ok := fd.index[name]; ok {
				return nil, errorf(path, lineno, "section [%s] already defined at line %d", name, prev.line)
			}
			cur = newSection(name, path, lineno)
			curName = name
			fd.index[name] = cur
			fd.sections = append(fd.sections, cur)
			continue
		}
		if cur == nil {
			return nil, errorf(path, lineno, "option outside a section (expected [SECTION] first): %q", clip(val))
		}
		d := strings.IndexAny(val, "=:")
		if d < 0 {
			return nil, errorf(path, lineno, "expected \"key = value\" or a [section]: %q", clip(val))
		}
		key := strings.ToLower(strings.TrimRightFunc(val[:d], unicode.IsSpace))
		if key == "" {
			return nil, errorf(path, lineno, "option without a name: %q", clip(val))
		}
		if prev, ok := seenOpt[curName+"\x00"+key]; ok {
			return nil, errorf(path, lineno, "option %q in [%s] already set at line %d", key, curName, prev)
		}
		seenOpt[curName+"\x00"+key] = lineno
		flush()
		opt = key
		optVal = &value{file: path, line: lineno}
		optLines = append(optLines[:0], strings.TrimSpace(val[d+1:]))
		cur.set(key, optVal)
	}
	flush()
	return fd, nil
}

func isSpaceBefore(s string, j int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:j])
	return unicode.IsSpace(r)
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
