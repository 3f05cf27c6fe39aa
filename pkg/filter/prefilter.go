package filter

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
)

// prefilter finds, in one pass over a line, which regexes may match it:
// each regex with a literal set needs one of its literals in the line.
type prefilter struct {
	bits  [1 << 16 / 64]uint64 // the 2-byte prefixes that start a literal
	index [256][]litEntry      // by first byte
	// always[i] is true when failregex i has no literal set.
	always []bool
	// prefNeeded: the prefregex has literals; without one of them nothing
	// can match.
	prefNeeded bool
	nfail      int
	// req[i] are failregex i's other literal sets (pyre's TextRequired:
	// the text it matches in contains one literal of each), checked once
	// the scan made it a candidate.
	req [][][][]byte
}

type litEntry struct {
	lit   []byte
	owner int // failregex index, or -1 for the prefregex
}

func newPrefilter(pref *Regex, fail []*Regex) *prefilter {
	p := &prefilter{nfail: len(fail), always: make([]bool, len(fail))}
	add := func(lit string, owner int) {
		e := litEntry{lit: []byte(lit), owner: owner}
		k := uint16(lit[0])<<8 | uint16(lit[1])
		p.bits[k>>6] |= 1 << (k & 63)
		p.index[lit[0]] = append(p.index[lit[0]], e)
	}
	if pref != nil {
		if lits := pref.Literals(); lits != nil && !hasReplacement(lits) {
			p.prefNeeded = true
			for _, l := range minimal(lits) {
				add(l, -1)
			}
		}
	}
	p.req = make([][][][]byte, len(fail))
	for i, r := range fail {
		p.req[i] = requiredSets(r, r.Literals())
		lits := r.Literals()
		if lits == nil || hasReplacement(lits) {
			p.always[i] = true
			continue
		}
		for _, l := range minimal(lits) {
			add(l, i)
		}
	}
	return p
}

// scan marks in cand the failregexes that may match buf and reports
// whether any may.
func (p *prefilter) scan(buf []byte, cand []bool) bool {
	copy(cand, p.always)
	prefOK := !p.prefNeeded
	for i := 0; i+1 < len(buf); i++ {
		k := uint16(buf[i])<<8 | uint16(buf[i+1])
		if p.bits[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, e := range p.index[buf[i]] {
			if bytes.HasPrefix(buf[i:], e.lit) {
				if e.owner < 0 {
					prefOK = true
				} else {
					cand[e.owner] = true
				}
			}
		}
	}
	if !prefOK {
		return false
	}
	any := false
	for i, c := range cand {
		if c && len(p.req[i]) > 0 && !containsAll(buf, p.req[i]) {
			cand[i], c = false, false
		}
		any = any || c
	}
	return any
}

// requiredSets returns r's literal sets (pyre's TextRequired: those of
// its match and of its lookaheads, all in the text it runs on) that can be
// checked on a line's bytes, less the set skip (already checked): a
// literal with U+FFFD or a line end cannot (drop its set: fewer
// requirements).
func requiredSets(r *Regex, skip []string) [][][]byte {
	var out [][][]byte
	for _, l := range r.re.TextRequired() {
		if hasReplacement(l) || strings.Contains(strings.Join(l, ""), "\n") || slices.Equal(l, skip) {
			continue
		}
		var set [][]byte
		for _, x := range minimal(l) {
			set = append(set, []byte(x))
		}
		out = append(out, set)
	}
	return out
}

// minimal drops the literals that contain another one of the set: a text
// holding the longer one holds the shorter.
func minimal(lits []string) []string {
	var out []string
	for i, l := range lits {
		redundant := false
		for j, o := range lits {
			if i != j && len(o) < len(l) && bytes.Contains([]byte(l), []byte(o)) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, l)
		}
	}
	return out
}

// hasReplacement reports whether a literal holds U+FFFD, which invalid
// UTF-8 in a line also becomes once decoded: the raw bytes cannot tell.
func hasReplacement(lits []string) bool {
	for _, l := range lits {
		if strings.ContainsRune(l, utf8.RuneError) {
			return true
		}
	}
	return false
}

// startIndex holds the start sets of the failregexes (pyre's Prefixes):
// on the fast prefix path the content is known, and a failregex anchored
// at its start can only match when the content starts with one of its
// strings.
type startIndex struct {
	byFirst [256][]litEntry
	// noSet[i] is true when failregex i has no start set.
	noSet    []bool
	complete bool // every failregex has a start set
	// lits[i] are failregex i's literal sets (pyre's Required: its match
	// contains one literal of each set), checked once its start set is met.
	lits [][][][]byte
}

func newStartIndex(fail []*Regex) *startIndex {
	s := &startIndex{noSet: make([]bool, len(fail)), complete: true, lits: make([][][][]byte, len(fail))}
	for i, r := range fail {
		starts := r.re.Prefixes()
		for _, l := range r.re.Required() {
			// a literal with U+FFFD or a line end cannot be checked on the
			// content bytes: drop its set (fewer requirements); so is a set
			// every start string already meets
			if hasReplacement(l) || strings.Contains(strings.Join(l, ""), "\n") || meetsAll(starts, l) {
				continue
			}
			var set [][]byte
			for _, x := range minimal(l) {
				set = append(set, []byte(x))
			}
			s.lits[i] = append(s.lits[i], set)
		}
		p := r.re.Prefixes()
		if p == nil || hasReplacement(p) {
			s.noSet[i], s.complete = true, false
			continue
		}
		for _, l := range p {
			s.byFirst[l[0]] = append(s.byFirst[l[0]], litEntry{lit: []byte(l), owner: i})
		}
	}
	return s
}

// mark sets in cand the failregexes whose start set content meets (and
// those without a start set) and reports whether there is any.
func (s *startIndex) mark(content []byte, cand []bool) bool {
	copy(cand, s.noSet)
	found := !s.complete
	if len(content) > 0 {
		for _, e := range s.byFirst[content[0]] {
			if !cand[e.owner] && bytes.HasPrefix(content, e.lit) && containsAll(content, s.lits[e.owner]) {
				cand[e.owner], found = true, true
			}
		}
	}
	return found
}

// containsAll reports whether b contains one literal of each set.
func containsAll(b []byte, sets [][][]byte) bool {
	for _, set := range sets {
		found := false
		for _, l := range set {
			if bytes.Contains(b, l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// meetsAll reports whether every string of starts (at least one) contains
// one of lits.
func meetsAll(starts, lits []string) bool {
	if len(starts) == 0 {
		return false
	}
	for _, s := range starts {
		if !slices.ContainsFunc(lits, func(l string) bool { return strings.Contains(s, l) }) {
			return false
		}
	}
	return true
}
