package fwban

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/netnstest"
)

// TestIPTablesUnbanRebuild: a batch of many unbans rebuilds the jail's
// chain in one iptables-restore (rather than one -D each, quadratic): the
// bans that stay keep their rules and their order, the chain still ends
// in RETURN, a kept ban still blocks, and bans and unbans that follow in
// the same process leave the kernel exactly as listed.
func TestIPTablesUnbanRebuild(t *testing.T) {
	p := netnstest.New(t)
	p.Listen(t, portBlocked)
	args := []string{"--backend", "iptables", "--ports", fmt.Sprint(portBlocked)}
	var addrs []netip.Addr
	for i := 1; i <= 100; i++ {
		addrs = append(addrs, netip.MustParseAddr(fmt.Sprintf("203.0.113.%d", i)), netip.MustParseAddr(fmt.Sprintf("2001:db8:5::%x", i)))
	}
	addrs = append(addrs, netnstest.Client4, netnstest.Client6)
	mustFwban(t, p.Server, banEvents("ban", 600, addrs...), args...)
	before := map[int][]string{4: chainRules(t, p.Server, "iptables"), 6: chainRules(t, p.Server, "ip6tables")}

	// Unban 60 of each family (at least the rebuild threshold).
	gone := addrs[:120]
	mustFwban(t, p.Server, banEvents("unban", 0, gone...), args...)
	for fam, cmd := range map[int]string{4: "iptables", 6: "ip6tables"} {
		got := chainRules(t, p.Server, cmd)
		want := slices.DeleteFunc(slices.Clone(before[fam]), func(l string) bool {
			for _, a := range gone {
				if strings.Contains(l, " -s "+a.String()+"/") {
					return true
				}
			}
			return false
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s -S f2b-sshd after the unbans:\n%s\nwant:\n%s", cmd, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if got[len(got)-1] != "-A f2b-sshd -j RETURN" {
			t.Errorf("%s: chain does not end in RETURN: %q", cmd, got[len(got)-1])
		}
	}
	p.Expect(t, netnstest.Client4, portBlocked, netnstest.Refused)
	p.Expect(t, netnstest.Client6, portBlocked, netnstest.Refused)

	// One process: bans, a rebuilding unban batch, more bans; whatever the
	// batches, the kernel holds the listed set.
	var in strings.Builder
	var fresh []netip.Addr
	for i := 1; i <= 50; i++ {
		fresh = append(fresh, netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", i)))
	}
	in.WriteString(banEvents("ban", 600, fresh...))
	in.WriteString(banEvents("unban", 0, fresh[:40]...))
	in.WriteString(banEvents("unban", 0, addrs[120:160]...))
	in.WriteString(banEvents("ban", 600, fresh[:5]...))
	mustFwban(t, p.Server, in.String(), args...)
	want := map[string]bool{}
	for _, a := range slices.Concat(addrs[160:], fresh[40:], fresh[:5]) {
		want[netip.PrefixFrom(a, a.BitLen()).String()] = true
	}
	got := map[string]bool{}
	for _, cmd := range []string{"iptables", "ip6tables"} {
		for _, l := range chainRules(t, p.Server, cmd) {
			if _, src, ok := strings.Cut(l, " -s "); ok {
				got[strings.Fields(src)[0]] = true
			}
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("kernel holds %d bans, want %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	p.Expect(t, netnstest.Client4, portBlocked, netnstest.Refused)
}

// chainRules returns the -A lines of f2b-sshd as the kernel lists them.
func chainRules(t *testing.T, ns, cmd string) []string {
	t.Helper()
	var rules []string
	for _, l := range strings.Split(netnstest.Run(t, ns, cmd, "-S", "f2b-sshd"), "\n") {
		if strings.HasPrefix(l, "-A ") {
			rules = append(rules, l)
		}
	}
	return rules
}
