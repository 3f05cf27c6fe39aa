package filter

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/pyre"
)

// DateFinder finds the timestamp of a log line: a [datedetect.Detector].
type DateFinder interface {
	// FindDate returns the byte span of the line's date text and whether
	// it is a valid date, and makes dst that date, its time built when
	// asked ([datedetect.Detector.FindDate]; a finder that knows the
	// time at once sets dst to [datedetect.At] of it).
	FindDate(line string, dst *datedetect.Date) (start, end int, ok bool)
}

// MatcherOptions configure a Matcher.
type MatcherOptions struct {
	// Dates finds the timestamps; nil means lines carry none (every line
	// is at Now).
	Dates DateFinder
	// Now is "now" for lines without a date; nil means time.Now.
	Now func() time.Time
	// Clock is the wall clock of the multi-line failure cache; nil means
	// time.Now.
	Clock func() time.Time
	// DNS resolves host names for usedns yes and warn; nil means the
	// system resolver with fail2ban's cache.
	DNS *DNSCache
	// Warn receives diagnostics (usedns=warn look-ups); nil drops them.
	Warn func(msg string)
	// NoGroups leaves Failure.Groups nil (a map less per failure, for
	// callers that use Host, IP, Captures and Users only).
	NoGroups bool
	// Matches fills Failure.Lines with the log text of each failure (the
	// cost is paid on lines that match a failregex only).
	Matches bool
	// ReuseCaptures lets the Matcher reuse the Failure.Captures maps and
	// the Users and Lines slices: like the Result, they are valid until
	// the next call only (a map and two slices less per failure, for
	// callers that consume each Result at once).
	ReuseCaptures bool
	// ReuseStrings lets the Matcher write the strings of a one-line
	// failure (Host, Captures' values, Users, Lines) into one buffer it
	// reuses: they are valid until the next call only, like the Result.
	// It applies to filters of one line, outside Probe (a host name looked
	// up is copied for the DNS cache). With an mlfid, what the multi-line
	// cache keeps of a line is copied into buffers of the cache's own,
	// which it reuses once the session has left it. For callers that
	// consume each Result at once (fresh memory costs a page fault per
	// 4 KiB, and garbage collections: a failure's strings are its line).
	ReuseStrings bool
	// NoNewlines is the caller's promise that the lines it gives Line,
	// LineHint and Probe hold no '\n' (they were cut at line ends, as
	// pkg/lines cuts them): the Matcher then does not look for one where
	// a line holding one would be matched another way. LineAt's messages
	// (a journal message may hold one) are looked at regardless. A line
	// that breaks the promise may be matched unlike fail2ban would.
	NoNewlines bool
}

// Failure is one failure found in the input.
type Failure struct {
	Regex    int          // index of the failregex that matched
	Time     time.Time    // the line's time
	Host     string       // the failure id as captured (F-ID, else the host)
	IP       netip.Prefix // the address (or subnet), when there is one
	Captures map[string]string
	Users    []string // the distinct users of a multi-line failure (all of them)
	Attempts int      // lines merged into this failure
	// Lines is the failure's log text, as fail2ban's ticket matches: the
	// whole line of a one-line failure; for a multi-line failure its
	// matched lines (the buffer's lines without their date with maxlines;
	// the whole lines merged by mlfid). Only with MatcherOptions.Matches;
	// at most event.MaxMatchLines lines (the last), each cut by
	// event.CutMatch.
	Lines []string
	// Resolved is set when IP came from a host name capture (<DNS>, <HOST>
	// with a name) rather than from Host: fail2ban counts such a failure
	// under its address, even with an <F-ID>.
	Resolved bool
	// Groups holds every group of fail2ban's failure dict that took part
	// (ip4, ip6, dns, fid, mlfid ... and the captures, names as written).
	Groups map[string]string
}

// Result is what one line gave.
type Result struct {
	Failures []Failure
	Regex    int  // the failregex that matched (also without failure), or -1
	Ignore   int  // the ignoreregex that matched, or -1
	HasDate  bool // the time was found in the line (or given)
	// DNSDropped counts the failures of the line dropped because their
	// host name gave no address (usedns yes or warn; see [DNSCache]).
	DNSDropped int

	date *datedetect.Date // the line's time, when not nil (the Matcher's)
	t    time.Time        // else the line's time
}

// Time returns the line's time: the time of its date, or the last date
// or "now" as fail2ban takes them for a line without one. It is built
// at the first call (a line that is no failure seldom needs it): like
// the Result, it holds until the Matcher's next call.
func (r *Result) Time() time.Time {
	if r.date != nil {
		return r.date.Time()
	}
	return r.t
}

// TimeoutError reports a regex that outlived its match timeout on a line.
type TimeoutError struct {
	Filter string
	Regex  string // "prefregex", "failregex 3" (1-based) or "ignoreregex 1"
	Err    error
}

func (e *TimeoutError) Error() string {
	msg := e.Err.Error()
	if i := strings.Index(msg, " on input"); i >= 0 {
		msg = msg[:i] // regexp2 quotes the whole input
	}
	return fmt.Sprintf("filter %s: %s: %s", e.Filter, e.Regex, msg)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Matcher runs a Filter over a stream of lines, keeping fail2ban's state
// (line buffer, multi-line failure cache, last date). It is not safe for
// concurrent use; run one Matcher per stream.
type Matcher struct {
	f     *Filter
	opts  MatcherOptions
	dns   *DNSCache
	cache *ttlCache[*failData]

	// dates[last] is fail2ban's last date (last < 0: none yet); the
	// current line's date is found into the other one
	dates   [2]datedetect.Date
	last    int
	lineBuf []string
	cur     []byte // the line being processed, as given (for Failure.Lines)

	bbuf    []byte
	psp     []pyre.Span // the prefregex's match
	sp      []pyre.Span // a failregex's match
	pre     []span      // the prefregex's groups that took part
	preAlts []span      // its alt_ groups that took part, by target
	runes   []rune
	content []rune
	cand    []bool
	cand2   []bool
	pf      *prefState // f.pre's state, nil without
	one     [1]string  // a one-line failure's text (runFail)
	ascii   []byte     // see groupsOf; set on an ASCII line (content) of one line
	bts     pyre.Scratch
	res     Result
	free    *failData // see scratch
	// ReuseCaptures: the Captures maps, capUsed of them taken by the
	// current Result
	capMaps []map[string]string
	capUsed int
	// ReuseCaptures: the Users and Lines of the current Result's failures
	// (one emit per line: its failures share them)
	usersBuf, linesBuf []string
	// ReuseStrings, where it applies (reuseStr): the buffer of a failure's
	// strings
	reuseStr bool
	strBuf   []byte
	// ReuseStrings on a filter with an mlfid (of one line): a line's
	// strings are written into the buffer of its failure dict (the
	// scratch one, runFail), and what the multi-line cache keeps of them
	// is copied into the buffers of the failData that holds them (own:
	// nothing to copy when that is the scratch one the cache takes)
	reuseMLF bool
	// failure dicts the multi-line cache let go, for scratch
	pool []*failData
	// merge's lines of a failure
	tmpLines []string
	// the date span the last Line cut out (Probe)
	probeS, probeE int
	// probing: runFail hands a failregex match to hint (Probe) instead
	// of merging and emitting it
	probing   bool
	hint      Hint
	arena     *HintArena
	rematched int64 // lines whose Hint LineHint could not take

	// pend[i]: failregex i is in cand for its start set only (the fast
	// prefix path, startIndex.markStarts); its literal sets are asked on
	// lits (the content) before it runs. lits is nil elsewhere.
	pend []bool
	lits []byte
}

// span is a group of a match: its name and runes.
type span struct {
	name   string
	idx, n int
}

// failData is fail2ban's failure dict: the groups that took part in the
// match (a group that did not is absent) and the bookkeeping keys.
type failData struct {
	g             dict
	users         []string
	matches       int
	nofailMatches int
	pending       bool
	// lines and nofailLines are the texts counted by matches and
	// nofailMatches (with MatcherOptions.Matches only).
	lines       []string
	nofailLines []string
	// With Matcher.reuseMLF, a failData the multi-line cache holds owns
	// its strings: they are in buf, and key is its cache key (see own).
	buf, spare []byte
	key        []byte
}

// reset empties fd for another failure, keeping its room (every field:
// one added must be reset here).
func (fd *failData) reset() {
	fd.g.reset()
	clear(fd.users)
	clear(fd.lines)
	clear(fd.nofailLines)
	fd.users, fd.lines, fd.nofailLines, fd.buf = fd.users[:0], fd.lines[:0], fd.nofailLines[:0], fd.buf[:0]
	fd.matches, fd.nofailMatches, fd.pending = 0, 0, false
}

// own copies the strings fd keeps (its groups' values, its users and
// lines) that are not yet in its buffer into it: with ReuseStrings a
// failure the multi-line cache keeps outlives the buffer of the line's
// strings. The buffer is only appended to, so the strings of the
// Result before stay as they were; when it is full, every string is
// copied into the spare buffer, which becomes the buffer (the old one
// holds no string fd keeps any longer: it is the spare of the next
// compaction).
func (fd *failData) own() {
	need := 0
	for s := range fd.strs {
		need += fd.outside(*s)
	}
	if need == 0 {
		return
	}
	all := len(fd.buf)+need > cap(fd.buf)
	if all {
		live := 0
		for s := range fd.strs {
			live += len(*s)
		}
		b := fd.spare[:0]
		if cap(b) < live {
			b = make([]byte, 0, max(2*live, 1024))
		}
		fd.spare, fd.buf = fd.buf, b
	}
	for s := range fd.strs {
		fd.put(s, all)
	}
}

// strs yields each string fd keeps, to be read or replaced: its groups'
// values, its users and its lines (a string field added to failData
// goes here, as in reset).
func (fd *failData) strs(yield func(*string) bool) {
	for i := range fd.g.e {
		if !yield(&fd.g.e[i].v) {
			return
		}
	}
	for _, l := range [...][]string{fd.users, fd.lines, fd.nofailLines} {
		for i := range l {
			if !yield(&l[i]) {
				return
			}
		}
	}
}

// outside is len(s) when s is not in fd.buf, else 0.
func (fd *failData) outside(s string) int {
	if s == "" || inBytes(s, fd.buf) {
		return 0
	}
	return len(s)
}

// put copies *s into fd.buf, which has room for it, when all or when it
// is not there yet.
func (fd *failData) put(s *string, all bool) {
	if *s == "" || !all && inBytes(*s, fd.buf) {
		return
	}
	at := len(fd.buf)
	fd.buf = append(fd.buf, *s...)
	*s = unsafe.String(&fd.buf[at], len(*s))
}

// inBytes reports whether the bytes of s (not empty) are in b[:len(b)].
func inBytes(s string, b []byte) bool {
	if len(b) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	at := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= at && p < at+uintptr(len(b))
}

// NewMatcher returns a Matcher of f.
func NewMatcher(f *Filter, opts MatcherOptions) *Matcher {
	m := &Matcher{f: f, opts: opts, dns: opts.DNS, cand: make([]bool, len(f.fail)), pend: make([]bool, len(f.fail)), last: -1}
	if f.pre != nil {
		m.pf = f.pre.newState()
	}
	if m.opts.Now == nil {
		m.opts.Now = time.Now
	}
	if m.opts.Clock == nil {
		m.opts.Clock = time.Now
	}
	if m.dns == nil && (f.useDNS == "yes" || f.useDNS == "warn") {
		m.dns = &DNSCache{Warn: opts.Warn}
	}
	m.reuseStr = opts.ReuseStrings && f.lines <= 1 && f.fastPref == nil && !f.hasMLFID()
	m.reuseMLF = opts.ReuseStrings && f.lines <= 1 && f.hasMLFID()
	return m
}

// Filter returns the matcher's filter.
func (m *Matcher) Filter() *Filter { return m.f }

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Line processes one log line (without its line end). Its date is found
// and cut out unless the filter reads journal messages. The Result is valid
// until the next call.
func (m *Matcher) Line(line []byte) (res *Result, err error) {
	return m.LineHint(line, Hint{})
}

// Hint is what Probe learnt of a line on another Matcher of the same
// filter: the date span it cut out, and what the regexes made of the rest
// (the message): nothing, an ignoreregex, or a failregex match with its
// groups, not yet merged into any multi-line failure nor emitted. The
// zero Hint says nothing.
type Hint struct {
	s, e          int
	kind          hintKind
	regex, ignore int      // hintIgnored, hintFailure
	groups        []string // hintFailure: the failure dict, name and value by turns (in a HintArena)
	lines         []string // hintFailure: its lines (MatcherOptions.Matches)
}

// HintArena holds the groups of the Hints of a batch of lines (Probe):
// Reset it when the batch's hints are used up.
type HintArena struct{ strs []string }

// Reset empties the arena for the next batch; the Hints that use it no
// longer hold.
func (a *HintArena) Reset() {
	clear(a.strs)
	a.strs = a.strs[:0]
}

type hintKind uint8

const (
	hintNone    hintKind = iota
	hintQuiet            // no failregex and no ignoreregex matched
	hintIgnored          // an ignoreregex matched (regex, ignore as in Result)
	hintFailure          // failregex regex matched, groups holds its failure dict
	// failregex regex matched, and it only forgets session groups[0] (no
	// failure) when the session is not cached (forgetOnly)
	hintForget
)

// Quiet reports whether the probe found that the line met no failregex
// and no ignoreregex.
func (h Hint) Quiet() bool { return h.kind == hintQuiet }

// Parallel reports whether Probe gives hints for this filter: single-line
// filters whose lines carry dates (the regexes of a line then depend on
// its message only, never on the lines before; with maxlines > 1 they see
// the buffer).
func (f *Filter) Parallel() bool { return f.lines <= 1 && !f.Journal() }

// Probe matches line as Line does, on this Matcher's own state, and
// returns a Hint for LineHint of another Matcher: a batch of lines can be
// probed on other goroutines, each with its own Matcher, while one Matcher
// takes the lines in order. Probe does all of a line's work that depends
// on the line alone (its date, the regexes, the groups of a match); what
// depends on the lines before (the multi-line failure cache, DNS, the
// failure's time) is left to LineHint. The Hint keeps the groups of a
// match in a, until a is Reset. The Matcher's state after Probe is of no
// use but to probe further lines.
func (m *Matcher) Probe(line []byte, a *HintArena) Hint {
	if !m.f.Parallel() || m.opts.Dates == nil {
		return Hint{}
	}
	if a == nil {
		a = &HintArena{}
	}
	m.probeS, m.probeE = -1, -1
	m.probing, m.hint, m.arena = true, Hint{}, a
	res, err := m.Line(line)
	m.probing, m.arena = false, nil
	h := m.hint
	m.hint = Hint{}
	if err != nil || m.probeS < 0 {
		return Hint{}
	}
	h.s, h.e = m.probeS, m.probeE
	switch {
	case res.Ignore >= 0:
		h.kind, h.regex, h.ignore, h.groups, h.lines = hintIgnored, res.Regex, res.Ignore, nil, nil
	case h.kind == hintFailure, h.kind == hintForget:
	case res.Regex >= 0:
		return Hint{} // (a match runFail did not hand over)
	default:
		h.kind = hintQuiet
	}
	return h
}

// LineHint is Line with a Hint of Probe: when this Matcher cuts the same
// date span out of the line as the probe did, the regexes are not run
// again (for a single-line filter they would give the same answer: they
// see that text only) and the probe's match is taken as this Matcher's
// own: merged into the multi-line failure cache and emitted here, at this
// Matcher's time. The date is always found here, so the date state and
// the times are Line's.
func (m *Matcher) LineHint(line []byte, h Hint) (res *Result, err error) {
	if m.f.Journal() || m.opts.Dates == nil {
		return m.LineAt(line, m.opts.Now())
	}
	defer m.recoverLine(&res, &err)
	m.cur = line
	var s, e int
	cur := &m.dates[m.spare()]
	var date *datedetect.Date // the line's time, when not nil
	var t time.Time           // else the line's time
	start, end, ok := m.opts.Dates.FindDate(unsafeString(line), cur)
	if ok && start >= 0 && end >= start && end <= len(line) {
		s, e = start, end
		if end > start {
			m.last, date = m.spare(), cur
		} else {
			// A template matched empty text (a datepattern such as
			// `^WARNING:()**` marks lines that carry no date): fail2ban
			// takes the last date when it is under a minute old, else
			// "now", and keeps the last date as it is.
			now := m.opts.Now()
			if date = m.recent(now); date == nil {
				t = now
			}
		}
	} else {
		// No date. fail2ban's processLine then takes the last date when
		// it is under a minute old, with the whole line as the message;
		// otherwise it takes "now" and still cuts out the text a template
		// matched when that text was not a valid date (30 Feb, hour 29).
		ok = false
		now := m.opts.Now()
		if date = m.recent(now); date == nil {
			t = now
			if start >= 0 && end > start && end <= len(line) {
				s, e = start, end
			}
		}
	}
	m.probeS, m.probeE = s, e
	if h.kind != hintNone && h.s == s && h.e == e && m.f.Parallel() && !m.probing &&
		(h.kind != hintForget || !m.cached(h.groups[0])) {
		m.res = Result{Failures: m.res.Failures[:0], Regex: -1, Ignore: -1, HasDate: ok, date: date, t: t}
		m.capUsed = 0
		switch h.kind {
		case hintIgnored:
			m.res.Regex, m.res.Ignore = h.regex, h.ignore
		case hintForget:
			m.res.Regex = h.regex
		case hintFailure:
			m.res.Regex = h.regex
			fd := m.scratch()
			for i := 0; i+1 < len(h.groups); i += 2 {
				fd.g.set(h.groups[i], h.groups[i+1])
			}
			return m.finish(h.regex, fd, 1, h.lines)
		}
		return &m.res, nil
	}
	if h.kind != hintNone {
		m.rematched++
	}
	if s == 0 {
		// the date starts the line: the rest is the message, no copy
		// (find reads its buffer only, as LineAt's callers rely on)
		return m.find(line[e:], date, t, ok, m.opts.NoNewlines)
	}
	m.bbuf = append(append(m.bbuf[:0], line[:s]...), line[e:]...)
	return m.find(m.bbuf, date, t, ok, m.opts.NoNewlines)
}

// spare is the index in m.dates that does not hold the last date.
func (m *Matcher) spare() int {
	if m.last == 0 {
		return 1
	}
	return 0
}

// recent returns the last date when it is under a minute old at now
// (fail2ban's processLine takes it then for a line without a date), or
// nil.
func (m *Matcher) recent(now time.Time) *datedetect.Date {
	if m.last < 0 {
		return nil
	}
	d := &m.dates[m.last]
	if !d.Time().After(now.Add(-time.Minute)) {
		return nil
	}
	return d
}

// Rematched returns the number of lines LineHint matched again because
// the Hint given did not hold for this Matcher: another date span (the
// date state, which depends on the lines before, found another date), or
// a match that ends a session this Matcher's cache holds.
func (m *Matcher) Rematched() int64 { return m.rematched }

// LineAt processes one message whose time is known (a journal entry): no
// date is parsed, the whole line is the message.
func (m *Matcher) LineAt(line []byte, t time.Time) (res *Result, err error) {
	defer m.recoverLine(&res, &err)
	m.cur = line
	w := m.spare()
	m.dates[w], m.last = datedetect.At(t), w
	return m.find(line, nil, t, true, false)
}

func (m *Matcher) recoverLine(res **Result, err *error) {
	if r := recover(); r != nil {
		m.res = Result{Regex: -1, Ignore: -1}
		*res = &m.res
		*err = fmt.Errorf("filter %s: internal error on this line: %v", m.f.Def.Name, r)
	}
}

// find matches the message buf of a line whose time is date's, or t
// when date is nil; noNewline: the caller promises buf holds no '\n'.
func (m *Matcher) find(buf []byte, date *datedetect.Date, t time.Time, hasDate, noNewline bool) (*Result, error) {
	m.res = Result{Failures: m.res.Failures[:0], Regex: -1, Ignore: -1, HasDate: hasDate, date: date, t: t}
	m.capUsed = 0
	m.lits = nil
	f := m.f
	multi := f.lines > 1
	var org []string
	if multi {
		m.lineBuf = append(m.lineBuf, string(buf))
		if len(m.lineBuf) > f.lines {
			m.lineBuf = append(m.lineBuf[:0:0], m.lineBuf[len(m.lineBuf)-f.lines:]...)
		}
		org = m.lineBuf
		m.runes = m.runes[:0]
		for _, l := range org {
			m.runes = appendRunes(m.runes, []byte(l))
			m.runes = append(m.runes, '\n')
		}
	} else {
		if f.fastPref != nil {
			if mlfEnd, cs, ok := f.fastPref.match(buf, noNewline); ok {
				// the content is known: the start sets decide, with the
				// literal scan for the failregexes that have none
				if !f.starts.markStarts(buf[cs:], m.cand, m.pend) {
					return &m.res, nil
				}
				m.lits = buf[cs:]
				if !f.starts.complete && m.pf != nil {
					m.cand2 = slices.Grow(m.cand2[:0], len(m.cand))[:len(m.cand)]
					m.pf.scan(buf, m.cand2)
					for i, c := range m.cand2 {
						m.cand[i] = m.cand[i] && c
					}
				}
				if m.sureForget(buf, cs, mlfEnd) {
					return &m.res, nil
				}
				return m.failregexes(buf, cs, mlfEnd)
			}
		}
		if m.pf != nil && !m.pf.scan(buf, m.cand) {
			return &m.res, nil
		}
		if m.pf == nil {
			for i := range m.cand {
				m.cand[i] = true
			}
		}
		if pyre.IsASCII(buf) && !noASCII {
			// pyre's byte backtracker runs the regexes on the bytes
			// (findRe); without a prefregex or ignoreregexes first, the
			// runes are made only when it does not know (runeText)
			m.ascii = buf
			defer func() { m.ascii = nil }()
		}
	}
	var text []rune
	if m.ascii == nil || f.pref != nil || len(f.ignore) > 0 && len(f.ignore) < len(f.fail)-2 {
		if !multi {
			m.runes = append(appendRunes(m.runes[:0], buf), '\n')
		}
		text = m.runes
	}

	// fail2ban checks the ignoreregexes first when they are few.
	if len(f.ignore) > 0 && len(f.ignore) < len(f.fail)-2 {
		idx, err := m.ignored(text)
		if err != nil {
			return &m.res, err
		}
		if idx >= 0 {
			m.res.Ignore = idx
			return &m.res, nil
		}
	}

	preText := text
	m.pre, m.preAlts = m.pre[:0], m.preAlts[:0]
	if f.pref != nil {
		sp := m.spans(f.pref)
		found, known := false, false
		if m.ascii != nil {
			found, known = f.pref.re.FindASCII(m.ascii, f.pref.slots, sp, &m.bts)
		}
		var err error
		if !known {
			found, err = f.pref.re.Find(text, f.pref.slots, sp)
		}
		if err != nil {
			return &m.res, &TimeoutError{Filter: f.Def.Name, Regex: "prefregex", Err: err}
		}
		if !found {
			return &m.res, nil
		}
		var content pyre.Span
		for i, g := range f.pref.groups {
			s := sp[1+i]
			if g.name == "content" {
				content = s
				continue
			}
			if s.OK {
				m.pre = append(m.pre, span{g.name, s.Index, s.Length})
			}
		}
		for j, a := range f.pref.alts {
			if s := sp[f.pref.altSlot+j]; s.OK && s.Length > 0 {
				m.preAlts = append(m.preAlts, span{a.name, s.Index, s.Length})
			}
		}
		if content.OK && content.Length > 0 {
			m.content = append(append(m.content[:0], text[content.Index:content.Index+content.Length]...), '\n')
			text = m.content
			if m.ascii != nil {
				m.ascii = m.ascii[content.Index : content.Index+content.Length]
			}
			if multi {
				m.lineBuf = []string{string(text[:len(text)-1])}
			}
		}
	}

	return m.runFail(text, preText, nil, org)
}

// noASCII, set by tests, keeps the regexes of lines without the fast
// syslog prefix on regexp2 (the answers FindASCII must give).
var noASCII bool

// failregexes runs the failregexes on the content of buf from cs, the
// prefregex's match found by the fast syslog prefix matcher (mlfid is
// buf[:mlfEnd], ASCII).
func (m *Matcher) failregexes(buf []byte, cs, mlfEnd int) (*Result, error) {
	var text []rune
	if pyre.IsASCII(buf[cs:]) {
		// (one rune per byte is not enough: a lone invalid byte is one
		// U+FFFD); the runes are made when needed (runeText)
		m.ascii = buf[cs:]
	} else {
		m.runes = append(appendRunes(m.runes[:0], buf[cs:]), '\n')
		text = m.runes
	}
	defer func() { m.ascii = nil }()
	m.pre = append(m.pre[:0], span{"mlfid", 0, mlfEnd})
	m.preAlts = m.preAlts[:0]
	return m.runFail(text, nil, buf, nil)
}

// runeText returns text, or when it is nil (ASCII content, m.ascii, not
// yet decoded) the content's runes and its "\n".
func (m *Matcher) runeText(text []rune) []rune {
	if text != nil {
		return text
	}
	m.runes = append(appendRunes(m.runes[:0], m.ascii), '\n')
	return m.runes
}

// spansPast reports whether a group of the match mt takes part and ends
// past n (the ASCII content's "\n": its text comes from the runes).
func spansPast(r *Regex, mt []pyre.Span, n int) bool {
	for i := range r.groups {
		if s := mt[1+i]; s.OK && s.Index+s.Length > n {
			return true
		}
	}
	for j := range r.alts {
		if s := mt[r.altSlot+j]; s.OK && s.Index+s.Length > n {
			return true
		}
	}
	return false
}

// runFail runs the failregexes on text in order, the first match wins.
// The prefregex's groups (m.pre, m.preAlts) index preText, or preBytes
// when that is not nil.
func (m *Matcher) runFail(text, preText []rune, preBytes []byte, org []string) (*Result, error) {
	f := m.f
	multi := f.lines > 1
	for i, fr := range f.fail {
		if !multi && (!m.cand[i] || !m.litsMet(i)) {
			continue
		}
		mt := m.spans(fr)
		found, known := false, false
		if m.ascii != nil {
			// the content is ASCII: pyre's byte backtracker, without
			// regexp2 (the same match and groups where it knows)
			found, known = fr.re.FindASCII(m.ascii, fr.slots, mt, &m.bts)
		}
		if !known {
			var err error
			text = m.runeText(text)
			found, err = fr.re.Find(text, fr.slots, mt)
			if err != nil {
				return &m.res, &TimeoutError{Filter: f.Def.Name, Regex: "failregex " + strconv.Itoa(i+1), Err: err}
			}
		}
		if !found {
			continue
		}
		m.res.Regex = i
		if preBytes != nil && fr.quick.ok && m.probing && m.forgetShape(fr, mt) {
			m.handForget(i, preBytes[:m.pre[0].n])
			return &m.res, nil
		}
		if preBytes != nil && fr.quick.ok && !m.probing && m.forgetOnly(fr, mt, preBytes) {
			return &m.res, nil
		}
		matched, unmatched := 1, []string(nil)
		var mlines []string
		if multi {
			mlines, unmatched = tupleSplit(text, mt, org, fr)
			matched = len(mlines)
			if len(f.ignore) > 0 {
				var rb []rune
				for _, l := range mlines {
					rb = appendRunes(rb, []byte(l))
					rb = append(rb, '\n')
				}
				idx, err := m.ignored(rb)
				if err != nil {
					return &m.res, err
				}
				if idx >= 0 {
					m.res.Ignore = idx
					m.lineBuf = unmatched
					return &m.res, nil
				}
			}
		} else if len(f.ignore) > 0 {
			text = m.runeText(text)
			idx, err := m.ignored(text)
			if err != nil {
				return &m.res, err
			}
			if idx >= 0 {
				m.res.Ignore = idx
				return &m.res, nil
			}
		}
		if multi {
			m.lineBuf = unmatched
		}
		// the prefregex's groups, then the failregex's over them (a group of
		// the failregex that did not take part removes the prefregex's)
		fd := m.scratch()
		// the strings of the line's groups (and its text) share one
		// allocation
		size := 0
		for _, sp := range m.pre {
			if preBytes != nil {
				size += sp.n
			} else {
				size += runesLen(preText[sp.idx : sp.idx+sp.n])
			}
		}
		for _, sp := range m.preAlts {
			size += runesLen(preText[sp.idx : sp.idx+sp.n])
		}
		if text == nil && spansPast(fr, mt, len(m.ascii)) {
			text = m.runeText(text)
		}
		size += groupsSize(fr, text, m.ascii, mt)
		if m.opts.Matches && !multi {
			size += len(m.cur)
		}
		var a strArena
		if m.reuseMLF && !m.probing {
			// the strings go into fd's own buffer: when the multi-line
			// cache keeps fd (a session it did not hold), own finds them
			// there and copies nothing (fd is the Matcher's scratch,
			// which nothing outlives the line, until the cache keeps it)
			if cap(fd.buf) < size {
				fd.buf = make([]byte, 0, max(2*size, 1024))
			}
			a.b = fd.buf[:0]
		} else if m.reuseStr && !m.probing {
			if cap(m.strBuf) < size {
				m.strBuf = make([]byte, 0, size)
			}
			a.b = m.strBuf[:0]
		} else {
			a.b = make([]byte, 0, size)
		}
		for _, sp := range m.pre {
			if preBytes != nil {
				fd.g.set(sp.name, a.bytes(preBytes[sp.idx:sp.idx+sp.n]))
			} else {
				fd.g.set(sp.name, a.runes(preText[sp.idx:sp.idx+sp.n]))
			}
		}
		for _, sp := range m.preAlts {
			if !fd.g.truthy(sp.name) {
				fd.g.set(sp.name, a.runes(preText[sp.idx:sp.idx+sp.n]))
			}
		}
		groupsOf(fr, text, m.ascii, mt, &fd.g, &a)
		var lines []string
		if m.opts.Matches {
			switch {
			case multi:
				lines = append([]string(nil), mlines...)
			case m.probing:
				lines = []string{event.CutMatch(a.bytes(m.cur))}
			default:
				// (merge and emit copy the strings, not the slice)
				m.one[0] = event.CutMatch(a.bytes(m.cur))
				lines = m.one[:]
			}
		}
		if m.reuseMLF && !m.probing {
			fd.buf = a.b // (the strings written into it)
		}
		if m.probing && !multi {
			// Probe: the rest depends on the lines before (LineHint)
			a := m.arena
			n := len(a.strs)
			for _, e := range fd.g.e {
				a.strs = append(a.strs, e.k, e.v)
			}
			m.hint.kind, m.hint.regex, m.hint.lines = hintFailure, i, lines
			m.hint.groups = a.strs[n:len(a.strs):len(a.strs)]
			return &m.res, nil
		}
		return m.finish(i, fd, matched, lines)
	}
	return &m.res, nil
}

// finish is the end of failregex i's match (its failure dict fd, of
// matched lines): what depends on the lines before, the multi-line
// failure cache, then the failure emitted.
func (m *Matcher) finish(i int, fd *failData, matched int, lines []string) (*Result, error) {
	mlfid, hasMLFID := fd.g.get("mlfid")
	if hasMLFID {
		fd = m.merge(mlfid, fd, matched, lines)
		if fd.g.truthy("nofail") {
			return &m.res, nil
		}
	} else {
		fd.matches += matched
		fd.lines = append(fd.lines, lines...)
	}
	m.emit(i, fd, hasMLFID)
	return &m.res, nil
}

// scratch returns the matcher's reusable failure dict, emptied. It stays
// the matcher's until the multi-line cache keeps it (merge then drops it
// from m.free); every other use of a failure dict ends with the line.
// A new one is one the cache let go (m.pool), else a new one.
func (m *Matcher) scratch() *failData {
	fd := m.free
	if fd == nil {
		if n := len(m.pool); n > 0 {
			fd = m.pool[n-1]
			m.pool[n-1] = nil
			m.pool = m.pool[:n-1]
		} else {
			fd = &failData{g: newDict(), users: make([]string, 0, 2), lines: make([]string, 0, 4)}
		}
		m.free = fd
	}
	fd.reset()
	return fd
}

// recycle takes a failure dict the multi-line cache let go: scratch
// gives it again from the next line on (nothing that outlives a Result
// holds its slices; its strings are the Result's until the next call).
func (m *Matcher) recycle(fd *failData) {
	m.pool = append(m.pool, fd)
}

// groupsOf writes the groups of a failregex match over g: a group that
// took part sets its value, one that did not removes the name; then alt_
// groups fill their target when the match left it empty (fail2ban's
// _getGroupsWithAlt, which looks at the failregex's own groups only).
//
// ascii, when not nil, is text as bytes (text without its last rune, all
// ASCII): a group inside it is copied from there rather than encoded.
func groupsOf(r *Regex, text []rune, ascii []byte, sp []pyre.Span, g *dict, a *strArena) {
	str := func(s pyre.Span) string {
		if s.Index+s.Length <= len(ascii) {
			return a.bytes(ascii[s.Index : s.Index+s.Length])
		}
		return a.runes(text[s.Index : s.Index+s.Length])
	}
	for i, gr := range r.groups {
		if s := sp[1+i]; s.OK {
			g.set(gr.name, str(s))
		} else {
			g.del(gr.name)
		}
	}
	var filled []string
	for j, a := range r.alts {
		s := sp[r.altSlot+j]
		if !s.OK || s.Length == 0 {
			continue
		}
		if a.own >= 0 {
			if t := sp[1+a.own]; t.OK && t.Length > 0 {
				continue
			}
		}
		if slices.Contains(filled, a.name) {
			continue
		}
		g.set(a.name, str(s))
		filled = append(filled, a.name)
	}
}

// groupsSize is the most bytes groupsOf's strings take.
func groupsSize(r *Regex, text []rune, ascii []byte, sp []pyre.Span) int {
	n := 0
	add := func(s pyre.Span) {
		if s.Index+s.Length <= len(ascii) {
			n += s.Length
		} else {
			n += runesLen(text[s.Index : s.Index+s.Length])
		}
	}
	for i := range r.groups {
		if s := sp[1+i]; s.OK {
			add(s)
		}
	}
	for j := range r.alts {
		if s := sp[r.altSlot+j]; s.OK {
			add(s)
		}
	}
	return n
}

// strArena makes strings out of one buffer, allocated for all of them:
// the groups of a failure line are short and live as long as each other.
// The bytes it has handed out are never written again.
type strArena struct{ b []byte }

// bytes returns b as a string (a copy).
func (a *strArena) bytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.b)-len(a.b) < len(b) {
		return string(b)
	}
	at := len(a.b)
	a.b = append(a.b, b...)
	return unsafe.String(&a.b[at], len(b))
}

// runes returns r encoded as string(r) does.
func (a *strArena) runes(r []rune) string {
	if len(r) == 0 {
		return ""
	}
	if cap(a.b)-len(a.b) < runesLen(r) {
		return string(r)
	}
	at := len(a.b)
	for _, c := range r {
		a.b = utf8.AppendRune(a.b, c)
	}
	return unsafe.String(&a.b[at], len(a.b)-at)
}

// runesLen is len(string(r)).
func runesLen(r []rune) int {
	n := 0
	for _, c := range r {
		if l := utf8.RuneLen(c); l > 0 {
			n += l
		} else {
			n += 3 // U+FFFD
		}
	}
	return n
}

// spans returns the matcher's span buffer sized for r.
func (m *Matcher) spans(r *Regex) []pyre.Span {
	if r == m.f.pref {
		if cap(m.psp) < len(r.slots) {
			m.psp = make([]pyre.Span, len(r.slots))
		}
		return m.psp[:len(r.slots)]
	}
	if cap(m.sp) < len(r.slots) {
		m.sp = make([]pyre.Span, len(r.slots))
	}
	return m.sp[:len(r.slots)]
}

func (m *Matcher) ignored(text []rune) (int, error) {
	for i, ir := range m.f.ignore {
		found, err := ir.re.Find(text, nil, nil)
		if err != nil {
			return -1, &TimeoutError{Filter: m.f.Def.Name, Regex: "ignoreregex " + strconv.Itoa(i+1), Err: err}
		}
		if found {
			return i, nil
		}
	}
	return -1, nil
}

// tupleSplit is fail2ban's Regex.search bookkeeping for multi-line
// buffers: the lines the match spans (less those <SKIPLINES> skipped) and
// the others.
func tupleSplit(text []rune, mt []pyre.Span, org []string, fr *Regex) (matched, unmatched []string) {
	if len(org) <= 1 {
		return append([]string(nil), org...), nil
	}
	start, end := mt[0].Index, mt[0].Index+mt[0].Length
	lineStart := 0
	for k := min(start, len(text)-1); k >= 0; k-- {
		if text[k] == '\n' {
			lineStart = k + 1
			break
		}
	}
	lineEnd := len(text)
	from := end - 1
	if from < 0 {
		from = 0
	}
	for k := from; k < len(text); k++ {
		if text[k] == '\n' {
			lineEnd = k + 1
			break
		}
	}
	count := func(to int) int {
		n := 0
		for _, r := range text[:to] {
			if r == '\n' {
				n++
			}
		}
		return n
	}
	lc1, lc2 := min(count(lineStart), len(org)), min(count(lineEnd), len(org))
	matched = append([]string(nil), org[lc1:lc2]...)
	unmatched = append([]string(nil), org[:lc1]...)
	var skipped strings.Builder
	for k := range fr.skiplines {
		if s := mt[fr.skipSlot+k]; s.OK {
			skipped.WriteString(string(text[s.Index : s.Index+s.Length]))
		}
	}
	n := 0
	for _, sl := range splitLines(skipped.String()) {
		for k, l := range matched[n:] {
			if l == sl {
				unmatched = append(unmatched, l)
				matched = append(matched[:n+k], matched[n+k+1:]...)
				n += k
				break
			}
		}
	}
	unmatched = append(unmatched, org[lc2:]...)
	return matched, unmatched
}

// splitLines is Python's str.splitlines() for the common line ends.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}

// merge is fail2ban's Filter._mergeFailure.
func (m *Matcher) merge(mlfid string, fail *failData, matched int, lines []string) *failData {
	var cached *failData
	var now time.Time // the cache's clock, read once
	if m.cache != nil {
		now = m.opts.Clock()
		cached, _ = m.cache.getAt(mlfid, now)
	}
	var users []string
	nf := 0
	if fail.g.truthy("mlfgained") {
		nf |= 8 | 1
		if !fail.g.truthy("nofail") {
			fail.g.set("nofail", fail.g.val("mlfgained"))
		}
	} else if fail.g.truthy("nofail") {
		nf |= 1
	}
	if v, ok := fail.g.get("mlfforget"); ok {
		fail.g.del("mlfforget")
		if v != "" {
			nf |= 2
		}
	}
	user, hasUser := fail.g.get("user")
	if cached != nil {
		cg := cached
		users = updateUsers(cg, user, hasUser)
		if v, ok := cg.g.get("nofail"); ok {
			cg.g.del("nofail")
			if v != "" {
				nf |= 4
			}
		}
		if v, ok := cg.g.get("mlfgained"); ok {
			cg.g.del("mlfgained")
			if v != "" {
				nf |= 4
			}
		}
		if nf&8 != 0 {
			cg.pending = false
		}
		if nf&4 == 0 && !cg.pending {
			cg.matches = 0
			clear(cg.lines)
			cg.lines = cg.lines[:0]
		}
		for _, e := range fail.g.e {
			cg.g.set(e.k, e.v)
		}
		fail = cg
		if nf&2 != 0 {
			m.cache.unset(mlfid)
		}
	} else if nf&2 == 0 {
		users = updateUsers(fail, user, hasUser)
		if m.cache == nil {
			m.cache = newTTLCache[*failData](100, 5*time.Minute, m.opts.Clock)
			m.cache.drop = m.recycle
			now = m.opts.Clock()
		}
		if fail == m.free {
			m.free = nil // the cache keeps it
		}
		if m.reuseMLF {
			// the key outlives the line's buffer
			fail.key = append(fail.key[:0], mlfid...)
			mlfid = unsafeString(fail.key)
		}
		m.cache.addAt(mlfid, fail, now) // (get did not find it)
	}
	pending := fail.pending
	fail.pending = false
	if pending || len(users) > 1 {
		fail.g.del("nofail")
		fail.g.del("mlfgained")
		nf &^= 8 | 1
	}
	if nf&1 == 0 {
		n := fail.nofailMatches + fail.matches
		fail.nofailMatches = 0
		if nf&8 == 0 {
			n += matched
		}
		fail.matches = n
		if m.opts.Matches {
			l := append(append(m.tmpLines[:0], fail.nofailLines...), fail.lines...)
			if nf&8 == 0 {
				l = append(l, lines...)
			}
			fail.lines = append(fail.lines[:0], lastLines(l)...)
			clear(l)
			m.tmpLines = l[:0]
			clear(fail.nofailLines)
			fail.nofailLines = fail.nofailLines[:0]
		}
	} else if nf&3 == 1 {
		fail.nofailMatches += matched
		if m.opts.Matches {
			fail.nofailLines = keepLast(append(fail.nofailLines, lines...))
		}
	}
	if m.reuseMLF && nf&2 == 0 {
		fail.own() // the cache holds it
	}
	return fail
}

// keepLast keeps the last event.MaxMatchLines of l, in place.
func keepLast(l []string) []string {
	if n := len(l) - event.MaxMatchLines; n > 0 {
		copy(l, l[n:])
		clear(l[event.MaxMatchLines:])
		l = l[:event.MaxMatchLines]
	}
	return l
}

// lastLines keeps the last event.MaxMatchLines of l.
func lastLines(l []string) []string {
	if len(l) > event.MaxMatchLines {
		return l[len(l)-event.MaxMatchLines:]
	}
	return l
}

func updateUsers(fail *failData, user string, has bool) []string {
	if has && user != "" {
		for _, u := range fail.users {
			if u == user {
				return fail.users
			}
		}
		fail.users = append(fail.users, user)
	}
	return fail.users
}

// emit turns a matched failure into Failures, as the end of fail2ban's
// findFailure does.
func (m *Matcher) emit(idx int, fd *failData, hasMLFID bool) {
	g := &fd.g
	fid, hasFid := g.get("fid")
	ip, hasIP := g.get("ip4")
	isAddr := hasIP
	if !hasIP {
		ip, hasIP = g.get("ip6")
		isAddr = hasIP
	}
	dnsName := false
	if !hasIP {
		ip, hasIP = g.get("dns")
		dnsName = hasIP
		if !hasIP && hasFid {
			ip, hasIP = fid, true
		}
	}
	if !hasIP {
		// the multi-line failure waits for its id
		fd.pending = true
		return
	}
	if !hasMLFID && g.truthy("nofail") {
		// a no-failure match (fail2ban-regex and fail2ban's sample test
		// do not count it)
		return
	}
	base := Failure{Regex: idx, Time: m.res.Time(), Attempts: fd.matches}
	if !hasFid {
		fid = ip
	}
	base.Host = fid
	base.Captures = m.captures(g)
	if len(fd.users) > 0 {
		if m.opts.ReuseCaptures {
			m.usersBuf = append(m.usersBuf[:0], fd.users...)
			base.Users = m.usersBuf[:len(m.usersBuf):len(m.usersBuf)]
		} else {
			base.Users = append([]string(nil), fd.users...)
		}
	}
	if len(fd.lines) > 0 {
		ls := lastLines(fd.lines)
		if m.opts.ReuseCaptures {
			m.linesBuf = slices.Grow(m.linesBuf[:0], len(ls))[:len(ls)]
			base.Lines = m.linesBuf[:len(ls):len(ls)]
		} else {
			base.Lines = make([]string, len(ls))
		}
		for i, l := range ls {
			base.Lines[i] = event.CutMatch(l)
		}
	}
	if !m.opts.NoGroups {
		base.Groups = make(map[string]string, len(g.e))
		for _, e := range g.e {
			base.Groups[e.k] = e.v
		}
	}
	raw := m.f.useDNS == "raw"
	switch {
	case isAddr:
		base.IP = parseAddr(ip, g.val("cidr"))
		m.res.Failures = append(m.res.Failures, base)
	case dnsName && !raw:
		if a, err := event.ParseIP(strings.Trim(ip, "[]")); err == nil && ipLiteral(ip) {
			base.IP = a
			base.Resolved = hasFid // the id is the address, not the F-ID
			m.res.Failures = append(m.res.Failures, base)
			return
		}
		if m.f.useDNS != "yes" && m.f.useDNS != "warn" || m.dns == nil {
			return // usedns=no: a host name gives no failure
		}
		if m.reuseStr || m.reuseMLF {
			ip = strings.Clone(ip) // the DNS cache keeps its keys
		}
		addrs, _ := m.dns.Lookup(ip)
		if len(addrs) == 0 {
			// dropped: said by the DNSCache once per look-up
			m.res.DNSDropped++
			return
		}
		if len(addrs) > 0 && m.f.useDNS == "warn" && m.opts.Warn != nil {
			m.opts.Warn(fmt.Sprintf("determined ip using dns lookup: %s = %v", ip, addrs))
		}
		for _, a := range addrs {
			f := base
			f.IP = netip.PrefixFrom(a, a.BitLen())
			f.Resolved = true
			if !hasFid {
				f.Host = ip
			}
			m.res.Failures = append(m.res.Failures, f)
		}
	default:
		// a raw id (F-ID, or a host name with usedns=raw)
		if a, err := event.ParseIP(ip); err == nil && ipLiteral(ip) {
			base.IP = a
		}
		m.res.Failures = append(m.res.Failures, base)
	}
}

// ipLiteral accepts what fail2ban's IPAddr.searchIP accepts as an address
// text (no zone, no leading zeros); event.ParseIP does the rest.
func ipLiteral(s string) bool { return !strings.ContainsAny(s, "%") }

func parseAddr(ip, cidr string) netip.Prefix {
	s := ip
	if cidr != "" {
		s = ip + "/" + cidr
	}
	p, err := event.ParseIP(s)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// internalGroup reports fail2ban's own groups, not user captures.
func internalGroup(k string) bool {
	switch k {
	case "fid", "ip4", "ip6", "dns", "cidr", "mlfid", "nofail", "mlfforget", "mlfgained", "content":
		return true
	}
	return false
}

func (m *Matcher) captures(g *dict) map[string]string {
	var out map[string]string
	for _, e := range g.e {
		k, v := e.k, e.v
		if v == "" || internalGroup(k) || strings.HasPrefix(k, "skiplines") || strings.HasPrefix(k, "alt_") || strings.HasPrefix(k, "tuple_") || strings.HasPrefix(k, "__") {
			continue
		}
		if out == nil {
			out = m.newCaptures()
		}
		out[strings.ToLower(k)] = v
	}
	return out
}

// newCaptures returns an empty map for a Failure's Captures: a new one, or
// with ReuseCaptures the next of the maps of the Results before.
func (m *Matcher) newCaptures() map[string]string {
	if !m.opts.ReuseCaptures {
		return map[string]string{}
	}
	if m.capUsed == len(m.capMaps) {
		m.capMaps = append(m.capMaps, map[string]string{})
	}
	c := m.capMaps[m.capUsed]
	m.capUsed++
	clear(c)
	return c
}

// quickForget locates the groups of a failregex that decide whether its
// match only ends a multi-line session that was never started.
type quickForget struct {
	ok                     bool // the shortcut applies to the regex
	forget, nofail, gained int  // indexes in groups, -1: none
}

func newQuickForget(r *Regex) quickForget {
	q := quickForget{forget: -1, nofail: -1, gained: -1}
	for i, g := range r.groups {
		switch g.name {
		case "mlfforget":
			q.forget = i
		case "nofail":
			q.nofail = i
		case "mlfgained":
			q.gained = i
		case "mlfid":
			return quickForget{} // the regex's own mlfid
		}
	}
	for _, a := range r.alts {
		switch a.name {
		case "mlfforget", "nofail", "mlfgained", "mlfid":
			return quickForget{}
		}
	}
	q.ok = q.forget >= 0 && (q.nofail >= 0 || q.gained >= 0)
	return q
}

// forgetOnly reports whether the failregex match mt (on the fast prefix
// path, single-line, no ignoreregex) has no effect but its hit: it forgets
// a session (mlfforget), is no failure (nofail or mlfgained) and the
// session (the mlfid, preBytes[:m.pre[0].n]) is not in the cache. fail2ban's
// merge then stores nothing and the nofail match gives no failure.
func (m *Matcher) forgetOnly(fr *Regex, mt []pyre.Span, preBytes []byte) bool {
	return m.forgetShape(fr, mt) && !m.cached(unsafeString(preBytes[:m.pre[0].n]))
}

// forgetShape is forgetOnly but for the cache: the match forgets its
// session and is no failure.
func (m *Matcher) forgetShape(fr *Regex, mt []pyre.Span) bool {
	q := &fr.quick
	truthy := func(k int) bool { return k >= 0 && mt[1+k].OK && mt[1+k].Length > 0 }
	if !truthy(q.forget) || !truthy(q.nofail) && !truthy(q.gained) {
		return false
	}
	return len(m.pre) == 1 && m.pre[0].name == "mlfid"
}

// sureForget is runFail's forgetOnly without regexp2, on the fast prefix
// path (buf's content from cs, its mlfid buf[:mlfEnd]). It looks at the
// first failregex the start sets left (m.cand) while that is a sureForget
// regex: when pyre's FindASCII (or, where that does not know, ExactMatch)
// shows that it cannot match the content, it is dropped from m.cand and
// the next one is looked at; when pyre's SureMatch (or FindASCII or
// ExactMatch) shows that it matches, that regex wins (no
// earlier one can match) and its match only forgets the session; when
// the cache does not hold the session, that is the whole effect: the hit
// is counted (m.res.Regex) and it reports true. Probing, it hands the
// match over as runFail does (hintForget). It also reports true when no
// candidate is left (no failregex matches). Otherwise it reports false
// and the failregexes left in m.cand run.
func (m *Matcher) sureForget(buf []byte, cs, mlfEnd int) bool {
	content := buf[cs:]
	for {
		k := slices.Index(m.cand, true)
		if k < 0 {
			return true
		}
		fr := m.f.fail[k]
		if !fr.sureForget {
			return false
		}
		if !m.litsMet(k) {
			m.cand[k] = false
			continue
		}
		if !fr.re.SureMatch(content) {
			// the one way failed: the byte backtracker (or ExactMatch)
			// decides
			match, known := fr.re.FindASCII(content, nil, nil, &m.bts)
			if !known {
				match, known = fr.re.ExactMatch(content)
			}
			if !known {
				return false
			}
			if !match {
				m.cand[k] = false
				continue
			}
		}
		if m.probing {
			m.handForget(k, buf[:mlfEnd])
			m.res.Regex = k
			return true
		}
		if m.cached(unsafeString(buf[:mlfEnd])) {
			return false
		}
		m.res.Regex = k
		return true
	}
}

// litsMet reports whether the content meets the literal sets of
// failregex i when the start index left them to ask (m.pend; see
// startIndex.markStarts), and true otherwise.
func (m *Matcher) litsMet(i int) bool {
	if m.lits == nil || !m.pend[i] {
		return true
	}
	m.pend[i] = false
	return m.f.starts.litsMet(m.lits, i)
}

// handForget hands a forget-only match of failregex i, whose session is
// mlfid, over to LineHint (Probe): its answer needs the multi-line
// failure cache, which only the ordered pass holds.
func (m *Matcher) handForget(i int, mlfid []byte) {
	a := m.arena
	a.strs = append(a.strs, string(mlfid))
	m.hint.kind, m.hint.regex = hintForget, i
	m.hint.groups = a.strs[len(a.strs)-1 : len(a.strs) : len(a.strs)]
}

// cached reports whether the multi-line failure cache holds mlfid.
func (m *Matcher) cached(mlfid string) bool {
	if m.cache == nil {
		return false
	}
	_, ok := m.cache.m[mlfid]
	return ok
}

// hasMLFID reports whether a failregex or the prefregex has an <F-MLFID>
// (its failures are merged in the multi-line cache, which keeps their
// strings).
func (f *Filter) hasMLFID() bool {
	if f.pref != nil && f.pref.gMLFID >= 0 {
		return true
	}
	for _, r := range f.fail {
		if r.gMLFID >= 0 {
			return true
		}
	}
	return false
}
