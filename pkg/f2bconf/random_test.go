package f2bconf

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
)

// randomConf writes a random file in the dialect: sections (also DEFAULT,
// INCLUDES and conditional ones), options with "=" or ":", indented
// continuation lines, blank and comment lines, inline comments, and
// %(x)s, %(known/x)s, %(sec/x)s, %(__name__)s and %% in values.
func randomConf(r *rand.Rand, self string, others []string) string {
	secs := []string{"DEFAULT", "s", "t", "Init", "Init?family=inet6", "Definition"}
	keys := []string{"a", "b", "c", "D", "e_f", "x-y"}
	var b strings.Builder
	if r.Intn(3) == 0 && len(others) > 0 {
		b.WriteString("[INCLUDES]\n")
		if r.Intn(2) == 0 {
			fmt.Fprintf(&b, "before = %s\n", others[r.Intn(len(others))])
		}
		if r.Intn(2) == 0 {
			fmt.Fprintf(&b, "after = %s\n", others[r.Intn(len(others))])
			if r.Intn(2) == 0 {
				fmt.Fprintf(&b, "        %s.local\n", self)
			}
		}
	}
	used := map[string]bool{}
	for n := r.Intn(4) + 1; n > 0; n-- {
		sec := secs[r.Intn(len(secs))]
		if used[sec] && sec != "DEFAULT" {
			continue
		}
		used[sec] = true
		fmt.Fprintf(&b, "[%s]\n", sec)
		seen := map[string]bool{}
		for m := r.Intn(5); m > 0; m-- {
			k := keys[r.Intn(len(keys))]
			if seen[strings.ToLower(k)] {
				continue
			}
			seen[strings.ToLower(k)] = true
			indent := strings.Repeat(" ", r.Intn(2))
			delim := []string{" = ", "=", ": ", " :"}[r.Intn(4)]
			fmt.Fprintf(&b, "%s%s%s%s", indent, k, delim, randomValue(r, keys, secs))
			switch r.Intn(5) {
			case 0:
				b.WriteString(" ; inline")
			case 1:
				b.WriteString(" # kept")
			}
			b.WriteString("\n")
			for c := r.Intn(3); c > 0; c-- {
				switch r.Intn(4) {
				case 0:
					b.WriteString("\n")
				case 1:
					b.WriteString("# comment\n")
				default:
					fmt.Fprintf(&b, "%s  %s\n", indent, randomValue(r, keys, secs))
				}
			}
		}
	}
	return b.String()
}

func randomValue(r *rand.Rand, keys, secs []string) string {
	var b strings.Builder
	for n := r.Intn(4); n > 0; n-- {
		switch r.Intn(9) {
		case 0:
			fmt.Fprintf(&b, "%%(%s)s", strings.ToLower(keys[r.Intn(len(keys))]))
		case 1:
			fmt.Fprintf(&b, "%%(known/%s)s", strings.ToLower(keys[r.Intn(len(keys))]))
		case 2:
			fmt.Fprintf(&b, "%%(%s/%s)s", []string{"s", "t", "default", "nope"}[r.Intn(4)], strings.ToLower(keys[r.Intn(len(keys))]))
		case 3:
			b.WriteString("%(__name__)s")
		case 4:
			b.WriteString("100%%")
		case 5:
			b.WriteString("<HOST>")
		default:
			b.WriteString([]string{"word", "x y", "tab\tsep", "a;b", "q=1", "v:2"}[r.Intn(6)])
		}
	}
	return b.String()
}

// TestRandomLikeFail2ban generates random configurations (a main file, its
// .local, included files with their .local) and compares Read with
// fail2ban's reading of each, value by value.
func TestRandomLikeFail2ban(t *testing.T) {
	py := fail2banPython(t)
	n := 150
	if testing.Short() {
		n = 50
	}
	seed := int64(1)
	if s := os.Getenv("F2BCONF_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	r := rand.New(rand.NewSource(seed))
	var dirs []string
	var cases []map[string]string
	for i := 0; i < n; i++ {
		files := map[string]string{}
		names := []string{"main", "inc1", "inc2"}
		for _, f := range names {
			others := []string{}
			for _, o := range names {
				if o != f {
					others = append(others, o+".conf")
				}
			}
			// every .conf exists: a missing include is an error in Read,
			// which fail2ban skips (see Read)
			files[f+".conf"] = randomConf(r, f, others)
			if r.Intn(3) == 0 {
				files[f+".local"] = randomConf(r, f, others)
			}
		}
		cases = append(cases, files)
		dirs = append(dirs, writeCase(t, files))
	}
	want := fail2banDumps(t, py, dirs)
	for i, d := range dirs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			differential(t, d, want[d])
			if t.Failed() {
				for n, f := range cases[i] {
					t.Logf("--- %s\n%s", n, f)
				}
			}
		})
	}
}
