package firewall

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
)

// NewDryRun returns the dry-run backend: it decides exactly as the iptables
// backend does (chain created at the first ban, no duplicate rule, nothing
// to remove for an absent entry) against a model of an empty filter table,
// and writes the commands it would run to w as shell lines, one iptables or
// ip6tables command each:
//
//	iptables -w -N f2b-sshd
//	iptables -w -A f2b-sshd -j RETURN
//	iptables -w -I INPUT 1 -p tcp -m multiport --dports 22 -j f2b-sshd
//	iptables -w -I f2b-sshd 1 -s 192.0.2.7/32 -j REJECT --reject-with icmp-port-unreachable
//
// (The iptables backend sends the same lines as one iptables-restore
// transaction per batch.) Nothing touches the firewall.
func NewDryRun(w io.Writer) *IPTables {
	return &IPTables{name: "dry-run", x: newModelXT(w), hooked: map[string]bool{}}
}

// modelXT is an in-memory filter table per family that prints the
// commands applied to it.
type modelXT struct {
	mu     sync.Mutex
	w      *bufio.Writer
	chains [2]map[string][]string // chain -> its rules ("-A chain args" lines), in order
	order  [2][]string            // user chains in creation order
}

// newModelXT returns the model of empty tables; it prints the commands
// applied to w unless w is nil.
func newModelXT(w io.Writer) *modelXT {
	m := &modelXT{}
	if w != nil {
		m.w = bufio.NewWriter(w)
	}
	for i := range m.chains {
		m.chains[i] = map[string][]string{"INPUT": nil, "FORWARD": nil, "OUTPUT": nil}
	}
	return m
}

// load replaces the table of family fam by the one listed in lines
// (`iptables -S` of the whole table).
func (m *modelXT) load(fam int, lines []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := map[string][]string{"INPUT": nil, "FORWARD": nil, "OUTPUT": nil}
	var order []string
	for _, l := range lines {
		op, rest, _ := strings.Cut(l, " ")
		c, _, _ := strings.Cut(rest, " ")
		switch op {
		case "-P":
			if _, ok := t[c]; !ok {
				t[c] = nil
			}
		case "-N":
			if _, ok := t[c]; !ok {
				t[c] = nil
				order = append(order, c)
			}
		case "-A":
			t[c] = append(t[c], l)
		}
	}
	m.chains[famIndex(fam)], m.order[famIndex(fam)] = t, order
}

func famIndex(fam int) int {
	if fam == 6 {
		return 1
	}
	return 0
}

func (m *modelXT) check(context.Context) error { return nil }

func (m *modelXT) list(_ context.Context, fam int, chain string) ([]string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.chains[famIndex(fam)]
	var out []string
	if chain == "" {
		for _, c := range []string{"INPUT", "FORWARD", "OUTPUT"} {
			out = append(out, "-P "+c+" ACCEPT")
		}
		for _, c := range m.order[famIndex(fam)] {
			out = append(out, "-N "+c)
		}
		for _, c := range append([]string{"INPUT", "FORWARD", "OUTPUT"}, m.order[famIndex(fam)]...) {
			out = append(out, t[c]...)
		}
		return out, true, nil
	}
	rules, ok := t[chain]
	if !ok {
		return nil, false, nil
	}
	out = make([]string, 0, len(rules)+1)
	out = append(out, "-N "+chain)
	return append(out, rules...), true, nil
}

func (m *modelXT) exists(_ context.Context, fam int, chain string, spec []string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.chains[famIndex(fam)][chain], ruleOf(chain, strings.Join(spec, " "))), nil
}

// ruleOf is the -S line of a rule of chain.
func ruleOf(chain, args string) string {
	return "-A " + chain + " " + args
}

// restore applies lines to the model (all or nothing, as iptables-restore
// does) and prints them.
func (m *modelXT) restore(_ context.Context, fam int, lines []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fi := famIndex(fam)
	// The chains' rules are shared with the table until a command edits
	// one in place (-I inside, -D): then that chain is copied first. A
	// failure leaves the table as it was.
	t := maps.Clone(m.chains[fi])
	own := map[string]bool{}
	edit := func(c string) []string {
		if !own[c] {
			own[c] = true
			t[c] = slices.Clone(t[c])
		}
		return t[c]
	}
	order := slices.Clone(m.order[fi])
	// Rules inserted at the head of a chain, in order, gathered (each
	// insertion moving the whole chain costs k*n for a burst).
	front := map[string][]string{}
	settle := func(c string) {
		if f := front[c]; len(f) > 0 {
			slices.Reverse(f)
			t[c] = append(f, t[c]...)
			own[c] = true
			delete(front, c)
		}
	}
	for n, l := range lines {
		op, tail, _ := strings.Cut(l, " ")
		c, rest, _ := strings.Cut(tail, " ")
		if c == "" {
			return fmt.Errorf("%s-restore: line %d: bad command %q", cmdName(fam), n+2, l)
		}
		if _, ok := t[c]; ok && op == "-I" {
			if pos, args, _ := strings.Cut(rest, " "); pos == "1" && args != "" {
				front[c] = append(front[c], ruleOf(c, args))
				continue
			}
		}
		settle(c)
		rules, ok := t[c]
		if !ok && op != "-N" {
			return fmt.Errorf("%s-restore: line %d failed: chain %s does not exist", cmdName(fam), n+2, c)
		}
		switch op {
		case "-N":
			if ok {
				return fmt.Errorf("%s-restore: line %d failed: chain %s already exists", cmdName(fam), n+2, c)
			}
			t[c] = nil
			own[c] = true
			order = append(order, c)
		case "-A":
			// (l is "-A c rest": ruleOf(c, rest)) append never writes where
			// the table's slice can see
			t[c] = append(rules, l)
		case "-I":
			pos := 1
			if p, args, _ := strings.Cut(rest, " "); p != "" {
				if _, err := fmt.Sscan(p, &pos); err == nil {
					rest = args
				}
			}
			rules = edit(c)
			pos = min(max(pos, 1), len(rules)+1)
			t[c] = slices.Insert(rules, pos-1, ruleOf(c, rest))
		case "-D":
			i := slices.Index(rules, ruleOf(c, rest))
			if i < 0 {
				return fmt.Errorf("%s-restore: line %d failed: Bad rule (does a matching rule exist in that chain?)", cmdName(fam), n+2)
			}
			t[c] = slices.Delete(edit(c), i, i+1)
		case "-F":
			t[c] = nil
			own[c] = true
		case "-X":
			delete(t, c)
			delete(own, c)
			order = slices.DeleteFunc(order, func(s string) bool { return s == c })
		default:
			return fmt.Errorf("%s-restore: line %d: unknown command %q", cmdName(fam), n+2, op)
		}
	}
	for c := range front {
		settle(c)
	}
	m.chains[fi], m.order[fi] = t, order
	if m.w == nil {
		return nil
	}
	for _, l := range lines {
		fmt.Fprintf(m.w, "%s -w %s\n", cmdName(fam), shellQuote(l))
	}
	return m.w.Flush()
}

// shellQuote quotes the words of l that a shell would not take literally.
func shellQuote(l string) string {
	f := strings.Fields(l)
	for i, w := range f {
		if strings.IndexFunc(w, func(c rune) bool {
			return !(c < 128 && (isAlnum(byte(c)) || strings.ContainsRune("-_./:,=+@%", c)))
		}) >= 0 {
			f[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(f, " ")
}
