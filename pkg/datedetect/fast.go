package datedetect

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// The fast path: hand-written matchers for the templates that date most
// log lines (syslog and ISO 8601 at line start, Apache's date). A matcher
// walks the template's regex as a backtracking engine would: every choice
// point lists its alternatives in the regex's order, and a depth-first
// search takes the first that completes, so the match (span and groups) is
// the regex's. It runs on ASCII lines only and answers fastUnknown where
// it is not sure (Python and .NET disagree on \s for U+001C..U+001F, or
// a choice point has too many alternatives); the regex decides then.

type fastStatus uint8

const (
	fastUnknown fastStatus = iota
	fastMatch
	fastNoMatch
)

type nodeKind uint8

const (
	nBOL          nodeKind = iota // ^
	nStartLook                    // (?=^|\b|\W)
	nNonWord02                    // (?:\W{0,2})?
	nGroupBeg                     // ( of group 1
	nGroupEnd                     // ) of group 1
	nLit                          // one character
	nOptLit                       // an optional character
	nOptClass                     // [set]?
	nWord                         // (?P<key>w1|w2|...), all of one length
	nOptWord                      // (?:(?P<key>w1|...) )?
	nToken                        // digit alternatives, e.g. [1-2]\d|[0 ]?[1-9]|3[0-1]
	nYear                         // %ExY
	nOptYear                      // (?: %ExY)?
	nSep                          // (?P<_sep>[set])
	nBackref                      // (?P=_sep)
	nTOrSpaces                    // (?:T|  ?)
	nOptFrac                      // (?:[seps](?P<f>[0-9]{1,6}))?
	nOptZone                      // (?:\s*(?P<z>...))? or (?: (?P<z>...))?
	nEndLook                      // (?=\b|\W|$)
	nY2                           // (?P<y>\d{2})
	nYearOrY2                     // (?:%ExY|(?P<y>\d{2}))
	nOptZoneName                  // (?:(?P<Z>Z|[A-Z]{3,5}) )?
	nOptZoneSp                    // (?:(?P<z>...) )?
	nEpochStart                   // (?:^|(?<=^\[)|(?<=\baudit\())
	nDigits1011                   // \d{10,11}
	nWordB                        // \b
	nOptDotDigits                 // (?:\.\d{3,6})?
	nHex24                        // @[0-9a-f]{24}
	nUpToLit                      // [^c]*c
)

type item struct {
	set string
	opt bool
}

type node struct {
	kind  nodeKind
	key   int    // field recorded (keyNone: none)
	c     byte   // nLit, nOptLit
	set   string // nOptClass, nSep, nOptFrac separators
	words []string
	alts  [][]item
	ci    bool // case-insensitive (the template has (?i))
	anyWS bool // nOptZone: \s* (else one space)
}

type fastPattern struct {
	nodes    []node
	anchored bool
	years    *[10000]bool
	happy    func(p *fastPattern, s string, m *match) bool
	syslog   bool // happy is happySyslog (see sameDate)
	// happyAt, for a template searched mid-line, is its happy path at a
	// place search tries (the start look-ahead already holds there)
	happyAt func(p *fastPattern, s string, g int, m *match) bool
	// opaque: only the happy path (at position 0) is known; anything else
	// is fastUnknown (the regex decides). For filters' datepatterns.
	opaque bool
	first  [256]bool // bytes a match can start its first character with
	empty  bool      // a match may consume nothing (no first byte)
	keys   []int     // the field keys the nodes record
	// clockBound > 0: every match has "D:D:" or "D:DD:" (the hour's last
	// digit, its colon, the minute) with that first colon at most
	// clockBound bytes after the match start; search skips the starts
	// with no such colon in reach (most of a long line).
	clockBound int
	// clockMin: that colon is at least clockMin bytes after the start.
	clockMin int
	// preHour (with clockBound > 0): the bytes that can come before the
	// hour's digits (hourMin to hourMax of them) in a match, preHour[k]
	// k+1 bytes before; a colon of clocksOf without them in those places
	// is not this template's hour colon (see fitsClock).
	preHour          [][256]bool
	hourMin, hourMax int
	// digitRun > 0: every match has digitRun digits in a row starting
	// at most digitLead bytes after its start (a compact date such as
	// %ExY%Exm%Exd); search skips the starts with no such run in reach.
	digitRun, digitLead int
	// runNext (with digitRun): every match starts its digits at the start
	// of a run of exactly digitRun digits, followed by one of these bytes
	// (the compact date's "T" or space); nil: not known
	runNext *[256]bool
	// runDigit (with runNext, the (?:T|  ?) after the run): a digit
	// follows that T or those spaces in every match (the compact date's
	// hour), so "Gecko/20100101 Firefox" is no candidate
	runDigit bool
	// epochStart: every match starts where fail2ban's epoch start
	// (?:^|(?<=^\[)|(?<=\baudit\()) holds; search tries those places only.
	epochStart bool
	// firstOnly >= 0: the one byte a match can start with (TAI64N's @);
	// search jumps to its next occurrence.
	firstOnly int
	// hex24 >= 0: a TAI64N template, its "@" at most hex24 bytes after
	// the match start (see excluded)
	hex24 int
	// second (unanchored templates whose match starts with a digit
	// token): second[b] > 0 when a match starting with byte b has one of
	// secondSets[second[b]] next ("[0 ]?[1-9]" after a space needs a
	// digit 1-9), so search skips such a start without walking it
	second     *[256]uint8
	secondSets [][4]uint64
}

// digitRun returns the fewest digits in a row a match of nodes has from
// its first consuming node on, and the most bytes (\W{0,2}) before them;
// run 0 when the match does not start with digits.
func digitRun(nodes []node) (run, lead int) {
	allDigits := func(set string) bool {
		for i := 0; i < len(set); i++ {
			if !isDigit(set[i]) {
				return false
			}
		}
		return set != ""
	}
	k := 0
	for ; k < len(nodes); k++ {
		switch nodes[k].kind {
		case nBOL, nStartLook, nGroupBeg, nWordB, nEpochStart:
			continue
		case nNonWord02:
			lead += 2
			continue
		}
		break
	}
	for ; k < len(nodes); k++ {
		n := nodes[k]
		switch n.kind {
		case nYear:
			run += 4
			continue
		case nDigits1011:
			run += 10
			continue
		case nToken:
			l := -1
			for _, a := range n.alts {
				for _, it := range a {
					if it.opt || !allDigits(it.set) {
						return run, lead
					}
				}
				if l < 0 || len(a) < l {
					l = len(a)
				}
			}
			if l > 0 {
				run += l
				continue
			}
		}
		break
	}
	return run, lead
}

// runNextOf returns, for nodes whose match starts with fixed-width digit
// nodes right after the start (^, \W{0,2} or (?=^|\b|\W), so the digits
// start a run: what stands before them is no word character) followed by a
// node that cannot start with a digit, the bytes that node can start
// with: the run is then exactly those digits, and one of these bytes ends
// it. nil otherwise.
func runNextOf(nodes []node) *[256]bool {
	k := 0
	for ; k < len(nodes); k++ {
		switch nodes[k].kind {
		case nBOL, nStartLook, nGroupBeg, nNonWord02:
			continue
		}
		break
	}
	digitsOnly := func(set string) bool {
		for i := 0; i < len(set); i++ {
			if !isDigit(set[i]) {
				return false
			}
		}
		return set != ""
	}
	run := 0
	for ; k < len(nodes); k++ {
		n := nodes[k]
		if n.kind == nYear {
			run += 4
			continue
		}
		if n.kind != nToken {
			break
		}
		w := len(n.alts[0])
		for _, a := range n.alts {
			if len(a) != w {
				return nil
			}
			for _, it := range a {
				if it.opt || !digitsOnly(it.set) {
					return nil
				}
			}
		}
		run += w
	}
	if run == 0 || k == len(nodes) {
		return nil
	}
	set := &[256]bool{}
	switch n := nodes[k]; n.kind {
	case nTOrSpaces:
		set['T'], set[' '] = true, true
		if n.ci {
			set['t'] = true
		}
	default:
		return nil
	}
	return set
}

// runDigitOf reports whether nodes (of runNextOf, with a set) have
// (?:T|  ?) after their run followed by a node whose every way starts
// with a digit.
func runDigitOf(nodes []node) bool {
	for k := 0; k+1 < len(nodes); k++ {
		if nodes[k].kind != nTOrSpaces {
			continue
		}
		n := nodes[k+1]
		if n.kind != nToken || len(n.alts) == 0 {
			return false
		}
		for _, a := range n.alts {
			if len(a) == 0 || a[0].opt || a[0].set == "" {
				return false
			}
			for i := 0; i < len(a[0].set); i++ {
				if !isDigit(a[0].set[i]) {
					return false
				}
			}
		}
		return true
	}
	return false
}

// digitAfterTOrSpaces reports whether (?:T|  ?) followed by a digit can
// match at j of s (T in either case: a case-insensitive template's).
func digitAfterTOrSpaces(s string, j int) bool {
	switch {
	case j+1 >= len(s):
		return false
	case s[j] == 'T' || s[j] == 't':
		return isDigit(s[j+1])
	case s[j] != ' ':
		return false
	case isDigit(s[j+1]):
		return true
	}
	return s[j+1] == ' ' && j+2 < len(s) && isDigit(s[j+2])
}

// secondOf computes p.second from the first consuming node, when it is a
// digit token none of whose ways is empty.
func (p *fastPattern) secondOf() {
	k := 0
	for k < len(p.nodes) && (p.nodes[k].kind == nStartLook || p.nodes[k].kind == nGroupBeg) {
		k++
	}
	if k == len(p.nodes) || p.nodes[k].kind != nToken {
		return
	}
	if p.nodes[k].ci {
		// (?i) changes nothing for digits and blanks; a letter would need
		// its other case
		for _, a := range p.nodes[k].alts {
			for _, it := range a {
				for i := 0; i < len(it.set); i++ {
					if c := lower(it.set[i]); c >= 'a' && c <= 'z' {
						return
					}
				}
			}
		}
	}
	var next [256][4]uint64 // the bytes that may follow each first byte
	var seen [256]bool
	addSet := func(dst *[4]uint64, set string) {
		for i := 0; i < len(set); i++ {
			dst[set[i]>>6] |= 1 << (set[i] & 63)
		}
	}
	anyByte := [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	for _, a := range p.nodes[k].alts {
		for k0 := 0; k0 < len(a); k0++ {
			// the way starting at item k0 (items before it left out)
			var after [4]uint64
			for k1 := k0 + 1; k1 <= len(a); k1++ {
				if k1 == len(a) {
					after = anyByte // the token ends: any byte of the next node
					break
				}
				addSet(&after, a[k1].set)
				if !a[k1].opt {
					break
				}
			}
			for i := 0; i < len(a[k0].set); i++ {
				c := a[k0].set[i]
				seen[c] = true
				for w := range after {
					next[c][w] |= after[w]
				}
			}
			if !a[k0].opt {
				break
			}
			if k0 == len(a)-1 {
				return // the way can be empty
			}
		}
	}
	var second [256]uint8
	sets := [][4]uint64{anyByte}
	for c := 0; c < 256; c++ {
		if !seen[c] || next[c] == anyByte {
			continue
		}
		j := 0
		for j = range sets {
			if sets[j] == next[c] {
				break
			}
		}
		if sets[j] != next[c] {
			if len(sets) == 255 {
				return
			}
			sets = append(sets, next[c])
			j = len(sets) - 1
		}
		second[c] = uint8(j)
	}
	if len(sets) > 1 {
		p.second, p.secondSets = &second, sets
	}
}

// nextDigitRun returns the first j >= i with n digits at s[j:j+n], or -1.
func nextDigitRun(s string, i, n int) int {
	if n <= 0 {
		return i
	}
	// a run of n digits starting at a >= i holds exactly one of the
	// places i+n-1, i+2n-1, ...: look at those; at a digit, the run around
	// it (from i on) decides, and the next run can only start after it
	for j := i + n - 1; j < len(s); j += n {
		if !isDigit(s[j]) {
			continue
		}
		a := j
		for a > i && isDigit(s[a-1]) {
			a--
		}
		b := j + 1
		for b < len(s) && b-a < n && isDigit(s[b]) {
			b++
		}
		if b-a >= n {
			return a
		}
		// s[b] is not a digit (or the line ends): start again after it
		i = b + 1
		j = b // the loop adds n: i+n-1
	}
	return -1
}

// nextEpochStart returns the first j >= i where (?:^|(?<=^\[)|(?<=\baudit\())
// holds in s (nEpochStart's test), or -1.
func nextEpochStart(s string, i int) int {
	if i <= 0 {
		return 0
	}
	if i == 1 && len(s) > 0 && s[0] == '[' {
		return 1
	}
	// the "(" of "audit(" before j >= i stands at j-1 >= i-1 (and after
	// "audit"): look for the rarer "(" first
	for from := max(i-1, 5); from < len(s); {
		k := strings.IndexByte(s[from:], '(')
		if k < 0 {
			return -1
		}
		p := from + k
		if s[p-5:p] == "audit" && (p == 5 || !isWordByte(s[p-6])) {
			return p + 1
		}
		from = p + 1
	}
	return -1
}

// clockBound returns the longest a match of nodes can be from its start
// to the colon after its hour (%H, %k, %I followed by ":"), or 0 when a
// node before it has no bound or there is no such hour.
func clockBound(nodes []node) int {
	w := 0
	for k, n := range nodes {
		if n.kind == nToken && (n.key == keyH || n.key == keyI) {
			if k+1 < len(nodes) && nodes[k+1].kind == nLit && nodes[k+1].c == ':' {
				return w + 2
			}
			return 0
		}
		switch n.kind {
		case nBOL, nStartLook, nGroupBeg, nGroupEnd, nEndLook, nWordB:
		case nNonWord02, nTOrSpaces, nY2:
			w += 2
		case nLit, nOptLit, nOptClass, nSep, nBackref:
			w++
		case nWord, nOptWord:
			l := 0
			for _, x := range n.words {
				l = max(l, len(x))
			}
			if n.kind == nOptWord {
				l++
			}
			w += l
		case nToken:
			l := 0
			for _, a := range n.alts {
				l = max(l, len(a))
			}
			w += l
		case nYear, nYearOrY2:
			w += 4
		case nOptYear:
			w += 5
		case nOptFrac, nOptZoneSp:
			w += 7
		case nOptZoneName:
			w += 6
		default:
			return 0
		}
	}
	return 0
}

// preHourSet returns what can come just before the hour token of nodes
// (clockBound's hour: %H, %k, %I followed by ":"), walking back from it:
// sets[k] holds the bytes that can stand k+1 bytes before the hour. The
// walk takes the fixed-width nodes in front of the hour a byte at a time;
// an optional node right before the hour makes one set of its bytes and
// those the node before it ends with, and the walk stops there, as it
// does at a node of varying width. It also returns the fewest and most
// bytes the hour takes; nil when a node is not understood or the hour
// can start the match.
func preHourSet(nodes []node) (sets [][256]bool, lo, hi int) {
	h := -1
	for k, n := range nodes {
		if n.kind == nToken && (n.key == keyH || n.key == keyI) {
			h = k
			break
		}
	}
	if h < 0 || h+1 >= len(nodes) || nodes[h+1].kind != nLit || nodes[h+1].c != ':' {
		return nil, 0, 0
	}
	lo, hi = -1, 0
	for _, a := range nodes[h].alts {
		c := 0
		for _, it := range a {
			if !it.opt {
				c++
			}
		}
		if lo < 0 || c < lo {
			lo = c
		}
		hi = max(hi, len(a))
	}
	if lo < 1 {
		return nil, 0, 0
	}
	var set *[256]bool
	next := func() {
		sets = append(sets, [256]bool{})
		set = &sets[len(sets)-1]
	}
	add := func(chars string, ci bool) {
		for i := 0; i < len(chars); i++ {
			c := chars[i]
			set[c] = true
			if ci {
				set[lower(c)] = true
				if c >= 'a' && c <= 'z' {
					set[c-'a'+'A'] = true
				}
			}
		}
	}
	const most = 8  // bytes checked
	merged := false // an optional node opened the first set: the next node ends the walk
	for k := h - 1; k >= 0 && len(sets) < most; k-- {
		n := nodes[k]
		if !merged {
			next()
		}
		fixed := !merged
		switch n.kind {
		case nOptLit, nOptClass:
			if merged || len(sets) > 1 {
				// an optional node further back: what stands there varies
				return sets[:len(sets)-1], lo, hi
			}
			if n.kind == nOptLit {
				add(string(n.c), n.ci)
			} else {
				add(n.set, n.ci)
			}
			merged = true
			continue
		case nLit:
			add(string(n.c), n.ci)
		case nSep:
			add(n.set, n.ci)
		case nBackref:
			found := false
			for j := k - 1; j >= 0 && !found; j-- {
				if nodes[j].kind == nSep {
					add(nodes[j].set, nodes[j].ci)
					found = true
				}
			}
			if !found {
				return nil, 0, 0
			}
		case nTOrSpaces:
			add("T ", n.ci)
			fixed = false
		case nYear, nY2:
			w := 4
			if n.kind == nY2 {
				w = 2
			}
			add(digits, false)
			for i := 1; i < w && fixed && len(sets) < most; i++ {
				next()
				add(digits, false)
			}
		case nYearOrY2:
			add(digits, false)
			fixed = false
		case nToken:
			w := len(n.alts[0])
			for _, a := range n.alts {
				for _, it := range a {
					if it.opt {
						fixed = false
					}
				}
				if len(a) != w {
					fixed = false
				}
			}
			if !fixed {
				for _, a := range n.alts {
					for _, it := range a {
						add(it.set, false)
					}
				}
				break
			}
			// the i-th byte from the token's end: each alternative's item w-1-i
			for i := 0; i < w && len(sets) < most; i++ {
				if i > 0 {
					next()
				}
				for _, a := range n.alts {
					add(a[w-1-i].set, false)
				}
			}
		case nWord:
			w := len(n.words[0])
			for _, x := range n.words {
				if len(x) != w {
					fixed = false
				}
			}
			if !fixed {
				for _, x := range n.words {
					add(x[len(x)-1:], n.ci)
				}
				break
			}
			for i := 0; i < w && len(sets) < most; i++ {
				if i > 0 {
					next()
				}
				for _, x := range n.words {
					add(x[w-1-i:w-i], n.ci)
				}
			}
		default:
			if merged || len(sets) == 1 {
				return nil, 0, 0 // the hour (or the optional node) can start the match
			}
			return sets[:len(sets)-1], lo, hi
		}
		if !fixed || merged {
			return sets, lo, hi
		}
	}
	if merged || len(sets) == 0 {
		return nil, 0, 0
	}
	return sets, lo, hi
}

// excluded reports whether the template certainly has no match in the
// ASCII line s from position 0 on: search's own checks before it tries
// any place (a colon after an hour that fits, within reach of the start
// when anchored; a digit run; the one byte a match starts with), made
// from the line's clocks and digit run, which st finds once per line for
// every template. matchTime skips such a template without searching.
func (p *fastPattern) excluded(s string, st *fstate) bool {
	return p.excludedBefore(s, noIdx, st)
}

// excludedBefore is excluded for the matches starting before lim (those
// searchBefore looks for): it reads the line only as far as such a
// match can have its clock, digit run, "(" or "@".
func (p *fastPattern) excludedBefore(s string, lim int, st *fstate) bool {
	last := min(len(s), lim-1) // the last start that counts
	switch {
	case p.opaque:
		return false
	case last < 0:
		return true
	case p.clockBound > 0:
		upto := len(s)
		if p.anchored {
			upto = min(upto, p.clockBound+1)
		} else if lim < noIdx {
			upto = min(upto, last+p.clockBound+1)
		}
		for k := 0; ; k++ {
			c := st.clockAt(s, k, upto)
			if c < 0 {
				return true
			}
			if c >= p.clockMin && p.fitsClock(s, c) {
				return p.anchored && c > p.clockBound || !p.anchored && c > last+p.clockBound
			}
		}
	case p.digitRun >= longRun && p.anchored:
		// the first run of longRun digits or more decides: it must start
		// in reach (the runs of longRuns, looked for in reach only)
		for j := 0; j <= p.digitLead && j < len(s); {
			if !isDigit(s[j]) {
				j++
				continue
			}
			e := j + 1
			for e < len(s) && isDigit(s[e]) {
				e++
			}
			if e-j >= longRun {
				return !p.runFits(s, j, e)
			}
			j = e
		}
		return true
	case p.digitRun >= longRun && p.epochStart:
		// a match starts its run where search tries it: at an epoch start
		t := s[:min(len(s), last+1)] // a start j <= last has its "(" at j-1
		for j := nextEpochStart(t, 0); j >= 0 && j <= last; j = nextEpochStart(t, j+1) {
			e := j
			for e < len(s) && isDigit(s[e]) {
				e++
			}
			if e > j && (j == 0 || !isDigit(s[j-1])) && p.runFits(s, j, e) {
				return false
			}
		}
		return true
	case p.digitRun >= longRun:
		// the line's maximal runs of longRun digits or more, found once;
		// a match starting by last has its run start by last+digitLead
		for _, r := range st.runsTo(s, min(len(s), last+p.digitLead+1)) {
			if r[0] > last+p.digitLead {
				break
			}
			if p.runFits(s, r[0], r[1]) {
				return false
			}
		}
		return true
	case p.digitRun > 0:
		if p.anchored {
			j := nextDigitRun(s[:min(len(s), p.digitLead+p.digitRun)], 0, p.digitRun)
			return j < 0 || j > p.digitLead
		}
		return nextDigitRun(s[:min(len(s), last+p.digitLead+p.digitRun)], 0, p.digitRun) < 0
	case p.hex24 >= 0:
		// TAI64N: "@" and 24 hex digits, the "@" within hex24 bytes of
		// the start when anchored (of a start by last when not)
		end := last + p.hex24 + 1
		if p.anchored {
			end = p.hex24 + 1
		}
		return !hex24Before(s, end)
	case p.firstOnly >= 0 && !p.anchored:
		return strings.IndexByte(s[:min(len(s), last+1)], byte(p.firstOnly)) < 0
	}
	return false
}

// runFits reports whether the maximal run of digits s[a:e] can hold a
// match's digit run (digitRun digits, and with runNext exactly that many
// and a byte of runNext after them).
func (p *fastPattern) runFits(s string, a, e int) bool {
	if e-a < p.digitRun {
		return false
	}
	if p.runNext == nil {
		return true
	}
	return e-a == p.digitRun && e < len(s) && p.runNext[s[e]] && (!p.runDigit || digitAfterTOrSpaces(s, e))
}

// hex24Before reports whether s has an "@" before end followed by 24
// lower-case hex digits (TAI64N's). An "@" needs 24 bytes after it, so
// the search stops 24 bytes short of the line's end. After an "@" that
// fails, the next one can only stand at or past the first byte after it
// that is no hex digit (an "@" is none), so the search resumes there
// instead of at the byte after the "@": the bytes between are read
// once. On the last template's whole-line question (TAI64N ends the
// default templates) an access log's one "@" ("web@docker") costs one
// IndexByte over the line and a short scan of its tail.
func hex24Before(s string, end int) bool {
	end = min(end, len(s)-24)
	for i := 0; i < end; {
		var k int
		if end-i <= 16 {
			// a short rest: byte by byte, without IndexByte's call
			for k = 0; i+k < end && s[i+k] != '@'; k++ {
			}
			if i+k == end {
				return false
			}
		} else if k = strings.IndexByte(s[i:end], '@'); k < 0 {
			return false
		}
		// the "@" at i+k < end <= len(s)-24: its 24 bytes lie in s
		i += k + 1
		n := 0
		for n < 24 && isLowerHex(s[i+n]) {
			n++
		}
		if n == 24 {
			return true
		}
		i += n
	}
	return false
}

// isLowerHex reports whether c is a digit or a lower-case a to f.
func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// hex24Lead returns the most bytes before the "@" of a TAI64N match
// (\W{0,2} at the line start), or -1 when nodes do not start with one.
func hex24Lead(nodes []node) int {
	lead := 0
	for _, n := range nodes {
		switch n.kind {
		case nBOL, nStartLook, nGroupBeg:
		case nNonWord02:
			lead += 2
		case nHex24:
			return lead
		default:
			return -1
		}
	}
	return -1
}

// fitsClock reports whether the colon at j (of clocksOf) can be the
// colon after this template's hour: preHour's bytes in front of an hour
// of hourMin to hourMax bytes ending at j.
func (p *fastPattern) fitsClock(s string, j int) bool {
	if p.preHour == nil {
		return true
	}
hours:
	for l := p.hourMin; l <= p.hourMax; l++ {
		if j-l-len(p.preHour) < 0 {
			continue
		}
		for k := range p.preHour {
			if !p.preHour[k][s[j-l-1-k]] {
				continue hours
			}
		}
		return true
	}
	return false
}

// clockMin returns the fewest bytes a match of nodes can have from its
// start to the colon after its hour (clockBound's nodes: the least they
// consume, and one digit of the hour); 1 when clockBound is 0.
func clockMin(nodes []node) int {
	w := 0
	for _, n := range nodes {
		switch n.kind {
		case nToken:
			if n.key == keyH || n.key == keyI {
				return w + 1
			}
			l := -1
			for _, a := range n.alts {
				c := 0
				for _, it := range a {
					if !it.opt {
						c++
					}
				}
				if l < 0 || c < l {
					l = c
				}
			}
			w += max(l, 0)
		case nTOrSpaces, nLit, nSep, nBackref:
			w++
		case nY2, nYearOrY2:
			w += 2
		case nYear:
			w += 4
		case nWord:
			l := -1
			for _, x := range n.words {
				if l < 0 || len(x) < l {
					l = len(x)
				}
			}
			w += max(l, 0)
		}
	}
	return 1
}

// firstBytes computes p.first and p.empty from the nodes.
func (p *fastPattern) firstBytes() {
	add := func(set string, ci bool) {
		for i := 0; i < len(set); i++ {
			p.first[set[i]] = true
			if ci {
				c := set[i]
				p.first[lower(c)] = true
				if c >= 'a' && c <= 'z' {
					p.first[c-'a'+'A'] = true
				}
			}
		}
	}
	for _, n := range p.nodes {
		opt := false
		switch n.kind {
		case nBOL, nStartLook, nGroupBeg, nGroupEnd, nEpochStart, nWordB:
			continue
		case nNonWord02:
			for c := 0; c < 256; c++ {
				if !isWordByte(byte(c)) {
					p.first[c] = true
				}
			}
			opt = true
		case nLit:
			add(string(n.c), n.ci)
		case nOptLit:
			add(string(n.c), n.ci)
			opt = true
		case nOptClass, nSep:
			add(n.set, n.ci)
			opt = n.kind == nOptClass
		case nWord, nOptWord:
			for _, w := range n.words {
				add(w[:1], n.ci)
			}
			opt = n.kind == nOptWord
		case nToken:
			for _, alt := range n.alts {
				for _, it := range alt {
					add(it.set, false)
					if !it.opt {
						break
					}
				}
			}
		case nYear, nY2, nYearOrY2, nDigits1011:
			add(digits, false)
		case nOptYear:
			add(" ", false)
			opt = true
		case nTOrSpaces:
			add("T ", n.ci)
		case nOptFrac:
			add(n.set, false)
			opt = true
		case nOptZone, nOptZoneSp:
			add("ZUG+-", n.ci)
			if n.anyWS {
				add(" \t\n\v\f\r\x1c\x1d\x1e\x1f", false)
			} else if n.kind == nOptZone {
				add(" ", false)
			}
			opt = true
		case nOptZoneName:
			add("ABCDEFGHIJKLMNOPQRSTUVWXYZ", n.ci)
			opt = true
		case nOptDotDigits:
			add(".", false)
			opt = true
		case nHex24:
			add("@", false)
		case nUpToLit:
			p.empty = true // any byte
			return
		default: // nBackref, nEndLook: cannot tell
			p.empty = true
			return
		}
		if !opt {
			return
		}
	}
	p.empty = true
}

type cand struct {
	end    int
	gs, ge int // span of the node's group, -1 when it does not take part
}

const maxCand = 12

// fstate is the matcher's scratch space, kept by the Detector so that a
// search neither allocates nor clears large stack arrays.
type fstate struct {
	gbeg, gend int
	sep        byte
	spans      [keyp + 1][2]int
	cands      [maxNodes][maxCand]cand
	// the map of mapLine (linemap.go): its clocks at the colons before
	// colTo, its long digit runs through the bytes read before runTo
	clocks   []int
	runs     [][2]int
	colTo    int
	runTo    int
	mapLine  string
	mapValid bool
	// happyAt's last answers (see there): hm[0] for a string that goes
	// on past hmMax bytes from the date, hm[1] for one that does not (a
	// line cut at the last date's end, matchTime's same-place search)
	hm [2]happyMemo
	// consecutive accepted dates the memo did not hold, and the calls
	// left that do without it (see happyAt)
	hmMiss, hmOff int
	noMemo        bool // tests: happyAt asks p.happyAt every time
}

// happyMemo is a date text a happyAt accepted (key: from the date's
// start up to its match's end plus three) and its match: the fields, the
// end from that start (the match and the date text start at the place
// asked).
type happyMemo struct {
	p   *fastPattern
	key readKey
	end int
	f   dateFields
	// the clocks (see isClock) at the colons from 1 to key.n-4 bytes after
	// the start, in order: isClock reads the byte before a colon and
	// three after it, all in the key (two clocks stand two bytes apart
	// at least, so clk holds them all). They are listed at the first
	// hit (nclk < 0 before), not when the entry is made: on a log whose
	// lines seldom share their second the entry is seldom read.
	clk  [hmMax / 2]uint8
	nclk int
}

// hmMax bounds the bytes a happyMemo keeps.
const hmMax = readKeyMax

// After hmMisses accepted dates in a row that the memo did not hold,
// happyAt does without it for hmOffCalls calls: on a log with a new
// second on most lines (the 20,000-line traefik log of
// BenchmarkFindDateService, 9 lines in 10) its question and entries
// cost about 12 ns a line (apacheAt alone: 41 ns). Which calls use the
// memo changes no answer.
const (
	hmMisses   = 4
	hmOffCalls = 16
)

// happyAt is p.happyAt(p, s, g, m), from the memo when the bytes at g
// are those of a date text it accepted last. With fail2ban's default
// templates on an access log (traefik-auth.conf has no datepattern) the
// date moves with the fields before it, so the last winner's search runs
// over the whole line on most lines, and apacheAt's parse was nearly half
// of that search; on a busy server's log most lines have the second of
// the line before (11 in 12 on the 1M-line traefik log).
//
// p.happyAt is apacheAt (the only one). It reads no byte past its
// match's end plus two, compares the string's length with no place past
// the end plus three (the zone's numZone: "+hh" then ":mm" or "mm"),
// and depends on nothing else but p (its years); its match starts at g,
// and so does its date text. So a string whose bytes from g up to the
// end plus three are the key (or, when the key's string ended sooner,
// that is the key from g) gets the same answer at g, the positions moved
// by g. The match holds no string of the line (a fraction is parsed into
// nsec), so the memo keeps nothing of it. TestHappyAtMemo and
// FuzzHappyAtMemo compare this with apacheAt, and
// TestHappyAtMemoDetector a Detector with and without the memo.
func (st *fstate) happyAt(p *fastPattern, s string, g int, m *match) bool {
	if st.noMemo {
		return p.happyAt(p, s, g, m)
	}
	if st.hmOff > 0 {
		// a log whose lines seldom share their second: the memo's
		// question and entry cost more than its hits save
		st.hmOff--
		return p.happyAt(p, s, g, m)
	}
	rest := len(s) - g
	e := &st.hm[0]
	if rest <= hmMax {
		e = &st.hm[1]
	}
	if e.p == p && e.key.holds(s[g:]) {
		m.start, m.end, m.gstart, m.gend, m.fast, m.rm, m.rx = g, g+e.end, g, g+e.end, true, nil, nil
		m.f = e.f
		st.hmMiss = 0
		// s's map goes on through the key from the memo's clocks, when
		// it has reached the date (searchBefore asks for a clock that
		// fits before it tries g; the date's first clock fits) and not
		// passed the key: matchTime's screen, which follows a moved
		// date, maps past the date's clocks, and would read the date's
		// bytes again
		n := e.key.n
		if st.mapValid && len(st.mapLine) == len(s) && unsafe.StringData(st.mapLine) == unsafe.StringData(s) && st.colTo > g && st.colTo < g+n-3 {
			if e.nclk < 0 {
				// s has the key's bytes at g
				e.nclk = 0
				for j := g + 1; j < g+n-3; j++ {
					if s[j] == ':' && isClock(s, j) {
						e.clk[e.nclk] = uint8(j - g)
						e.nclk++
					}
				}
			}
			for _, j := range e.clk[:e.nclk] {
				if g+int(j) >= st.colTo {
					st.clocks = append(st.clocks, g+int(j))
				}
			}
			st.colTo = g + n - 3
		}
		return true
	}
	if !p.happyAt(p, s, g, m) {
		return false
	}
	if st.hmMiss++; st.hmMiss >= hmMisses {
		st.hmMiss, st.hmOff = 0, hmOffCalls
	}
	if e.key.keep(s[g:], m.end+3-g) {
		e.p, e.end, e.f, e.nclk = p, m.end-g, m.f, -1
	}
	return true
}

const maxNodes = 32

const (
	digits = "0123456789"
)

func tok(alts ...[]item) node { return node{kind: nToken, alts: alts} }
func it(set string, opt bool) item {
	return item{set: set, opt: opt}
}

var (
	tokD  = [][]item{{it("12", false), it(digits, false)}, {it("0 ", true), it("123456789", false)}, {it("3", false), it("01", false)}}
	tokM  = [][]item{{it("0", true), it("123456789", false)}, {it("1", false), it("012", false)}}
	tokH  = [][]item{{it("01", true), it(digits, false)}, {it("2", false), it("0123", false)}}
	tokK  = [][]item{{it("012", true), it(digits, false)}}
	tokMi = [][]item{{it("012345", true), it(digits, false)}}
	tokS  = [][]item{{it("012345", true), it(digits, false)}, {it("6", false), it("01", false)}}
)

func withKey(n node, key int) node { n.key = key; return n }

var (
	monthWords = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dayWords   = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
)

// part is a piece of a template regex and the nodes that match it.
type part struct {
	re    string
	nodes []node
}

func pt(re string, nodes ...node) part { return part{re, nodes} }
func lit(c string) part {
	ns := make([]node, len(c))
	for i := range c {
		ns[i] = node{kind: nLit, c: c[i]}
	}
	return part{c, ns}
}

const zoneRE = `Z|UTC|GMT|[+-][01]\d(?::?\d{2})?`

var (
	pD      = pt(`(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])`, withKey(tok(tokD...), keyd))
	pExd    = pt(`(?P<d>[1-2]\d|0[1-9]|3[0-1])`, withKey(tok(tokExd...), keyd))
	pMo     = pt(`(?P<m>0?[1-9]|1[0-2])`, withKey(tok(tokM...), keym))
	pExm    = pt(`(?P<m>0[1-9]|1[0-2])`, withKey(tok(tokExm...), keym))
	pH      = pt(`(?P<H>[0-1]?\d|2[0-3])`, withKey(tok(tokH...), keyH))
	pExH    = pt(`(?P<H>[0-1]\d|2[0-3])`, withKey(tok(tokExH...), keyH))
	pK      = pt(` ?(?P<H>[0-2]?\d)`, node{kind: nOptLit, c: ' '}, withKey(tok(tokK...), keyH))
	pI      = pt(`(?P<I>1[0-2]|0[1-9]|[1-9])`, withKey(tok(tokI...), keyI))
	pMi     = pt(`(?P<M>[0-5]?\d)`, withKey(tok(tokMi...), keyM))
	pExM    = pt(`(?P<M>[0-5]\d)`, withKey(tok(tokExM...), keyM))
	pS      = pt(`(?P<S>[0-5]?\d|6[0-1])`, withKey(tok(tokS...), keyS))
	pExS    = pt(`(?P<S>[0-5]\d|6[0-1])`, withKey(tok(tokExS...), keyS))
	pF      = pt(`(?:\.(?P<f>[0-9]{1,6}))?`, node{kind: nOptFrac, key: keyf, set: "."})
	pFc     = pt(`(?:[.,](?P<f>[0-9]{1,6}))?`, node{kind: nOptFrac, key: keyf, set: ".,"})
	pY      = pt(`<Y>`, node{kind: nYear, key: keyY})
	pOptY   = pt(`(?: <Y>)?`, node{kind: nOptYear, key: keyY})
	pYy     = pt(`(?:<Y>|(?P<y>\d{2}))`, node{kind: nYearOrY2})
	py2     = pt(`(?P<y>\d{2})`, node{kind: nY2, key: keyy})
	pA      = pt(`(?:(?P<a>mon|tue|wed|thu|fri|sat|sun) )?`, node{kind: nOptWord, key: keya, words: dayWords})
	pB      = pt(`(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)`, node{kind: nWord, key: keyb, words: monthWords})
	pP      = pt(`(?P<p>am|pm)`, node{kind: nWord, key: keyp, words: []string{"am", "pm"}})
	pSep3   = pt(`(?P<_sep>[-/.])`, node{kind: nSep, set: "-/."})
	pSep2   = pt(`(?P<_sep>[-/])`, node{kind: nSep, set: "-/"})
	pBack   = pt(`(?P=_sep)`, node{kind: nBackref})
	pTS     = pt(`(?:T|  ?)`, node{kind: nTOrSpaces})
	pZs     = pt(`(?:\s*(?P<z>`+zoneRE+`))?`, node{kind: nOptZone, key: keyz, anyWS: true})
	pZ1     = pt(`(?: (?P<z>`+zoneRE+`))?`, node{kind: nOptZone, key: keyz})
	pZname  = pt(`(?:(?P<Z>Z|[A-Z]{3,5}) )?`, node{kind: nOptZoneName, key: keyZ})
	pZoff   = pt(`(?:(?P<z>`+zoneRE+`) )?`, node{kind: nOptZoneSp, key: keyz})
	pSpOpt  = pt(`  ?`, node{kind: nLit, c: ' '}, node{kind: nOptLit, c: ' '})
	pColSp  = pt(`[ :]?`, node{kind: nOptClass, set: " :"})
	pColon  = lit(":")
	pSpace  = lit(" ")
	pLineBg = pt(`^(?:\W{0,2})?(`, node{kind: nBOL}, node{kind: nNonWord02}, node{kind: nGroupBeg})
	pWordBg = pt(`(?=^|\b|\W)(`, node{kind: nStartLook}, node{kind: nGroupBeg})
	pCaret  = pt(`^(`, node{kind: nBOL}, node{kind: nGroupBeg})
	pOpen   = pt(`(`, node{kind: nGroupBeg})
	// datepatterns ^{DATE} and ^[^\[]*\[({DATE}) (Apache and nginx access
	// logs in fail2ban's filters)
	pBrack = pt(`^[^\[]*\[(`, node{kind: nBOL}, node{kind: nUpToLit, c: '['}, node{kind: nGroupBeg})
	pEnd   = pt(`)(?=\b|\W|$)`, node{kind: nGroupEnd}, node{kind: nEndLook})
)

var (
	tokExd = [][]item{{it("12", false), it(digits, false)}, {it("0", false), it("123456789", false)}, {it("3", false), it("01", false)}}
	tokExm = [][]item{{it("0", false), it("123456789", false)}, {it("1", false), it("012", false)}}
	tokExH = [][]item{{it("01", false), it(digits, false)}, {it("2", false), it("0123", false)}}
	tokExM = [][]item{{it("012345", false), it(digits, false)}}
	tokExS = [][]item{{it("012345", false), it(digits, false)}, {it("6", false), it("01", false)}}
	tokI   = [][]item{{it("1", false), it("012", false)}, {it("0", false), it("123456789", false)}, {it("123456789", false)}}
)

func seq(parts ...part) []part { return parts }

// shapes lists the fast matchers of fail2ban's default templates, keyed
// by the template regex with %ExY written as <Y>: the recipe of each, whose
// nodes are built when a template asks for them (a process uses a few of
// the ~60 shapes; building the nodes of every one was 200 KB of logmatch's
// start-up, where a page fault costs about 20 us on a virtual machine).
func shapes() map[string]shape {
	iso := seq(pY, pSep3, pMo, pBack, pD, pTS, pH, pColon, pMi, pColon, pS, pFc, pZs)
	syslog := seq(pA, pB, pSpace, pD, pSpace, pK, pColon, pMi, pColon, pS, pF, pOptY)
	bodies := []struct {
		ci      bool
		parts   []part
		anchors []part
	}{
		{false, iso, []part{pLineBg, pWordBg}},
		{true, syslog, []part{pLineBg, pWordBg}},
		{true, seq(pA, pB, pSpace, pD, pSpace, pY, pSpace, pK, pColon, pMi, pColon, pS, pF), []part{pLineBg, pWordBg}},
		{false, seq(pD, pSep2, pMo, pBack, pYy, pSpace, pK, pColon, pMi, pColon, pS), []part{pLineBg, pWordBg}},
		{true, seq(pD, pSep2, pB, pBack, pY, pColSp, pH, pColon, pMi, pColon, pS, pF, pZ1), []part{pLineBg, pWordBg}},
		{false, seq(pMo, lit("/"), pD, lit("/"), pY, pColon, pH, pColon, pMi, pColon, pS), []part{pLineBg, pWordBg}},
		{false, seq(pMo, lit("-"), pD, lit("-"), pY, pSpace, pK, pColon, pMi, pColon, pS, pF), []part{pLineBg, pWordBg}},
		{false, seq(pH, pColon, pMi, pColon, pS), []part{pLineBg}},
		{false, seq(lit("<"), pMo, lit("/"), pD, lit("/"), py2, lit("@"), pH, pColon, pMi, pColon, pS, lit(">")), []part{pCaret}},
		{false, seq(py2, pExm, pExd, pSpOpt, pH, pColon, pMi, pColon, pS), []part{pLineBg, pWordBg}},
		{true, seq(pB, pSpace, pD, lit(", "), pY, pSpace, pI, pColon, pMi, pColon, pS, pSpace, pP), []part{pLineBg, pWordBg}},
		{true, seq(pB, lit("-"), pD, lit("-"), py2, pSpace, pK, pColon, pMi, pColon, pS), []part{pCaret}},
		{false, seq(pY, pExm, pExd, pTS, pExH, pExM, pExS, pFc, pZs), []part{pLineBg, pWordBg}},
		{true, append(seq(pZname), syslog...), []part{pLineBg, pWordBg}},
		{true, append(seq(pZoff), syslog...), []part{pLineBg, pWordBg}},
		{false, seq(pt(`(?P<square>(?<=^\[))?\d{10,11}\b(?:\.\d{3,6})?)(?(square)(?=\]))(?=\b|\W|$)`, epochNodes...)), []part{pt(`^(?:\W{0,2})?(`, node{kind: nBOL}, node{kind: nNonWord02}, node{kind: nGroupBeg})}},
		{false, seq(pt(`(?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\()))\d{10,11}\b(?:\.\d{3,6})?)(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))(?=\b|\W|$)`, append([]node{{kind: nEpochStart}}, epochNodes...)...)), []part{pOpen}},
		{false, seq(pt(`@[0-9a-f]{24}`, node{kind: nHex24})), []part{pLineBg, pOpen}},
	}
	out := make(map[string]shape, 64)
	var rb strings.Builder
	for i, b := range bodies {
		if i < 15 && b.anchors[0].re != pCaret.re {
			b.anchors = append(b.anchors, pCaret, pBrack)
		}
		last := b.parts[len(b.parts)-1].nodes
		end := last[len(last)-1].kind != nEndLook
		for _, a := range b.anchors {
			rb.Reset()
			if b.ci {
				rb.WriteString(`(?iu)`)
			}
			rb.WriteString(a.re)
			for _, p := range b.parts {
				rb.WriteString(p.re)
			}
			if end {
				rb.WriteString(pEnd.re)
			}
			out[rb.String()] = shape{anchor: a, parts: b.parts, end: end, ci: b.ci}
		}
	}
	return out
}

// shape is one default template's fast matcher as shapes lists it: the
// anchor's nodes, the body's, pEnd's unless the body ends with its own
// end look-ahead, all case-insensitive when the template has (?i).
type shape struct {
	anchor part
	parts  []part
	end    bool
	ci     bool
}

// nodes builds the shape's nodes, in one allocation of the final size.
func (sh shape) nodes() []node {
	size := len(sh.anchor.nodes)
	for _, p := range sh.parts {
		size += len(p.nodes)
	}
	if sh.end {
		size += len(pEnd.nodes)
	}
	nodes := append(make([]node, 0, size), sh.anchor.nodes...)
	for _, p := range sh.parts {
		nodes = append(nodes, p.nodes...)
	}
	if sh.end {
		nodes = append(nodes, pEnd.nodes...)
	}
	if sh.ci {
		for i := range nodes {
			nodes[i].ci = true
		}
	}
	return nodes
}

// epochNodes match \d{10,11}\b(?:\.\d{3,6})? and close group 1; the
// square-bracket and audit conditions of fail2ban's epoch regexes never
// reject a match (their conditionals always have an empty way out).
var epochNodes = []node{
	{kind: nDigits1011}, {kind: nWordB}, {kind: nOptDotDigits}, {kind: nGroupEnd}, {kind: nEndLook},
}

// fastShapes is built on first use (not at package init).
var fastShapes = sync.OnceValue(shapes)

// The two shapes with a happy path.
const (
	reSyslogLB = `(?iu)^(?:\W{0,2})?((?:(?P<a>mon|tue|wed|thu|fri|sat|sun) )?(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])  ?(?P<H>[0-2]?\d):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?(?: <Y>)?)(?=\b|\W|$)`
	reISOLB    = `^(?:\W{0,2})?(<Y>(?P<_sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=_sep)(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])(?:T|  ?)(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:[.,](?P<f>[0-9]{1,6}))?(?:\s*(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?)(?=\b|\W|$)`
)

// reBrackApache is fail2ban's Apache default template behind the
// access-log prematch ^[^\[]*\[({DATE}) (fail2ban's own apache-badbots,
// nginx-botsearch, ... read by logmatch).
const reBrackApache = `(?iu)^[^\[]*\[((?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])(?P<_sep>[-/])(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?P=_sep)<Y>[ :]?(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?(?: (?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?)(?=\b|\W|$)`

// reWordApache is the same template searched mid-line (no datepattern):
// (?=^|\b|\W)( in front of the body.
var reWordApache = sync.OnceValue(func() string {
	return strings.Replace(reBrackApache, `^[^\[]*\[(`, `(?=^|\b|\W)(`, 1)
})

// reISOCaret is the default ISO template behind ^{DATE} (fail2ban's own
// recidive): ^ instead of ^(?:\W{0,2})?, the same at a digit.
const reISOCaret = `^(<Y>(?P<_sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=_sep)(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])(?:T|  ?)(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:[.,](?P<f>[0-9]{1,6}))?(?:\s*(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?)(?=\b|\W|$)`

var happyPaths = map[string]func(p *fastPattern, s string, m *match) bool{
	reSyslogLB:    (*fastPattern).happySyslog,
	reISOLB:       (*fastPattern).happyISO,
	reISOCaret:    (*fastPattern).happyISO,
	reBrackApache: (*fastPattern).happyBrackApache,
}

// Filters' own datepatterns with a happy path only (opaque fast matchers):
// the access-log date in brackets (the built-in web filters'
// ^[^\[]*\[(%d/%b/%Y:%H:%M:%S %z)\], traefik-auth's
// ^\S+ \S+ \S+ \[(%d/%b/%Y:%H:%M:%S %z)\]), nginx's error-log date
// ({^LN-BEG}%ExY/%m/%d %H:%M:%S) and grafana's t= date
// ((?:^|\s)t=(%Y-%m-%dT%H:%M:%S(?:\.%f)?%z)).
const (
	reCLF      = `(?iu)^[^\[]*\[((?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])/(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/(?P<Y>\d{4}):(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1]) (?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))\](?=\b|\W|$)`
	reYMDSlash = `^(?:\W{0,2})?(<Y>/(?P<m>0?[1-9]|1[0-2])/(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1]) (?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1]))(?=\b|\W|$)`
	reTraefik  = `(?iu)^\S+ \S+ \S+ \[((?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])/(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/(?P<Y>\d{4}):(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1]) (?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))\](?=\b|\W|$)`
	reGrafana  = `(?:^|\s)t=((?P<Y>\d{4})-(?P<m>0?[1-9]|1[0-2])-(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])T(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))(?=\b|\W|$)`
)

// Datepatterns of fail2ban's own filter files (read by logmatch with
// -f /etc/fail2ban/filter.d/NAME.conf): nginx-botsearch's and
// nginx-bad-request's {^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S
// (?:[.,]%f)?(?:\s*%z)? (the default ISO template with [T ] for
// (?:T|  ?), whose happy path takes neither two spaces) and grafana's
// ^t=%Y-%m-%dT%H:%M:%S%z (group 1 holds "t=", no fraction).
const (
	reISOTSpace   = `^(?:\W{0,2})?(<Y>(?P<_sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=_sep)(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])[T ](?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:[.,](?P<f>[0-9]{1,6}))?(?:\s*(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?)(?=\b|\W|$)`
	reGrafanaLine = `^(t=(?P<Y>\d{4})-(?P<m>0?[1-9]|1[0-2])-(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])T(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))(?=\b|\W|$)`
)

// happyGrafanaLine is happyGrafana without a fraction, its date text
// starting with "t=".
func (p *fastPattern) happyGrafanaLine(s string, m *match) bool {
	if len(s) > 21 && s[21] == '.' || !p.happyGrafana(s, m) {
		return false
	}
	m.gstart = 0
	return true
}

var opaqueHappy = map[string]struct {
	anchored bool
	happy    func(p *fastPattern, s string, m *match) bool
}{
	reCLF:         {true, (*fastPattern).happyCLF},
	reTraefik:     {true, (*fastPattern).happyTraefik},
	reISOTSpace:   {true, (*fastPattern).happyISO},
	reGrafanaLine: {true, (*fastPattern).happyGrafanaLine},
	reYMDSlash:    {true, (*fastPattern).happyYMDSlash},
	reGrafana:     {false, (*fastPattern).happyGrafana},
}

// exYAt returns the first year expression in regex: the leftmost match
// of \(\?P<Y>[0-9\[\]\(\)\?:|]+\\d\) (start -1 for none). The class
// has no backslash, so its run ends where the \d) must start: no
// backtracking (FuzzExYAt compares it with the regular expression, whose
// backtracking state was 70 KB of a start-up).
func exYAt(regex string) (start, end int) {
	for off := 0; ; {
		i := strings.Index(regex[off:], "(?P<Y>")
		if i < 0 {
			return -1, -1
		}
		i += off
		j := i + len("(?P<Y>")
		for j < len(regex) && strings.IndexByte("0123456789[]()?:|", regex[j]) >= 0 {
			j++
		}
		if j > i+len("(?P<Y>") && strings.HasPrefix(regex[j:], `\d)`) {
			return i, j + len(`\d)`)
		}
		off = i + 1
	}
}

// fastFor returns the fast matcher of a template regex, or nil.
func fastFor(regex string) *fastPattern {
	shape, exY := regex, ""
	if i, j := exYAt(regex); i >= 0 {
		exY = regex[i:j]
		shape = regex[:i] + "<Y>" + regex[j:]
	}
	sh, ok := fastShapes()[shape]
	var nodes []node
	if ok {
		nodes = sh.nodes()
	}
	if !ok {
		o, ok := opaqueHappy[shape]
		if !ok {
			return nil
		}
		p := &fastPattern{anchored: o.anchored, happy: o.happy, opaque: true}
		if exY != "" {
			years, err := yearSet(exY)
			if err != nil {
				return nil
			}
			p.years = years
		}
		return p
	}
	p := &fastPattern{nodes: nodes, anchored: nodes[0].kind == nBOL, happy: happyPaths[shape], syslog: shape == reSyslogLB}
	if shape == reWordApache() {
		p.happyAt = (*fastPattern).apacheAt
	}
	p.firstBytes()
	if len(nodes) > maxNodes {
		return nil
	}
	p.firstOnly = -1
	if !p.empty {
		for c := 0; c < 256; c++ {
			if !p.first[c] {
				continue
			}
			if p.firstOnly >= 0 {
				p.firstOnly = -1
				break
			}
			p.firstOnly = c
		}
	}
	p.hex24 = hex24Lead(nodes)
	if !p.anchored {
		p.secondOf()
	}
	p.clockBound = clockBound(nodes)
	p.clockMin = 1
	if p.clockBound > 0 {
		p.clockMin = clockMin(nodes)
		p.preHour, p.hourMin, p.hourMax = preHourSet(nodes)
	}
	if p.clockBound == 0 {
		if run, lead := digitRun(nodes); run >= 6 {
			p.digitRun, p.digitLead = run, lead
		}
	}
	if p.digitRun > 0 {
		p.runNext = runNextOf(nodes)
		p.runDigit = p.runNext != nil && runDigitOf(nodes)
	}
	if !p.anchored {
		for _, n := range nodes {
			if n.kind == nGroupBeg {
				continue
			}
			p.epochStart = n.kind == nEpochStart
			break
		}
	}
	for _, n := range nodes {
		if n.key != keyNone {
			p.keys = append(p.keys, n.key)
		}
		if n.kind == nYearOrY2 {
			p.keys = append(p.keys, keyY, keyy)
		}
	}
	if exY != "" {
		years, err := yearSet(exY)
		if err != nil {
			return nil
		}
		p.years = years
	}
	return p
}

var yearSets sync.Map // %ExY regex → *[10000]bool

// yearSet lists the four-digit years %ExY matches, once per process for
// each year expression.
func yearSet(exY string) (*[10000]bool, error) {
	if v, ok := yearSets.Load(exY); ok {
		return v.(*[10000]bool), nil
	}
	var set [10000]bool
	if pre, ok := yearPrefixes.Load(exY); ok {
		// yearRE's own expression: its three-digit prefixes, any last digit
		for _, p := range pre.([]int) {
			for k := 0; k < 10; k++ {
				set[p*10+k] = true
			}
		}
	} else if err := yearSetRegex(exY, &set); err != nil {
		return nil, err
	}
	v, _ := yearSets.LoadOrStore(exY, &set)
	return v.(*[10000]bool), nil
}

// yearSetRegex tries every four-digit year on the regex exY.
func yearSetRegex(exY string, set *[10000]bool) error {
	inner := strings.TrimSuffix(strings.TrimPrefix(exY, "(?P<Y>"), ")")
	re, err := regexp.Compile(`^(?:` + inner + `)$`)
	if err != nil {
		return err
	}
	var b [4]byte
	for y := 0; y < 10000; y++ {
		b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
		set[y] = re.Match(b[:])
	}
	return nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func eqFold(s string, i int, w string, ci bool) bool {
	if i+len(w) > len(s) {
		return false
	}
	for k := 0; k < len(w); k++ {
		c := s[i+k]
		if ci {
			c = lower(c)
		}
		if c != w[k] {
			return false
		}
	}
	return true
}

// search finds the leftmost match in s (already cut at endpos) starting at
// pos or later, as pattern.search(s, pos). The match goes to *m (on
// fastMatch only; otherwise *m may hold anything).
func (p *fastPattern) search(s string, pos int, st *fstate, m *match) fastStatus {
	return p.searchBefore(s, pos, noIdx, st, m)
}

// searchBefore is search for a match starting before lim: the leftmost
// match when it starts before lim, fastNoMatch when none does (there
// may be one starting at lim or later). It reads the line's map (its
// clocks, the digit runs, the "(" of "audit(", the "@") only as far as
// a match starting before lim can reach.
func (p *fastPattern) searchBefore(s string, pos, lim int, st *fstate, m *match) fastStatus {
	if p.opaque {
		if p.anchored && pos != 0 {
			return fastNoMatch
		}
		// a match at 0 is the leftmost
		if pos == 0 && p.happy(p, s, m) {
			return fastMatch
		}
		return fastUnknown
	}
	if p.anchored {
		if pos != 0 || lim <= 0 {
			return fastNoMatch
		}
		// the hour's colon or the digit run must be in reach of 0
		if p.clockBound > 0 {
			ci := 0
			c := st.clockAt(s, ci, p.clockBound+1)
			for c >= 0 && (c < p.clockMin || !p.fitsClock(s, c)) {
				ci++
				c = st.clockAt(s, ci, p.clockBound+1)
			}
			if c < 0 || c > p.clockBound {
				return fastNoMatch
			}
		}
		if p.digitRun > 0 {
			// a run starting at digitLead at the latest lies in reach
			if j := nextDigitRun(s[:min(len(s), p.digitLead+p.digitRun)], 0, p.digitRun); j < 0 || j > p.digitLead {
				return fastNoMatch
			}
		}
		if p.happy != nil && p.happy(p, s, m) {
			return fastMatch
		}
		return p.at(s, 0, st, m)
	}
	// the starts tried: pos to last (lim-1, or the line's end); the
	// scans for a start's clock, digit run, "(" or "@" look no further
	// than a match starting at last can have them
	last := min(len(s), lim-1)
	ci, c := 0, -1 // the clock ci of s, at c: the first that fits at i
	clockTo := len(s)
	if lim < noIdx {
		clockTo = min(len(s), lim+p.clockBound)
	}
	nrun := -1
	for i := pos; i <= last; i++ {
		if p.firstOnly >= 0 {
			k := strings.IndexByte(s[i:min(len(s), last+1)], byte(p.firstOnly))
			if k < 0 {
				break
			}
			i += k
		}
		if p.epochStart {
			// a start j <= last has its "(" at j-1 < last+1
			j := nextEpochStart(s[:min(len(s), last+1)], i)
			if j < 0 || j > last {
				break
			}
			i = j
		}
		if p.digitRun > 0 {
			if nrun < i {
				// a run that a start <= last can use starts by
				// last+digitLead and ends digitRun digits later
				nrun = nextDigitRun(s[:min(len(s), last+p.digitLead+p.digitRun)], i, p.digitRun)
				if nrun < 0 {
					break
				}
			}
			if nrun > i+p.digitLead {
				i = nrun - p.digitLead - 1
				continue
			}
		}
		if p.clockBound > 0 {
			// a match at i has the colon after its hour in
			// [i+clockMin, i+clockBound]; the clock found for an
			// earlier i still fits (fitsClock does not depend on i)
			// unless i+clockMin has passed it
			if c < i+p.clockMin {
				if c >= 0 {
					ci++
				}
				for c = st.clockAt(s, ci, clockTo); c >= 0 && (c < i+p.clockMin || !p.fitsClock(s, c)); c = st.clockAt(s, ci, clockTo) {
					ci++
				}
				if c < 0 {
					break
				}
			}
			if c > i+p.clockBound {
				i = c - p.clockBound - 1
				continue
			}
		}
		if i < len(s) && !p.first[s[i]] && !p.empty || i == len(s) && !p.empty {
			continue
		}
		if p.second != nil && i+1 < len(s) {
			if k := p.second[s[i]]; k > 0 && p.secondSets[k][s[i+1]>>6]&(1<<(s[i+1]&63)) == 0 {
				continue
			}
		}
		if p.happyAt != nil && i < len(s) && (i == 0 || !isWordByte(s[i]) || !isWordByte(s[i-1])) {
			// (?=^|\b|\W) holds at i
			if st.happyAt(p, s, i, m) {
				return fastMatch
			}
		}
		if r := p.at(s, i, st, m); r != fastNoMatch {
			return r
		}
	}
	return fastNoMatch
}

// at is the walk of the template at i; the match goes to *m (on
// fastMatch only).
func (p *fastPattern) at(s string, i int, st *fstate, m *match) fastStatus {
	for _, k := range p.keys {
		st.spans[k] = [2]int{-1, -1}
	}
	end, r := p.dfs(s, 0, i, st)
	if r != fastMatch {
		return r
	}
	*m = match{start: i, end: end, gstart: st.gbeg, gend: st.gend, fast: true}
	for _, n := range p.nodes {
		switch {
		case n.key != keyNone:
			if sp := st.spans[n.key]; sp[0] >= 0 {
				m.f.set(n.key, s[sp[0]:sp[1]])
			}
		case n.kind == nYearOrY2:
			for _, k := range [2]int{keyY, keyy} {
				if sp := st.spans[k]; sp[0] >= 0 {
					m.f.set(k, s[sp[0]:sp[1]])
				}
			}
		}
	}
	return fastMatch
}

func (p *fastPattern) dfs(s string, k, i int, st *fstate) (int, fastStatus) {
	if k == len(p.nodes) {
		return i, fastMatch
	}
	n := &p.nodes[k]
	cs := &st.cands[k]
	c, ok := p.cands(n, s, i, st, cs)
	if !ok {
		return 0, fastUnknown
	}
	for j := 0; j < c; j++ {
		switch n.kind {
		case nGroupBeg:
			st.gbeg = i
		case nGroupEnd:
			st.gend = i
		case nSep:
			st.sep = s[i]
		}
		if n.key != keyNone {
			st.spans[n.key] = [2]int{cs[j].gs, cs[j].ge}
		} else if n.kind == nYearOrY2 {
			if cs[j].end-i == 4 {
				st.spans[keyY], st.spans[keyy] = [2]int{i, i + 4}, [2]int{-1, -1}
			} else {
				st.spans[keyY], st.spans[keyy] = [2]int{-1, -1}, [2]int{i, i + 2}
			}
		}
		e, r := p.dfs(s, k+1, cs[j].end, st)
		if r != fastNoMatch {
			return e, r
		}
	}
	return 0, fastNoMatch
}

// cands lists the positions node n can end at when it starts at i, in the
// order a backtracking engine tries them. ok is false when unsure.
func (p *fastPattern) cands(n *node, s string, i int, st *fstate, out *[maxCand]cand) (c int, ok bool) {
	add := func(end, gs, ge int) bool {
		if c == maxCand {
			return false
		}
		out[c] = cand{end, gs, ge}
		c++
		return true
	}
	switch n.kind {
	case nBOL:
		if i == 0 {
			add(i, -1, -1)
		}
	case nStartLook:
		if i == 0 || i >= len(s) || !isWordByte(s[i]) || !isWordByte(s[i-1]) {
			// ^, \W at i, or \b (a word character after a non-word one;
			// at the end only \b after a word character, which \W|^ covers
			// when false: at len(s) "\W" fails and \b needs a word before)
			if i == len(s) && i > 0 && !isWordByte(s[i-1]) {
				break
			}
			add(i, -1, -1)
		}
	case nNonWord02:
		k := 0
		for k < 2 && i+k < len(s) && !isWordByte(s[i+k]) {
			k++
		}
		for ; k >= 0; k-- {
			add(i+k, -1, -1)
		}
	case nGroupBeg, nGroupEnd:
		add(i, -1, -1)
	case nLit:
		if i < len(s) && s[i] == n.c {
			add(i+1, -1, -1)
		}
	case nOptLit:
		if i < len(s) && s[i] == n.c {
			add(i+1, -1, -1)
		}
		add(i, -1, -1)
	case nOptClass:
		if i < len(s) && strings.IndexByte(n.set, s[i]) >= 0 {
			add(i+1, -1, -1)
		}
		add(i, -1, -1)
	case nWord:
		for _, w := range n.words {
			if eqFold(s, i, w, n.ci) {
				add(i+len(w), i, i+len(w))
			}
		}
	case nOptWord:
		for _, w := range n.words {
			if eqFold(s, i, w, n.ci) && i+len(w) < len(s) && s[i+len(w)] == ' ' {
				add(i+len(w)+1, i, i+len(w))
			}
		}
		add(i, -1, -1)
	case nToken:
		for _, alt := range n.alts {
			if !tokenCands(alt, s, i, i, add) {
				return 0, false
			}
		}
	case nYear:
		if y, ok := year4(s, i); ok && p.years[y] {
			add(i+4, i, i+4)
		}
	case nOptYear:
		if i < len(s) && s[i] == ' ' {
			if y, ok := year4(s, i+1); ok && p.years[y] {
				add(i+5, i+1, i+5)
			}
		}
		add(i, -1, -1)
	case nSep:
		if i < len(s) && strings.IndexByte(n.set, s[i]) >= 0 {
			add(i+1, -1, -1)
		}
	case nBackref:
		if i < len(s) && s[i] == st.sep {
			add(i+1, -1, -1)
		}
	case nTOrSpaces:
		if i < len(s) && s[i] == 'T' {
			add(i+1, -1, -1)
		}
		if i < len(s) && s[i] == ' ' {
			if i+1 < len(s) && s[i+1] == ' ' {
				add(i+2, -1, -1)
			}
			add(i+1, -1, -1)
		}
	case nOptFrac:
		if i < len(s) && strings.IndexByte(n.set, s[i]) >= 0 {
			k := 0
			for k < 6 && i+1+k < len(s) && isDigit(s[i+1+k]) {
				k++
			}
			for ; k >= 1; k-- {
				add(i+1+k, i+1, i+1+k)
			}
		}
		add(i, -1, -1)
	case nOptZone:
		k := 0
		if n.anyWS {
			for i+k < len(s) {
				b := s[i+k]
				if b >= 0x1c && b <= 0x1f {
					return 0, false // \s: Python and .NET differ
				}
				if b != ' ' && (b < '\t' || b > '\r') {
					break
				}
				k++
			}
		} else if i < len(s) && s[i] == ' ' {
			k = 1
		} else {
			k = -1
		}
		lo := 0
		if !n.anyWS {
			lo = k
		}
		for ; k >= lo && k >= 0; k-- {
			if !zoneCands(s, i+k, n.ci, add) {
				return 0, false
			}
		}
		if !add(i, -1, -1) {
			return 0, false
		}
	case nEndLook:
		if i == 0 || i >= len(s) || !isWordByte(s[i]) || !isWordByte(s[i-1]) {
			add(i, -1, -1)
		}
	case nY2:
		if i+2 <= len(s) && isDigit(s[i]) && isDigit(s[i+1]) {
			add(i+2, i, i+2)
		}
	case nYearOrY2:
		if y, ok := year4(s, i); ok && p.years[y] {
			add(i+4, i, i+4)
		}
		if i+2 <= len(s) && isDigit(s[i]) && isDigit(s[i+1]) {
			add(i+2, i, i+2)
		}
	case nOptZoneName:
		if i+1 < len(s) && (s[i] == 'Z' || n.ci && s[i] == 'z') && s[i+1] == ' ' {
			add(i+2, i, i+1)
		}
		k := 0
		for k < 5 && i+k < len(s) && (s[i+k] >= 'A' && s[i+k] <= 'Z' || n.ci && s[i+k] >= 'a' && s[i+k] <= 'z') {
			k++
		}
		for ; k >= 3; k-- {
			if i+k < len(s) && s[i+k] == ' ' {
				add(i+k+1, i, i+k)
			}
		}
		add(i, -1, -1)
	case nOptZoneSp:
		var zs [maxCand]cand
		zc := 0
		ok := zoneCands(s, i, n.ci, func(end, gs, ge int) bool {
			if zc == maxCand {
				return false
			}
			zs[zc] = cand{end, gs, ge}
			zc++
			return true
		})
		if !ok {
			return 0, false
		}
		for _, z := range zs[:zc] {
			if z.end < len(s) && s[z.end] == ' ' {
				add(z.end+1, z.gs, z.ge)
			}
		}
		add(i, -1, -1)
	case nEpochStart:
		if i == 0 || i == 1 && s[0] == '[' ||
			i >= 6 && s[i-6:i] == "audit(" && (i == 6 || !isWordByte(s[i-7])) {
			add(i, -1, -1)
		}
	case nDigits1011:
		k := 0
		for k < 11 && i+k < len(s) && isDigit(s[i+k]) {
			k++
		}
		if k == 11 {
			add(i+11, -1, -1)
		}
		if k >= 10 {
			add(i+10, -1, -1)
		}
	case nWordB:
		before := i > 0 && isWordByte(s[i-1])
		after := i < len(s) && isWordByte(s[i])
		if before != after {
			add(i, -1, -1)
		}
	case nOptDotDigits:
		if i < len(s) && s[i] == '.' {
			k := 0
			for k < 6 && i+1+k < len(s) && isDigit(s[i+1+k]) {
				k++
			}
			for ; k >= 3; k-- {
				add(i+1+k, -1, -1)
			}
		}
		add(i, -1, -1)
	case nUpToLit:
		// [^c]* stops at the first c, and only that end can be followed
		// by the c the node also takes
		if j := strings.IndexByte(s[i:], n.c); j >= 0 {
			add(i+j+1, -1, -1)
		}
	case nHex24:
		if i+25 <= len(s) && s[i] == '@' {
			for k := 1; k <= 24; k++ {
				c := s[i+k]
				if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
					return 0, true
				}
			}
			add(i+25, -1, -1)
		}
	}
	if c == maxCand {
		return c, false
	}
	return c, true
}

// tokenCands adds the ends of one alternative of a digit token.
func tokenCands(alt []item, s string, start, i int, add func(end, gs, ge int) bool) bool {
	if len(alt) == 0 {
		return add(i, start, i)
	}
	it := alt[0]
	if i < len(s) && strings.IndexByte(it.set, s[i]) >= 0 {
		if !tokenCands(alt[1:], s, start, i+1, add) {
			return false
		}
	}
	if it.opt {
		return tokenCands(alt[1:], s, start, i, add)
	}
	return true
}

// zoneCands adds the ends of Z|UTC|GMT|[+-][01]\d(?::?\d{2})? at i.
func zoneCands(s string, i int, ci bool, add func(end, gs, ge int) bool) bool {
	for _, w := range []string{"Z", "UTC", "GMT"} {
		if eqFoldUpper(s, i, w, ci) && !add(i+len(w), i, i+len(w)) {
			return false
		}
	}
	if i+3 <= len(s) && (s[i] == '+' || s[i] == '-') && (s[i+1] == '0' || s[i+1] == '1') && isDigit(s[i+2]) {
		j := i + 3
		if j+3 <= len(s) && s[j] == ':' && isDigit(s[j+1]) && isDigit(s[j+2]) {
			if !add(j+3, i, j+3) {
				return false
			}
		}
		if j+2 <= len(s) && isDigit(s[j]) && isDigit(s[j+1]) {
			if !add(j+2, i, j+2) {
				return false
			}
		}
		if !add(j, i, j) {
			return false
		}
	}
	return true
}

func eqFoldUpper(s string, i int, w string, ci bool) bool {
	if i+len(w) > len(s) {
		return false
	}
	for k := 0; k < len(w); k++ {
		c := s[i+k]
		if ci && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != w[k] {
			return false
		}
	}
	return true
}

func year4(s string, i int) (int, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	y := 0
	for k := 0; k < 4; k++ {
		c := s[i+k]
		if !isDigit(c) {
			return 0, false
		}
		y = y*10 + int(c-'0')
	}
	return y, true
}

// Happy paths: the common exact shapes at line start, decided with a few
// byte tests. Each accepts only when every alternative the regex tries
// before its answer fails at once, so the answer is the regex's; anything
// else goes to the general matcher.

func monthAt(s string, i int) int {
	if i+3 > len(s) {
		return 0
	}
	// ASCII letters to lower case; other bytes match no month
	switch uint32(lower(s[i]))<<16 | uint32(lower(s[i+1]))<<8 | uint32(lower(s[i+2])) {
	case 'j'<<16 | 'a'<<8 | 'n':
		return 1
	case 'f'<<16 | 'e'<<8 | 'b':
		return 2
	case 'm'<<16 | 'a'<<8 | 'r':
		return 3
	case 'a'<<16 | 'p'<<8 | 'r':
		return 4
	case 'm'<<16 | 'a'<<8 | 'y':
		return 5
	case 'j'<<16 | 'u'<<8 | 'n':
		return 6
	case 'j'<<16 | 'u'<<8 | 'l':
		return 7
	case 'a'<<16 | 'u'<<8 | 'g':
		return 8
	case 's'<<16 | 'e'<<8 | 'p':
		return 9
	case 'o'<<16 | 'c'<<8 | 't':
		return 10
	case 'n'<<16 | 'o'<<8 | 'v':
		return 11
	case 'd'<<16 | 'e'<<8 | 'c':
		return 12
	}
	return 0
}

func d2(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

func in(c byte, lo, hi byte) bool { return c >= lo && c <= hi }

// happySyslog: "Mon DD HH:MM:SS" or "Mon  D HH:MM:SS" at line start, as
// the anchored syslog template takes it: after up to two non-word ASCII
// bytes (\W{0,2}, greedy), an optional day name and space, and then an
// optional fraction of one to six digits, an optional " YYYY" (%ExY)
// that a non-word byte follows, and the end of the line or a non-word
// character. Anything that makes the regex backtrack (a dot without
// digits, seven digits, a space and digits that are no year) goes to
// the general matcher.
func (p *fastPattern) happySyslog(s string, m *match) bool {
	k := 0
	for k < 2 && k < len(s) && s[k] < utf8.RuneSelf && !isWordByte(s[k]) {
		k++
	}
	if k < 2 && k < len(s) && s[k] >= utf8.RuneSelf {
		return false // \W on a non-ASCII character: let the regex decide
	}
	i := k
	wd := -1
	// no day name is a month name: a month here means no day name
	mo := monthAt(s, i)
	if mo == 0 && i+4 <= len(s) && s[i+3] == ' ' {
		if w := weekdayAt(s, i); w >= 0 {
			wd, i = w, i+4
			mo = monthAt(s, i)
		}
	}
	if mo == 0 || len(s) < i+15 || s[i+3] != ' ' || s[i+6] != ' ' || s[i+9] != ':' || s[i+12] != ':' {
		return false
	}
	a, b := s[i+4], s[i+5]
	var day int
	switch {
	case in(a, '1', '2') && in(b, '0', '9'), a == '0' && in(b, '1', '9'), a == '3' && in(b, '0', '1'):
		day = d2(s, i+4)
	case a == ' ' && in(b, '1', '9'):
		day = int(b - '0')
	default:
		return false
	}
	if !in(s[i+7], '0', '2') || !in(s[i+8], '0', '9') || !in(s[i+10], '0', '5') || !in(s[i+11], '0', '9') ||
		!in(s[i+13], '0', '5') || !in(s[i+14], '0', '9') {
		return false
	}
	e := i + 15
	frac, e, ok := fraction(s, e)
	if !ok {
		return false
	}
	year := -1
	if e < len(s) && s[e] == ' ' && e+1 < len(s) && in(s[e+1], '0', '9') {
		y, ok := year4(s, e+1)
		if !ok || !p.years[y] || e+5 < len(s) && (isWordByte(s[e+5]) || s[e+5] >= utf8.RuneSelf) {
			return false
		}
		year, e = y, e+5
	}
	if e < len(s) && (isWordByte(s[e]) || s[e] >= utf8.RuneSelf || frac == "" && year < 0 && s[e] == '.') {
		return false
	}
	m.start, m.end, m.gstart, m.gend, m.fast, m.rm, m.rx = 0, e, k, e, true, nil, nil
	m.f = dateFields{
		has:   1<<keyb | 1<<keym | 1<<keyd | 1<<keyH | 1<<keyM | 1<<keyS,
		month: mo, day: day, hour: d2(s, i+7), minute: d2(s, i+10), second: d2(s, i+13),
	}
	if wd >= 0 {
		m.f.has |= 1 << keya
		m.f.weekday = wd
	}
	if year >= 0 {
		m.f.has |= 1 << keyY
		m.f.year = year
	}
	if frac != "" {
		m.f.set(keyf, frac)
	}
	return true
}

// weekdayAt returns the day (Monday 0) whose three-letter name, in any
// case, is at s[i:], or -1.
func weekdayAt(s string, i int) int {
	if i+3 > len(s) {
		return -1
	}
	switch uint32(lower(s[i]))<<16 | uint32(lower(s[i+1]))<<8 | uint32(lower(s[i+2])) {
	case 'm'<<16 | 'o'<<8 | 'n':
		return 0
	case 't'<<16 | 'u'<<8 | 'e':
		return 1
	case 'w'<<16 | 'e'<<8 | 'd':
		return 2
	case 't'<<16 | 'h'<<8 | 'u':
		return 3
	case 'f'<<16 | 'r'<<8 | 'i':
		return 4
	case 's'<<16 | 'a'<<8 | 't':
		return 5
	case 's'<<16 | 'u'<<8 | 'n':
		return 6
	}
	return -1
}

// happyISO: "YYYY-MM-DD[T ]HH:MM:SS" (separator - / or .) at line start,
// with an optional fraction of up to six digits and an optional attached
// zone (Z, +hh, +hhmm, +hh:mm).
func (p *fastPattern) happyISO(s string, m *match) bool {
	if len(s) < 19 {
		return false
	}
	y, ok := year4(s, 0)
	if !ok || !p.years[y] {
		return false
	}
	sep := s[4]
	if (sep != '-' && sep != '/' && sep != '.') || s[7] != sep || s[13] != ':' || s[16] != ':' {
		return false
	}
	// month: two digits, 01-09 or 10-12
	if !(s[5] == '0' && in(s[6], '1', '9') || s[5] == '1' && in(s[6], '0', '2')) {
		return false
	}
	a, b := s[8], s[9]
	if !(in(a, '1', '2') && in(b, '0', '9') || a == '0' && in(b, '1', '9') || a == '3' && in(b, '0', '1')) {
		return false
	}
	if !(s[10] == 'T' || s[10] == ' ' && in(s[11], '0', '9')) {
		return false
	}
	if !(in(s[11], '0', '1') && in(s[12], '0', '9') || s[11] == '2' && in(s[12], '0', '3')) ||
		!in(s[14], '0', '5') || !in(s[15], '0', '9') || !in(s[17], '0', '5') || !in(s[18], '0', '9') {
		return false
	}
	*m = match{start: 0, gstart: 0, fast: true}
	f := &m.f
	f.has = 1<<keyY | 1<<keym | 1<<keyd | 1<<keyH | 1<<keyM | 1<<keyS
	f.year, f.month, f.day, f.hour, f.minute, f.second = y, d2(s, 5), d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17)
	e := 19
	if e < len(s) && (s[e] == '.' || s[e] == ',') {
		k := 0
		for k < 7 && e+1+k < len(s) && in(s[e+1+k], '0', '9') {
			k++
		}
		if k == 0 || k > 6 {
			return false
		}
		f.set(keyf, s[e+1:e+1+k])
		e += 1 + k
	}
	if e < len(s) {
		switch c := s[e]; {
		case c == 'Z':
			if e+1 < len(s) && isWordByte(s[e+1]) {
				return false
			}
			f.set(keyz, "Z")
			e++
		case c == '+' || c == '-':
			z := e + 3
			if z > len(s) || !in(s[e+1], '0', '1') || !in(s[e+2], '0', '9') {
				return false
			}
			if z+3 <= len(s) && s[z] == ':' && in(s[z+1], '0', '9') && in(s[z+2], '0', '9') {
				z += 3
			} else if z+2 <= len(s) && in(s[z], '0', '9') && in(s[z+1], '0', '9') {
				z += 2
			}
			if z < len(s) && isWordByte(s[z]) {
				return false
			}
			f.set(keyz, s[e:z])
			e = z
		case c == ' ':
			// \s* then a zone, else (?=\W) holds at the space: the
			// date ends here when the first byte after the spaces
			// starts no zone (Z, UTC, GMT, +hh, -hh; the template is
			// case-sensitive) and is a printable ASCII byte (\s of
			// Python and .NET differ on some control bytes)
			n := e + 1
			for n < len(s) && s[n] == ' ' {
				n++
			}
			if n < len(s) {
				b := s[n]
				if b <= ' ' || b >= 0x7f || b == 'Z' || b == 'U' || b == 'G' || b == '+' || b == '-' {
					return false
				}
			}
		case isWordByte(c) || c < ' ' || c == '.' || c == ',':
			// a word character, a blank (a zone after \s*) or a
			// second fraction: let the general matcher decide
			return false
		}
	}
	m.end, m.gend = e, e
	return true
}

// twoDigitDay reports whether s[i:i+2] is a day the token
// (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1]) takes whole when a non-digit follows
// (01-31).
func twoDigitDay(s string, i int) bool {
	a, b := s[i], s[i+1]
	return in(a, '1', '2') && in(b, '0', '9') || a == '0' && in(b, '1', '9') || a == '3' && in(b, '0', '1')
}

// hms checks "HH:MM:SS" at i as (?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):
// (?P<S>[0-5]?\d|6[0-1]) take it when two digits each (hours 00-23,
// minutes 00-59, seconds 00-61).
func hms(s string, i int) bool {
	return i+8 <= len(s) && s[i+2] == ':' && s[i+5] == ':' &&
		(in(s[i], '0', '1') && in(s[i+1], '0', '9') || s[i] == '2' && in(s[i+1], '0', '3')) &&
		in(s[i+3], '0', '5') && in(s[i+4], '0', '9') &&
		(in(s[i+6], '0', '5') && in(s[i+7], '0', '9') || s[i+6] == '6' && in(s[i+7], '0', '1'))
}

// numZone reads a zone [+-][01]\d(?::?\d{2})? at i (the greedy form:
// "+hh:mm", "+hhmm" or "+hh") and returns its end, or -1.
func numZone(s string, i int) int {
	if i+3 > len(s) || s[i] != '+' && s[i] != '-' || !in(s[i+1], '0', '1') || !in(s[i+2], '0', '9') {
		return -1
	}
	z := i + 3
	if z+3 <= len(s) && s[z] == ':' && in(s[z+1], '0', '9') && in(s[z+2], '0', '9') {
		return z + 3
	}
	if z+2 <= len(s) && in(s[z], '0', '9') && in(s[z+1], '0', '9') {
		return z + 2
	}
	return z
}

// happyCLF: the access-log date "[DD/Mon/YYYY:HH:MM:SS +zzzz]" after the
// first "[" of the line (the only place ^[^\[]*\[ can reach), the line
// ASCII up to its "]".
func (p *fastPattern) happyCLF(s string, m *match) bool {
	i := strings.IndexByte(s, '[')
	if i < 0 || !asciiOnly(s[:i]) {
		return false
	}
	return clfAt(s, i+1, m)
}

// happyBrackApache: "DD/Mon/YYYY:HH:MM:SS" (or with "-" and a space)
// after the line's first "[", then an optional fraction and an optional
// " +zzzz" zone, as reBrackApache takes them; a zone word (Z, UTC, GMT)
// or anything that makes the regex backtrack goes to the general matcher.
func (p *fastPattern) happyBrackApache(s string, m *match) bool {
	i := strings.IndexByte(s, '[')
	if i < 0 || !asciiOnly(s[:i]) {
		return false
	}
	if !p.apacheAt(s, i+1, m) {
		return false
	}
	m.start = 0
	return true
}

// apacheAt is fail2ban's Apache default template's body
// (Day(?P<_sep>[-/])MON(?P=_sep)ExYear[ :]?24hour:Minute:Second
// (?:\.Microseconds)?(?: Zone offset)? and its end look-ahead) at g of an
// ASCII s, on the happy path: a two-digit day, a four-digit hour, minute
// and second; the match (start and date text) is [g, m.end).
func (p *fastPattern) apacheAt(s string, g int, m *match) bool {
	if g+20 > len(s) || !twoDigitDay(s, g) {
		return false
	}
	sep := s[g+2]
	if sep != '/' && sep != '-' || s[g+6] != sep || (s[g+11] != ':' && s[g+11] != ' ') {
		return false
	}
	mo := monthAt(s, g+3)
	y, ok := year4(s, g+7)
	if mo == 0 || !ok || !p.years[y] || !hms(s, g+12) {
		return false
	}
	e := g + 20
	frac, e, ok := fraction(s, e)
	if !ok {
		return false
	}
	zone, hasZone := 0, false
	if e < len(s) && s[e] == ' ' {
		switch ze := numZone(s, e+1); {
		case ze >= 0:
			if ze < len(s) && (isWordByte(s[ze]) || s[ze] >= utf8.RuneSelf) {
				return false
			}
			zone, hasZone = numZoneMinutes(s, e+1, ze), true
			e = ze
		case e+1 < len(s) && strings.IndexByte("zZuUgG+-", s[e+1]) >= 0:
			return false
		}
	} else if e < len(s) && (isWordByte(s[e]) || s[e] >= utf8.RuneSelf) {
		return false
	}
	m.start, m.end, m.gstart, m.gend, m.fast, m.rm, m.rx = g, e, g, e, true, nil, nil
	m.f = dateFields{
		has:  1<<keyb | 1<<keym | 1<<keyd | 1<<keyY | 1<<keyH | 1<<keyM | 1<<keyS,
		year: y, month: mo, day: d2(s, g), hour: d2(s, g+12), minute: d2(s, g+15), second: d2(s, g+18),
	}
	if hasZone {
		m.f.has |= 1 << keyz
		m.f.zone, m.f.hasZone = zone, true
	}
	if frac != "" {
		m.f.set(keyf, frac)
	}
	return true
}

// happyTraefik: the access-log date after three space-separated fields
// (traefik-auth's ^\S+ \S+ \S+ \[(...)\]). Each \S+ takes a whole run of
// non-blanks, so the fields are the runs before the first three spaces;
// the happy path takes printable ASCII fields only (\s of Python and .NET
// differ on control bytes).
func (p *fastPattern) happyTraefik(s string, m *match) bool {
	i := 0
	for f := 0; f < 3; f++ {
		j := i
		for j < len(s) && s[j] > ' ' && s[j] < 0x7f {
			j++
		}
		if j == i || j >= len(s) || s[j] != ' ' {
			return false
		}
		i = j + 1
	}
	if i >= len(s) || s[i] != '[' {
		return false
	}
	return clfAt(s, i+1, m)
}

// clfAt checks "DD/Mon/YYYY:HH:MM:SS +zzzz]" at g (after the "[" the
// match starts at 0 with) and fills m.
func clfAt(s string, g int, m *match) bool {
	// DD/Mon/YYYY:HH:MM:SS +zzzz]
	if g+27 > len(s) || s[g+2] != '/' || s[g+6] != '/' || s[g+11] != ':' || s[g+20] != ' ' || !twoDigitDay(s, g) {
		return false
	}
	mo := monthAt(s, g+3)
	y, ok := year4(s, g+7)
	if mo == 0 || !ok || !hms(s, g+12) {
		return false
	}
	ze := numZone(s, g+21)
	if ze < 0 || ze >= len(s) || s[ze] != ']' {
		return false
	}
	m.start, m.end, m.gstart, m.gend, m.fast, m.rm, m.rx = 0, ze+1, g, ze, true, nil, nil
	m.f = dateFields{
		has:  1<<keyb | 1<<keym | 1<<keyd | 1<<keyY | 1<<keyH | 1<<keyM | 1<<keyS | 1<<keyz,
		year: y, month: mo, day: d2(s, g), hour: d2(s, g+12), minute: d2(s, g+15), second: d2(s, g+18),
		zone: numZoneMinutes(s, g+21, ze), hasZone: true,
	}
	return true
}

// numZoneMinutes is the offset east in minutes of a zone numZone read at
// [i,end): what zoneOffset gives for "+hh", "+hhmm" or "+hh:mm".
func numZoneMinutes(s string, i, end int) int {
	off := d2(s, i+1) * 60
	switch end - i {
	case 5:
		off += d2(s, i+3)
	case 6:
		off += d2(s, i+4)
	}
	if s[i] == '-' {
		return -off
	}
	return off
}

// asciiOnly reports whether s has only ASCII bytes, eight at a time: the
// last eight bytes as one word too (overlapping the words before), so no
// byte goes one at a time unless s is shorter than eight. The loops cut s
// from the front and read constant slices of it, so the compiler drops
// every bounds check (indexing s[i:] at a moving i cost each word a
// check and made this three times slower).
func asciiOnly(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
		return true
	}
	// four words a round into two sums (independent ORs), then words
	w, v := le64(s[len(s)-8:]), uint64(0)
	for len(s) >= 32 {
		w |= le64(s[:8]) | le64(s[8:16])
		v |= le64(s[16:24]) | le64(s[24:32])
		s = s[32:]
	}
	for len(s) >= 8 {
		w |= le64(s[:8])
		s = s[8:]
	}
	return (w|v)&0x8080808080808080 == 0
}

// happyYMDSlash: "YYYY/MM/DD HH:MM:SS" at line start (nginx's error log),
// followed by the end of the line or a non-word character.
func (p *fastPattern) happyYMDSlash(s string, m *match) bool {
	if len(s) < 19 || s[4] != '/' || s[7] != '/' || s[10] != ' ' {
		return false
	}
	y, ok := year4(s, 0)
	if !ok || !p.years[y] || !(s[5] == '0' && in(s[6], '1', '9') || s[5] == '1' && in(s[6], '0', '2')) ||
		!twoDigitDay(s, 8) || !hms(s, 11) {
		return false
	}
	if len(s) > 19 && (isWordByte(s[19]) || s[19] >= utf8.RuneSelf) {
		return false
	}
	*m = match{start: 0, end: 19, gstart: 0, gend: 19, fast: true}
	f := &m.f
	f.has = 1<<keyY | 1<<keym | 1<<keyd | 1<<keyH | 1<<keyM | 1<<keyS
	f.year, f.month, f.day, f.hour, f.minute, f.second = y, d2(s, 5), d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17)
	return true
}

// happyGrafana: "t=YYYY-MM-DDTHH:MM:SS[.ffffff]+zzzz" at line start,
// followed by the end of the line or a non-word character.
func (p *fastPattern) happyGrafana(s string, m *match) bool {
	if len(s) < 24 || s[0] != 't' || s[1] != '=' || s[6] != '-' || s[9] != '-' || s[12] != 'T' {
		return false
	}
	y, ok := year4(s, 2)
	if !ok || !(s[7] == '0' && in(s[8], '1', '9') || s[7] == '1' && in(s[8], '0', '2')) || !twoDigitDay(s, 10) || !hms(s, 13) {
		return false
	}
	e := 21
	var frac string
	if s[e] == '.' {
		k := 0
		for k < 7 && e+1+k < len(s) && in(s[e+1+k], '0', '9') {
			k++
		}
		if k == 0 || k > 6 {
			return false
		}
		frac = s[e+1 : e+1+k]
		e += 1 + k
	}
	var ze, zone int
	if e < len(s) && s[e] == 'Z' {
		ze = e + 1
	} else if ze = numZone(s, e); ze < 0 {
		return false
	} else {
		zone = numZoneMinutes(s, e, ze)
	}
	if ze < len(s) && (isWordByte(s[ze]) || s[ze] >= utf8.RuneSelf) {
		return false
	}
	m.start, m.end, m.gstart, m.gend, m.fast, m.rm, m.rx = 0, ze, 2, ze, true, nil, nil
	m.f = dateFields{
		has:  1<<keyY | 1<<keym | 1<<keyd | 1<<keyH | 1<<keyM | 1<<keyS | 1<<keyz,
		year: y, month: d2(s, 7), day: d2(s, 10), hour: d2(s, 13), minute: d2(s, 16), second: d2(s, 19),
		zone: zone, hasZone: true,
	}
	if frac != "" {
		m.f.set(keyf, frac)
	}
	return true
}

// fraction reads an optional fraction of a second at s[e:]: a '.' and one
// to six digits. It returns the digits, the index after them (e when there
// is no '.') and false when a '.' is followed by none or more than six.
func fraction(s string, e int) (frac string, end int, ok bool) {
	if e >= len(s) || s[e] != '.' {
		return "", e, true
	}
	n := 0
	for n < 7 && e+1+n < len(s) && in(s[e+1+n], '0', '9') {
		n++
	}
	if n == 0 || n > 6 {
		return "", e, false
	}
	return s[e+1 : e+1+n], e + 1 + n, true
}
