// Package filter is fail2ban's filter engine: it reads a filter.d file,
// expands fail2ban's tags, compiles the regexes with Python's semantics
// (package pyre) and finds failures in log lines as fail2ban's
// server/filter.py does.
//
// # Filter files
//
// [Load] reads a filter as fail2ban's FilterReader does: [INCLUDES]
// before/after, .local overrides, [DEFAULT], [Definition] and [Init] (the
// arguments of a spec such as sshd[mode=aggressive] override [Init]),
// %(name)s and <name> interpolation including known/ and nested names
// (<mdre-<mode>>). The options used are prefregex, failregex and
// ignoreregex (one regex per line), maxlines, datepattern, usedns,
// journalmatch and logtype.
//
// # Tags
//
// <HOST> <ADDR> <IP4> <IP6> <DNS> <CIDR> <SUBNET> <F-ID/> <F-PORT/>
// <SKIPLINES>, and <F-NAME>...</F-NAME> captures, among them F-ID, F-USER,
// F-ALT_*, F-NOFAIL, F-MLFID, F-MLFFORGET, F-MLFGAINED and F-CONTENT (the
// part of a prefregex match the failregexes then see), as fail2ban's
// failregex.py expands them ([ExpandTags]).
//
// # Matching
//
// A [Matcher] keeps one filter state across its whole input: the date of
// each line is found and cut out, the rest (with "\n" appended, and with
// the previous lines when maxlines > 1) is matched against the prefregex,
// then the failregexes in order; the first that matches wins, and at most
// one failure comes from a line. ignoreregex, the multi-line failure id
// cache (<F-MLFID>, <F-NOFAIL>, <F-MLFFORGET>, <F-MLFGAINED>, 100 entries,
// five minutes), pending failures and user sets follow fail2ban exactly.
// With logtype=journal no date is parsed: the whole line is the message.
//
// A literal prefilter runs before any regex: a line that misses one of
// the literal sets of a failregex (pyre's Literals and TextRequired: the
// text it matches in contains one literal of each) skips that failregex,
// and a line no failregex can match skips the prefregex. Each Matcher
// checks the sets with substring searches (bytes.IndexByte on the rarest
// byte of a literal; one pass for a set of many literals), each set once
// per line, in the order that costs least on the lines it measured (the
// cheapest, most often failing set first), or, where that is cheaper (many
// sets), finds all literals in one pass over the line. Without a
// prefregex, a screen (where the plan finds it cheaper) first searches
// the first set of every failregex together, a byte shared by several of
// their literals searched once (exim's "rejected RCPT ", " SMTP call
// from ", " closed by DROP in ACL" on their "P"), and a line that meets
// none of them is no candidate at once: the plan changes the cost, never
// the answer.
// For the common syslog prefregex (sshd's, built-in or fail2ban's, see
// syslogPrefix) a hand-written matcher finds the content of plain lines
// without running the prefregex (it gives up, and the regex runs, on
// anything unusual); the content is then checked against each
// failregex's start set (pyre's Prefixes) and all its required literal
// sets (pyre's Required) before the failregex runs, and a match that only
// forgets a session the multi-line cache does not hold (mlfforget with
// nofail or mlfgained) is counted without building the failure dict.
// When the first failregex the start sets leave is such a regex (its
// mlfforget and nofail or mlfgained groups hold text in every match) and
// pyre's sure-match walker shows that it matches the content (a walk of
// one way through the pattern on ASCII bytes: "yes" or "don't know"),
// the hit is counted without running regexp2 at all ("Accepted ...",
// "Received disconnect ...: 11:", "Connection closed by ..." of sshd);
// where the walker cannot tell, pyre's exact matcher (every way at once,
// as sets of positions) decides, and a regex it shows cannot match is
// dropped from the candidates ("Disconnected from user ..."; pyre's byte
// backtracker, FindASCII, is asked first). On ASCII content the
// failregexes then run with FindASCII (the same match and groups as
// regexp2, without decoding the line to runes); regexp2 runs where it does
// not know. TestSureMatchOnServiceLogs, FuzzSureMatch, FuzzFindASCII and
// FuzzSureForget check them against the regexes.
// Lines are decoded to runes once, invalid UTF-8 as Python decodes it (one
// U+FFFD per maximal invalid sequence), and matched without allocation
// (regexp2 v2 match views); strings are made only for a failregex match.
// A regex that outlives its match timeout is reported as a *TimeoutError
// for that line, and a panic as an error; the state is kept and the stream
// goes on. A Filter never resolves host names itself: usedns yes and warn
// go through a DNSCache (1000 names, five minutes, bounded look-ups).
package filter

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/banpipe/banpipe/pkg/pyre"
)

// Definition is a filter's resolved options, ready to compile.
type Definition struct {
	Name         string   // the filter's name (for events and messages)
	File         string   // the file it came from, if any
	PrefRegex    string   // "" for none
	FailRegex    []string // at least one
	IgnoreRegex  []string
	MaxLines     int    // 0 or 1: single-line
	DatePattern  string // "" for fail2ban's default templates
	UseDNS       string // yes, warn, no or raw; "" means warn
	LogType      string // file, journal, short, rfc5424 ... ("" = file)
	JournalMatch []string
	// Pos, when set, gives the file and line of an option for messages.
	Pos func(option string) (file string, line int)
	// Raw, when set, gives an option's text as written (before
	// interpolation), to point messages at the line of one regex.
	Raw func(option string) string
}

// Options tune compilation.
type Options struct {
	// Timeout bounds each regex match (0: pyre.DefaultTimeout).
	Timeout time.Duration
	// UseDNS, when not empty, overrides the definition's usedns.
	UseDNS string
}

// Regex is one compiled failregex, ignoreregex or prefregex.
type Regex struct {
	Source   string // as written in the filter, tags unexpanded
	Expanded string // after tag expansion (the Python pattern)
	re       *pyre.Regexp

	// regexp2 group numbers (-1: absent)
	gFid, gIP4, gIP6, gDNS, gCIDR, gMLFID, gContent int
	groups                                          []group // every named group
	alts                                            []altGroup
	skiplines                                       []int
	// slots are the group numbers Find reports: 0 (the match), groups,
	// then alts from altSlot, then skiplines from skipSlot.
	slots             []int
	altSlot, skipSlot int
	captures          []string // groups of <F-NAME> tags
	quick             quickForget
	// sureForget: every match of the regex only forgets a session (see
	// quickForget: its mlfforget group and its nofail or mlfgained group
	// hold text in every match, pyre's AlwaysNonEmpty), and pyre's
	// SureMatch can show that it matches
	sureForget bool
}

// Captures returns the groups of the regex's <F-NAME> tags that are
// captures for events (not fail2ban's own: fid, mlfid, nofail ...); an
// <F-ALT_NAME> gives NAME.
func (r *Regex) Captures() []string { return r.captures }

type group struct {
	name string
	num  int
}

type altGroup struct {
	num  int    // the alt_ group
	name string // the name it feeds
	own  int    // index in groups of that name, -1 when the regex has none
}

// Filter is a compiled filter. It is immutable and safe for concurrent
// use; the state of a stream lives in a Matcher.
type Filter struct {
	Def    Definition
	pref   *Regex
	fail   []*Regex
	ignore []*Regex
	useDNS string
	lines  int
	pre    *prefilter
	// fastPref finds the prefregex's match of common syslog lines without
	// running it (nil: always run it).
	fastPref *syslogPrefix
	starts   *startIndex // with fastPref
}

// ConfigError is an error in a filter's definition, with the place of the
// offending option when known.
type ConfigError struct {
	File   string
	Line   int
	Option string
	Err    error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Option != "" {
		b.WriteString(e.Option + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Compile expands and compiles a definition.
func Compile(def Definition, opts Options) (*Filter, error) {
	f := &Filter{Def: def, useDNS: def.UseDNS, lines: def.MaxLines}
	if opts.UseDNS != "" {
		f.useDNS = opts.UseDNS
	}
	if f.useDNS == "" {
		f.useDNS = "warn"
	}
	switch f.useDNS {
	case "yes", "warn", "no", "raw":
	default:
		return nil, f.errAt("usedns", fmt.Errorf("invalid value %q (want yes, warn, no or raw)", f.useDNS))
	}
	if f.lines <= 0 {
		f.lines = 1
	}
	multi := f.lines > 1
	var err error
	if def.PrefRegex != "" {
		if f.pref, err = compileRegex(def.PrefRegex, f.useDNS, false, opts.Timeout); err != nil {
			return nil, f.errAt("prefregex", err)
		}
	}
	if len(def.FailRegex) == 0 {
		return nil, f.errAt("failregex", errors.New("no failregex"))
	}
	for i, s := range def.FailRegex {
		r, err := compileRegex(s, f.useDNS, multi, opts.Timeout)
		if err != nil {
			return nil, f.regexErrAt("failregex", s, fmt.Errorf("regex %d: %w", i+1, err))
		}
		if !r.hasID() && (f.pref == nil || !f.pref.hasID()) {
			return nil, f.regexErrAt("failregex", s, fmt.Errorf("regex %d: no failure-id group (<HOST>, <ADDR>, <F-ID> ...) in %q", i+1, s))
		}
		r.quick = newQuickForget(r)
		r.sureForget = r.quick.ok && r.re.HasSureMatch() && r.alwaysNonEmpty(r.quick.forget) &&
			(r.alwaysNonEmpty(r.quick.nofail) || r.alwaysNonEmpty(r.quick.gained))
		f.fail = append(f.fail, r)
	}
	for i, s := range def.IgnoreRegex {
		r, err := compileRegex(s, f.useDNS, multi, opts.Timeout)
		if err != nil {
			return nil, f.regexErrAt("ignoreregex", s, fmt.Errorf("regex %d: %w", i+1, err))
		}
		f.ignore = append(f.ignore, r)
	}
	if !multi {
		f.pre = newPrefilter(f.pref, f.fail)
		if len(f.ignore) == 0 {
			f.fastPref = newSyslogPrefix(f.pref)
			f.starts = newStartIndex(f.fail)
		}
	}
	return f, nil
}

// Ready compiles every regex's regexp2 program now (each is otherwise
// compiled on its first use: package pyre) and returns the first that
// regexp2 refuses, at its place, as Compile reports a bad regex. Compile
// refuses every pattern Python refuses; regexp2 refusing a translated
// pattern would be a bug of the translation (pyre's FuzzProg looks for
// one). logmatch --check calls it.
func (f *Filter) Ready() error {
	if f.pref != nil {
		if err := f.pref.re.Ready(); err != nil {
			return f.errAt("prefregex", fmt.Errorf("%q: %w", f.pref.Source, err))
		}
	}
	for i, r := range f.fail {
		if err := r.re.Ready(); err != nil {
			return f.regexErrAt("failregex", r.Source, fmt.Errorf("regex %d: %q: %w", i+1, r.Source, err))
		}
	}
	for i, r := range f.ignore {
		if err := r.re.Ready(); err != nil {
			return f.regexErrAt("ignoreregex", r.Source, fmt.Errorf("regex %d: %q: %w", i+1, r.Source, err))
		}
	}
	return nil
}

func (f *Filter) errAt(option string, err error) error {
	e := &ConfigError{File: f.Def.File, Option: option, Err: err}
	if f.Def.Pos != nil {
		if file, line := f.Def.Pos(option); file != "" {
			e.File, e.Line = file, line
		}
	}
	return e
}

// regexErrAt is errAt at the line of one regex of a multi-line option,
// when the regex appears there as written.
func (f *Filter) regexErrAt(option, src string, err error) error {
	e := f.errAt(option, err)
	ce, ok := e.(*ConfigError)
	if !ok || ce.Line == 0 || f.Def.Raw == nil {
		return e
	}
	for k, l := range strings.Split(f.Def.Raw(option), "\n") {
		if strings.TrimSpace(l) == strings.TrimSpace(src) && l != "" {
			ce.Line += k
			break
		}
	}
	return ce
}

func compileRegex(src, useDNS string, multiline bool, timeout time.Duration) (*Regex, error) {
	exp, custom := expandTags(src, useDNS)
	if strings.TrimLeft(exp, " \t\n\r\f\v") == "" {
		return nil, errors.New("cannot add empty regex")
	}
	re, err := pyre.Compile(exp, pyre.Options{Multiline: multiline, Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("%q: %w", src, err)
	}
	r := &Regex{Source: src, Expanded: exp, re: re}
	for _, n := range custom {
		switch {
		case internalGroup(n), strings.HasPrefix(n, "alt_"), strings.HasPrefix(n, "tuple_"):
			if strings.HasPrefix(n, "alt_") {
				r.captures = append(r.captures, altTarget(n))
			}
		default:
			r.captures = append(r.captures, n)
		}
	}
	r.gFid, r.gIP4, r.gIP6, r.gDNS = re.Group("fid"), re.Group("ip4"), re.Group("ip6"), re.Group("dns")
	r.gCIDR, r.gMLFID, r.gContent = re.Group("cidr"), re.Group("mlfid"), re.Group("content")
	var alts []altGroup
	for _, n := range re.Names() {
		r.groups = append(r.groups, group{n, re.Group(n)})
		if len(n) > 4 && strings.HasPrefix(n, "alt_") {
			alts = append(alts, altGroup{num: re.Group(n), name: altTarget(n)})
		}
	}
	// fail2ban sorts the (name, target) pairs by name.
	for i := 1; i < len(alts); i++ {
		for j := i; j > 0 && nameOf(r, alts[j].num) < nameOf(r, alts[j-1].num); j-- {
			alts[j], alts[j-1] = alts[j-1], alts[j]
		}
	}
	for j := range alts {
		alts[j].own = -1
		for i, g := range r.groups {
			if g.name == alts[j].name {
				alts[j].own = i
			}
		}
	}
	r.alts = alts
	for k := 0; ; k++ {
		n := re.Group(fmt.Sprintf("skiplines%d", k))
		if n < 0 {
			break
		}
		r.skiplines = append(r.skiplines, n)
	}
	r.slots = []int{0}
	for _, g := range r.groups {
		r.slots = append(r.slots, g.num)
	}
	r.altSlot = len(r.slots)
	for _, a := range r.alts {
		r.slots = append(r.slots, a.num)
	}
	r.skipSlot = len(r.slots)
	r.slots = append(r.slots, r.skiplines...)
	return r, nil
}

func nameOf(r *Regex, num int) string {
	for _, g := range r.groups {
		if g.num == num {
			return g.name
		}
	}
	return ""
}

// altTarget maps alt_user_1 to user (fail2ban's COMPLNAME_CRE and mapTag2Opt).
func altTarget(n string) string {
	s := strings.TrimPrefix(n, "alt_")
	// (.*?)(?:_\d+)?$ : strip one trailing _digits
	if i := strings.LastIndexByte(s, '_'); i >= 0 && i < len(s)-1 {
		digits := true
		for _, c := range s[i+1:] {
			digits = digits && c >= '0' && c <= '9'
		}
		if digits {
			s = s[:i]
		}
	}
	return groupName(s)
}

func (r *Regex) hasID() bool {
	return r.gFid >= 0 || r.gIP4 >= 0 || r.gIP6 >= 0 || r.gDNS >= 0 || r.gMLFID >= 0
}

// Name returns the filter's name.
func (f *Filter) Name() string { return f.Def.Name }

// FailRegexes returns the expanded failregexes, in order.
func (f *Filter) FailRegexes() []*Regex { return f.fail }

// IgnoreRegexes returns the expanded ignoreregexes.
func (f *Filter) IgnoreRegexes() []*Regex { return f.ignore }

// PrefRegex returns the expanded prefregex, nil when there is none.
func (f *Filter) PrefRegex() *Regex { return f.pref }

// Journal reports whether the filter reads journal messages (logtype
// journal): no date is parsed, the whole line is the message.
func (f *Filter) Journal() bool { return f.Def.LogType == "journal" }

// MaxLines returns the size of the line buffer.
func (f *Filter) MaxLines() int { return f.lines }

// UseDNS returns the effective usedns setting.
func (f *Filter) UseDNS() string { return f.useDNS }

// Literals returns the prefilter literals of the regex (nil: none).
func (r *Regex) Literals() []string { return r.re.Literals() }

// Translated returns the regexp2 pattern the regex runs as.
func (r *Regex) Translated() string { return r.re.Translated() }

// alwaysNonEmpty reports whether group i (-1: none) holds text in every
// match of the regex.
func (r *Regex) alwaysNonEmpty(i int) bool {
	return i >= 0 && r.re.AlwaysNonEmpty(r.groups[i].name)
}
