package pyre

import (
	"strings"
	"testing"
)

// TestClassCategories checks classes that hold a negated category escape
// and another category escape, which regexp2 alone reads wrongly (it loses
// the second escape of the pair): each must hold what Python's class
// holds, the union of its members (the wants were taken from Python 3's
// re on the same characters).
func TestClassCategories(t *testing.T) {
	chars := []string{"A", "a", "1", "٣", " ", "-", "é", "_", "\n"}
	for _, c := range []struct{ class, want string }{
		{`[\W\d]`, `1 ٣ space - nl`},
		{`[\d\W]`, `1 ٣ space - nl`},
		{`[\W\D]`, `A a space - é _ nl`},
		{`[\W\D\S]`, `A a 1 ٣ space - é _ nl`},
		{`[\Wa\d]`, `a 1 ٣ space - nl`},
		{`[a\W\d]`, `a 1 ٣ space - nl`},
		{`[^\W\d]`, `A a é _`},
		{`[^\W\D]`, `1 ٣`},
		{`[a\D\w]`, `A a 1 ٣ space - é _ nl`},
		{`[^a\D\w]`, ``},
		{`[^-\W\d]`, `A a é _`},
		{`[\Wa]`, `a space - nl`},
		{`[^\Wa]`, `A 1 ٣ é _`},
		{`[\S\w]`, `A a 1 ٣ - é _`},
		{`[^\S\w]`, `space nl`},
		{`[a-c\W\s]`, `a space - nl`},
	} {
		re, err := Compile(c.class+`\Z`, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.class, err)
		}
		var got []string
		for _, s := range chars {
			ok, err := re.MatchString(s)
			if err != nil {
				t.Fatalf("%s on %q: %v", c.class, s, err)
			}
			if ok {
				got = append(got, map[string]string{" ": "space", "\n": "nl"}[s]+strings.Trim(s, " \n"))
			}
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%s holds %q, Python's holds %q (translated: %s)", c.class, g, c.want, re.translated)
		}
		// and each engine that stands in for regexp2 agrees on ASCII
		for _, s := range chars {
			if s[0] >= 0x80 {
				continue
			}
			b := []byte(s + "\n")
			want, _ := re.MatchString(s)
			if yes := re.SureMatch(b); yes && !want {
				t.Errorf("%s: SureMatch(%q) says yes, regexp2 no", c.class, s)
			}
		}
	}
}
