package pyre

import "slices"

// Prefixes returns, for a pattern whose every match starts at the start of
// the text (it begins with ^ or \A, in each alternative), a set of
// non-empty strings one of which every match starts with; nil when there
// is no such set. Under MULTILINE a ^ match may also start right after a
// newline: the set then holds only for matches at the start of the text.
func (re *Regexp) Prefixes() []string { return re.prefixes }

// prefixesOf is Prefixes of a parsed pattern.
func prefixesOf(n *node) []string {
	if !anchored(n) {
		return nil
	}
	p := startSet(n)
	if len(p) == 0 || len(p) > maxReq {
		return nil
	}
	for _, s := range p {
		if s == "" {
			return nil
		}
	}
	return p
}

// anchored reports whether every match of n starts at ^ or \A.
func anchored(n *node) bool {
	if n == nil {
		return false
	}
	switch n.kind {
	case kAnchor:
		return n.text == "^" || n.text == `\A`
	case kGroup:
		switch n.gk {
		case gCapture, gNonCapture, gAtomic, gFlags:
			return anchored(n.subs[0])
		}
		return false
	case kAlt:
		for _, s := range n.subs {
			if !anchored(s) {
				return false
			}
		}
		return len(n.subs) > 0
	case kConcat:
		for _, s := range n.subs {
			if s.kind == kFlags {
				continue
			}
			return anchored(s)
		}
	}
	return false
}

var nothingKnown = []string{""}

// startSet returns a set of strings one of which every match of n starts
// with ({""} when nothing is known).
func startSet(n *node) []string {
	if n == nil {
		return nothingKnown
	}
	switch n.kind {
	case kGroup:
		switch n.gk {
		case gLookahead, gNegLookahead, gLookbehind, gNegLookbehind:
			return nothingKnown
		}
		return startSet(n.subs[0])
	case kAlt:
		return startUnion(n.subs)
	case kCond:
		return startUnion([]*node{n.subs[0], n.subs[1]})
	case kRepeat:
		if n.min >= 1 {
			return startSet(n.subs[0])
		}
		return nothingKnown
	case kConcat:
		cur := []string{""}
		for _, s := range n.subs {
			if in := analyze(s); in.exact != nil {
				c := cross(cur, in.exact)
				if c == nil {
					return cur
				}
				cur = c
				continue
			}
			if c := cross(cur, startSet(s)); c != nil {
				return c
			}
			return cur
		}
		return cur
	}
	if in := analyze(n); in.exact != nil {
		return in.exact
	}
	return nothingKnown
}

func startUnion(subs []*node) []string {
	var out []string
	for _, s := range subs {
		out = append(out, startSet(s)...)
	}
	if out = dedup(out); len(out) > maxExact {
		return nothingKnown
	}
	return out
}

// maxSets is the most literal sets Required returns.
const maxSets = 6

// Required returns literal sets that every match meets all of: each set
// holds strings (at least MinLiteral bytes) one of which the match
// contains. It includes Literals' set; nil when nothing is known.
func (re *Regexp) Required() [][]string { return re.required }

// TextRequired is Required plus the literal sets of the regex's positive
// lookaheads: every text the regex matches in contains one literal of each
// (a lookahead's text may lie past the match's end, so these hold for the
// searched text, not for the match).
func (re *Regexp) TextRequired() [][]string { return re.textRequired }

// requiredOf is Required of a parsed pattern (with look, TextRequired).
func requiredOf(n *node, look ...bool) [][]string {
	sets := allReq(n, look...)
	if l := literalsOf(n); l != nil {
		sets = append(sets, l)
	}
	var out [][]string
	for _, s := range sets {
		if s == nil || slices.ContainsFunc(out, func(o []string) bool { return slices.Equal(o, s) }) {
			continue
		}
		out = append(out, s)
	}
	// the most selective first
	slices.SortStableFunc(out, func(a, b []string) int { return minLen(b) - minLen(a) })
	if len(out) > maxSets {
		out = out[:maxSets]
	}
	return out
}

// allReq returns literal sets every match of n meets all of; with look
// true also those of positive lookaheads (met by the text).
func allReq(n *node, look ...bool) [][]string {
	if n == nil {
		return nil
	}
	switch n.kind {
	case kGroup:
		switch n.gk {
		case gLookahead:
			if len(look) > 0 && look[0] {
				return allReq(n.subs[0], look...)
			}
			return nil
		case gNegLookahead, gLookbehind, gNegLookbehind:
			return nil
		}
		return allReq(n.subs[0], look...)
	case kRepeat:
		if n.min < 1 {
			return nil
		}
		out := allReq(n.subs[0], look...)
		if g := goodSet(analyze(n.subs[0]).exact); g != nil {
			out = append(out, g)
		}
		return out
	case kConcat:
		var out [][]string
		cur := []string{""}
		flush := func() {
			if g := goodSet(cur); g != nil {
				out = append(out, slices.Clone(g))
			}
		}
		for _, s := range n.subs {
			if len(look) > 0 && look[0] && s.kind == kGroup && s.gk == gLookahead {
				// zero-width: its text follows, the concatenation goes on
				out = append(out, allReq(s.subs[0], look...)...)
			}
			if in := analyze(s); in.exact != nil {
				if c := cross(cur, in.exact); c != nil {
					cur = c
					continue
				}
				flush()
				cur = in.exact
				continue
			}
			flush()
			cur = []string{""}
			out = append(out, allReq(s, look...)...)
		}
		flush()
		return out
	}
	in := analyze(n)
	if r := best(goodSet(in.exact), in.req); r != nil {
		return [][]string{r}
	}
	return nil
}
