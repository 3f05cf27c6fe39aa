package pyre

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Error is a pattern that Python would not compile, or that has no exact
// regexp2 equivalent. Offset is the rune offset in the pattern.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset) }

type kind uint8

const (
	kLit     kind = iota // one literal rune (r)
	kAny                 // .
	kClass               // [...] (text holds the translated class)
	kEsc                 // a class escape such as \d \w \s (text)
	kAnchor              // zero-width: ^ $ \A \z \b \B (text)
	kGroup               // a group of some gkind
	kCond                // (?(ref)yes|no): subs[0] yes, subs[1] no (may be nil)
	kBackref             // (?P=name) or \N: name
	kRepeat              // subs[0] repeated min..max (max -1 = unbounded)
	kConcat              // subs in sequence
	kAlt                 // subs as alternatives
	kFlags               // global inline flags at the start: text
)

type gkind uint8

const (
	gCapture gkind = iota
	gNonCapture
	gLookahead
	gNegLookahead
	gLookbehind
	gNegLookbehind
	gAtomic
	gFlags // (?flags-flags:...) with text = the flags part
)

// (The small fields come first: a node is 152 bytes, not 176; a filter's
// patterns make thousands, all fresh memory at start-up.)
type node struct {
	kind kind
	gk   gkind
	fold bool // literal or class under case-insensitive matching
	lazy bool
	poss bool
	neg  bool // kClass: negated (with items, for the RE2 form)
	r    rune
	text string
	name string // group name (capture), backref or conditional reference
	num  int    // Python group number of a capture
	subs []*node
	min  int
	max  int
	cls  *classSet // kClass: its members
	an   *info     // analyze's result, once computed
}

// classSet is a class's members, apart from node: most nodes are single
// characters, and a node without these fields is 40 bytes smaller (a
// filter's parse allocates a node per character of its regexes at
// start-up, where a fresh page costs a fault of ~20 us).
type classSet struct {
	chars []rune      // the members of a simple (non-negated, no ranges) class
	items []classItem // its members in order (for the RE2 form)
}

// classChars returns a class's simple members (nil when not simple, or
// not a class).
func (n *node) classChars() []rune {
	if n.cls == nil {
		return nil
	}
	return n.cls.chars
}

// classItems returns a class's members in order (nil when not a class).
func (n *node) classItems() []classItem {
	if n.cls == nil {
		return nil
	}
	return n.cls.items
}

// classItem is a member of a class: the range lo..hi, or the class escape
// esc (one of dDwWsS) when esc is not 0.
type classItem struct {
	lo, hi rune
	esc    byte
}

type parser struct {
	src      []rune
	pos      int
	ncap     int
	names    map[string]int // Python name -> Python number
	numNames map[int]string
	refsNum  bool // a numeric back-reference or conditional occurs
	flagI    bool
	flagX    bool
	backrefs []*node // to resolve numeric references
	depth    int
}

const maxDepth = 1000

func (p *parser) errf(format string, args ...any) error {
	return &Error{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() rune {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return -1
}

func (p *parser) lookingAt(s string) bool {
	i := p.pos
	for _, r := range s {
		if i >= len(p.src) || p.src[i] != r {
			return false
		}
		i++
	}
	return true
}

// parse parses a whole Python pattern.
func parse(pattern string) (*node, *parser, error) {
	p := &parser{src: []rune(pattern), names: map[string]int{}, numNames: map[int]string{}}
	var flags []*node
	// Global flags are only allowed at the start (Python 3.11).
	for p.lookingAt("(?") && p.pos+2 < len(p.src) && isFlagLetter(p.src[p.pos+2]) {
		save := p.pos
		on, off, scoped, err := p.parseFlags()
		if err != nil {
			return nil, nil, err
		}
		if scoped {
			p.pos = save
			break
		}
		if off != "" {
			return nil, nil, p.errf("missing :")
		}
		if strings.ContainsRune(on, 'i') {
			p.flagI = true
		}
		if strings.ContainsRune(on, 'x') {
			p.flagX = true
		}
		if t := emitFlags(on); t != "" {
			flags = append(flags, &node{kind: kFlags, text: "(?" + t + ")"})
		}
	}
	n, err := p.parseAlt()
	if err != nil {
		return nil, nil, err
	}
	if !p.eof() {
		if p.peek() == ')' {
			return nil, nil, p.errf("unbalanced parenthesis")
		}
		return nil, nil, p.errf("unexpected %q", p.peek())
	}
	if len(flags) > 0 {
		n = &node{kind: kConcat, subs: append(flags, n)}
	}
	for _, b := range p.backrefs {
		if b.name == "" {
			if b.num > p.ncap || b.num < 1 {
				return nil, nil, &Error{Msg: fmt.Sprintf("invalid group reference %d", b.num)}
			}
			b.name = p.numNames[b.num]
		}
	}
	return n, p, nil
}

func isFlagLetter(r rune) bool { return strings.ContainsRune("aiLmsux-", r) }

// parseFlags parses "(?flags)" or "(?flags-flags:" at p.pos. scoped is true
// for the second form, and p.pos is then after the colon.
func (p *parser) parseFlags() (on, off string, scoped bool, err error) {
	p.pos += 2
	neg := false
	for !p.eof() {
		r := p.peek()
		switch {
		case r == ')':
			p.pos++
			if neg {
				return "", "", false, p.errf("missing flag")
			}
			return on, off, false, nil
		case r == ':':
			p.pos++
			return on, off, true, nil
		case r == '-':
			if neg {
				return "", "", false, p.errf("bad inline flags")
			}
			neg = true
		case r == 'a' || r == 'L':
			return "", "", false, p.errf("unsupported inline flag %q", r)
		case strings.ContainsRune("imsux", r):
			if neg {
				if r == 'u' {
					return "", "", false, p.errf("bad inline flags: cannot turn off flag 'u'")
				}
				off += string(r)
			} else {
				on += string(r)
			}
		default:
			return "", "", false, p.errf("unknown flag")
		}
		p.pos++
	}
	return "", "", false, p.errf("missing -, : or )")
}

// emitFlags keeps the flags regexp2 shares with Python: u has no effect and
// x is consumed by the parser (the output is written without whitespace).
func emitFlags(f string) string {
	var b strings.Builder
	for _, r := range f {
		if r == 'i' || r == 'm' || r == 's' {
			if !strings.ContainsRune(b.String(), r) {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

func (p *parser) parseAlt() (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errf("pattern too deeply nested")
	}
	var alts []*node
	for {
		c, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		alts = append(alts, c)
		if p.peek() != '|' {
			break
		}
		p.pos++
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return &node{kind: kAlt, subs: alts}, nil
}

func (p *parser) skipVerbose() {
	for p.flagX && !p.eof() {
		r := p.peek()
		if r == '#' {
			for !p.eof() && p.peek() != '\n' {
				p.pos++
			}
			continue
		}
		if unicode.IsSpace(r) {
			p.pos++
			continue
		}
		return
	}
}

func (p *parser) parseConcat() (*node, error) {
	var items []*node
	for {
		p.skipVerbose()
		if p.eof() {
			break
		}
		r := p.peek()
		if r == '|' || r == ')' {
			break
		}
		start := p.pos
		atom, err := p.parseAtom()
		if err != nil {
			return nil, err
		}
		// quantifiers
		for {
			p.skipVerbose()
			q, ok, err := p.parseQuant()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			if atom == nil || atom.kind == kAnchor || atom.kind == kFlags {
				p.pos = start
				return nil, p.errf("nothing to repeat")
			}
			if atom.kind == kRepeat {
				return nil, p.errf("multiple repeat")
			}
			q.subs = []*node{atom}
			atom = q
		}
		if atom != nil {
			items = append(items, atom)
		}
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return &node{kind: kConcat, subs: items}, nil
}

// parseQuant parses a quantifier at p.pos, if there is one. The node is
// allocated only for a quantifier: most atoms have none, and a fresh node
// each was a fifth of what compiling a filter allocated (page faults at
// start-up).
func (p *parser) parseQuant() (*node, bool, error) {
	if p.eof() {
		return nil, false, nil
	}
	var q node
	q.kind = kRepeat
	switch p.peek() {
	case '*':
		q.min, q.max = 0, -1
		p.pos++
	case '+':
		q.min, q.max = 1, -1
		p.pos++
	case '?':
		q.min, q.max = 0, 1
		p.pos++
	case '{':
		i := p.pos + 1
		lo, hi := "", ""
		for i < len(p.src) && p.src[i] >= '0' && p.src[i] <= '9' {
			lo += string(p.src[i])
			i++
		}
		comma := false
		if i < len(p.src) && p.src[i] == ',' {
			comma = true
			i++
			for i < len(p.src) && p.src[i] >= '0' && p.src[i] <= '9' {
				hi += string(p.src[i])
				i++
			}
		} else {
			hi = lo
		}
		if i >= len(p.src) || p.src[i] != '}' {
			return nil, false, nil // a literal {
		}
		if !comma && lo == "" {
			return nil, false, nil
		}
		q.min, q.max = 0, -1
		var err error
		if lo != "" {
			if q.min, err = strconv.Atoi(lo); err != nil || q.min > 100000 {
				return nil, false, p.errf("the repetition number is too large")
			}
		}
		if hi != "" {
			if q.max, err = strconv.Atoi(hi); err != nil || q.max > 100000 {
				return nil, false, p.errf("the repetition number is too large")
			}
			if q.max < q.min {
				return nil, false, p.errf("min repeat greater than max repeat")
			}
		}
		p.pos = i + 1
	default:
		return nil, false, nil
	}
	if p.peek() == '?' {
		q.lazy = true
		p.pos++
	} else if p.peek() == '+' {
		q.poss = true
		p.pos++
	}
	n := q
	return &n, true, nil
}

func (p *parser) parseAtom() (*node, error) {
	r := p.peek()
	switch r {
	case '(':
		return p.parseGroup()
	case '[':
		return p.parseClass()
	case '.':
		p.pos++
		return &node{kind: kAny}, nil
	case '^':
		p.pos++
		return &node{kind: kAnchor, text: "^"}, nil
	case '$':
		p.pos++
		return &node{kind: kAnchor, text: "$"}, nil
	case '\\':
		return p.parseEscape(false)
	case '*', '+', '?':
		return nil, p.errf("nothing to repeat")
	case '{':
		// A { that does not start a valid quantifier is a literal.
		if _, ok, _ := (&parser{src: p.src, pos: p.pos}).parseQuant(); ok {
			return nil, p.errf("nothing to repeat")
		}
	}
	p.pos++
	return &node{kind: kLit, r: r, fold: p.flagI}, nil
}

func (p *parser) parseGroup() (*node, error) {
	start := p.pos
	p.pos++ // (
	g := &node{kind: kGroup}
	if p.peek() != '?' {
		p.ncap++
		g.gk, g.num = gCapture, p.ncap
		p.numNames[g.num] = ""
	} else {
		p.pos++
		switch {
		case p.lookingAt("P<"):
			p.pos += 2
			name, err := p.readName('>')
			if err != nil {
				return nil, err
			}
			if _, dup := p.names[name]; dup {
				return nil, p.errf("redefinition of group name %q", name)
			}
			p.ncap++
			g.gk, g.num, g.name = gCapture, p.ncap, name
			p.names[name] = g.num
			p.numNames[g.num] = name
		case p.lookingAt("P="):
			p.pos += 2
			name, err := p.readName(')')
			if err != nil {
				return nil, err
			}
			if _, ok := p.names[name]; !ok {
				return nil, p.errf("unknown group name %q", name)
			}
			return &node{kind: kBackref, name: name}, nil
		case p.lookingAt(":"):
			p.pos++
			g.gk = gNonCapture
		case p.lookingAt("="):
			p.pos++
			g.gk = gLookahead
		case p.lookingAt("!"):
			p.pos++
			g.gk = gNegLookahead
		case p.lookingAt("<="):
			p.pos += 2
			g.gk = gLookbehind
		case p.lookingAt("<!"):
			p.pos += 2
			g.gk = gNegLookbehind
		case p.lookingAt(">"):
			p.pos++
			g.gk = gAtomic
		case p.lookingAt("#"):
			for !p.eof() && p.peek() != ')' {
				p.pos++
			}
			if p.eof() {
				return nil, p.errf("missing ), unterminated comment")
			}
			p.pos++
			return nil, nil
		case p.lookingAt("("):
			return p.parseCond()
		case !p.eof() && isFlagLetter(p.peek()):
			p.pos = start
			on, off, scoped, err := p.parseFlags()
			if err != nil {
				return nil, err
			}
			if !scoped {
				p.pos = start
				return nil, p.errf("global flags not at the start of the expression")
			}
			if strings.ContainsAny(on+off, "u") && off != "" && strings.ContainsRune(off, 'u') {
				return nil, p.errf("bad inline flags")
			}
			saveI, saveX := p.flagI, p.flagX
			if strings.ContainsRune(on, 'i') {
				p.flagI = true
			}
			if strings.ContainsRune(off, 'i') {
				p.flagI = false
			}
			if strings.ContainsRune(on, 'x') {
				p.flagX = true
			}
			if strings.ContainsRune(off, 'x') {
				p.flagX = false
			}
			body, err := p.parseAlt()
			p.flagI, p.flagX = saveI, saveX
			if err != nil {
				return nil, err
			}
			if p.peek() != ')' {
				return nil, p.errf("missing ), unterminated subpattern")
			}
			p.pos++
			t := emitFlags(on)
			if o := emitFlags(off); o != "" {
				t += "-" + o
			}
			if t == "" {
				g.gk = gNonCapture
			} else {
				g.gk, g.text = gFlags, t
			}
			g.subs = []*node{body}
			return g, nil
		default:
			return nil, p.errf("unknown extension ?%c", p.peek())
		}
	}
	body, err := p.parseAlt()
	if err != nil {
		return nil, err
	}
	if p.peek() != ')' {
		p.pos = start
		return nil, p.errf("missing ), unterminated subpattern")
	}
	p.pos++
	g.subs = []*node{body}
	if g.gk == gLookbehind || g.gk == gNegLookbehind {
		lo, hi := width(body)
		if lo != hi {
			p.pos = start
			return nil, p.errf("look-behind requires fixed-width pattern")
		}
	}
	return g, nil
}

func (p *parser) parseCond() (*node, error) {
	p.pos++ // the ( of (?(
	ref, err := p.readName(')')
	if err != nil {
		return nil, err
	}
	c := &node{kind: kCond}
	if n, err := strconv.Atoi(ref); err == nil {
		if n < 1 || n > p.ncap {
			return nil, p.errf("invalid group reference %d", n)
		}
		p.refsNum = true
		c.num = n
		p.backrefs = append(p.backrefs, c)
	} else {
		if _, ok := p.names[ref]; !ok {
			return nil, p.errf("unknown group name %q", ref)
		}
		c.name = ref
	}
	yes, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	c.subs = []*node{yes, nil}
	if p.peek() == '|' {
		p.pos++
		no, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		c.subs[1] = no
		if p.peek() == '|' {
			return nil, p.errf("conditional backref with more than two branches")
		}
	}
	if p.peek() != ')' {
		return nil, p.errf("missing ), unterminated subpattern")
	}
	p.pos++
	return c, nil
}

// readName reads a group name up to term (consumed).
func (p *parser) readName(term rune) (string, error) {
	start := p.pos
	for !p.eof() && p.peek() != term {
		p.pos++
	}
	if p.eof() {
		return "", p.errf("missing %c, unterminated name", term)
	}
	name := string(p.src[start:p.pos])
	p.pos++
	if term == ')' {
		if _, err := strconv.Atoi(name); err == nil {
			return name, nil // a numeric conditional reference
		}
	}
	if !isIdent(name) {
		p.pos = start
		return "", p.errf("bad character in group name %q", name)
	}
	return name, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || unicode.IsLetter(r) || (i > 0 && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))) {
			continue
		}
		return false
	}
	return true
}

// parseEscape parses a backslash escape; inClass selects class rules.
// Outside a class it returns a node, inside a class the node's text is the
// translated member and r is the literal rune (or -1 for a class escape).
func (p *parser) parseEscape(inClass bool) (*node, error) {
	start := p.pos
	p.pos++ // backslash
	if p.eof() {
		return nil, p.errf("bad escape (end of pattern)")
	}
	r := p.peek()
	p.pos++
	lit := func(c rune) (*node, error) {
		return &node{kind: kLit, r: c, fold: p.flagI}, nil
	}
	switch r {
	case 'd':
		// [0-9] first: regexp2 tests ranges before categories, and its
		// category test (Nd) costs a map look-up per character.
		if inClass {
			return &node{kind: kEsc, text: `0-9\d`, r: -1}, nil
		}
		return &node{kind: kEsc, text: `[0-9\d]`, r: -1}, nil
	case 'w':
		// The same for \w, whose regexp2 test is four category look-ups.
		if inClass {
			return &node{kind: kEsc, text: `a-zA-Z0-9_\w`, r: -1}, nil
		}
		return &node{kind: kEsc, text: `[a-zA-Z0-9_\w]`, r: -1}, nil
	case 'D', 'W', 's', 'S':
		return &node{kind: kEsc, text: `\` + string(r), r: -1}, nil
	case 'b':
		if inClass {
			return lit('\b')
		}
		return &node{kind: kAnchor, text: `\b`}, nil
	case 'B', 'A', 'Z':
		if inClass {
			p.pos = start
			return nil, p.errf(`bad escape \%c`, r)
		}
		t := `\` + string(r)
		if r == 'Z' {
			t = `\z`
		}
		return &node{kind: kAnchor, text: t}, nil
	case 'n':
		return lit('\n')
	case 't':
		return lit('\t')
	case 'r':
		return lit('\r')
	case 'f':
		return lit('\f')
	case 'v':
		return lit('\v')
	case 'a':
		return lit('\a')
	case 'x':
		return p.hexEscape(start, 2)
	case 'u':
		return p.hexEscape(start, 4)
	case 'U':
		return p.hexEscape(start, 8)
	case 'N':
		p.pos = start
		return nil, p.errf(`\N{...} named characters are not supported`)
	case '0':
		v := 0
		for i := 0; i < 2 && !p.eof() && p.peek() >= '0' && p.peek() <= '7'; i++ {
			v = v*8 + int(p.peek()-'0')
			p.pos++
		}
		return lit(rune(v))
	}
	if r >= '1' && r <= '9' {
		// octal escape of three digits, else a group reference
		if !p.eof() && p.pos+1 < len(p.src) && isOct(r) && isOct(p.src[p.pos]) && isOct(p.src[p.pos+1]) {
			v := int(r-'0')*64 + int(p.src[p.pos]-'0')*8 + int(p.src[p.pos+1]-'0')
			p.pos += 2
			if v > 0o377 {
				p.pos = start
				return nil, p.errf("octal escape value outside of range 0-0o377")
			}
			return lit(rune(v))
		}
		if inClass {
			p.pos = start
			return nil, p.errf(`bad escape \%c`, r)
		}
		num := int(r - '0')
		if !p.eof() && p.peek() >= '0' && p.peek() <= '9' {
			num = num*10 + int(p.peek()-'0')
			p.pos++
		}
		if num > p.ncap {
			p.pos = start
			return nil, p.errf("invalid group reference %d", num)
		}
		if name, open := p.numNames[num]; open && false {
			_ = name
		}
		p.refsNum = true
		b := &node{kind: kBackref, num: num}
		p.backrefs = append(p.backrefs, b)
		return b, nil
	}
	if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
		p.pos = start
		return nil, p.errf(`bad escape \%c`, r)
	}
	return lit(r)
}

func isOct(r rune) bool { return r >= '0' && r <= '7' }

func (p *parser) hexEscape(start, n int) (*node, error) {
	if p.pos+n > len(p.src) {
		p.pos = start
		return nil, p.errf("incomplete escape")
	}
	v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
	if err != nil {
		p.pos = start
		return nil, p.errf("incomplete escape")
	}
	p.pos += n
	if v > unicode.MaxRune {
		p.pos = start
		return nil, p.errf("bad escape: code point out of range")
	}
	return &node{kind: kLit, r: rune(v), fold: p.flagI}, nil
}

// parseClass parses [...] and translates it.
func (p *parser) parseClass() (*node, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	b.WriteByte('[')
	neg := false
	if p.peek() == '^' {
		neg = true
		b.WriteByte('^')
		p.pos++
	}
	simple := !neg
	var chars []rune
	var items []classItem
	// the class less its category escapes, and those escapes' texts: see
	// splitCategories
	var rest strings.Builder
	var cats []string
	negCat := false
	first := true
	for {
		if p.eof() {
			p.pos = start
			return nil, p.errf("unterminated character set")
		}
		r := p.peek()
		if r == ']' && !first {
			p.pos++
			break
		}
		first = false
		var lo rune
		if r == '\\' {
			e, err := p.parseEscape(true)
			if err != nil {
				return nil, err
			}
			if e.kind == kEsc {
				b.WriteString(e.text)
				simple = false
				c := e.text[len(e.text)-1]
				items = append(items, classItem{esc: c})
				cats = append(cats, e.text)
				negCat = negCat || c >= 'A' && c <= 'Z'
				continue
			}
			lo = e.r
		} else {
			p.pos++
			lo = r
		}
		// a range?
		if p.peek() == '-' && p.pos+1 < len(p.src) && p.src[p.pos+1] != ']' {
			p.pos++
			var hi rune
			if p.peek() == '\\' {
				e, err := p.parseEscape(true)
				if err != nil {
					return nil, err
				}
				if e.kind == kEsc {
					p.pos = start
					return nil, p.errf("bad character range")
				}
				hi = e.r
			} else {
				hi = p.peek()
				p.pos++
			}
			if hi < lo {
				p.pos = start
				return nil, p.errf("bad character range")
			}
			for _, w := range []*strings.Builder{&b, &rest} {
				writeRangeEnd(w, lo)
				w.WriteByte('-')
				writeRangeEnd(w, hi)
			}
			simple = false
			items = append(items, classItem{lo: lo, hi: hi})
			continue
		}
		writeClassRune(&b, lo)
		writeClassRune(&rest, lo)
		chars = append(chars, lo)
		items = append(items, classItem{lo: lo, hi: lo})
	}
	b.WriteByte(']')
	text := b.String()
	if negCat && len(cats) > 1 {
		text = splitCategories(neg, rest.String(), cats)
	}
	n := &node{kind: kClass, text: text, fold: p.flagI, neg: neg, cls: &classSet{items: items}}
	if simple && len(chars) > 0 {
		n.cls.chars = chars
	}
	return n, nil
}

// splitCategories writes a class that holds a negated category escape
// (\W, \D, \S) and another category escape as look-aheads, one per part,
// before a character: regexp2 loses the second of such a pair in one class
// ("[\W\d]" does not hold "1", "[\W\D]" not "A", "[a\D\w]" not "1"), and
// in an alternation of one-character parts too (it merges them into one
// class), where Python takes the union of the members. A class is "not
// none of its parts", a negated one "none of its parts". rest is the
// class's other members (class syntax, without brackets), cats the
// escapes' texts.
func splitCategories(neg bool, rest string, cats []string) string {
	var b strings.Builder
	b.WriteString("(?:")
	if !neg {
		b.WriteString("(?!")
	}
	if rest != "" {
		b.WriteString("(?![" + rest + "])")
	}
	for _, c := range cats {
		b.WriteString("(?![" + c + "])")
	}
	if !neg {
		b.WriteByte(')')
	}
	b.WriteString(`[\s\S])`)
	return b.String()
}

// writeRangeEnd writes an end of a class range: as writeClassRune, but a
// "-" as "\x2D" (regexp2 takes "\-" for no range end: "[\--A]" would not
// hold "0", which Python's does).
func writeRangeEnd(b *strings.Builder, r rune) {
	if r == '-' {
		b.WriteString(`\x2D`)
		return
	}
	writeClassRune(b, r)
}

func writeClassRune(b *strings.Builder, r rune) {
	switch r {
	case '\\', ']', '[', '^', '-':
		b.WriteByte('\\')
		b.WriteRune(r)
	default:
		writeRuneEsc(b, r)
	}
}

// writeRuneEsc writes a rune that needs no regex escaping, as itself when
// printable, or as a hexadecimal escape.
func writeRuneEsc(b *strings.Builder, r rune) {
	if r >= 0x20 && r < 0x7f || r > 0xa0 && unicode.IsPrint(r) {
		b.WriteRune(r)
		return
	}
	if r <= 0xff {
		fmt.Fprintf(b, `\x%02X`, r)
		return
	}
	if r <= 0xffff {
		fmt.Fprintf(b, `\u%04X`, r)
		return
	}
	fmt.Fprintf(b, `\x{%X}`, r)
}

// width returns the minimum and maximum length in runes of a match of n
// (max -1: unbounded).
func width(n *node) (int, int) {
	if n == nil {
		return 0, 0
	}
	switch n.kind {
	case kLit, kAny, kClass, kEsc:
		return 1, 1
	case kAnchor, kFlags:
		return 0, 0
	case kBackref:
		return 0, -1
	case kGroup:
		switch n.gk {
		case gLookahead, gNegLookahead, gLookbehind, gNegLookbehind:
			return 0, 0
		}
		return width(n.subs[0])
	case kCond:
		a, b := width(n.subs[0])
		c, d := width(n.subs[1])
		return min(a, c), maxw(b, d)
	case kRepeat:
		a, b := width(n.subs[0])
		lo := a * n.min
		if n.max < 0 || b < 0 {
			if b == 0 {
				return lo, 0
			}
			return lo, -1
		}
		return lo, b * n.max
	case kConcat:
		lo, hi := 0, 0
		for _, s := range n.subs {
			a, b := width(s)
			lo += a
			if hi >= 0 {
				if b < 0 {
					hi = -1
				} else {
					hi += b
				}
			}
		}
		return lo, hi
	case kAlt:
		lo, hi := -1, 0
		for _, s := range n.subs {
			a, b := width(s)
			if lo < 0 || a < lo {
				lo = a
			}
			hi = maxw(hi, b)
		}
		return lo, hi
	}
	return 0, -1
}

func maxw(a, b int) int {
	if a < 0 || b < 0 {
		return -1
	}
	return max(a, b)
}
