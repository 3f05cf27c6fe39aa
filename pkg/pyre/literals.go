package pyre

import (
	"slices"
	"unicode"
)

// MinLiteral is the shortest literal a prefilter set may hold, in bytes.
const MinLiteral = 3

const (
	maxExact   = 16  // the most alternatives an exact set may hold
	maxReq     = 160 // the most literals a requirement may hold
	maxLitLen  = 256 // exact strings are not grown beyond this
	maxRepeatX = 4   // exact repeats expanded up to this count
)

// info describes what a sub-pattern can match: exact is the complete set of
// strings it matches (nil when unknown or too large), req a set of
// literals at least one of which every match contains (nil when none).
type info struct {
	exact []string
	req   []string
}

var emptyExact = info{exact: []string{""}}

func literalsOf(n *node) []string {
	in := analyze(n)
	return best(nil, goodSet(in.exact), in.req)
}

// goodSet returns s when it is usable as a requirement: every string at
// least MinLiteral bytes long.
func goodSet(s []string) []string {
	if len(s) == 0 || len(s) > maxReq {
		return nil
	}
	for _, x := range s {
		if len(x) < MinLiteral {
			return nil
		}
	}
	return s
}

func minLen(s []string) int {
	m := -1
	for _, x := range s {
		if m < 0 || len(x) < m {
			m = len(x)
		}
	}
	return m
}

// best returns the more selective of the given requirement sets.
func best(sets ...[]string) []string {
	var b []string
	for _, s := range sets {
		if s == nil {
			continue
		}
		if b == nil || minLen(s) > minLen(b) || minLen(s) == minLen(b) && len(s) < len(b) {
			b = s
		}
	}
	return b
}

func cross(a, b []string) []string {
	if len(a)*len(b) > maxExact {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			if len(x)+len(y) > maxLitLen {
				return nil
			}
			out = append(out, x+y)
		}
	}
	return dedup(out)
}

func dedup(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func foldFree(r rune) bool { return unicode.SimpleFold(r) == r }

// analyze returns what n can match, computed once per node: the set
// analyses (literalsOf, requiredOf, prefixesOf) ask for every node at
// every level above it. Its sets are shared: callers never change them.
func analyze(n *node) info {
	if n == nil {
		return emptyExact
	}
	if n.an == nil {
		in := analyzeNode(n)
		n.an = &in
	}
	return *n.an
}

func analyzeNode(n *node) info {
	switch n.kind {
	case kLit:
		if n.fold && !foldFree(n.r) {
			return info{}
		}
		return info{exact: []string{string(n.r)}}
	case kClass:
		if n.classChars() == nil || len(n.classChars()) > 4 {
			return info{}
		}
		var s []string
		for _, r := range n.classChars() {
			if n.fold && !foldFree(r) {
				return info{}
			}
			s = append(s, string(r))
		}
		return info{exact: dedup(s)}
	case kAnchor, kFlags:
		return emptyExact
	case kAny, kEsc, kBackref:
		return info{}
	case kGroup:
		switch n.gk {
		case gLookahead, gNegLookahead, gLookbehind, gNegLookbehind:
			return emptyExact
		}
		return analyze(n.subs[0])
	case kCond:
		return alt([]*node{n.subs[0], n.subs[1]})
	case kAlt:
		return alt(n.subs)
	case kRepeat:
		sub := analyze(n.subs[0])
		var out info
		if n.min >= 1 {
			out.req = best(goodSet(sub.exact), sub.req)
		}
		if sub.exact != nil && n.max >= 0 && n.max <= maxRepeatX {
			// expand the finite repeat: all counts min..max
			var all []string
			cur, ok := []string{""}, true
			for i := 0; i <= n.max; i++ {
				if i >= n.min {
					all = append(all, cur...)
				}
				if i == n.max {
					break
				}
				if cur = cross(cur, sub.exact); cur == nil {
					ok = false
					break
				}
			}
			if ok {
				if all = dedup(all); len(all) <= maxExact {
					out.exact = all
				}
			}
		}
		return out
	case kConcat:
		return concat(n.subs)
	}
	return info{}
}

func alt(subs []*node) info {
	var exact, req []string
	allExact, allReq := true, true
	for _, s := range subs {
		in := analyze(s)
		if in.exact != nil && allExact {
			exact = append(exact, in.exact...)
		} else {
			allExact = false
		}
		r := best(goodSet(in.exact), in.req)
		if r == nil {
			allReq = false
		} else if allReq {
			req = append(req, r...)
		}
	}
	var out info
	if allExact && len(exact) <= maxExact {
		out.exact = dedup(exact)
	}
	if allReq && len(req) <= maxReq {
		out.req = dedup(req)
	}
	return out
}

func concat(subs []*node) info {
	cur := []string{""}
	allExact := true
	var req []string
	for _, s := range subs {
		in := analyze(s)
		if in.exact != nil {
			if c := cross(cur, in.exact); c != nil {
				cur = c
				continue
			}
			allExact = false
			req = best(req, goodSet(cur))
			cur = in.exact
			continue
		}
		allExact = false
		req = best(req, goodSet(cur), in.req)
		cur = []string{""}
	}
	req = best(req, goodSet(cur))
	if allExact {
		return info{exact: cur, req: req}
	}
	return info{req: req}
}
