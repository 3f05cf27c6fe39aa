package pyre

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The RE2 form. A pattern that needs no backtracking feature (no
// look-around, back-reference, conditional, atomic group or possessive
// repeat) is also compiled with Go's regexp package, which runs on the
// bytes of a line and needs no []rune copy of it. Go's regexp is
// leftmost-first like Python and regexp2 (same match, same group spans),
// but differs from them in ways the translation takes care of, on ASCII
// text only (FindBytes refuses other text, the caller then uses Find on
// runes):
//
//   - \d \w \s \b are Unicode in regexp2 and ASCII in Go; on ASCII text
//     they are written as the ASCII sets regexp2 uses ([0-9], [0-9A-Za-z_],
//     [\t-\r ]: Go's \s lacks \v);
//   - ^ without MULTILINE is \A (Go's multi-line ^ also matches after a
//     final \n); $ is written (?m:$), which is regexp2's $ on a text
//     whose only \n is its last byte (FindBytes checks that when the
//     pattern has a non-multi-line $);
//   - case folding is only kept for ASCII patterns (Go folds ſ to s, K to
//     k; regexp2 does not);
//   - a repeat whose body can match the empty string and holds a group is
//     refused (the engines may disagree on the empty iteration's group);
//   - unnamed groups become non-capturing (only named groups are asked
//     for), and Go's group numbers are mapped to regexp2's.
type re2Form struct {
	prog   *regexp.Regexp
	dollar bool  // a non-multi-line $ occurs
	slotOf []int // regexp2 group number -> Go group number, -1: none
}

// re2Emitter writes the Go syntax of a parse tree.
type re2Emitter struct {
	b      *strings.Builder // nil: analysis only
	ok     bool
	dollar bool
	names  []string // Go group number - 1 -> Python name
}

// re2Of returns the RE2 form of the parsed pattern n, or nil when it has
// none. number maps a Python group name to regexp2's number.
func re2Of(n *node, multiline bool, number func(string) int) *re2Form {
	e := &re2Emitter{ok: true, b: &strings.Builder{}}
	e.emit(n, multiline, false, anyChar)
	if !e.ok {
		return nil
	}
	prog, err := regexp.Compile(e.b.String())
	if err != nil {
		return nil
	}
	f := &re2Form{prog: prog, dollar: e.dollar}
	f.slotOf = []int{0}
	for i, name := range e.names {
		num := number(name)
		if num < 0 {
			return nil
		}
		for len(f.slotOf) <= num {
			f.slotOf = append(f.slotOf, -1)
		}
		f.slotOf[num] = i + 1
	}
	return f
}

// nullable reports whether n can match the empty string.
func nullable(n *node) bool {
	lo, _ := width(n)
	return lo == 0
}

func hasCapture(n *node) bool {
	if n == nil {
		return false
	}
	if n.kind == kGroup && n.gk == gCapture {
		return true
	}
	for _, s := range n.subs {
		if hasCapture(s) {
			return true
		}
	}
	return false
}

// cset is a set of ASCII characters: those that may precede a position of
// a match (FindBytes runs on ASCII text only).
type cset [2]uint64

func (c *cset) add(r rune) {
	if r >= 0 && r < utf8.RuneSelf {
		c[r/64] |= 1 << (r % 64)
	}
}

func (c cset) has(r rune) bool { return r >= 0 && r < utf8.RuneSelf && c[r/64]&(1<<(r%64)) != 0 }

// hasASCII is has for a byte c < 0x80 (c's high bit is not read): the
// scanning loops' test, without has's range checks.
func (c *cset) hasASCII(b byte) bool { return c[b>>6&1]&(1<<(b&63)) != 0 }

func (c cset) union(d cset) cset { return cset{c[0] | d[0], c[1] | d[1]} }

func (c cset) subset(d cset) bool { return c[0]&^d[0] == 0 && c[1]&^d[1] == 0 }

var anyChar = cset{^uint64(0), ^uint64(0)}

// charSet returns the ASCII characters a one-character node matches, and
// whether n is one.
func charSet(n *node, fold bool) (cset, bool) {
	var c cset
	switch n.kind {
	case kLit:
		c.add(n.r)
	case kAny:
		c = anyChar
	case kEsc:
		l := escLetter(n.text)
		for r := rune(0); r < utf8.RuneSelf; r++ {
			if escHas(l, r) {
				c.add(r)
			}
		}
	case kClass:
		for r := rune(0); r < utf8.RuneSelf; r++ {
			in := false
			for _, it := range n.classItems() {
				if it.esc != 0 && escHas(it.esc, r) || it.esc == 0 && (it.lo <= r && r <= it.hi ||
					fold && (it.lo <= swapCase(r) && swapCase(r) <= it.hi)) {
					in = true
					break
				}
			}
			if in != n.neg {
				c.add(r)
			}
		}
		return c, true
	default:
		return c, false
	}
	if fold {
		for r := rune(0); r < utf8.RuneSelf; r++ {
			if c.has(r) {
				c.add(swapCase(r))
			}
		}
	}
	return c, true
}

func swapCase(r rune) rune {
	switch {
	case 'a' <= r && r <= 'z':
		return r - 'a' + 'A'
	case 'A' <= r && r <= 'Z':
		return r - 'A' + 'a'
	}
	return r
}

// escHas reports whether the ASCII character r is in the class escape c.
func escHas(c byte, r rune) bool {
	var in bool
	switch c | 0x20 {
	case 'd':
		in = '0' <= r && r <= '9'
	case 'w':
		in = '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_'
	case 's':
		in = '\t' <= r && r <= '\r' || r == ' '
	}
	return in != (c >= 'A' && c <= 'Z')
}

// emit writes n (when e.b is not nil; otherwise it only analyses) and
// returns the characters that may precede the position after n, given
// those (before) that may precede the position before it. A look-behind
// of one character that before always satisfies (fail2ban's IPv6 address
// ends in (?<=:): after a group that always ends in a colon) is dropped.
func (e *re2Emitter) emit(n *node, multi, fold bool, before cset) cset {
	if n == nil || !e.ok {
		return before
	}
	b := e.b
	if b == nil {
		b = &strings.Builder{} // analysis: the text is thrown away
	}
	switch n.kind {
	case kLit:
		if fold && n.r >= utf8.RuneSelf {
			e.ok = false
			return before
		}
		writeRE2Lit(b, n.r)
		c, _ := charSet(n, fold)
		return c
	case kAny:
		b.WriteByte('.')
		return anyChar
	case kEsc:
		set, neg := escSet(escLetter(n.text))
		b.WriteByte('[')
		if neg {
			b.WriteByte('^')
		}
		b.WriteString(set)
		b.WriteByte(']')
		c, _ := charSet(n, fold)
		return c
	case kClass:
		b.WriteByte('[')
		if n.neg {
			b.WriteByte('^')
		}
		if len(n.classItems()) == 0 {
			e.ok = false
			return before
		}
		for _, it := range n.classItems() {
			if it.esc != 0 {
				b.WriteString(escClassMembers(it.esc))
				continue
			}
			if fold && (it.lo >= utf8.RuneSelf || it.hi >= utf8.RuneSelf) {
				e.ok = false
				return before
			}
			writeRE2ClassRune(b, it.lo)
			if it.hi != it.lo {
				b.WriteByte('-')
				writeRE2ClassRune(b, it.hi)
			}
		}
		b.WriteByte(']')
		c, _ := charSet(n, fold)
		return c
	case kAnchor:
		switch n.text {
		case "^":
			if multi {
				b.WriteString(`(?m:^)`)
			} else {
				b.WriteString(`\A`)
			}
		case "$":
			if !multi {
				e.dollar = true
			}
			b.WriteString(`(?m:$)`)
		case `\A`, `\z`, `\b`, `\B`:
			b.WriteString(n.text)
		default:
			e.ok = false
		}
		return before
	case kFlags:
		// global flags at the start: "(?ims)"
		on, _ := splitFlags(strings.TrimSuffix(strings.TrimPrefix(n.text, "(?"), ")"))
		on = strings.ReplaceAll(on, "m", "") // see kConcat
		if on != "" {
			b.WriteString("(?" + on + ")")
		}
		return before
	case kGroup:
		switch n.gk {
		case gCapture:
			if n.name == "" {
				b.WriteString("(?:")
			} else {
				b.WriteByte('(')
				if e.b != nil {
					e.names = append(e.names, n.name)
				}
			}
		case gNonCapture:
			b.WriteString("(?:")
		case gFlags:
			on, off := splitFlags(n.text)
			if strings.ContainsRune(on, 'm') {
				multi = true
			}
			if strings.ContainsRune(off, 'm') {
				multi = false
			}
			if strings.ContainsRune(on, 'i') {
				fold = true
			}
			if strings.ContainsRune(off, 'i') {
				fold = false
			}
			on, off = strings.ReplaceAll(on, "m", ""), strings.ReplaceAll(off, "m", "")
			t := on
			if off != "" {
				t += "-" + off
			}
			b.WriteString("(?" + t + ":")
		case gLookbehind, gNegLookbehind:
			c, one := charSet(n.subs[0], fold)
			switch {
			case !one:
				e.ok = false
			case n.gk == gLookbehind && before.subset(c):
			case n.gk == gNegLookbehind && before.union(c) == before && false:
			default:
				if e.b != nil {
					e.ok = false
				}
			}
			return before
		default:
			e.ok = false
			return before
		}
		after := e.emit(n.subs[0], multi, fold, before)
		b.WriteByte(')')
		return after
	case kRepeat:
		if n.poss || n.min > 1000 || n.max > 1000 || nullable(n.subs[0]) && hasCapture(n.subs[0]) {
			e.ok = false
			return before
		}
		// what may precede an iteration: before, or the end of one
		in := before
		for {
			a := (&re2Emitter{ok: true}).emit(n.subs[0], multi, fold, in)
			next := before.union(a)
			if next == in {
				break
			}
			in = next
		}
		b.WriteString("(?:")
		after := e.emit(n.subs[0], multi, fold, in)
		b.WriteByte(')')
		writeQuantifier(b, n)
		if n.min == 0 {
			return in
		}
		return after
	case kConcat:
		cur := before
		for _, s := range n.subs {
			if s.kind == kFlags {
				// global flags, at the start: they hold for the rest
				on, _ := splitFlags(strings.TrimSuffix(strings.TrimPrefix(s.text, "(?"), ")"))
				multi = multi || strings.ContainsRune(on, 'm')
				fold = fold || strings.ContainsRune(on, 'i')
			}
			cur = e.emit(s, multi, fold, cur)
		}
		return cur
	case kAlt:
		b.WriteString("(?:")
		var after cset
		for i, s := range n.subs {
			if i > 0 {
				b.WriteByte('|')
			}
			after = after.union(e.emit(s, multi, fold, before))
		}
		b.WriteByte(')')
		return after
	}
	// back-references, conditionals
	e.ok = false
	return before
}

// splitFlags splits "on-off" flag letters.
func splitFlags(t string) (on, off string) {
	on, off, _ = strings.Cut(t, "-")
	return on, off
}

// escLetter returns the letter of a translated class escape (kEsc text).
func escLetter(t string) byte {
	if strings.HasSuffix(t, "]") {
		return t[len(t)-2]
	}
	return t[len(t)-1]
}

// escSet returns the members of a class escape on ASCII text, as Go class
// members, and whether the escape is the negation of that set.
func escSet(c byte) (string, bool) {
	switch c {
	case 'd':
		return `0-9`, false
	case 'D':
		return `0-9`, true
	case 'w':
		return `0-9A-Za-z_`, false
	case 'W':
		return `0-9A-Za-z_`, true
	case 's':
		return `\t-\r `, false
	}
	return `\t-\r `, true // S
}

// escClassMembers returns a class escape as members of an enclosing Go
// class (negated escapes as their complement).
func escClassMembers(c byte) string {
	switch c {
	case 'd':
		return `0-9`
	case 'D':
		return `\x00-/:-\x{10FFFF}`
	case 'w':
		return `0-9A-Za-z_`
	case 'W':
		return "\\x00-/:-@\\[-\\^`{-\\x{10FFFF}"
	case 's':
		return `\t-\r `
	}
	return `\x00-\x08\x0E-\x1F!-\x{10FFFF}` // S
}

func writeRE2Lit(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf && strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
		b.WriteByte('\\')
		b.WriteRune(r)
		return
	}
	writeRE2Rune(b, r)
}

func writeRE2ClassRune(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf && strings.ContainsRune(`\]-[^`, r) {
		b.WriteByte('\\')
		b.WriteRune(r)
		return
	}
	writeRE2Rune(b, r)
}

func writeRE2Rune(b *strings.Builder, r rune) {
	if r >= 0x20 && r < 0x7f {
		b.WriteRune(r)
		return
	}
	b.WriteString(`\x{` + strconv.FormatInt(int64(r), 16) + `}`)
}

// FindBytes is Find on the bytes of an ASCII text, with the RE2 form: ok
// is false when the pattern has none or text does not suit it (not
// ASCII, or a \n before its last byte under a non-multi-line $), and the
// caller then uses Find on the text's runes. Spans are in bytes, which are
// runes on ASCII text.
func (re *Regexp) FindBytes(text []byte, groups []int, out []Span) (found, ok bool) {
	f := re.form()
	if f == nil || !IsASCII(text) {
		return false, false
	}
	if f.dollar {
		if i := bytes.IndexByte(text, '\n'); i >= 0 && i < len(text)-1 {
			return false, false
		}
	}
	for _, g := range groups {
		if g < 0 || g >= len(f.slotOf) || f.slotOf[g] < 0 {
			return false, false
		}
	}
	if len(groups) == 0 {
		return f.prog.Match(text), true
	}
	loc := f.prog.FindSubmatchIndex(text)
	if loc == nil {
		return false, true
	}
	for i, g := range groups {
		s := f.slotOf[g]
		a, b := loc[2*s], loc[2*s+1]
		if a < 0 {
			out[i] = Span{}
			continue
		}
		out[i] = Span{a, b - a, true}
	}
	return true, true
}

// form returns the RE2 form, made on first use (nil: none).
func (re *Regexp) form() *re2Form {
	re.re2Once.Do(func() {
		n, p, err := parse(re.expr)
		if err != nil || p.refsNum {
			return
		}
		re.re2 = re2Of(n, re.multi, func(name string) int {
			if !re.HasGroup(name) {
				return -1
			}
			return re.number(name)
		})
	})
	return re.re2
}

// HasRE2 reports whether the pattern also has the RE2 form (FindBytes).
func (re *Regexp) HasRE2() bool { return re.form() != nil }

// RE2 returns the Go regexp syntax of the RE2 form, "" when there is none.
func (re *Regexp) RE2() string {
	if f := re.form(); f != nil {
		return f.prog.String()
	}
	return ""
}

// asciiLine reports whether b is all ASCII without "\n" (FindASCII's
// text), eight bytes at a time.
func asciiLine(b []byte) bool {
	const lo, hi, nl = 0x0101010101010101, 0x8080808080808080, 0x0a0a0a0a0a0a0a0a
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		x := w ^ nl // a zero byte where w has "\n"
		if (w|(x-lo)&^x)&hi != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf || c == '\n' {
			return false
		}
	}
	return true
}

// IsASCII reports whether b is all ASCII, eight bytes at a time.
func IsASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
