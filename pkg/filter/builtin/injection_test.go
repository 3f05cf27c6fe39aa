package builtin_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// fake is the address an attacker writes into the text it controls.
const fake = "198.51.100.199"

// extraTails are endings an attacker adds after the address it writes, to
// end its text where the filter's tail would accept it.
var extraTails = []string{" on", ": ", " port 22 ssh2: ", `"`, "]", "'", ")", " user=", " [preauth]"}

// TestInjectionVariants takes every sample line that names a user and
// writes, in place of that user, the user followed by the line's own text
// around the host with another address in the middle (the shapes of
// issue 16 and their variants: "x from A port 22 ssh2: ", "x A on",
// "x rhost=A user=", ...). Each filter, in every option set its samples
// and the options table name, must then report the real client or
// nothing, never the written address, also on the next lines of the
// session.
func TestInjectionVariants(t *testing.T) {
	variants, lines := 0, 0
	for _, name := range builtin.Names() {
		combos, err := f2bsample.Read("testdata", name)
		if err != nil {
			t.Fatal(err)
		}
		// The sample lines that name a user, each once, with the lines
		// that follow it in its session.
		type sample struct {
			text, user, host string
			next             []string
		}
		var samples []sample
		seenLine := map[string]bool{}
		sets := [][]map[string]string{{nil}}
		for _, c := range combos {
			sets = append(sets, []map[string]string{c.Options})
			if c.Journal {
				continue
			}
			for i, l := range c.Lines {
				if l.Expect == nil || !l.Expect.Match || seenLine[l.Text] || strings.Contains(l.Text, fake) {
					continue
				}
				seenLine[l.Text] = true
				user, _ := l.Expect.Raw["user"].(string)
				host, _ := l.Expect.Raw["host"].(string)
				if len(user) < 2 || host == "" || fixedName(name, l.Text) {
					continue
				}
				s := sample{text: l.Text, user: user, host: host}
				for j := i + 1; j < len(c.Lines) && j <= i+2; j++ {
					s.next = append(s.next, c.Lines[j].Text)
				}
				samples = append(samples, s)
			}
		}
		sets = append(sets, options[name])
		seen := map[string]bool{}
		for _, args := range slices.Concat(sets...) {
			if _, ok := args["logtype"]; ok {
				continue // the prefix, not the message: covered by the samples
			}
			key := strings.Join(sortedPairs(args), ",")
			if seen[key] {
				continue
			}
			seen[key] = true
			def, err := filter.Load("filter.d/"+name+".conf", args, &filter.LoadOptions{FS: builtin.FS, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			f, err := filter.Compile(*def, filter.Options{UseDNS: "raw"})
			if err != nil {
				t.Fatal(err)
			}
			dd, err := datedetect.New(datedetect.Options{Now: f2bsample.Now, Location: f2bsample.Zone(), Pattern: def.DatePattern})
			if err != nil {
				t.Fatal(err)
			}
			now := func() time.Time { return f2bsample.Now }
			run := func(ls ...string) []string {
				m := filter.NewMatcher(f, filter.MatcherOptions{Dates: dd, Now: now, Clock: now, NoGroups: true})
				var hosts []string
				for _, l := range ls {
					res, err := m.Line([]byte(l))
					if err != nil {
						t.Fatalf("%s%v: %q: %v", name, args, l, err)
					}
					for _, fl := range res.Failures {
						hosts = append(hosts, fl.Host)
					}
				}
				return hosts
			}
			for _, s := range samples {
				if got := run(s.text); len(got) != 1 || got[0] != s.host {
					continue // the line needs its session, or another option set
				}
				lines++
				for k, v := range injections(s.text, s.user, s.host) {
					if testing.Short() && k%5 != 0 {
						continue
					}
					variants++
					if slices.Contains(run(append([]string{v}, s.next...)...), fake) {
						t.Errorf("%s%v: the written address is blamed:\n    %s", name, args, v)
					}
				}
			}
		}
	}
	t.Logf("%d injected variants of %d sample lines", variants, lines)
	want := 10000
	if testing.Short() {
		want /= 5
	}
	if lines < 150 || variants < want {
		t.Errorf("only %d variants of %d lines", variants, lines)
	}
}

// fixedName tells the lines whose user name is not the client's choice:
// sshd writes "Failed ... for NAME" without "invalid user " only when
// NAME is an account.
func fixedName(filter, line string) bool {
	return filter == "sshd" && strings.Contains(line, ": Failed ") && !strings.Contains(line, " for invalid user ")
}

// injections returns line with user replaced by user + S + fake + T, S
// a piece of the text that precedes host in line and T one that follows
// it (or an extra tail).
func injections(line, user, host string) []string {
	h := strings.LastIndex(line, host)
	u := strings.LastIndex(line[:max(h, 0)], user)
	if u < 0 {
		u = strings.Index(line, user)
	}
	if h < 0 || u < 0 {
		return nil
	}
	before, after := line[:h], line[h+len(host):]
	var heads, tails []string
	// The text right before the host, one to four words of it.
	for i, k := len(before)-1, 0; i >= 0 && k < 3; i-- {
		if before[i] == ' ' && i < len(before)-1 {
			heads = append(heads, before[i:])
			k++
		}
	}
	heads = append(heads, " ", " from ")
	for i, k := 0, 0; i <= len(after) && k < 3; i++ {
		if i == len(after) || after[i] == ' ' {
			tails = append(tails, after[:i])
			k++
		}
	}
	tails = append(tails, after)
	for _, t := range extraTails {
		tails = append(tails, t, after+t)
	}
	var out []string
	for _, s := range heads {
		for _, t := range tails {
			payload := user + s + fake + t
			out = append(out, line[:u]+payload+line[u+len(user):])
		}
	}
	return out
}

func sortedPairs(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
