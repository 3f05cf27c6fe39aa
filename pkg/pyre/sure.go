package pyre

// The sure-match walker. SureMatch answers "does the pattern match?" with
// "yes" or "don't know" (never "no"), without regexp2, for a text that is
// ASCII bytes followed by one "\n" (a filter's content and its line end).
// It walks the parse tree once, forward, taking one way through each part:
// a greedy repeat takes as many repetitions as its body gives, a lazy one
// its minimum, an alternation its first alternative that matches on its
// own, an optional part when it matches; it never goes back into a part it
// has passed. When that one way reaches the end of the pattern, it is a
// match of the pattern (every step is the regex's own semantics on ASCII),
// so the regex matches the text: a backtracking engine finds a match when
// there is one. Which match the engine returns may differ (another way
// through an alternation or repeat), so the walker says nothing about the
// groups; AlwaysNonEmpty says which groups hold text in every match.
//
// The walker knows literals, '.', classes and class escapes (on ASCII
// characters: any other byte it meets makes it give up), groups, repeats
// (not possessive), alternations, positive look-aheads, fixed-width
// look-behinds and the anchors ^ $ \A \Z \b \B. Patterns with inline
// flags, case-insensitive parts, back-references, conditionals, atomic
// groups, possessive repeats or negative look-arounds have no walker
// (SureMatch always says "don't know"); a negative look-around cannot be
// shown to hold by walking one way.

type sop uint8

const (
	sSet sop = iota
	sLit     // the bytes lit
	sConcat
	sAlt
	sAddr // fail2ban's address alternation (addr.go): an sAlt that walkAddr walks
	sRepeat
	sAhead   // positive look-ahead
	sBehind  // positive look-behind of fixed width w
	sNAhead  // negative look-ahead (ExactMatch only)
	sNBehind // negative look-behind of fixed width w (ExactMatch only)
	sBOL     // ^ \A
	sEOL     // $
	sEOZ     // \Z
	sWordB   // \b
	sNWordB  // \B
)

type snode struct {
	op       sop
	set      cset
	subs     []*snode
	min, max int
	lazy     bool
	w        int    // sBehind: the body's width
	lit      []byte // sLit
	// must: every way through the node starts by taking one character,
	// one of first (no assertion and no empty way before it): at a
	// position whose character is not in first the node fails (see
	// setFirst)
	must  bool
	first cset
}

// setFirst fills must and first of s and the nodes under it.
func (s *snode) setFirst() {
	for _, sub := range s.subs {
		sub.setFirst()
	}
	switch s.op {
	case sSet:
		s.must, s.first = true, s.set
	case sLit:
		s.must = len(s.lit) > 0
		if s.must {
			s.first.add(rune(s.lit[0]))
		}
	case sConcat:
		if len(s.subs) > 0 && s.subs[0].must {
			s.must, s.first = true, s.subs[0].first
		}
	case sAlt:
		s.must = len(s.subs) > 0
		for _, sub := range s.subs {
			s.must = s.must && sub.must
			s.first = s.first.union(sub.first)
		}
	case sRepeat:
		s.must, s.first = s.min >= 1 && s.subs[0].must, s.subs[0].first
	}
	if !s.must {
		s.first = cset{}
	}
}

// cannot reports whether s fails at pos because it must take a character
// there that is not one of its first: the walk of s would fail at its
// first character, so skipping it gives the same answer, sooner.
func (s *snode) cannot(t sureText, pos int) bool {
	return s.must && !noFirst && !s.first.has(rune(t.at(pos)))
}

// noFirst, set by tests, walks every part (the answers cannot must not
// change).
var noFirst bool

// one returns the character of a one-character set, ok false for any
// other set.
func (c cset) one() (byte, bool) {
	n, b := 0, byte(0)
	for r := 0; r < 128; r++ {
		if c.has(rune(r)) {
			n, b = n+1, byte(r)
		}
	}
	return b, n == 1
}

// joinLits writes runs of one-character sets in s.subs (a sequence) as
// literals.
func (s *snode) joinLits() {
	var out []*snode
	for _, sub := range s.subs {
		if sub.op == sSet {
			if c, ok := sub.set.one(); ok && c != '\n' {
				if k := len(out) - 1; k >= 0 && out[k].op == sLit {
					out[k].lit = append(out[k].lit, c)
				} else {
					out = append(out, &snode{op: sLit, lit: []byte{c}})
				}
				continue
			}
		}
		out = append(out, sub)
	}
	s.subs = out
}

// sameClass reports whether the walkers take the character node n: not a
// class with two different negated class escapes ("[\W\D]", found by
// FuzzFindASCII when regexp2 read it wrongly; the translation now writes
// such classes as look-aheads, splitCategories), whose sets the walkers
// do not build; they then have no answer and regexp2 decides.
func sameClass(n *node) bool {
	if n.kind != kClass {
		return true
	}
	var neg byte
	for _, it := range n.classItems() {
		if it.esc >= 'A' && it.esc <= 'Z' {
			if neg != 0 && neg != it.esc {
				return false
			}
			neg = it.esc
		}
	}
	return true
}

// sureOf returns the walker of n, nil when n has a part it does not know.
func sureOf(n *node) *snode {
	if n == nil {
		return &snode{op: sConcat}
	}
	switch n.kind {
	case kLit, kAny, kClass, kEsc:
		if n.fold || n.kind == kLit && n.r >= 0x80 || !sameClass(n) {
			return nil
		}
		c, ok := charSet(n, false)
		if !ok {
			return nil
		}
		if n.kind == kAny {
			// without DOTALL (no flags reach here), . is anything but \n
			c = anyChar
			c[0] &^= 1 << '\n'
		}
		return &snode{op: sSet, set: c}
	case kAnchor:
		switch n.text {
		case "^", `\A`:
			return &snode{op: sBOL}
		case "$":
			return &snode{op: sEOL}
		case `\z`:
			return &snode{op: sEOZ}
		case `\b`:
			return &snode{op: sWordB}
		case `\B`:
			return &snode{op: sNWordB}
		}
		return nil
	case kGroup:
		body := sureOf(n.subs[0])
		if body == nil {
			return nil
		}
		switch n.gk {
		case gCapture, gNonCapture:
			return body // the walker keeps no groups
		case gLookahead:
			return &snode{op: sAhead, subs: []*snode{body}}
		case gNegLookahead:
			return &snode{op: sNAhead, subs: []*snode{body}}
		case gLookbehind, gNegLookbehind:
			lo, hi := width(n.subs[0])
			if lo != hi || lo < 0 {
				return nil
			}
			op := sBehind
			if n.gk == gNegLookbehind {
				op = sNBehind
			}
			return &snode{op: op, subs: []*snode{body}, w: lo}
		}
		return nil
	case kRepeat:
		if n.poss {
			return nil
		}
		body := sureOf(n.subs[0])
		if body == nil {
			return nil
		}
		return &snode{op: sRepeat, subs: []*snode{body}, min: n.min, max: n.max, lazy: n.lazy}
	case kConcat, kAlt:
		s := &snode{op: sConcat}
		if n.kind == kAlt {
			s.op = sAlt
		}
		for _, sub := range n.subs {
			w := sureOf(sub)
			if w == nil {
				return nil
			}
			if w.op == sConcat && s.op == sConcat {
				s.subs = append(s.subs, w.subs...) // (a sequence in a sequence)
			} else {
				s.subs = append(s.subs, w)
			}
		}
		if s.op == sConcat {
			s.joinLits()
		}
		if len(s.subs) == 1 {
			return s.subs[0]
		}
		return s
	}
	return nil // kFlags, kBackref, kCond
}

// sureText is the text a walker reads: b then one "\n".
type sureText []byte

// at returns the character at i: b's byte, '\n' just after b, -1 past it.
func (t sureText) at(i int) int {
	switch {
	case i >= 0 && i < len(t):
		return int(t[i])
	case i == len(t):
		return '\n'
	}
	return -1
}

// word reports whether i holds a word character; known is false for a
// byte outside ASCII.
func (t sureText) word(i int) (w, known bool) {
	c := t.at(i)
	if c >= 0x80 {
		return false, false
	}
	return c >= 0 && escHas('w', rune(c)), true
}

// walk returns the position after s's one way from pos, ok false when it
// found none.
func (s *snode) walk(t sureText, pos int) (int, bool) {
	switch s.op {
	case sSet:
		c := t.at(pos)
		if c < 0 || c >= 0x80 || !s.set.has(rune(c)) {
			return 0, false
		}
		return pos + 1, true
	case sLit:
		if len(t)-pos < len(s.lit) || pos < 0 || string(t[pos:pos+len(s.lit)]) != string(s.lit) {
			return 0, false
		}
		return pos + len(s.lit), true
	case sConcat:
		// (the literals and runs of one class of a sequence, most of its
		// parts, are walked here: a call less each)
		for _, sub := range s.subs {
			var ok bool
			switch {
			case sub.op == sLit:
				if len(t)-pos < len(sub.lit) || pos < 0 || string(t[pos:pos+len(sub.lit)]) != string(sub.lit) {
					return 0, false
				}
				pos += len(sub.lit)
				continue
			case sub.op == sRepeat && sub.subs[0].op == sSet && !sub.lazy:
				pos, ok = sub.setRun(t, pos)
			case sub.cannot(t, pos):
				return 0, false
			default:
				pos, ok = sub.walk(t, pos)
			}
			if !ok {
				return 0, false
			}
		}
		return pos, true
	case sAddr:
		if !noAddr {
			return walkAddr(t, pos)
		}
		fallthrough
	case sAlt:
		for _, sub := range s.subs {
			if sub.cannot(t, pos) {
				continue
			}
			if p, ok := sub.walk(t, pos); ok {
				return p, true
			}
		}
		return 0, false
	case sRepeat:
		body := s.subs[0]
		n := 0
		if body.op == sSet && !s.lazy {
			return s.setRun(t, pos)
		}
		for s.max < 0 || n < s.max {
			if s.lazy && n >= s.min || body.cannot(t, pos) {
				break
			}
			p, ok := body.walk(t, pos)
			if !ok {
				break
			}
			if p == pos {
				// an empty repetition: the rest of the minimum can be
				// empty ones too
				n = max(n, s.min)
				break
			}
			pos = p
			n++
		}
		if n < s.min {
			return 0, false
		}
		return pos, true
	case sAhead:
		if _, ok := s.subs[0].walk(t, pos); !ok {
			return 0, false
		}
		return pos, true
	case sBehind:
		if pos-s.w < 0 {
			return 0, false
		}
		if p, ok := s.subs[0].walk(t, pos-s.w); !ok || p != pos {
			return 0, false
		}
		return pos, true
	case sBOL:
		return pos, pos == 0
	case sEOL:
		return pos, pos == len(t) || pos == len(t)+1
	case sEOZ:
		return pos, pos == len(t)+1
	case sWordB, sNWordB:
		a, ka := t.word(pos - 1)
		b, kb := t.word(pos)
		if !ka || !kb {
			return 0, false
		}
		return pos, (a != b) == (s.op == sWordB)
	}
	return 0, false
}

// setRun walks a greedy repeat s of a set: a run of one class (\S+,
// [\w/-]+, \d{1,3}), stopped by a character outside it; a byte outside
// ASCII: don't know.
func (s *snode) setRun(t sureText, pos int) (int, bool) {
	set := &s.subs[0].set
	n := 0
	if pos >= 0 && pos <= len(t) {
		r := t[pos:]
		if s.max >= 0 && s.max < len(r) {
			r = r[:s.max]
		}
		for n < len(r) {
			c := r[n]
			if c >= 0x80 || !set.hasASCII(c) {
				break
			}
			n++
		}
		pos += n
	}
	if pos < len(t) && t[pos] >= 0x80 && (s.max < 0 || n < s.max) {
		return 0, false
	}
	if pos == len(t) && (s.max < 0 || n < s.max) && set.has('\n') {
		pos++
		n++
	}
	if n < s.min {
		return 0, false
	}
	return pos, true
}

// HasSureMatch reports whether the pattern has a sure-match walker
// (SureMatch can say yes).
func (re *Regexp) HasSureMatch() bool { return re.walker() != nil }

// walker returns the sure-match walker, made on first use.
func (re *Regexp) walker() *snode {
	re.sureOnce.Do(func() {
		if n, _, err := parse(re.expr); err == nil {
			re.sure = sureRoot(n)
		}
	})
	return re.sure
}

// SureMatch reports true only when the pattern matches (Python's search)
// the text b + "\n", found without regexp2 by a walk from its start (see
// sure.go); false means "don't know".
func (re *Regexp) SureMatch(b []byte) bool {
	w := re.walker()
	if w == nil {
		return false
	}
	_, ok := w.walk(sureText(b), 0)
	return ok
}

// AlwaysNonEmpty reports whether the named group takes part, with text,
// in every match of the pattern: it lies on the pattern's one mandatory
// path (sequences, groups, repeats of at least one) and matches at least
// one character.
// The answers for every named group are found on the first call, with
// one parse of the pattern.
func (re *Regexp) AlwaysNonEmpty(name string) bool {
	re.nonEmptyOnce.Do(func() {
		n, _, err := parse(re.expr)
		if err != nil {
			return
		}
		for _, nm := range re.names {
			if mandatory(n, nm) {
				if re.nonEmpty == nil {
					re.nonEmpty = map[string]bool{}
				}
				re.nonEmpty[nm] = true
			}
		}
	})
	return re.nonEmpty[name]
}

func mandatory(n *node, name string) bool {
	if n == nil {
		return false
	}
	switch n.kind {
	case kGroup:
		switch n.gk {
		case gCapture:
			if n.name == name {
				lo, _ := width(n.subs[0])
				return lo > 0
			}
			return mandatory(n.subs[0], name)
		case gNonCapture, gAtomic, gFlags:
			return mandatory(n.subs[0], name)
		}
	case kConcat:
		for _, s := range n.subs {
			if mandatory(s, name) {
				return true
			}
		}
	case kRepeat:
		return n.min >= 1 && mandatory(n.subs[0], name)
	}
	return false
}

// sureRoot returns the walker of a whole pattern, nil when it has inline
// flags anywhere or a part the walker does not know.
func sureRoot(n *node) *snode {
	if hasFlags(n) {
		return nil
	}
	s := sureOf(n)
	if s != nil {
		s.setFirst()
		markAddr(s)
	}
	return s
}

func hasFlags(n *node) bool {
	if n == nil {
		return false
	}
	if n.kind == kFlags || n.kind == kGroup && n.gk == gFlags {
		return true
	}
	for _, s := range n.subs {
		if hasFlags(s) {
			return true
		}
	}
	return false
}
