package pyre

// The byte backtracker. FindASCII is Find on an ASCII text without regexp2
// and without the []rune copy: the pattern's parse tree is compiled into a
// small program for a backtracking machine that tries the ways through the
// pattern in regexp2's (and Python's) order: alternatives left to right, a
// greedy repeat's longest first, a lazy one's shortest first, the first
// start that matches. A group's span is where it last matched on the way
// that matched; a step the machine takes back undoes the groups set since.
// A split skips a branch whose first character cannot be the next one
// (firstOf): that way would fail at once. That is the match regexp2
// returns, with the same groups. The machine
// knows what the sure-match walker knows (sure.go) plus negative
// look-arounds, groups and conditionals on a named group; it refuses (no
// program: FindASCII says "don't know") inline flags, case-insensitive
// parts, back-references, conditionals on a group number, atomic groups, possessive repeats, a group inside a
// look-around, a repeat whose body can match the empty string (the engines'
// empty-iteration rules differ), and patterns whose program would exceed
// btMaxInst instructions. A match that takes more than btSteps(len) steps
// is given up ("don't know": regexp2 then runs, with its timeout).
// FuzzFindASCII and the filter package's service-log tests check it
// against regexp2.

type bop uint8

const (
	bSet    bop = iota // a character of set
	bLit               // the bytes lit (no "\n")
	bRun               // min to max (-1: any) characters of set, greedy or lazy
	bSplit             // try x first, then y
	bJmp               // go to x
	bSave              // slot n = the position
	bBOL               // ^ \A
	bEOL               // $
	bEOZ               // \z
	bWordB             // \b
	bNWordB            // \B
	bLook              // a look-around whose body starts at the next instruction; y follows it
	bCond              // group n has matched: the next instruction, else x
	bSubEnd            // the end of a look-around's body
	bMatch
)

type binst struct {
	op   bop
	set  cset
	lit  []byte
	x, y int
	n    int  // bSave: the slot; bLook: a look-behind's width, -1 for a look-ahead; bCond: the group
	neg  bool // bLook: negative
	// bRun
	min, max int
	lazy     bool
	// bSplit: it heads a tempered loop (see tempered)
	tempered bool
}

// btProg is a pattern's program.
type btProg struct {
	inst     []binst
	ncap     int   // named groups: slots 2+2k and 3+2k hold group k
	capOf    []int // regexp2's group number -> k, -1 for a number of no named group
	anchored bool  // the pattern starts with ^ (or \A): only start 0 can match
	// first[pc] holds the characters a way from pc can take first, unless
	// open[pc] (it may get past an assertion or end without one): a split
	// skips a branch that cannot take the character at the position (see
	// firstOf)
	first []cset
	open  []bool
}

// btMaxInst bounds a program (a repeat {m,n} is written out n times).
const btMaxInst = 4000

// btSteps is the step budget of a match on a text of n bytes.
func btSteps(n int) int { return 2000 + 64*n }

type btComp struct {
	p     *btProg
	ok    bool
	names map[string]int // group name -> k
}

// btOf compiles the parsed pattern n; number gives regexp2's number of a
// named group. It returns nil when the pattern has a part the machine does
// not take.
func btOf(n *node, number func(string) int) *btProg {
	if hasFlags(n) {
		return nil
	}
	c := &btComp{p: &btProg{}, ok: true, names: map[string]int{}}
	c.add(binst{op: bSave, n: 0})
	c.emit(n, false)
	c.add(binst{op: bSave, n: 1})
	c.add(binst{op: bMatch})
	if !c.ok || len(c.p.inst) > btMaxInst {
		return nil
	}
	for name, k := range c.names {
		num := number(name)
		if num < 0 {
			return nil
		}
		for len(c.p.capOf) <= num {
			c.p.capOf = append(c.p.capOf, -1)
		}
		c.p.capOf[num] = k
	}
	c.p.ncap = len(c.names)
	c.p.anchored = c.p.inst[1].op == bBOL
	c.p.firstOf()
	c.p.tempered()
	return c.p
}

// firstOf fills first and open. A way from pc that cannot take the
// character at the position (first[pc] lacks it and open[pc] is false)
// fails at its first character without setting a group for good (a step
// back undoes them), so a split that skips it has the same outcome, in
// fewer steps.
func (p *btProg) firstOf() {
	p.first = make([]cset, len(p.inst))
	p.open = make([]bool, len(p.inst))
	state := make([]uint8, len(p.inst)) // 0 not yet, 1 under way, 2 done
	var of func(pc int) (cset, bool)
	of = func(pc int) (cset, bool) {
		switch state[pc] {
		case 1:
			return cset{}, true // a cycle: know nothing
		case 2:
			return p.first[pc], p.open[pc]
		}
		state[pc] = 1
		var f cset
		open := false
		in := &p.inst[pc]
		switch in.op {
		case bSet:
			f = in.set
		case bLit:
			f.add(rune(in.lit[0]))
		case bRun:
			f = in.set
			if in.min == 0 {
				g, o := of(pc + 1)
				f, open = f.union(g), o
			}
		case bSplit:
			fx, ox := of(in.x)
			fy, oy := of(in.y)
			f, open = fx.union(fy), ox || oy
		case bJmp:
			f, open = of(in.x)
		case bSave:
			f, open = of(pc + 1)
		default: // assertions, look-arounds, conditionals, the ends
			open = true
		}
		p.first[pc], p.open[pc], state[pc] = f, open, 2
		return f, open
	}
	for pc := range p.inst {
		of(pc)
	}
}

// tempered marks the splits that head a tempered loop, (?:(?!L).)* or
// (?:(?!L).)*? (a user name up to " from "): the split's body is a
// negative look-ahead, then one character, then the jump back to the
// split. At a character that the way out of the loop cannot take and
// L's body cannot take first (firstOf), the split goes into the body
// without a way to try later, the look-ahead holds (its body fails at
// once) and the character is taken or not by its set alone: passTempered
// takes such characters at once, in the steps' stead.
func (p *btProg) tempered() {
	for pc := range p.inst {
		in := &p.inst[pc]
		if in.op != bSplit {
			continue
		}
		body, out := pc+1, in.x
		switch {
		case in.x == body:
			out = in.y
		case in.y != body:
			continue
		}
		look := &p.inst[body]
		if look.op != bLook || look.n >= 0 || !look.neg || look.y+1 >= len(p.inst) {
			continue
		}
		if set, jmp := &p.inst[look.y], &p.inst[look.y+1]; set.op == bSet && jmp.op == bJmp && jmp.x == pc && out != body {
			in.tempered = true
		}
	}
}

// passTempered returns the position after the characters from pos that
// the tempered loop headed by the split at pc takes at once (see
// tempered): each goes into the body, where the look-ahead holds, and is
// taken by the set, with no way left to try.
func (p *btProg) passTempered(pc int, t sureText, pos int) int {
	in := &p.inst[pc]
	body, out := pc+1, in.x
	if out == body {
		out = in.y
	}
	if p.open[out] || p.open[body+1] {
		return pos
	}
	set := &p.inst[p.inst[body].y].set
	fo, fl := &p.first[out], &p.first[body+1]
	for pos < len(t) {
		c := t[pos]
		if fo.hasASCII(c) || fl.hasASCII(c) || !set.hasASCII(c) {
			break
		}
		pos++
	}
	return pos
}

func (c *btComp) add(i binst) int {
	c.p.inst = append(c.p.inst, i)
	if len(c.p.inst) > btMaxInst {
		c.ok = false
	}
	return len(c.p.inst) - 1
}

// oneChar returns the character of a node that matches exactly one ASCII
// character other than "\n" (a literal to join), ok false otherwise.
func oneChar(n *node) (byte, bool) {
	if n == nil || n.fold || n.kind != kLit && n.kind != kClass && n.kind != kEsc || !sameClass(n) {
		return 0, false
	}
	if n.kind == kLit && n.r >= 0x80 {
		return 0, false
	}
	set, ok := charSet(n, false)
	if !ok {
		return 0, false
	}
	ch, one := set.one()
	return ch, one && ch != '\n'
}

func (c *btComp) emit(n *node, inLook bool) {
	if n == nil || !c.ok {
		return
	}
	switch n.kind {
	case kLit, kAny, kClass, kEsc:
		if n.fold || n.kind == kLit && n.r >= 0x80 || !sameClass(n) {
			c.ok = false
			return
		}
		set, ok := charSet(n, false)
		if !ok {
			c.ok = false
			return
		}
		if n.kind == kAny {
			// without DOTALL (no flags reach here), . is anything but \n
			set = anyChar
			set[0] &^= 1 << '\n'
		}
		c.add(binst{op: bSet, set: set})
	case kAnchor:
		switch n.text {
		case "^", `\A`:
			c.add(binst{op: bBOL})
		case "$":
			c.add(binst{op: bEOL})
		case `\z`:
			c.add(binst{op: bEOZ})
		case `\b`:
			c.add(binst{op: bWordB})
		case `\B`:
			c.add(binst{op: bNWordB})
		default:
			c.ok = false
		}
	case kGroup:
		switch n.gk {
		case gCapture:
			if n.name == "" {
				c.emit(n.subs[0], inLook) // only named groups are asked for
				return
			}
			if inLook {
				c.ok = false
				return
			}
			k, seen := c.names[n.name]
			if !seen {
				k = len(c.names)
				c.names[n.name] = k
			}
			c.add(binst{op: bSave, n: 2 + 2*k})
			c.emit(n.subs[0], inLook)
			c.add(binst{op: bSave, n: 3 + 2*k})
		case gNonCapture:
			c.emit(n.subs[0], inLook)
		case gLookahead, gNegLookahead, gLookbehind, gNegLookbehind:
			w := -1
			if n.gk == gLookbehind || n.gk == gNegLookbehind {
				lo, hi := width(n.subs[0])
				if lo != hi || lo < 0 {
					c.ok = false
					return
				}
				w = lo
			}
			at := c.add(binst{op: bLook, n: w, neg: n.gk == gNegLookahead || n.gk == gNegLookbehind})
			c.emit(n.subs[0], true)
			c.add(binst{op: bSubEnd})
			c.p.inst[at].y = len(c.p.inst)
		default:
			c.ok = false
		}
	case kRepeat:
		if n.poss {
			c.ok = false
			return
		}
		body := n.subs[0]
		if set, ok := runSet(body); ok {
			// a repeat of one character: one instruction, which takes
			// back (or adds) one character at a time
			c.add(binst{op: bRun, set: set, min: n.min, max: n.max, lazy: n.lazy})
			return
		}
		if lo, _ := width(body); lo == 0 {
			c.ok = false
			return
		}
		for i := 0; i < n.min && c.ok; i++ {
			c.emit(body, inLook)
		}
		if n.max < 0 {
			// L: split(body, out); body; jmp L
			l := c.add(binst{op: bSplit})
			c.emit(body, inLook)
			c.add(binst{op: bJmp, x: l})
			c.branch(l, l+1, len(c.p.inst), n.lazy)
			return
		}
		var splits []int
		for i := n.min; i < n.max && c.ok; i++ {
			splits = append(splits, c.add(binst{op: bSplit}))
			c.emit(body, inLook)
		}
		for _, s := range splits {
			c.branch(s, s+1, len(c.p.inst), n.lazy)
		}
	case kConcat:
		subs := n.subs
		for i := 0; i < len(subs) && c.ok; {
			var lit []byte
			for i < len(subs) {
				ch, ok := oneChar(subs[i])
				if !ok {
					break
				}
				lit = append(lit, ch)
				i++
			}
			switch {
			case len(lit) > 1:
				c.add(binst{op: bLit, lit: lit})
			case len(lit) == 1:
				c.emit(subs[i-1], inLook)
			default:
				c.emit(subs[i], inLook)
				i++
			}
		}
	case kAlt:
		var jumps []int
		for i, sub := range n.subs {
			if i < len(n.subs)-1 {
				s := c.add(binst{op: bSplit})
				c.emit(sub, inLook)
				jumps = append(jumps, c.add(binst{op: bJmp}))
				c.p.inst[s].x, c.p.inst[s].y = s+1, len(c.p.inst)
			} else {
				c.emit(sub, inLook)
			}
		}
		for _, j := range jumps {
			c.p.inst[j].x = len(c.p.inst)
		}
	case kCond:
		// (?(name)yes|no) on a named group already met (Python's
		// names are backward references): whether it has matched on the
		// way so far (both its slots set: a step back undoes them)
		k, seen := c.names[n.name]
		if n.name == "" || !seen {
			c.ok = false
			return
		}
		at := c.add(binst{op: bCond, n: k})
		c.emit(n.subs[0], inLook)
		j := c.add(binst{op: bJmp})
		c.p.inst[at].x = len(c.p.inst)
		c.emit(n.subs[1], inLook)
		c.p.inst[j].x = len(c.p.inst)
	default: // kFlags, kBackref
		c.ok = false
	}
}

// runSet returns the characters of a node that matches one ASCII
// character (bRun's body), ok false for any other node.
func runSet(n *node) (cset, bool) {
	if n == nil || n.fold || n.kind != kLit && n.kind != kAny && n.kind != kClass && n.kind != kEsc || !sameClass(n) {
		return cset{}, false
	}
	if n.kind == kLit && n.r >= 0x80 {
		return cset{}, false
	}
	set, ok := charSet(n, false)
	if n.kind == kAny {
		set = anyChar
		set[0] &^= 1 << '\n'
	}
	return set, ok
}

// branch sets split s to try in (the body) first, or out first when lazy.
func (c *btComp) branch(s, in, out int, lazy bool) {
	if !c.ok {
		return
	}
	if lazy {
		in, out = out, in
	}
	c.p.inst[s].x, c.p.inst[s].y = in, out
}

// btJob is a way to try later (pc, pos), or a group slot to restore
// (jRestore: pc is the slot, pos its value before), or the next way of a
// bRun (jShorter: pos, then one character less down to lim; jLonger: pos,
// then one more up to lim).
type btJob struct {
	pc, pos, lim int32
	kind         uint8
}

const (
	jWay = iota
	jRestore
	jShorter
	jLonger
)

// Scratch is the memory FindASCII works in: one per goroutine, reused
// from call to call (the zero value is ready).
type Scratch struct {
	jobs  []btJob
	slots []int
	steps int
}

// backtracker returns the pattern's program, made on first use.
func (re *Regexp) backtracker() *btProg {
	re.btOnce.Do(func() {
		if n, _, err := parse(re.expr); err == nil {
			re.bt = btOf(n, re.number)
		}
	})
	return re.bt
}

// FindASCII is Find on the text b + "\n" where b is ASCII (a byte outside
// it: known false), without regexp2: the same answer and the same group
// spans (byte offsets, which are rune offsets on ASCII). known is false
// when it cannot tell (see bt.go); the caller then runs Find. groups holds
// regexp2's group numbers (0: the whole match), as for Find.
func (re *Regexp) FindASCII(b []byte, groups []int, out []Span, sc *Scratch) (found, known bool) {
	if re.multi {
		return false, false
	}
	p := re.backtracker()
	if p == nil {
		return false, false
	}
	if !asciiLine(b) {
		return false, false
	}
	for _, g := range groups {
		if g != 0 && (g < 0 || g >= len(p.capOf) || p.capOf[g] < 0) {
			return false, false
		}
	}
	n := 2 + 2*p.ncap
	if cap(sc.slots) < n {
		sc.slots = make([]int, n)
	}
	sc.slots = sc.slots[:n]
	sc.steps = btSteps(len(b))
	t := sureText(b)
	for start := 0; start <= len(b)+1; start++ {
		for i := range sc.slots {
			sc.slots[i] = -1
		}
		sc.jobs = sc.jobs[:0]
		_, ok, k := p.run(t, 0, start, -1, sc)
		if !k {
			return false, false
		}
		if ok {
			for i, g := range groups {
				s, e := sc.slots[0], sc.slots[1]
				if g != 0 {
					k := p.capOf[g]
					s, e = sc.slots[2+2*k], sc.slots[3+2*k]
				}
				if s >= 0 && e >= s {
					out[i] = Span{Index: s, Length: e - s, OK: true}
				} else {
					out[i] = Span{}
				}
			}
			return true, true
		}
		if p.anchored {
			break
		}
	}
	return false, true
}

// run runs the program from pc at pos until bMatch or, in a look-around's
// body, bSubEnd (at position target when target >= 0); it returns where
// it ended and whether it matched; known is false when the step budget
// ran out or a character outside ASCII was met.
func (p *btProg) run(t sureText, pc, pos, target int, sc *Scratch) (end int, ok, known bool) {
	base := len(sc.jobs)
	for {
		sc.steps--
		if sc.steps < 0 {
			return 0, false, false
		}
		in := &p.inst[pc]
		fail := false
		switch in.op {
		case bSet:
			c := t.at(pos)
			switch {
			case c < 0:
				fail = true
			case c >= 0x80:
				return 0, false, false
			case in.set.has(rune(c)):
				pos++
				pc++
			default:
				fail = true
			}
		case bLit:
			if pos+len(in.lit) <= len(t) && string(t[pos:pos+len(in.lit)]) == string(in.lit) {
				pos += len(in.lit)
				pc++
			} else {
				fail = true
			}
		case bRun:
			// the characters of set from pos, up to max (the text is
			// ASCII: FindASCII checked it), then the "\n" after it
			n := 0
			if pos <= len(t) {
				s := t[pos:]
				if in.max >= 0 && in.max < len(s) {
					s = s[:in.max]
				}
				set := &in.set
				for n < len(s) && set.hasASCII(s[n]) {
					n++
				}
				if pos+n == len(t) && (in.max < 0 || n < in.max) && set.has('\n') {
					n++
				}
			}
			switch {
			case n < in.min:
				fail = true
			case in.lazy:
				if n > in.min {
					sc.jobs = append(sc.jobs, btJob{pc: int32(pc + 1), pos: int32(pos + in.min + 1), lim: int32(pos + n), kind: jLonger})
				}
				pos += in.min
				pc++
			default:
				if n > in.min {
					sc.jobs = append(sc.jobs, btJob{pc: int32(pc + 1), pos: int32(pos + n - 1), lim: int32(pos + in.min), kind: jShorter})
				}
				pos += n
				pc++
			}
		case bSplit:
			if in.tempered {
				pos = p.passTempered(pc, t, pos)
			}
			// a branch that cannot take the next character is skipped
			c := rune(t.at(pos))
			canX := p.open[in.x] || p.first[in.x].has(c)
			canY := p.open[in.y] || p.first[in.y].has(c)
			switch {
			case canX && canY:
				sc.jobs = append(sc.jobs, btJob{pc: int32(in.y), pos: int32(pos)})
				pc = in.x
			case canX:
				pc = in.x
			case canY:
				pc = in.y
			default:
				fail = true
			}
		case bJmp:
			pc = in.x
		case bSave:
			sc.jobs = append(sc.jobs, btJob{pc: int32(in.n), pos: int32(sc.slots[in.n]), kind: jRestore})
			sc.slots[in.n] = pos
			pc++
		case bBOL:
			fail = pos != 0
			pc++
		case bEOL:
			fail = pos != len(t) && pos != len(t)+1
			pc++
		case bEOZ:
			fail = pos != len(t)+1
			pc++
		case bWordB, bNWordB:
			a, ka := t.word(pos - 1)
			b, kb := t.word(pos)
			if !ka || !kb {
				return 0, false, false
			}
			fail = (a != b) != (in.op == bWordB)
			pc++
		case bLook:
			// (a body that cannot take the character it starts at fails
			// at once, firstOf: it is not run)
			has := false
			if in.n < 0 {
				if p.may(pc+1, t, pos) {
					_, m, k := p.run(t, pc+1, pos, -1, sc)
					if !k {
						return 0, false, false
					}
					has = m
				}
			} else if pos-in.n >= 0 && p.may(pc+1, t, pos-in.n) {
				_, m, k := p.run(t, pc+1, pos-in.n, pos, sc)
				if !k {
					return 0, false, false
				}
				has = m
			}
			if has == in.neg {
				fail = true
			} else {
				pc = in.y
			}
		case bCond:
			if sc.slots[2+2*in.n] >= 0 && sc.slots[3+2*in.n] >= 0 {
				pc++
			} else {
				pc = in.x
			}
		case bSubEnd:
			if target >= 0 && pos != target {
				fail = true
				break
			}
			sc.jobs = sc.jobs[:base] // (a look-around's body sets no group)
			return pos, true, true
		case bMatch:
			return pos, true, true
		}
		if !fail {
			continue
		}
		// back to the last way left to try, undoing the groups set since
		for {
			if len(sc.jobs) == base {
				return 0, false, true
			}
			j := &sc.jobs[len(sc.jobs)-1]
			if (j.kind == jShorter || j.kind == jLonger) && !p.may(int(j.pc), t, int(j.pos)) && !p.skipRun(t, j) {
				sc.jobs = sc.jobs[:len(sc.jobs)-1]
				continue
			}
			pc, pos = int(j.pc), int(j.pos)
			switch {
			case j.kind == jRestore:
				sc.slots[pc] = pos
				sc.jobs = sc.jobs[:len(sc.jobs)-1]
				continue
			case j.kind == jShorter && j.pos > j.lim:
				j.pos-- // the next way: one character less
			case j.kind == jLonger && j.pos < j.lim:
				j.pos++
			default:
				sc.jobs = sc.jobs[:len(sc.jobs)-1]
			}
			break
		}
	}
}

// skipRun moves the job j of a run's next ways (jShorter, jLonger) on to
// the first of them whose rest (from j.pc) can take the character at its
// position, and reports whether there is one left. The ways it passes
// would fail at their first character without setting a group for good
// (firstOf), as a split's skipped branch: the same outcome, without the
// steps (a lazy ".*?" before " from " no longer tries the rest after
// each character of a user name).
func (p *btProg) skipRun(t sureText, j *btJob) bool {
	if p.open[j.pc] {
		return true
	}
	f := &p.first[j.pc]
	for !f.has(rune(t.at(int(j.pos)))) {
		switch {
		case j.kind == jShorter && j.pos > j.lim:
			j.pos--
		case j.kind == jLonger && j.pos < j.lim:
			j.pos++
		default:
			return false
		}
	}
	return true
}

// may reports whether a way from pc can take the character at pos (else
// it fails at it: firstOf).
func (p *btProg) may(pc int, t sureText, pos int) bool {
	return p.open[pc] || p.first[pc].has(rune(t.at(pos)))
}
