package pyre

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
