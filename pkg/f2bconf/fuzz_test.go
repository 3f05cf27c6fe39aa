package f2bconf

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func addSeeds(f *testing.F) {
	for _, tt := range parseRuleTests {
		f.Add([]byte(tt.in), []byte("[s]\nx = %(known/k)s\n"))
	}
	for _, p := range []string{"testdata/layered/main.conf", "testdata/layered/main.local"} {
		d, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(d, []byte("[Definition]\nfailregex = %(known/failregex)s\n  x <HOST>\n"))
	}
	f.Add([]byte("[Init]\nx = 1\n[Init?family=inet6]\nx = 2\n"), []byte("[Init?family=inet6]\nx = 3\n"))
	f.Add([]byte("[INCLUDES]\nbefore = b.conf\n[s]\nk = %(known/k)s <x>\n"), []byte("[s]\nk = 1\n"))
}

// FuzzRead reads arbitrary bytes as a file and its .local, then resolves
// every option every way the package offers: no input may panic or hang,
// and every error must carry a position or be a *NotFound.
func FuzzRead(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, main, local []byte) {
		fsys := fstest.MapFS{
			"d/a.conf":  {Data: main},
			"d/a.local": {Data: local},
			"d/b.conf":  {Data: local},
		}
		c, err := Read("d/a.conf", &Options{FS: fsys})
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Read error without position: %v", err)
			}
			return
		}
		for _, s := range append(c.Sections(), "DEFAULT") {
			for _, k := range c.Keys(s) {
				if _, ok := c.Raw(s, k); !ok {
					t.Fatalf("Keys(%q) lists %q, Raw does not find it", s, k)
				}
				if _, err := c.Get(s, k); err != nil {
					var pe *Error
					var nf *NotFound
					if !errors.As(err, &pe) && !errors.As(err, &nf) {
						t.Fatalf("Get(%q, %q) error without position: %v", s, k, err)
					}
				}
			}
			if m, err := c.Section(s, map[string]string{"x": "%(y)s", "y": "<x>"}); err == nil {
				_, _ = SubstituteTags(m, TagOptions{Conditional: "family=inet6"})
			}
		}
		_, _ = c.Combine(FilterKeys, true, nil, map[string]string{"mode": "aggressive"}, TagOptions{})
	})
}

// FuzzSpec checks ParseSpec and SplitActions: no panics, and every entry
// SplitActions returns is trimmed, non-empty and found in the input.
func FuzzSpec(f *testing.F) {
	for _, tt := range specTests {
		f.Add(tt.in)
	}
	for _, tt := range splitTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if name, args, err := ParseSpec(s); err == nil {
			if name == "" || strings.ContainsRune(name, '[') || args == nil {
				t.Fatalf("ParseSpec(%q) = %q, %v", s, name, args)
			}
		}
		rest := s
		for _, e := range SplitActions(s) {
			if e == "" || strings.TrimSpace(e) != e {
				t.Fatalf("SplitActions(%q): entry %q", s, e)
			}
			i := strings.Index(rest, e)
			if i < 0 {
				t.Fatalf("SplitActions(%q): entry %q not in order in the input", s, e)
			}
			rest = rest[i+len(e):]
		}
	})
}

// FuzzParseTime checks that ParseTime never panics and that a result is
// either Permanent or a whole number of seconds.
func FuzzParseTime(f *testing.F) {
	for _, tt := range timeTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTime(s)
		if err == nil && d != Permanent && (d < 0 || d%1e9 != 0) {
			t.Fatalf("ParseTime(%q) = %v", s, d)
		}
	})
}

// FuzzSubstituteTags substitutes arbitrary values: no panic, no hang, and
// a result without errors holds no reference that SubstituteTags could
// still have replaced by a plain value.
func FuzzSubstituteTags(f *testing.F) {
	f.Add("<b>", "<c>", "x")
	f.Add("<b><b><b>", "<c><c><c>", "<d><d><d>")
	f.Add("<mdre-<c>>", "<a>", "b")
	f.Add("<<c>>", "b", "<a")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		opts := map[string]string{"a": a, "b": b, "c": c, "c?family=inet6": c + "6"}
		got, err := SubstituteTags(opts, TagOptions{Conditional: "family=inet6", Ignore: []string{"ip"}})
		if err != nil {
			return
		}
		for k, v := range got {
			for _, name := range []string{"a", "b", "c"} {
				if name != k && strings.Contains(v, "<"+name+">") && !strings.Contains(opts[name], "<") {
					t.Fatalf("%s = %q still holds <%s> (%q)", k, v, name, opts[name])
				}
			}
		}
	})
}
