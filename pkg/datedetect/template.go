package datedetect

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// Template flags, as fail2ban's DateTemplate.
const (
	flagLineBegin = 8
	flagLineEnd   = 4
	flagWordBegin = 2
	flagWordEnd   = 1
)

// Word-begin modes of setRegex (fail2ban: False, True, 'start').
const (
	beginNone = iota
	beginWord
	beginLine
)

type kind uint8

const (
	kindPattern kind = iota
	kindEpoch
	kindTAI64N
)

// field keys understood by the date assembler (fail2ban's
// reGroupDictStrptime).
const (
	keyNone = iota
	keyy
	keyY
	keym
	keyB
	keyb
	keyd
	keyH
	keyI
	keyM
	keyS
	keyf
	keyA
	keya
	keyw
	keyj
	keyU
	keyW
	keyz
	keyZ
	keyp
)

var keyOf = map[string]int{
	"y": keyy, "Y": keyY, "m": keym, "B": keyB, "b": keyb, "d": keyd, "H": keyH,
	"I": keyI, "M": keyM, "S": keyS, "f": keyf, "A": keyA, "a": keya, "w": keyw,
	"j": keyj, "U": keyU, "W": keyW, "z": keyz, "Z": keyZ, "p": keyp,
}

type fieldGroup struct {
	key int
	num int // regexp2 group number
}

// template is one date template: fail2ban's DateTemplate and subclasses.
type template struct {
	name       string
	pattern    string // the datepattern it came from (pattern templates)
	hasPattern bool
	regex      string // final regex, Python syntax
	flags      int
	weight     float64
	kind       kind
	longFrm    bool
	grpIdx     int // epoch: Python number of the value group

	expr   string   // regex translated to regexp2's syntax
	groups []string // its groups in Python's numbering (names)
	fast   *fastPattern

	// The regexp2 program is compiled the first time a match needs it:
	// the fast matchers date most lines without it, and compiling every
	// template up front was most of a detector's start-up cost.
	rxOnce sync.Once
	rx     *templateRE
	rxErr  error

	// a default template is compiled by compileShared
	sharedOnce sync.Once
	sharedErr  error
}

// templateRE is a template's compiled regex and its group numbers.
type templateRE struct {
	re      *regexp2.Regexp
	spanNum int // regexp2 number of Python's group 1 (the date text)
	valNum  int // epoch/TAI64N: number of the value group
	fields  []fieldGroup
}

// Meta regexes of fail2ban's datetemplate.py, applied to pattern text.
var (
	reGrouped        = meta(`(?<!(?:\(\?))(?<!\\)\((?!\?)`, 0)
	reGroup          = meta(`^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)(.*?)(\$?)$`, 0)
	reGlobalFlags    = meta(`((?:^|(?!<\\))\(\?[a-z]+\))`, 0)
	reNoWrdBndBeg    = meta(`^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)`, 0)
	reNoWrdBndEnd    = meta(`(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$`, 0)
	reDelWrdBounds   = meta(`^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$`, 0)
	reLineBoundBeg   = meta(`^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))`, 0)
	reLineBoundEnd   = meta(`(?<![\\\|])(?:\$\)?)$`, 0)
	reAlphaPattern   = meta(`(?<!\%)\%[aAbBpc]`, 0)
	epochRE          = `\d{10,11}\b(?:\.\d{3,6})?`
	longEpochRE      = `\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?`
	metaMatchTimeout = time.Second
)

// lazyRE is a meta regex compiled on first use, not at package init
// (every program that links the package would pay for it).
type lazyRE struct {
	expr string
	opt  regexp2.RegexOptions
	once sync.Once
	re   *regexp2.Regexp
}

func meta(expr string, opt regexp2.RegexOptions) *lazyRE { return &lazyRE{expr: expr, opt: opt} }

func (l *lazyRE) get() *regexp2.Regexp {
	l.once.Do(func() {
		l.re = regexp2.MustCompile(l.expr, l.opt)
		l.re.MatchTimeout = metaMatchTimeout
	})
	return l.re
}

func mfind(l *lazyRE, s string) *regexp2.Match {
	m, err := l.get().FindStringMatch(s)
	if err != nil {
		return nil
	}
	return m
}

func msearch(l *lazyRE, s string) bool { return mfind(l, s) != nil }

// msub replaces matches of l in s (all when count < 0) by f(match text).
func msub(l *lazyRE, s string, count int, f func(string) string) string {
	out, err := l.get().ReplaceFunc(s, func(m regexp2.Match) string { return f(m.String()) }, -1, count)
	if err != nil {
		return s
	}
	return out
}

// Five of fail2ban's meta regexes are plain text searches, written as
// such (compiling their regexp2 programs and searching with them was most
// of a start-up's meta-regex cost for a datepattern holding {DATE}, whose
// every default template goes through them). FuzzMetaTexts compares each
// with fail2ban's regex run by regexp2:
//   - RE_EXLINE_NO_BOUNDS ^\{UNB\} and RE_EXLINE_BOUND_BEG ^\{\^LN-BEG\}:
//     strings.CutPrefix;
//   - RE_EXSANC_BOUND_BEG ^\((?:\?:)?\^\|\\b\|\\W\): cutSancBeg;
//   - RE_EXEANC_BOUND_BEG \(\?=\\b\|\\W\|\$\)$: cutEancEnd;
//   - (?<!\\)\{L?EPOCH\} and (?<!\\)\{DATE\}, case-insensitive:
//     replaceTokens.

// cutSancBeg removes a leading (^|\b|\W) or (?:^|\b|\W).
func cutSancBeg(p string) string {
	if r, ok := strings.CutPrefix(p, `(^|\b|\W)`); ok {
		return r
	}
	return strings.TrimPrefix(p, `(?:^|\b|\W)`)
}

// cutEancEnd removes a trailing (?=\b|\W|$), also before a final newline
// (where the regex's $ matches too).
func cutEancEnd(p string) string {
	const end = `(?=\b|\W|$)`
	if r, ok := strings.CutSuffix(p, end); ok {
		return r
	}
	if r, ok := strings.CutSuffix(p, end+"\n"); ok {
		return r + "\n"
	}
	return p
}

// Tokens of replaceTokens.
var (
	epochTokens = []string{"{EPOCH}", "{LEPOCH}"}
	dateTokens  = []string{"{DATE}"}
)

// replaceTokens replaces each of tokens (ASCII letters in braces, matched
// in any case) that no backslash precedes by repl, left to right; found
// says whether there was one.
func replaceTokens(s string, tokens []string, repl string) (out string, found bool) {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '{' || i > 0 && s[i-1] == '\\' {
			continue
		}
		for _, tok := range tokens {
			if len(s)-i >= len(tok) && asciiEqualFold(s[i:i+len(tok)], tok) {
				b.WriteString(s[last:i])
				b.WriteString(repl)
				last = i + len(tok)
				i = last - 1
				found = true
				break
			}
		}
	}
	if !found {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// hasTokens reports whether s holds one of tokens as replaceTokens finds
// them.
func hasTokens(s string, tokens []string) bool {
	_, found := replaceTokens(s, tokens, "")
	return found
}

// asciiEqualFold compares s with upper, an upper-case ASCII text, in any
// case (the letters of the tokens have no other case folding).
func asciiEqualFold(s, upper string) bool {
	for i := 0; i < len(upper); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

// setRegex is fail2ban's DateTemplate.setRegex: it adds the word or line
// boundaries, the capturing group 1 and the flags.
func (t *template) setRegex(regex string, wordBegin int, wordEnd bool) {
	regex = strings.TrimSpace(regex)
	gf := ""
	if m := mfind(reGlobalFlags, regex); m != nil {
		gf = m.GroupByNumber(1).String()
		regex = msub(reGlobalFlags, regex, 1, func(string) string { return "" })
	}
	boundBegin := wordBegin != beginNone && !msearch(reNoWrdBndBeg, regex)
	boundEnd := wordEnd && !msearch(reNoWrdBndEnd, regex)
	if !msearch(reGrouped, regex) {
		if m := mfind(reGroup, regex); m != nil {
			regex = m.GroupByNumber(1).String() + "(" + m.GroupByNumber(2).String() + ")" + m.GroupByNumber(3).String()
		}
	}
	t.flags = 0
	if boundBegin {
		if wordBegin != beginLine {
			t.flags |= flagWordBegin
			regex = `(?=^|\b|\W)` + regex
		} else {
			t.flags |= flagLineBegin
			regex = `^(?:\W{0,2})?` + regex
			if !strings.HasPrefix(t.name, "{^LN-BEG}") {
				t.name = "{^LN-BEG}" + t.name
			}
		}
	}
	if boundEnd {
		t.flags |= flagWordEnd
		regex += `(?=\b|\W|$)`
	}
	if t.flags&flagLineBegin == 0 && msearch(reLineBoundBeg, regex) {
		t.flags |= flagLineBegin
	}
	if t.flags&flagLineEnd == 0 && msearch(reLineBoundEnd, regex) {
		t.flags |= flagLineEnd
	}
	regex = msub(reDelWrdBounds, regex, -1, func(s string) string { return strings.ReplaceAll(s, "**", "") })
	t.regex = gf + regex
}

// newPatternTemplate is fail2ban's DatePatternRegex(pattern).
func newPatternTemplate(pattern, exY string) (*template, error) {
	t := &template{weight: 1, kind: kindPattern, pattern: pattern, hasPattern: true}
	wordBegin, wordEnd := beginWord, true
	p := pattern
	if r, ok := strings.CutPrefix(p, "{UNB}"); ok {
		p = r
		wordBegin, wordEnd = beginNone, false
	}
	if r, ok := strings.CutPrefix(p, "{^LN-BEG}"); ok && wordBegin != beginNone {
		p = r
		wordBegin = beginLine
	}
	name, regex, err := expandPattern(p, exY)
	if err != nil {
		return nil, err
	}
	t.name = name
	if msearch(reAlphaPattern, p) {
		regex = `(?iu)` + regex
	}
	t.setRegex(regex, wordBegin, wordEnd)
	return t, nil
}

// newEpoch is fail2ban's DateEpoch.
func newEpoch(lineBeginOnly bool, pattern string, longFrm bool) *template {
	t := &template{weight: 1, kind: kindEpoch, longFrm: longFrm, name: "Epoch", grpIdx: 1}
	ere := epochRE
	if longFrm {
		t.name = "LongEpoch"
		ere = longEpochRE
	}
	if pattern != "" {
		t.name = pattern
		t.grpIdx = 2
		r, _ := replaceTokens(pattern, epochTokens, "("+ere+")")
		regex := "(" + r + ")"
		t.setRegex(regex, beginWord, true)
		return t
	}
	if !lineBeginOnly {
		t.setRegex(`((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\()))`+ere+`)(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))`, beginNone, true)
	} else {
		t.setRegex(`((?P<square>(?<=^\[))?`+ere+`)(?(square)(?=\]))`, beginLine, true)
	}
	return t
}

// newTAI64N is fail2ban's DateTai64n.
func newTAI64N(wordBegin int) *template {
	t := &template{weight: 1, kind: kindTAI64N, name: "TAI64N"}
	t.setRegex(`@[0-9a-f]{24}`, wordBegin, true)
	return t
}

// patternTemplate is fail2ban's _getPatternTemplate.
func patternTemplate(pattern, key, exY string) (*template, error) {
	if key == "" {
		key = pattern
		if !strings.Contains(pattern, "%") {
			key = strings.ToUpper(pattern)
		}
	}
	if strings.Contains(key, "EPOCH") {
		switch {
		case hasTokens(pattern, epochTokens):
			return newEpoch(false, pattern, strings.Contains(key, "LEPOCH")), nil
		case key == "EPOCH" || key == "{^LN-BEG}EPOCH" || key == "^EPOCH":
			return newEpoch(key != "EPOCH", "", false), nil
		case key == "LEPOCH" || key == "{^LN-BEG}LEPOCH" || key == "^LEPOCH":
			return newEpoch(key != "LEPOCH", "", true), nil
		}
	}
	switch key {
	case "TAI64N":
		return newTAI64N(beginNone), nil
	case "{^LN-BEG}TAI64N", "^TAI64N":
		return newTAI64N(beginLine), nil
	}
	return newPatternTemplate(pattern, exY)
}

// anchoredTemplate is fail2ban's _getAnchoredTemplate: a copy of t whose
// pattern (or name, for templates without one) is wrapped.
func anchoredTemplate(t *template, wrap func(string) string, exY string) (*template, error) {
	if t.hasPattern {
		return patternTemplate(wrap(t.pattern), "", exY)
	}
	return patternTemplate(wrap(t.name), "", exY)
}

// unboundPattern is DateTemplate.unboundPattern.
func unboundPattern(p string) string {
	p = strings.TrimPrefix(p, "{UNB}")
	p = strings.TrimPrefix(p, "{^LN-BEG}")
	return cutEancEnd(cutSancBeg(p))
}

// defaultPatterns are fail2ban's DEFAULT_TEMPLATES, in its order.
var defaultPatterns = []string{
	// ISO 8601 and simple dates: 2005-01-23T21:59:59.981746, 2005/01/23 21:59:59, 2006.12.21 06:43:20
	`%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`,
	// asctime / syslog: Sun Jan 23 21:59:59.011 2005, Jan 23 21:59:59
	`(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
	// year after the day: Sun Jan 23 2005 21:59:59.011
	`(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?`,
	// 23/01/2005 21:59:59, 23/01/05 21:59:59, 17-07-2008 17:23:25
	`%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S`,
	// Apache: [31/Oct/2006:09:22:55 -0000], 26-Jul-2007 15:20:52.252 +0200
	`%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?`,
	// CPanel: 05/20/2008:01:57:39
	`%m/%d/%ExY:%H:%M:%S`,
	// 01-27-2012 16:22:44.252
	`%m-%d-%ExY %k:%M:%S(?:\.%f)?`,
	`EPOCH`,
	// time only
	`{^LN-BEG}%H:%M:%S`,
	// <09/16/08@05:03:30>
	`^<%m/%d/%Exy@%H:%M:%S>`,
	// MySQL: 130322 11:46:11
	`%Exy%Exm%Exd  ?%H:%M:%S`,
	// Apache Tomcat: Jan 23, 2005 9:59:59 PM
	`%b %d, %ExY %I:%M:%S %p`,
	// ASSP: Apr-27-13 02:33:06
	`^%b-%d-%Exy %k:%M:%S`,
	// 20050123T215959, 20050123 215959
	`%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?`,
	// zone name first (monit): PDT Apr 16 21:05:29
	`(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
	// offset first: +00:00 Jan 23 21:59:59.011 2005
	`(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
	`TAI64N`,
}

// defaultSet is the default template list of one %ExY year expression:
// fail2ban's 17 templates (plain), and the {^LN-BEG} copies with weight
// 100 placed before them.
type defaultSet struct {
	plain []*template // DEFAULT_TEMPLATES
	all   []*template // anchored copies, then the plain ones
}

var defaultSets sync.Map // exY → *defaultSet

// defaults returns the default templates of the year expression exY,
// built from defaultTable: building them from defaultPatterns (fail2ban's
// meta regexes over each pattern, fifteen regexp2 programs compiled) was
// ~5 ms of every logmatch start whose filter uses the default templates
// (sshd's {^LN-BEG}). TestDefaultTable proves the table equal to
// buildDefaults for every year expression of the years 1 to 9999.
func defaults(exY string) (*defaultSet, error) {
	if v, ok := defaultSets.Load(exY); ok {
		return v.(*defaultSet), nil
	}
	v, _ := defaultSets.LoadOrStore(exY, tableDefaults(exY))
	return v.(*defaultSet), nil
}

// tableDefaults builds the default templates of exY from defaultTable.
func tableDefaults(exY string) *defaultSet {
	ds := &defaultSet{}
	for _, r := range defaultTable {
		t := &template{name: r.name, pattern: r.pattern, hasPattern: r.hasPattern,
			regex: strings.ReplaceAll(r.regex, exYMark, exY), flags: r.flags, weight: r.weight,
			kind: r.kind, longFrm: r.longFrm, grpIdx: r.grpIdx}
		if r.plain {
			ds.plain = append(ds.plain, t)
		}
		ds.all = append(ds.all, t)
	}
	return ds
}

// exYMark stands for the year expression in defaultTable's regexes.
const exYMark = "\x00ExY\x00"

// defaultRow is one default template of defaultTable, in the order of
// defaultSet.all; plain: also one of defaultSet.plain.
type defaultRow struct {
	name, pattern, regex string
	hasPattern, plain    bool
	flags                int
	weight               float64
	kind                 kind
	longFrm              bool
	grpIdx               int
}

// buildDefaults builds the default templates of exY from defaultPatterns
// as fail2ban does; defaultTable is its result for exYMark (see
// TestDefaultTable).
func buildDefaults(exY string) (*defaultSet, error) {
	ds := &defaultSet{}
	var anchored []*template
	for _, p := range defaultPatterns {
		t, err := patternTemplate(p, "", exY)
		if err != nil {
			return nil, err
		}
		ds.plain = append(ds.plain, t)
		if !strings.HasPrefix(t.name, "{^LN-BEG}") && !strings.HasPrefix(t.name, "^") {
			t2, err := anchoredTemplate(t, func(s string) string { return "{^LN-BEG}" + s }, exY)
			if err != nil {
				return nil, err
			}
			if t2.name != t.name {
				t2.weight = 100
				anchored = append(anchored, t2)
			}
		}
	}
	ds.all = append(anchored, ds.plain...)
	return ds, nil
}

// matchTimeout bounds one template match.
const matchTimeout = time.Second

var compiled sync.Map // regex → *regexp2.Regexp

// compile translates the template's regex, checks its groups and finds
// its fast matcher; the regexp2 program is compiled later, by regexp.
func (t *template) compile() error {
	tr, err := translate(t.regex)
	if err != nil {
		return fmt.Errorf("datepattern %q: %w", t.displayPattern(), err)
	}
	if len(tr.groups) == 0 {
		return fmt.Errorf("datepattern %q: no group", t.displayPattern())
	}
	if t.kind == kindEpoch && t.grpIdx > len(tr.groups) {
		return fmt.Errorf("datepattern %q: no epoch group", t.displayPattern())
	}
	t.expr, t.groups = tr.expr, tr.groups
	t.fast = fastFor(t.regex)
	return nil
}

// compileShared is compile for a shared default template, done once, by
// the first Detector that appends it (addDefaults): a datepattern such as
// {^LN-BEG} keeps 17 of the 31, and compiling every one (translation and
// fast matcher) was a third of a first datedetect.New.
func (t *template) compileShared() error {
	t.sharedOnce.Do(func() { t.sharedErr = t.compile() })
	return t.sharedErr
}

// compileNow compiles the regexp2 program at once: for the templates of
// a user's datepattern, whose regex may be one regexp2 refuses (an error
// New must report).
func (t *template) compileNow() error {
	_, err := t.regexp()
	return err
}

// regexp returns the template's compiled regex, compiling it on first
// use (safe for concurrent use: default templates are shared by every
// Detector of the process).
func (t *template) regexp() (*templateRE, error) {
	t.rxOnce.Do(func() { t.rx, t.rxErr = t.compileRE() })
	return t.rx, t.rxErr
}

func (t *template) compileRE() (*templateRE, error) {
	var re *regexp2.Regexp
	if v, ok := compiled.Load(t.expr); ok {
		re = v.(*regexp2.Regexp)
	} else {
		var err error
		re, err = regexp2.Compile(t.expr, regexp2.None, regexp2.OptionMaxBacktrackingStackSize(-1))
		if err != nil {
			return nil, fmt.Errorf("datepattern %q: %w", t.displayPattern(), err)
		}
		re.MatchTimeout = matchTimeout
		v, _ := compiled.LoadOrStore(t.expr, re)
		re = v.(*regexp2.Regexp)
	}
	rx := &templateRE{re: re, spanNum: re.GroupNumberFromName(t.groups[0])}
	if t.kind == kindEpoch {
		rx.valNum = re.GroupNumberFromName(t.groups[t.grpIdx-1])
	}
	if t.kind == kindPattern {
		for _, g := range t.groups {
			if k, ok := keyOf[g]; ok {
				rx.fields = append(rx.fields, fieldGroup{key: k, num: re.GroupNumberFromName(g)})
			}
		}
	}
	return rx, nil
}

func (t *template) displayPattern() string {
	if t.hasPattern {
		return t.pattern
	}
	return t.name
}
