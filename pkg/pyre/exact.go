package pyre

import (
	"bytes"
	"math/bits"
)

// The exact matcher. ExactMatch answers "does the pattern match?" with yes
// or no, or "don't know", on the same parse trees as the sure-match walker
// (sure.go) plus negative look-arounds: it follows every way through the
// pattern at once, as the set of positions each part can end at from the
// set it starts at (a Thompson simulation on positions), so it decides
// existence exactly. It gives up ("don't know") on a character outside
// ASCII that it must classify and on texts of more than psetBits-2 bytes.

// psetBits bounds the positions a pset holds (the text and its "\n").
const psetBits = 256

type pset [psetBits / 64]uint64

func (s *pset) set(p int)      { s[p>>6] |= 1 << (p & 63) }
func (s *pset) has(p int) bool { return p >= 0 && p < psetBits && s[p>>6]&(1<<(p&63)) != 0 }

func (s *pset) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

func (s *pset) union(o *pset) {
	for i := range s {
		s[i] |= o[i]
	}
}

func single(p int) pset {
	var s pset
	s.set(p)
	return s
}

// ExactMatch reports whether the pattern matches (Python's search) the
// text b + "\n"; known is false when it cannot tell (see exact.go): the
// pattern has a part neither the walker nor this matcher knows (flags,
// back-references, conditionals, atomic groups, possessive repeats), the
// text is too long or holds a "\n", the pattern is compiled MULTILINE, or a
// character outside ASCII had to be classified.
func (re *Regexp) ExactMatch(b []byte) (match, known bool) {
	w := re.walker()
	if w == nil || len(b)+2 > psetBits || re.multi || bytes.IndexByte(b, '\n') >= 0 {
		// (^ and $ are those of a one-line text, without MULTILINE)
		return false, false
	}
	var in pset
	if w.anchored() {
		in.set(0) // ^ or \A first: no other start can match
	} else {
		in.setRange(0, len(b)+1)
	}
	out, ok := w.exact(sureText(b), in)
	if !ok {
		return false, false
	}
	return !out.empty(), true
}

// setRange adds the positions lo to hi (both included, lo <= hi).
func (s *pset) setRange(lo, hi int) {
	for i := lo >> 6; i <= hi>>6; i++ {
		w := ^uint64(0)
		if i == lo>>6 {
			w &^= 1<<(lo&63) - 1
		}
		if i == hi>>6 && hi&63 != 63 {
			w &= 1<<(hi&63+1) - 1
		}
		s[i] |= w
	}
}

// anchored reports whether s can only match at position 0: it is ^ (or
// \A), or a sequence that starts with one.
func (s *snode) anchored() bool {
	if s.op == sConcat && len(s.subs) > 0 {
		s = s.subs[0]
	}
	return s.op == sBOL
}

// next returns the first position in s from p on, -1 when there is none.
func (s *pset) next(p int) int {
	for i := p >> 6; i < len(s); i++ {
		w := s[i]
		if i == p>>6 {
			w &^= 1<<(p&63) - 1
		}
		if w != 0 {
			return i<<6 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// exact returns the positions s can end at from those in in; ok is false
// when it cannot tell.
func (s *snode) exact(t sureText, in pset) (out pset, ok bool) {
	end := len(t) + 1 // the last position: after the "\n"
	switch s.op {
	case sSet:
		for p := in.next(0); p >= 0; p = in.next(p + 1) {
			c := t.at(p)
			switch {
			case c < 0:
			case c >= 0x80:
				return out, false
			case s.set.has(rune(c)):
				out.set(p + 1)
			}
		}
	case sLit:
		// an ASCII literal against bytes: a byte outside ASCII is no
		// match, never a part of one
		for p := in.next(0); p >= 0; p = in.next(p + 1) {
			if p+len(s.lit) <= len(t) && string(t[p:p+len(s.lit)]) == string(s.lit) {
				out.set(p + len(s.lit))
			}
		}
	case sConcat:
		cur := in
		for _, sub := range s.subs {
			if cur, ok = sub.exact(t, cur); !ok || cur.empty() {
				return cur, ok
			}
		}
		return cur, true
	case sAlt, sAddr:
		for _, sub := range s.subs {
			o, k := sub.exact(t, in)
			if !k {
				return out, false
			}
			out.union(&o)
		}
	case sRepeat:
		body := s.subs[0]
		if body.op == sSet {
			// a run of one class: from each start p, every end from p+min
			// to the end of the run (at most p+max); starts inside one run
			// share its end, found once
			stop, stopKnown := -1, true
			for p := in.next(0); p >= 0; p = in.next(p + 1) {
				if stop < p {
					// the run from p: the characters [p, stop) are in the
					// class, the one at stop is not (or is outside ASCII:
					// !stopKnown), or stop is past the text
					stop, stopKnown = p, true
					for {
						c := t.at(stop)
						if c < 0 || c < 0x80 && !body.set.has(rune(c)) {
							break
						}
						if c >= 0x80 {
							stopKnown = false
							break
						}
						stop++
					}
				}
				hi := stop
				if s.max >= 0 && p+s.max <= stop {
					hi = p + s.max
				} else if !stopKnown {
					// the run would go on or end at a character it cannot
					// classify
					return out, false
				}
				if p+s.min <= hi {
					out.setRange(p+s.min, hi)
				}
			}
			return out, true
		}
		cur := in
		for i := 0; i < s.min && !cur.empty(); i++ {
			if cur, ok = body.exact(t, cur); !ok {
				return out, false
			}
		}
		out = cur
		// then breadth first: the positions first reached after i more
		// repetitions (one reached sooner is never worse under a maximum)
		for i := s.min; (s.max < 0 || i < s.max) && !cur.empty(); i++ {
			next, k := body.exact(t, cur)
			if !k {
				return out, false
			}
			for j := range next {
				next[j] &^= out[j]
			}
			out.union(&next)
			cur = next
		}
	case sAhead, sNAhead:
		for p := in.next(0); p >= 0; p = in.next(p + 1) {
			one := single(p)
			o, k := s.subs[0].exact(t, one)
			if !k {
				return out, false
			}
			if !o.empty() == (s.op == sAhead) {
				out.set(p)
			}
		}
	case sBehind, sNBehind:
		for p := in.next(0); p >= 0; p = in.next(p + 1) {
			has := false
			if p-s.w >= 0 {
				one := single(p - s.w)
				o, k := s.subs[0].exact(t, one)
				if !k {
					return out, false
				}
				has = o.has(p)
			}
			if has == (s.op == sBehind) {
				out.set(p)
			}
		}
	case sBOL:
		if in.has(0) {
			out.set(0)
		}
	case sEOL:
		if in.has(len(t)) {
			out.set(len(t))
		}
		if in.has(end) {
			out.set(end)
		}
	case sEOZ:
		if in.has(end) {
			out.set(end)
		}
	case sWordB, sNWordB:
		for p := in.next(0); p >= 0; p = in.next(p + 1) {
			a, ka := t.word(p - 1)
			b, kb := t.word(p)
			if !ka || !kb {
				return out, false
			}
			if (a != b) == (s.op == sWordB) {
				out.set(p)
			}
		}
	default:
		return out, false
	}
	return out, true
}
