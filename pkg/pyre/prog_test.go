package pyre

import (
	"strconv"
	"testing"
)

// checkProg checks what compiling regexp2's program on first use relies
// on: regexp2 compiles every translation of a pattern Compile accepts, and
// Group (groupNumbers, computed without regexp2) gives regexp2's number of
// every named group.
func checkProg(t *testing.T, pattern string, opts Options) {
	t.Helper()
	re, err := Compile(pattern, opts)
	if err != nil {
		return
	}
	if err := re.Ready(); err != nil {
		t.Errorf("%q: accepted, but regexp2 refuses its translation %q: %v", pattern, re.Translated(), err)
		return
	}
	r2 := re.Regexp2()
	named := 0
	for _, name := range r2.GetGroupNames() {
		if _, err := strconv.Atoi(name); err == nil {
			continue // an unnamed group
		}
		named++
		if got, want := re.number(name), r2.GroupNumberFromName(name); got != want {
			t.Errorf("%q (%q): group %s is number %d, regexp2 says %d", pattern, re.Translated(), name, got, want)
		}
	}
	if named != len(re.nums) {
		t.Errorf("%q (%q): %d named groups, regexp2 has %d", pattern, re.Translated(), len(re.nums), named)
	}
	for _, name := range re.Names() {
		if got, want := re.Group(name), r2.GroupNumberFromName(name); got != want {
			t.Errorf("%q: Group(%q) = %d, regexp2 says %d", pattern, name, got, want)
		}
	}
}

var progPatterns = []string{
	`(a)(?P<x>b)(c)(?P<y>d)`,
	`(?P<x>a)(b)(?P<y>(c)(?P<z>d))`,
	`(a)(?P<x>b)\1(?P=x)`,
	`(a)(?:b)(?P<x>(?(1)c|d))`,
	`(?P<x>a)?(?(x)b|(c))`,
	`(?i)(?P<u>\S+) (x)`,
	`((?P<a>x)|(?P<b>y))+(z)`,
	`(?=(?P<a>x))(y)(?<=(?P<b>y))`,
	`[(](?P<a>\()(\))`,
	`\((?P<a>[^()]*)\)(?P<b>(?:\d)+)`,
}

func TestProgCompiledOnFirstUse(t *testing.T) {
	for _, p := range progPatterns {
		checkProg(t, p, Options{})
		checkProg(t, p, Options{Multiline: true})
	}
	for _, tt := range translateTests {
		checkProg(t, tt.in, Options{})
	}
	for _, c := range differentialCases {
		checkProg(t, c.pattern, Options{})
	}
}

// FuzzProg checks that regexp2 compiles what Compile accepts and that the
// group numbers agree, on any pattern.
func FuzzProg(f *testing.F) {
	for _, p := range progPatterns {
		f.Add(p, false)
	}
	for _, tt := range translateTests {
		f.Add(tt.in, false)
	}
	for _, c := range differentialCases {
		f.Add(c.pattern, true)
	}
	f.Fuzz(func(t *testing.T, pattern string, multi bool) {
		if len(pattern) > 300 {
			return
		}
		checkProg(t, pattern, Options{Multiline: multi})
	})
}
