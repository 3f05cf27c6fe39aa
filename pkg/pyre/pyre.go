// Package pyre runs Python regular expressions, as fail2ban's filters write
// them, on github.com/dlclark/regexp2 with Python's semantics.
//
// A scanner that knows escapes and character classes parses the Python
// pattern and writes the regexp2 (.NET syntax) equivalent:
//
//   - (?P<name>...) becomes (?<name>...) and (?P=name) becomes \k<name>;
//   - {,n} becomes {0,n} (.NET would read it as literal text);
//   - the inline flag u is dropped, x is applied by the scanner, a and L are
//     refused (no equivalent);
//   - \Z becomes \z (Python's \Z is the absolute end);
//   - escaped punctuation such as \< \' \_ is written as the plain character
//     (.NET gives \< and \' a meaning of their own);
//   - [ inside a class is escaped (.NET reads [a-[b]] as class subtraction);
//   - numeric back-references \N and (?(N)...) refer to synthetic group names
//     in Python's numbering (regexp2 numbers unnamed groups first);
//   - \UXXXXXXXX and \uXXXX become code point escapes; \N{NAME} is refused;
//   - \d and \w become [0-9\d] and [a-zA-Z0-9_\w]: the same sets, but
//     regexp2 tests ranges before its (slow) Unicode category look-ups.
//
// Patterns Python refuses (unbalanced parentheses, unknown escapes of ASCII
// letters, variable-width look-behind, duplicate group names, global flags
// after the start) are refused too. The result is compiled in regexp2's
// default mode (never RE2 or ECMAScript, which change $, \d, \w and \s),
// with Multiline on request, a match timeout, and no backtracking-stack
// limit (regexp2 v2's default limit refuses long lines Python matches).
//
// Each compiled pattern also carries its literal prefilter: a set of
// strings of at least [MinLiteral] bytes, one of which every match contains
// (case-insensitive parts, classes, look-arounds and back-references are
// treated conservatively, so the set is exact: a text that contains none of
// them cannot match).
//
// A pattern without back-references, conditionals, look-arounds (but a
// one-character look-behind its context always satisfies, such as the
// (?<=:) of fail2ban's IPv6 address), atomic groups or possessive repeats
// also has an RE2 form: the same pattern for Go's regexp, run by FindBytes
// on the bytes of an ASCII text with the same match and group spans (see
// re2.go for the translation). Measured on the built-in filters
// (BenchmarkRegexEngines in pkg/filter/builtin), Go's regexp is slower than
// regexp2 on most failregexes (its backtracker steps one character per
// instruction, where regexp2 scans classes and literals in bulk), so
// package filter matches with Find; the RE2 form is the comparison's and
// the equality tests' (TestRE2Agrees, FuzzRE2), made on first use.
//
// SureMatch answers "does the pattern match this ASCII text?" with "yes"
// or "don't know", without regexp2, by walking one way through the
// pattern (sure.go); AlwaysNonEmpty says which groups hold text in every
// match; ExactMatch answers yes, no or "don't know" by following every
// way at once as sets of positions (exact.go). Package filter uses them to
// count matches that need no groups and to skip regexes that cannot match.
// FindASCII is Find on an ASCII text without regexp2: a backtracking
// machine over the pattern's tree that tries the ways in regexp2's order
// and keeps the groups as regexp2 does (bt.go); package filter runs the
// failregexes with it where it knows, regexp2 where it does not.
//
// Known deviations from Python, all outside ASCII: \d, \w and \s use Go's
// Unicode tables (\w also matches combining marks, Python's \s also matches
// U+001C..U+001F), and a few exotic case-folding pairs differ.
package pyre

import (
	"errors"
	"strings"
	"sync"
	"time"

	regexp2 "github.com/dlclark/regexp2/v2"
)

// DefaultTimeout is the match timeout of patterns compiled without one.
const DefaultTimeout = time.Second

// Options control compilation.
type Options struct {
	// Multiline makes ^ and $ match at line boundaries (Python re.MULTILINE).
	Multiline bool
	// Timeout bounds one match; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Regexp is a compiled Python pattern. It is safe for concurrent use.
type Regexp struct {
	// regexp2's program, compiled on first use (prog): the byte
	// backtracker and the sure-match walker answer most lines without it,
	// and many failregexes of a filter never run at all (a literal they
	// need never occurs); compiling every one at start was an eighth of
	// a one-line run's CPU time with sshd's filter
	reOnce sync.Once
	re     *regexp2.Regexp
	reErr  error
	opts   Options
	// nums is regexp2's number of each named group of the translated
	// pattern (groupNumbers)
	nums       map[string]int
	expr       string
	translated string
	names      []string // Python's named groups, in order
	literals   []string
	prefixes   []string
	required   [][]string
	// textRequired: required plus the positive lookaheads' sets
	textRequired [][]string
	// the RE2 form (see FindBytes), made on first use (the pattern is
	// parsed again: no tree is kept)
	re2Once sync.Once
	re2     *re2Form // nil: none
	multi   bool
	// the byte backtracker's program (bt.go), nil: none; made on first
	// use (the pattern is parsed again), as the walker: most failregexes
	// of a filter never reach it, and making every one at start was a
	// quarter of what compiling sshd's filter allocated
	btOnce sync.Once
	bt     *btProg
	// the sure-match walker (sure.go), nil: none; made on first use (the
	// pattern is parsed again): package filter asks only for its
	// forget-only failregexes, and making one for every pattern was a
	// sixth of what compiling sshd's filter allocated at start-up
	sureOnce sync.Once
	sure     *snode
	// AlwaysNonEmpty's answers (true only), found on its first call
	nonEmptyOnce sync.Once
	nonEmpty     map[string]bool
}

// Translate returns the regexp2 form of the Python pattern expr.
func Translate(expr string) (string, error) {
	t, _, _, err := translate(expr)
	return t, err
}

func translate(expr string) (string, *node, *parser, error) {
	n, p, err := parse(expr)
	if err != nil {
		return "", nil, nil, err
	}
	var b strings.Builder
	emit(&b, n, p)
	return b.String(), n, p, nil
}

// Literals returns the prefilter set of the Python pattern expr: strings of
// at least MinLiteral bytes at least one of which every match contains, or
// nil when there is no such set (or expr does not parse).
func Literals(expr string) []string {
	n, _, err := parse(expr)
	if err != nil {
		return nil
	}
	return literalsOf(n)
}

// Compile translates and compiles the Python pattern expr. A pattern
// Python refuses is refused here; regexp2's program is compiled on first
// use (Prog: a regexp2 refusal of a translated pattern, which would be a
// bug of the translation, is that use's error), or at once by Ready.
func Compile(expr string, opts Options) (re *Regexp, err error) {
	t, n, p, err := translate(expr)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	names := make([]string, 0, len(p.names))
	for i := 1; i <= p.ncap; i++ {
		if nm := p.numNames[i]; nm != "" {
			names = append(names, nm)
		}
	}
	re = &Regexp{opts: opts, nums: groupNumbers(n, p), expr: expr, translated: t, names: names, literals: literalsOf(n), prefixes: prefixesOf(n), required: requiredOf(n), textRequired: requiredOf(n, true)}
	re.multi = opts.Multiline
	return re, nil
}

// Ready compiles regexp2's program now (it is otherwise compiled on first
// use) and returns regexp2's error, if it refuses the translated pattern.
func (re *Regexp) Ready() error {
	_, err := re.prog()
	return err
}

// prog returns regexp2's program, compiled on first use.
func (re *Regexp) prog() (*regexp2.Regexp, error) {
	re.reOnce.Do(func() { re.re, re.reErr = compileRegexp2(re.translated, re.opts) })
	return re.re, re.reErr
}

func compileRegexp2(t string, opts Options) (r2 *regexp2.Regexp, err error) {
	defer func() {
		if r := recover(); r != nil {
			r2, err = nil, errors.New("regexp2 failed on the translated pattern")
		}
	}()
	o := []regexp2.CompileOption{regexp2.OptionMaxBacktrackingStackSize(-1)}
	if opts.Multiline {
		o = append(o, regexp2.Multiline)
	}
	r2, err = regexp2.Compile(t, o...)
	if err != nil {
		return nil, err
	}
	r2.MatchTimeout = opts.Timeout
	return r2, nil
}

// Confirmed runs match, one regexp2 match, and runs it once more when it
// failed (regexp2's matches fail only on their timeout) sooner than the
// timeout by the wall clock. regexp2 checks a match's deadline on an
// approximate clock that one goroutine moves on every 100 ms; when that
// goroutine is held up (a loaded machine: when a server is attacked),
// the clock jumps on its next tick and a match that began before the jump
// finds its deadline passed though it ran for far less, and its line
// would be skipped. The second run's deadline is taken after the jump. A
// match that really outlives the timeout is not run again: an attacker's
// line costs one timeout, not two.
func Confirmed(timeout time.Duration, match func() error) error {
	start := time.Now()
	err := match()
	if err != nil && time.Since(start) < timeout {
		err = match()
	}
	return err
}

// groupNumbers returns regexp2's number of each named group of the
// translated pattern (emit's output for n), without compiling it: regexp2
// (.NET) numbers the unnamed groups first, from 1 in the order of their
// opening parentheses, then the named ones in the same order. (Python's
// names are identifiers and the synthetic ones start with "__py": no name
// is a number, which .NET would take as the group's number.)
func groupNumbers(n *node, p *parser) map[string]int {
	unnamed := 0
	var named []string
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		if n.kind == kGroup && n.gk == gCapture {
			switch {
			case n.name != "":
				named = append(named, n.name)
			case p.refsNum:
				named = append(named, synthName(n.num))
			default:
				unnamed++
			}
		}
		for _, s := range n.subs {
			walk(s)
		}
	}
	walk(n)
	if len(named) == 0 {
		return nil
	}
	nums := make(map[string]int, len(named))
	for i, name := range named {
		nums[name] = unnamed + 1 + i
	}
	return nums
}

// number is regexp2's number of the named group, -1 for none.
func (re *Regexp) number(name string) int {
	if k, ok := re.nums[name]; ok {
		return k
	}
	return -1
}

// MustCompile is Compile that panics on error, for patterns in programs.
func MustCompile(expr string, opts Options) *Regexp {
	re, err := Compile(expr, opts)
	if err != nil {
		panic("pyre: " + expr + ": " + err.Error())
	}
	return re
}

// String returns the Python source of the pattern.
func (re *Regexp) String() string { return re.expr }

// Translated returns the regexp2 pattern actually compiled.
func (re *Regexp) Translated() string { return re.translated }

// Names returns the named groups of the pattern, in Python's order.
func (re *Regexp) Names() []string { return re.names }

// HasGroup reports whether the pattern has a group of that name.
func (re *Regexp) HasGroup(name string) bool {
	for _, n := range re.names {
		if n == name {
			return true
		}
	}
	return false
}

// Group returns regexp2's number for the named group, or -1.
func (re *Regexp) Group(name string) int {
	if !re.HasGroup(name) {
		return -1
	}
	return re.number(name)
}

// Literals returns the prefilter set (see the package documentation); nil
// means every text is a candidate.
func (re *Regexp) Literals() []string { return re.literals }

// FindRunes returns the first match in text (Python's search), nil when
// there is none. A match that outlives the timeout returns an error.
// Captures index into text, in runes.
func (re *Regexp) FindRunes(text []rune) (*regexp2.Match, error) {
	r2, err := re.prog()
	if err != nil {
		return nil, err
	}
	var m *regexp2.Match
	err = Confirmed(re.opts.Timeout, func() (err error) {
		m, err = r2.FindRunesMatch(text)
		return err
	})
	return m, err
}

// Span is the place of a group in a match, in runes; OK is false when the
// group did not take part (Python's None).
type Span struct {
	Index, Length int
	OK            bool
}

// Find runs the pattern on text (Python's search) without allocating. On a
// match it sets out[i] to the span of group number groups[i] (numbers from
// Group; 0 is the whole match) and returns true. A match that outlives the
// timeout returns an error.
func (re *Regexp) Find(text []rune, groups []int, out []Span) (bool, error) {
	r2, err := re.prog()
	if err != nil {
		return false, err
	}
	found := false
	if len(groups) == 0 {
		// no group wanted: regexp2's program without captures
		err = Confirmed(re.opts.Timeout, func() (err error) {
			found, err = r2.MatchRunes(text)
			return err
		})
		return found, err
	}
	err = Confirmed(re.opts.Timeout, func() error {
		return r2.FindRunesMatches(text, 0, func(v regexp2.MatchView) bool {
			found = true
			for i, g := range groups {
				idx, n, ok := v.GroupRange(g)
				out[i] = Span{idx, n, ok}
			}
			return false
		})
	})
	if err != nil {
		return false, err
	}
	return found, nil
}

// MatchString reports whether s contains a match.
func (re *Regexp) MatchString(s string) (bool, error) {
	r2, err := re.prog()
	if err != nil {
		return false, err
	}
	var m *regexp2.Match
	err = Confirmed(re.opts.Timeout, func() (err error) {
		m, err = r2.FindStringMatch(s)
		return err
	})
	return m != nil, err
}

// FindString returns the named groups of the first match in s that took
// part in it (Python's groupdict without the None values), and whether s
// matched.
func (re *Regexp) FindString(s string) (map[string]string, bool, error) {
	r2, err := re.prog()
	if err != nil {
		return nil, false, err
	}
	var m *regexp2.Match
	err = Confirmed(re.opts.Timeout, func() (err error) {
		m, err = r2.FindStringMatch(s)
		return err
	})
	if err != nil || m == nil {
		return nil, false, err
	}
	out := map[string]string{}
	for _, n := range re.names {
		g := m.GroupByName(n)
		if g != nil && len(g.Captures) > 0 {
			out[n] = g.String()
		}
	}
	return out, true, nil
}

// Regexp2 returns the underlying compiled regexp2 pattern, compiling it
// now if it was not (nil when regexp2 refuses it: see Ready).
func (re *Regexp) Regexp2() *regexp2.Regexp {
	r2, _ := re.prog()
	return r2
}
