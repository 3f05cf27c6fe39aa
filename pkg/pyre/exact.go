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
const psetBits = 512

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

// each calls f for every position in s, in order, until f returns false.
func (s *pset) each(f func(p int) bool) {
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			w &^= 1 << b
			if !f(i*64 + b) {
				return
			}
		}
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
	if re.sure == nil || len(b)+2 > psetBits || re.multi || bytes.IndexByte(b, '\n') >= 0 {
		// (^ and $ are those of a one-line text, without MULTILINE)
		return false, false
	}
	var in pset
	for p := 0; p <= len(b)+1; p++ {
		in.set(p)
	}
	out, ok := re.sure.exact(sureText(b), &in)
	if !ok {
		return false, false
	}
	return !out.empty(), true
}

// exact returns the positions s can end at from those in in; ok is false
// when it cannot tell.
func (s *snode) exact(t sureText, in *pset) (out pset, ok bool) {
	end := len(t) + 1 // the last position: after the "\n"
	ok = true
	switch s.op {
	case sSet:
		in.each(func(p int) bool {
			c := t.at(p)
			switch {
			case c < 0:
			case c >= 0x80:
				ok = false
				return false
			case s.set.has(rune(c)):
				out.set(p + 1)
			}
			return true
		})
	case sLit:
		// an ASCII literal against bytes: a byte outside ASCII is no
		// match, never a part of one
		in.each(func(p int) bool {
			if p+len(s.lit) <= len(t) && string(t[p:p+len(s.lit)]) == string(s.lit) {
				out.set(p + len(s.lit))
			}
			return true
		})
	case sConcat:
		cur := *in
		for _, sub := range s.subs {
			if cur, ok = sub.exact(t, &cur); !ok || cur.empty() {
				return cur, ok
			}
		}
		return cur, true
	case sAlt:
		for _, sub := range s.subs {
			o, k := sub.exact(t, in)
			if !k {
				return out, false
			}
			out.union(&o)
		}
	case sRepeat:
		body := s.subs[0]
		cur := *in
		for i := 0; i < s.min && !cur.empty(); i++ {
			if cur, ok = body.exact(t, &cur); !ok {
				return out, false
			}
		}
		out = cur
		// then breadth first: the positions first reached after i more
		// repetitions (one reached sooner is never worse under a maximum)
		for i := s.min; (s.max < 0 || i < s.max) && !cur.empty(); i++ {
			next, k := body.exact(t, &cur)
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
		in.each(func(p int) bool {
			o, k := s.subs[0].exact(t, ptr(single(p)))
			if !k {
				ok = false
				return false
			}
			if !o.empty() == (s.op == sAhead) {
				out.set(p)
			}
			return true
		})
	case sBehind, sNBehind:
		in.each(func(p int) bool {
			has := false
			if p-s.w >= 0 {
				o, k := s.subs[0].exact(t, ptr(single(p-s.w)))
				if !k {
					ok = false
					return false
				}
				has = o.has(p)
			}
			if has == (s.op == sBehind) {
				out.set(p)
			}
			return true
		})
	case sBOL:
		if in.has(0) {
			out.set(0)
		}
	case sEOL:
		for _, p := range []int{len(t), end} {
			if in.has(p) {
				out.set(p)
			}
		}
	case sEOZ:
		if in.has(end) {
			out.set(end)
		}
	case sWordB, sNWordB:
		in.each(func(p int) bool {
			a, ka := t.word(p - 1)
			b, kb := t.word(p)
			if !ka || !kb {
				ok = false
				return false
			}
			if (a != b) == (s.op == sWordB) {
				out.set(p)
			}
			return true
		})
	default:
		return out, false
	}
	return out, ok
}

func ptr(s pset) *pset { return &s }
