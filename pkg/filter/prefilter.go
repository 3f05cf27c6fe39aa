package filter

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"unicode/utf8"
)

// prefilter decides which failregexes may match a line from their literal
// sets (pyre's Literals and TextRequired): a regex can only match a text
// that contains one literal of each of its sets, and nothing matches a line
// that misses one of the prefregex's sets. The Filter holds the sets; each
// Matcher checks them with a prefState, which orders them by what it
// measures on its own lines. The order changes the cost only: the answer is
// the same conjunction.
type prefilter struct {
	lits [][]byte  // the distinct literals
	sets [][]int32 // the distinct sets, as indexes into lits
	pref []int32   // the prefregex's sets
	fail [][]int32 // each failregex's sets (none: always a candidate)
	// multi[k], for a set of more than bigSet literals (apache-badbots'
	// user agents), finds them all in one pass over the line
	multi []*multiLit
	// guard[i] is failregex i's bracketGuard (nil: none); only without a
	// prefregex (a failregex then sees the whole line)
	guard []*bracketGuard
	// all finds every literal in one pass (nil: a literal is shorter than
	// 2 bytes)
	all *allLits
}

// allLits marks which of the literals a line contains, in one pass over
// it: a bitmap of their first two bytes, then the literals by first byte.
type allLits struct {
	bits    [1 << 16 / 64]uint64
	byFirst [256][]int32
}

// bigSet is the most literals a set is searched for one by one.
const bigSet = 8

// multiLit finds any of many literals (each at least 2 bytes) in one pass:
// a bitmap of their first two bytes, then the literals by first byte.
type multiLit struct {
	bits    [1 << 16 / 64]uint64
	byFirst [256][][]byte
}

func newMultiLit(lits [][]byte) *multiLit {
	m := &multiLit{}
	for _, l := range lits {
		if len(l) < 2 {
			return nil
		}
		k := uint16(l[0])<<8 | uint16(l[1])
		m.bits[k>>6] |= 1 << (k & 63)
		m.byFirst[l[0]] = append(m.byFirst[l[0]], l)
	}
	return m
}

// in reports whether buf contains one of the literals.
func (m *multiLit) in(buf []byte) bool {
	for i := 0; i+1 < len(buf); i++ {
		k := uint16(buf[i])<<8 | uint16(buf[i+1])
		if m.bits[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, l := range m.byFirst[buf[i]] {
			if bytes.HasPrefix(buf[i:], l) {
				return true
			}
		}
	}
	return false
}

func newPrefilter(pref *Regex, fail []*Regex) *prefilter {
	p := &prefilter{fail: make([][]int32, len(fail))}
	litIdx := map[string]int32{}
	setIdx := map[string]int32{}
	addSet := func(lits []string) int32 {
		lits = slices.Clone(minimal(lits))
		slices.Sort(lits)
		lits = slices.Compact(lits)
		key := strings.Join(lits, "\x00")
		if i, ok := setIdx[key]; ok {
			return i
		}
		var set []int32
		for _, l := range lits {
			i, ok := litIdx[l]
			if !ok {
				i = int32(len(p.lits))
				litIdx[l] = i
				p.lits = append(p.lits, []byte(l))
			}
			set = append(set, i)
		}
		i := int32(len(p.sets))
		setIdx[key] = i
		p.sets = append(p.sets, set)
		return i
	}
	// the sets of r that can be checked on a line's bytes: a literal with
	// U+FFFD (invalid UTF-8 decodes to it) or a line end (the regexes see
	// the line with "\n" appended) cannot, nor can an empty one; such a set
	// is dropped (fewer requirements)
	setsOf := func(r *Regex) []int32 {
		var out []int32
		for _, l := range append([][]string{r.Literals()}, r.re.TextRequired()...) {
			if len(l) == 0 || hasReplacement(l) || slices.ContainsFunc(l, func(s string) bool { return s == "" || strings.Contains(s, "\n") }) {
				continue
			}
			if i := addSet(l); !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
		return out
	}
	if pref != nil {
		p.pref = setsOf(pref)
	}
	p.guard = make([]*bracketGuard, len(fail))
	for i, r := range fail {
		p.fail[i] = setsOf(r)
		if pref == nil {
			p.guard[i] = newBracketGuard(r.Expanded)
		}
	}
	p.all = &allLits{}
	for i, l := range p.lits {
		if len(l) < 2 {
			p.all = nil
			break
		}
		k := uint16(l[0])<<8 | uint16(l[1])
		p.all.bits[k>>6] |= 1 << (k & 63)
		p.all.byFirst[l[0]] = append(p.all.byFirst[l[0]], int32(i))
	}
	p.multi = make([]*multiLit, len(p.sets))
	for k, set := range p.sets {
		if len(set) > bigSet {
			lits := make([][]byte, len(set))
			for j, l := range set {
				lits[j] = p.lits[l]
			}
			p.multi[k] = newMultiLit(lits)
		}
	}
	return p
}

// prefState is one Matcher's use of a prefilter: each set is searched at
// most once per line, with bytes.IndexByte on the rarest byte of each
// literal (the byte counts of the lines it sampled), and each regex's sets
// are checked in the order that costs least on the lines seen (the
// cheapest, most often failing set first).
type prefState struct {
	p      *prefilter
	gen    uint32   // the line's number, for the memo
	setGen []uint32 // the line a set's answer is for
	setOK  []bool
	pref   []int32   // p.pref, in check order
	fail   [][]int32 // p.fail, in check order
	// sampled lines: how often each set was tried and met, and the bytes
	anchor        []int // per literal: the offset of the byte searched for, -1: none
	tries, passes []uint32
	hist          [256]uint32
	sampled       uint32
	bytes         uint64
	// pass: the plan found one pass over the line for all literals
	// cheaper than the searches (many sets: sshd's); litGen[l] is the line
	// that pass last found literal l in
	pass   bool
	litGen []uint32
	// screen, when the plan found it cheaper, decides most lines without
	// a prefregex at once: it searches one set of every failregex
	// together, a byte shared by several literals searched once
	screen *litScreen
}

// A prefState measures (checks every set on) its first sampleFirst lines,
// then plans, and then measures one line in sampleEvery and plans again
// every replanEvery lines.
const (
	sampleFirst = 64
	sampleEvery = 128
	replanEvery = 1 << 14
)

func (p *prefilter) newState() *prefState {
	s := &prefState{
		p:      p,
		setGen: make([]uint32, len(p.sets)),
		setOK:  make([]bool, len(p.sets)),
		pref:   slices.Clone(p.pref),
		fail:   make([][]int32, len(p.fail)),
		anchor: make([]int, len(p.lits)),
		tries:  make([]uint32, len(p.sets)),
		litGen: make([]uint32, len(p.lits)),
		passes: make([]uint32, len(p.sets)),
	}
	for i, f := range p.fail {
		s.fail[i] = slices.Clone(f)
	}
	for i := range s.anchor {
		s.anchor[i] = -1
	}
	return s
}

// scan marks in cand the failregexes that may match buf and reports
// whether any may (when none may, cand is all false).
func (s *prefState) scan(buf []byte, cand []bool) bool {
	s.gen++
	if s.gen == 0 {
		clear(s.setGen)
		clear(s.litGen)
		s.gen = 1
	}
	if s.pass {
		s.markAll(buf)
	}
	if s.gen <= sampleFirst || s.gen%sampleEvery == 0 {
		s.sample(buf)
	} else if s.screen != nil && !s.screen.any(s, buf) {
		clear(cand)
		return false
	}
	for _, k := range s.pref {
		if !s.met(buf, k) {
			clear(cand)
			return false
		}
	}
	any := false
	for i, sets := range s.fail {
		c := true
		for _, k := range sets {
			if !s.met(buf, k) {
				c = false
				break
			}
		}
		if g := s.p.guard[i]; c && g != nil {
			c = g.possible(buf)
		}
		cand[i] = c
		any = any || c
	}
	return any
}

// sample checks every set on buf and counts the results and the bytes;
// it plans after the first lines and then every replanEvery lines.
func (s *prefState) sample(buf []byte) {
	for k := range s.p.sets {
		s.tries[k]++
		if s.met(buf, int32(k)) {
			s.passes[k]++
		}
	}
	for _, c := range buf {
		s.hist[c]++
	}
	s.bytes += uint64(len(buf))
	s.sampled++
	if s.gen == sampleFirst || s.gen%replanEvery == 0 {
		s.plan()
	}
}

// plan picks each literal's search byte (the one seen least) and orders
// the sets of each regex by cost over the chance to fail.
func (s *prefState) plan() {
	lines := float64(max(s.sampled, 1))
	litCost := make([]float64, len(s.p.lits))
	for i, l := range s.p.lits {
		best := 0
		for j := range l {
			if s.hist[l[j]] < s.hist[l[best]] {
				best = j
			}
		}
		s.anchor[i] = best
		// a search, and a compare per occurrence of the byte
		litCost[i] = 1 + float64(s.hist[l[best]])/lines/4
	}
	score := make([]float64, len(s.p.sets))
	cost := make([]float64, len(s.p.sets))
	for k, set := range s.p.sets {
		c := 0.0
		if s.p.multi[k] != nil {
			// a pass of about a byte a ns, where a search costs about 10 ns
			c = float64(s.bytes) / lines / 10
		}
		for _, l := range set {
			if s.p.multi[k] != nil {
				break
			}
			c += litCost[l]
		}
		fail := 1 - (float64(s.passes[k])+1)/(float64(s.tries[k])+2)
		score[k], cost[k] = c/fail, c
	}
	byScore := func(a, b int32) int {
		switch {
		case score[a] < score[b]:
			return -1
		case score[a] > score[b]:
			return 1
		}
		return int(a - b)
	}
	slices.SortFunc(s.pref, byScore)
	for _, f := range s.fail {
		slices.SortFunc(f, byScore)
	}
	// the searches' expected cost per line (sets shared by regexes
	// counted again), against one pass over the line for every literal
	search, met := 0.0, 1.0
	chain := func(sets []int32, reach float64) float64 {
		for _, k := range sets {
			search += reach * cost[k]
			reach *= (float64(s.passes[k]) + 1) / (float64(s.tries[k]) + 2)
		}
		return reach
	}
	met = chain(s.pref, met)
	for _, f := range s.fail {
		chain(f, met)
	}
	s.pass = s.p.all != nil && float64(s.bytes)/lines/8 < search
	if forcePass != nil && s.p.all != nil {
		s.pass = *forcePass
	}
	s.screen = nil
	if !s.pass {
		s.screen = s.planScreen(cost, search)
	}
}

// forcePass, when set (tests), decides the plans' pass mode; forceScreen
// whether a plan takes a screen where one can be made.
var forcePass, forceScreen *bool

// litScreen answers the first set of every failregex's check order (no
// prefregex, every failregex with a set) for a line at once: a line that
// meets none of them is no candidate for any failregex. It searches bytes
// chosen so that each of those sets' literals holds one (a byte shared by
// several literals is searched once) and compares the literals anchored
// on it where it occurs.
type litScreen struct {
	bytes []screenByte
	sets  []int32 // the screened sets
}

// screenByte is a byte the screen searches, with the literals anchored
// on it.
type screenByte struct {
	b    byte
	lits []screenLit
}

// screenLit is a literal of screened set k, whose byte off is the
// screenByte's.
type screenLit struct {
	lit []byte
	off int
	k   int32
}

// planScreen returns the screen of the current check order, or nil when
// none can be made or it would cost more than the searches (cost[k]: set
// k's searches; search: their expected cost per line).
func (s *prefState) planScreen(cost []float64, search float64) *litScreen {
	if len(s.pref) > 0 || len(s.fail) < 2 {
		return nil
	}
	var sets []int32
	for _, f := range s.fail {
		if len(f) == 0 || s.p.multi[f[0]] != nil {
			return nil
		}
		if !slices.Contains(sets, f[0]) {
			sets = append(sets, f[0])
		}
	}
	type pending struct {
		l int32
		k int32
	}
	var left []pending
	quiet := 0.0 // the searches of a line that meets none of the sets
	for _, k := range sets {
		quiet += cost[k]
		for _, l := range s.p.sets[k] {
			left = append(left, pending{l, k})
		}
	}
	// a greedy cover: the byte that anchors the most remaining literals
	// for its cost (a search, and a compare per literal per occurrence)
	lines := float64(max(s.sampled, 1))
	sc := &litScreen{sets: sets}
	total := 0.0
	for len(left) > 0 {
		best, bestN, bestCost := -1, 0, 0.0
		for c := range 256 {
			n := 0
			for _, e := range left {
				if bytes.IndexByte(s.p.lits[e.l], byte(c)) >= 0 {
					n++
				}
			}
			if n == 0 {
				continue
			}
			cc := 1 + float64(s.hist[c])/lines*float64(n)/4
			if best < 0 || float64(n)/cc > float64(bestN)/bestCost {
				best, bestN, bestCost = c, n, cc
			}
		}
		sb := screenByte{b: byte(best)}
		rest := left[:0]
		for _, e := range left {
			lit := s.p.lits[e.l]
			if off := bytes.IndexByte(lit, byte(best)); off >= 0 {
				sb.lits = append(sb.lits, screenLit{lit: lit, off: off, k: e.k})
			} else {
				rest = append(rest, e)
			}
		}
		left = rest
		sc.bytes = append(sc.bytes, sb)
		total += bestCost
	}
	use := total < quiet && total < search
	if forceScreen != nil {
		use = *forceScreen
	}
	if !use {
		return nil
	}
	return sc
}

// any answers the screened sets on buf (their memo set for the line) and
// reports whether buf meets one of them.
func (sc *litScreen) any(s *prefState, buf []byte) bool {
	found := false
	for _, sb := range sc.bytes {
		for i := 0; i < len(buf); {
			j := bytes.IndexByte(buf[i:], sb.b)
			if j < 0 {
				break
			}
			p := i + j
			for _, e := range sb.lits {
				if s.setGen[e.k] == s.gen {
					continue // met already
				}
				start := p - e.off
				if start >= 0 && start+len(e.lit) <= len(buf) && string(buf[start:start+len(e.lit)]) == string(e.lit) {
					s.setGen[e.k], s.setOK[e.k] = s.gen, true
					found = true
				}
			}
			i = p + 1
		}
	}
	for _, k := range sc.sets {
		if s.setGen[k] != s.gen {
			s.setGen[k], s.setOK[k] = s.gen, false
		}
	}
	return found
}

// markAll marks in litGen the literals buf contains.
func (s *prefState) markAll(buf []byte) {
	a := s.p.all
	for i := 0; i+1 < len(buf); i++ {
		k := uint16(buf[i])<<8 | uint16(buf[i+1])
		if a.bits[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, l := range a.byFirst[buf[i]] {
			if s.litGen[l] != s.gen && bytes.HasPrefix(buf[i:], s.p.lits[l]) {
				s.litGen[l] = s.gen
			}
		}
	}
}

// met reports whether buf contains a literal of set k.
func (s *prefState) met(buf []byte, k int32) bool {
	if s.setGen[k] == s.gen {
		return s.setOK[k]
	}
	ok := false
	if s.pass {
		for _, l := range s.p.sets[k] {
			if s.litGen[l] == s.gen {
				ok = true
				break
			}
		}
	} else if m := s.p.multi[k]; m != nil {
		ok = m.in(buf)
	} else {
		for _, l := range s.p.sets[k] {
			if s.contains(buf, l) {
				ok = true
				break
			}
		}
	}
	s.setGen[k], s.setOK[k] = s.gen, ok
	return ok
}

// contains reports whether buf contains literal l.
func (s *prefState) contains(buf []byte, l int32) bool {
	lit := s.p.lits[l]
	a := s.anchor[l]
	if a < 0 {
		return bytes.Contains(buf, lit)
	}
	c, n := lit[a], len(lit)
	for i := a; i < len(buf); {
		j := bytes.IndexByte(buf[i:], c)
		if j < 0 {
			return false
		}
		start := i + j - a
		if start+n > len(buf) {
			return false
		}
		if string(buf[start:start+n]) == string(lit) {
			return true
		}
		i += j + 1
	}
	return false
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

type litEntry struct {
	lit   []byte
	owner int // failregex index
	// head and mask: lit's first (up to) 8 bytes as a little-endian word,
	// a quick check before the compare (see word8)
	head, mask uint64
}

// word8 returns b's first (up to) 8 bytes as a little-endian word, the
// missing bytes 0, and the mask of the bytes b has.
func word8(b []byte) (w, mask uint64) {
	if len(b) >= 8 {
		return binary.LittleEndian.Uint64(b), ^uint64(0)
	}
	for i := len(b) - 1; i >= 0; i-- {
		w = w<<8 | uint64(b[i])
		mask = mask<<8 | 0xff
	}
	return w, mask
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
		required := r.re.Required()
		if r.sureForget {
			// no sets: sureForget's walk reads the whole match
			// ("Accepted publickey for u from ADDR"), its literals
			// included, where the index would first search the content
			// for them (" for ", " from "); it then lets through
			// more lines, which the walk or FindASCII decide
			required = nil
		}
		for _, l := range required {
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
		for k, l := range p {
			if !keepLongerStarts && longerStart(p, k) {
				continue
			}
			head, mask := word8([]byte(l))
			s.byFirst[l[0]] = append(s.byFirst[l[0]], litEntry{lit: []byte(l), owner: i, head: head, mask: mask})
		}
	}
	return s
}

// keepLongerStarts keeps every start string in the index (tests: the
// index as it was before longerStart).
var keepLongerStarts bool

// longerStart reports whether starts[k] begins with another of starts (a
// shorter one, or the same string earlier). A content that starts with it
// starts with that one too, whose entry gives the index the same answer (the
// owner's literal sets are the regex's, the same for each of its starts):
// starts[k] need not be in the index ("Failed publickey" beside "Failed ":
// the sets were checked twice on each such line that failed them).
func longerStart(starts []string, k int) bool {
	for j, s := range starts {
		if j != k && strings.HasPrefix(starts[k], s) && (len(s) < len(starts[k]) || j < k) {
			return true
		}
	}
	return false
}

// markStarts sets in cand the failregexes whose start set content meets
// (and those without a start set), asks the literal sets of the first of
// them in order until one meets them (the one the failregexes run first;
// a failregex whose sets fail is dropped from cand) and leaves those of
// the rest to the caller: pend[i] says failregex i is in cand for its
// start set only, and litsMet decides, when the failregexes before it
// have not matched. It reports whether a failregex meets its start and
// literal sets or has no start set: the answer of asking every set at
// once, which the tests compare it with (markEager). On a "Failed
// password for invalid user" line the sets of the two "Failed"
// failregexes after the one that matches (" from ", " for ") are no
// longer searched.
func (s *startIndex) markStarts(content []byte, cand, pend []bool) bool {
	copy(cand, s.noSet)
	clear(pend)
	// cand[lo:hi+1] holds every candidate
	lo, hi := len(cand), -1
	if !s.complete {
		lo, hi = 0, len(cand)-1
	}
	if len(content) > 0 {
		// (a content of fewer bytes than an entry's head cannot start
		// with it: its missing bytes are 0 in w, and HasPrefix decides)
		w, _ := word8(content)
		for _, e := range s.byFirst[content[0]] {
			if !cand[e.owner] && w&e.mask == e.head && bytes.HasPrefix(content, e.lit) {
				cand[e.owner], pend[e.owner] = true, len(s.lits[e.owner]) > 0
				lo, hi = min(lo, e.owner), max(hi, e.owner)
			}
		}
	}
	for i := lo; i <= hi; i++ {
		if !cand[i] {
			continue
		}
		if !pend[i] {
			return true
		}
		pend[i] = false
		if s.litsMet(content, i) {
			return true
		}
		cand[i] = false
	}
	return false
}

// litsMet reports whether content meets the literal sets of failregex i.
func (s *startIndex) litsMet(content []byte, i int) bool {
	return containsAll(content, s.lits[i])
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
