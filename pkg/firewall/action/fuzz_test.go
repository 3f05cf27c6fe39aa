package action

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRenderDynamic checks the structural guarantee: the command text does
// not depend on an untrusted value at all (the value only travels in the
// environment), whatever the command around the tag.
func FuzzRenderDynamic(f *testing.F) {
	for _, c := range []string{
		`echo <F-USER>`, `echo "<F-USER>"`, `echo '<F-USER>'`, "echo `echo <F-USER>`",
		`echo "$(echo '<F-USER>' "<F-USER>")"`, `# <F-USER>` + "\n<F-USER>", `a\'<F-USER>`,
		`"\"<F-USER>`, `$((<F-USER>))`, `<<F-USER>>`, `<F-USER<F-USER>>`,
	} {
		f.Add(c, "x'; touch pwned; echo '")
	}
	f.Fuzz(func(t *testing.T, cmd, val string) {
		if val == "" || strings.IndexByte(val, 0) >= 0 {
			return
		}
		dyn := func(v string) dynamicFunc {
			return func(tag string) (value, bool) {
				if tag == "F-USER" {
					return value{text: v}, true
				}
				return value{}, false
			}
		}
		a, errA := renderDynamic(cmd, dyn(val))
		b, errB := renderDynamic(cmd, dyn("other"))
		if (errA == nil) != (errB == nil) {
			t.Fatalf("the error depends on the value: %v, %v", errA, errB)
		}
		if errA != nil {
			return // a value in $((...)): refused whatever it is
		}
		if a.text != b.text {
			t.Fatalf("the command depends on the value:\n%q\n%q", a.text, b.text)
		}
	})
}

// FuzzShellValue runs a command that uses an untrusted value in every
// quoting context with /bin/sh and checks that nothing runs and that each
// context gets the value unchanged.
func FuzzShellValue(f *testing.F) {
	for _, p := range payloads("PWNED") {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, val string) {
		if val == "" || strings.IndexByte(val, 0) >= 0 {
			return
		}
		dir := t.TempDir()
		cmd := strings.Join([]string{
			`cd "$D"`,
			`printf '%s' <F-USER> > 1`,
			`printf '%s' "<F-USER>" > 2`,
			`printf '%s' 'a<F-USER>b' > 3`,
			`printf '%s' "$(printf '%s.' <F-USER>)" > 4`,
			"printf '%s' \"`printf '%s.' \"<F-USER>\"`\" > 5",
		}, "\n")
		sc, err := renderDynamic(cmd, func(tag string) (value, bool) {
			if tag == "F-USER" {
				return value{text: val}, true
			}
			return value{}, false
		})
		if err != nil {
			t.Fatal(err)
		}
		sc.env = append(sc.env, "D="+dir)
		if err := (&runner{}).run(context.Background(), "fuzz", "actionban", sc, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"1": val, "2": val, "3": "a" + val + "b", "4": val + ".", "5": val + "."}
		ents, _ := os.ReadDir(dir)
		if len(ents) != len(want) {
			t.Fatalf("%d files in %s, want %d: something ran", len(ents), dir, len(want))
		}
		for f, w := range want {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != w {
				t.Errorf("context %s: got %q, want %q", f, b, w)
			}
		}
	})
}
