package f2bconf

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

var tagTests = []struct {
	name string
	in   map[string]string
	o    TagOptions
	want map[string]string
	err  string
}{
	{name: "simple", in: map[string]string{"a": "3", "b": "<a>_3"}, want: map[string]string{"a": "3", "b": "3_3"}},
	{name: "chain", in: map[string]string{"a": "<b>", "b": "<c>", "c": "x"}, want: map[string]string{"a": "x", "b": "x", "c": "x"}},
	{name: "missing stays", in: map[string]string{"a": "from <HOST> port <port>"}, want: map[string]string{"a": "from <HOST> port <port>"}},
	{name: "nested", in: map[string]string{"mode": "aggressive", "f": "<mdre-<mode>>", "mdre-aggressive": "A <mdre-normal>", "mdre-normal": "N"},
		want: map[string]string{"mode": "aggressive", "f": "A N", "mdre-aggressive": "A N", "mdre-normal": "N"}},
	{name: "known", in: map[string]string{"chain": "INPUT", "known/chain": "INPUT", "x": "-I <known/chain>"}, want: map[string]string{"chain": "INPUT", "known/chain": "INPUT", "x": "-I INPUT"}},
	{name: "ignored value kept", in: map[string]string{"a": "<b>", "b": "x"}, o: TagOptions{Ignore: []string{"a"}}, want: map[string]string{"a": "<b>", "b": "x"}},
	{name: "ignored reference kept", in: map[string]string{"a": "<b> <c>", "b": "x", "c": "y"}, o: TagOptions{Ignore: []string{"b"}}, want: map[string]string{"a": "<b> y", "b": "x", "c": "y"}},
	{name: "conditional", in: map[string]string{"a": "<p>", "p": "4", "p?family=inet6": "6"}, o: TagOptions{Conditional: "family=inet6"}, want: map[string]string{"a": "6", "p": "4", "p?family=inet6": "6"}},
	{name: "lookup", in: map[string]string{"a": "<ext> <none>"}, o: TagOptions{Lookup: func(t string) (string, bool) { return "E", t == "ext" }}, want: map[string]string{"a": "E <none>"}},
	{name: "empty value", in: map[string]string{"a": "[<b>]", "b": ""}, want: map[string]string{"a": "[]", "b": ""}},
	{name: "self", in: map[string]string{"a": "x <a>"}, err: "tag <a> refers to itself"},
	{name: "cycle", in: map[string]string{"a": "<b>", "b": "<a>"}, err: "refers to itself"},
	{name: "spaces are not tags", in: map[string]string{"a": "< b> <b >", "b": "x"}, want: map[string]string{"a": "< b> <b >", "b": "x"}},
	// fail2ban doubles b 25 times over (gigabytes) before it reports this
	{name: "doubling", in: map[string]string{"b": "<m-<mode>>", "mode": "<mode><c><m-<mode>>", "p?family=inet6": "<b>lit"}, o: TagOptions{Conditional: "family=inet6"}, err: "tag <b>"},
	{name: "growth", in: map[string]string{"a": "<b><b><b><b>", "b": "<c><c><c><c>", "c": "<d><d><d><d>", "d": "<e><e><e><e>", "e": "<f><f><f><f>", "f": "<g><g><g><g>", "g": "<h><h><h><h>", "h": "<i><i><i><i>", "i": "<j><j><j><j>", "j": "<k><k><k><k>", "k": "<l><l><l><l>", "l": strings.Repeat("x", 100)},
		err: "too large"},
}

func TestSubstituteTags(t *testing.T) {
	for _, tt := range tagTests {
		t.Run(tt.name, func(t *testing.T) {
			in := make(map[string]string)
			for k, v := range tt.in {
				in[k] = v
			}
			got, err := SubstituteTags(in, tt.o)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.in) {
				t.Errorf("input modified: %q", in)
			}
		})
	}
}

// tagsScript runs fail2ban's substituteRecursiveTags on each case; a case
// that raises gives null, one that runs out of its 0.3 s or its memory
// (fail2ban's values can double 25 times over before it reports a
// recursion) a map with the key "\x00timeout".
const tagsScript = `
import json, sys, signal, resource
from fail2ban.helpers import substituteRecursiveTags
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
def alarm(*a): raise TimeoutError()
signal.signal(signal.SIGALRM, alarm)
out = []
for c in json.load(sys.stdin):
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        out.append(substituteRecursiveTags(c["tags"], c["cond"], ignore=c["ignore"]))
    except ValueError as e:
        out.append(None)
    except (TimeoutError, MemoryError) as e:
        out.append({"\x00timeout": ""})
    signal.setitimer(signal.ITIMER_REAL, 0)
print(json.dumps(out))
`

// TestRandomTagsLikeFail2ban substitutes random tag maps (nested names,
// chains, cycles, conditional and ignored tags) with fail2ban's
// substituteRecursiveTags and with SubstituteTags.
func TestRandomTagsLikeFail2ban(t *testing.T) {
	py := fail2banPython(t)
	type tcase struct {
		Tags   map[string]string `json:"tags"`
		Cond   string            `json:"cond"`
		Ignore []string          `json:"ignore"`
	}
	r := rand.New(rand.NewSource(1))
	names := []string{"a", "b", "c", "mode", "m-x", "m-y", "p?family=inet6"}
	parts := []string{"<a>", "<b>", "<c>", "<mode>", "<m-<mode>>", "<p>", "<HOST>", "lit", " ", "<", ">", "<m-x>", "<known/a>"}
	var cases []tcase
	n := 1000
	if testing.Short() {
		n = 200
	}
	for i := 0; i < n; i++ {
		c := tcase{Tags: map[string]string{}, Ignore: []string{}}
		for _, n := range names {
			if r.Intn(3) == 0 {
				continue
			}
			var b strings.Builder
			for k := r.Intn(4); k > 0; k-- {
				b.WriteString(parts[r.Intn(len(parts))])
			}
			c.Tags[n] = b.String()
		}
		if r.Intn(3) == 0 {
			c.Tags["known/a"] = "K"
		}
		if r.Intn(2) == 0 {
			c.Cond = "family=inet6"
		}
		if r.Intn(4) == 0 {
			c.Ignore = append(c.Ignore, names[r.Intn(len(names))])
		}
		cases = append(cases, c)
	}
	data, _ := json.Marshal(cases) // keys sorted: the order SubstituteTags visits them
	if p := os.Getenv("F2BCONF_DUMP"); p != "" {
		_ = os.WriteFile(p, data, 0o644)
	}
	cmd := exec.Command(py, "-c", tagsScript)
	cmd.Stdin = strings.NewReader(string(data))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want []map[string]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	bad, timeouts := 0, 0
	for i, c := range cases {
		got, err := SubstituteTags(c.Tags, TagOptions{Conditional: c.Cond, Ignore: c.Ignore})
		w := want[i]
		if _, ok := w["\x00timeout"]; ok {
			// fail2ban exploded (or the machine is busy): SubstituteTags
			// must have finished, which it has
			timeouts++
			continue
		}
		var msg string
		switch {
		case w == nil && err == nil:
			msg = fmt.Sprintf("got %q, fail2ban fails", got)
		case w != nil && err != nil:
			msg = fmt.Sprintf("%v, fail2ban %q", err, w)
		case w != nil && !reflect.DeepEqual(got, w):
			msg = fmt.Sprintf("got  %q\nfail2ban %q", got, w)
		}
		if msg != "" {
			bad++
			if bad <= 10 {
				t.Errorf("case %d %+v:\n%s", i, c, msg)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d cases differ", bad, len(cases))
	}
	if timeouts > len(cases)/5 {
		t.Errorf("fail2ban timed out on %d of %d cases: too few compared", timeouts, len(cases))
	}
	t.Logf("%d cases compared, %d where fail2ban ran out of time or memory", len(cases)-timeouts, timeouts)
}
