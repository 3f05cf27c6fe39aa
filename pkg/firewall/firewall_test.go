package firewall

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		j       JailSettings
		err     string
		hook    string
		target6 string
	}{
		{j: JailSettings{Name: "sshd", Ports: "ssh,2222"}, hook: "-p tcp -m multiport --dports ssh,2222 -j f2b-sshd",
			target6: "-j REJECT --reject-with icmp6-port-unreachable"},
		{j: JailSettings{Name: "web", Protocol: "all", Blocktype: "DROP"}, hook: "-j f2b-web", target6: "-j DROP"},
		{j: JailSettings{Name: "x", Ports: "0:65535", Protocol: "udp"}, hook: "-p udp -j f2b-x",
			target6: "-j REJECT --reject-with icmp6-port-unreachable"},
		{j: JailSettings{Name: "x", Ports: "1000:2000", Blocktype: "REJECT --reject-with tcp-reset"},
			hook: "-p tcp -m multiport --dports 1000:2000 -j f2b-x", target6: "-p tcp -j REJECT --reject-with tcp-reset"},
		{j: JailSettings{Name: "x", Blocktype: "REJECT --reject-with icmp-host-unreachable"}, hook: "-p tcp -j f2b-x",
			target6: "-j REJECT --reject-with icmp6-addr-unreachable"},
		{j: JailSettings{Name: "x", Ports: "22", Protocol: "all"}, err: "ports need protocol"},
		{j: JailSettings{Name: "x", Ports: "22;rm -rf /"}, err: "bad port"},
		{j: JailSettings{Name: "x", Ports: "22 -j ACCEPT"}, err: "bad port"},
		{j: JailSettings{Name: "x", Ports: "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"}, err: "more than 15"},
		{j: JailSettings{Name: "x", Blocktype: "ACCEPT"}, err: "blocktype"},
		{j: JailSettings{Name: "x", Blocktype: "REJECT --reject-with nope"}, err: "unknown reject type"},
		{j: JailSettings{Name: "x", Chain: "INPUT -j ACCEPT"}, err: "chain"},
		{j: JailSettings{Name: "x y"}, err: "only letters"},
		{j: JailSettings{Name: "a-very-long-jail-name-xyz"}, err: "longer than 22"},
		{j: JailSettings{Name: "-x"}, err: "only letters"},
		{j: JailSettings{Name: ""}, err: "empty jail name"},
		{j: JailSettings{Name: "x", Protocol: "gre"}, err: "protocol"},
	}
	for _, tt := range tests {
		r, err := parseRule(tt.j)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseRule(%+v) error = %v, want %q", tt.j, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseRule(%+v): %v", tt.j, err)
			continue
		}
		if got := strings.Join(r.hookSpec(), " "); got != tt.hook {
			t.Errorf("hook of %+v = %q, want %q", tt.j, got, tt.hook)
		}
		if got := strings.Join(r.target(6), " "); got != tt.target6 {
			t.Errorf("IPv6 target of %+v = %q, want %q", tt.j, got, tt.target6)
		}
	}
}

func TestRemaining(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		b    Ban
		def  time.Duration
		d    time.Duration
		perm bool
		err  bool
	}{
		{b: Ban{Bantime: -1}, perm: true},
		{b: Ban{Bantime: time.Hour, Until: now.Add(30 * time.Minute)}, d: 30 * time.Minute},
		{b: Ban{Until: now.Add(-time.Second)}, err: true},
		{b: Ban{Bantime: time.Hour, Until: now.Add(-time.Second)}, d: time.Hour},
		{b: Ban{Bantime: time.Hour}, d: time.Hour},
		{b: Ban{}, def: time.Minute, d: time.Minute},
		{b: Ban{}, def: -1, perm: true},
		{b: Ban{}, d: DefaultBantime},
	}
	for i, tt := range tests {
		d, perm, err := remaining(tt.b, tt.def, now)
		if d != tt.d || perm != tt.perm || (err != nil) != tt.err {
			t.Errorf("%d: remaining = %v, %v, %v; want %v, %v, err %v", i, d, perm, err, tt.d, tt.perm, tt.err)
		}
	}
}

func TestBisect(t *testing.T) {
	bad := map[int]bool{3: true, 17: true, 18: true}
	var units []unit
	for i := 0; i < 40; i++ {
		units = append(units, unit{owner: i})
	}
	runs := 0
	applied := map[int]bool{}
	run := func(u []unit) error {
		runs++
		for _, x := range u {
			if bad[x.owner] {
				return fmt.Errorf("unit %d failed", x.owner)
			}
		}
		for _, x := range u {
			applied[x.owner] = true
		}
		return nil
	}
	errs := make([]error, 40)
	bisect(units, run, errs)
	for i := range 40 {
		if bad[i] != (errs[i] != nil) || bad[i] == applied[i] {
			t.Errorf("unit %d: err %v, applied %v", i, errs[i], applied[i])
		}
	}
	if errs[3].Error() != "unit 3 failed" {
		t.Errorf("error of unit 3 = %v", errs[3])
	}
	if runs > 30 {
		t.Errorf("%d runs", runs)
	}
}

func bans(jail string, addrs ...string) []Ban {
	var out []Ban
	for _, a := range addrs {
		out = append(out, Ban{Jail: jail, Prefix: netip.MustParsePrefix(prefixOf(a)), Bantime: time.Hour})
	}
	return out
}

func noErrors(t *testing.T, what string, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: item %d: %v", what, i, err)
		}
	}
}

// TestDryRun checks the iptables backend's decisions on the dry run's
// model: the chain and hook at the first ban only, no duplicate rule,
// nothing for an absent unban, IPv6 through ip6tables, flush.
func TestDryRun(t *testing.T) {
	var out bytes.Buffer
	b := NewDryRun(&out)
	ctx := context.Background()
	j := JailSettings{Name: "sshd", Ports: "22"}
	noErrors(t, "ban", b.Ban(ctx, j, bans("sshd", "192.0.2.7", "2001:db8::7", "192.0.2.7")))
	noErrors(t, "ban again", b.Ban(ctx, j, bans("sshd", "192.0.2.7", "198.51.100.0/24")))
	noErrors(t, "unban", b.Unban(ctx, j, bans("sshd", "192.0.2.7", "192.0.2.99")))
	want := `iptables -w -N f2b-sshd
iptables -w -A f2b-sshd -j RETURN
iptables -w -I INPUT 1 -p tcp -m multiport --dports 22 -j f2b-sshd
iptables -w -I f2b-sshd 1 -s 192.0.2.7/32 -j REJECT --reject-with icmp-port-unreachable
ip6tables -w -N f2b-sshd
ip6tables -w -A f2b-sshd -j RETURN
ip6tables -w -I INPUT 1 -p tcp -m multiport --dports 22 -j f2b-sshd
ip6tables -w -I f2b-sshd 1 -s 2001:db8::7/128 -j REJECT --reject-with icmp6-port-unreachable
iptables -w -I f2b-sshd 1 -s 198.51.100.0/24 -j REJECT --reject-with icmp-port-unreachable
iptables -w -D f2b-sshd -s 192.0.2.7/32 -j REJECT --reject-with icmp-port-unreachable
`
	if out.String() != want {
		t.Errorf("commands:\n%s\nwant:\n%s", out.String(), want)
	}
	es, err := b.List(ctx, "")
	if err != nil || len(es) != 2 || es[0].Prefix.String() != "198.51.100.0/24" || es[1].Prefix.String() != "2001:db8::7/128" {
		t.Errorf("List = %v, %v", es, err)
	}
	out.Reset()
	if err := b.Flush(ctx, "sshd"); err != nil {
		t.Fatal(err)
	}
	want = `iptables -w -D INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
iptables -w -F f2b-sshd
iptables -w -X f2b-sshd
ip6tables -w -D INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
ip6tables -w -F f2b-sshd
ip6tables -w -X f2b-sshd
`
	if out.String() != want {
		t.Errorf("flush commands:\n%s\nwant:\n%s", out.String(), want)
	}
	// A new setting of the jail (other ports) replaces its hook.
	out.Reset()
	noErrors(t, "ban", b.Ban(ctx, j, bans("sshd", "192.0.2.8")))
	b2 := &IPTables{name: "dry-run", x: b.x, hooked: map[string]bool{}} // a restarted fwban
	noErrors(t, "ban", b2.Ban(ctx, JailSettings{Name: "sshd", Ports: "22,2222", Blocktype: "DROP"}, bans("sshd", "192.0.2.8", "192.0.2.9")))
	if !strings.Contains(out.String(), "-D INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\niptables -w -I INPUT 1 -p tcp -m multiport --dports 22,2222 -j f2b-sshd\niptables -w -I f2b-sshd 1 -s 192.0.2.9/32 -j DROP\n") ||
		strings.Count(out.String(), "192.0.2.8") != 1 {
		t.Errorf("restart with new settings:\n%s", out.String())
	}
}

// TestDryRunErrors: a bad jail gives every ban its error; the stream of
// other jails is not affected.
func TestDryRunErrors(t *testing.T) {
	var out bytes.Buffer
	b := NewDryRun(&out)
	errs := b.Ban(context.Background(), JailSettings{Name: "x", Ports: "22;reboot"}, bans("x", "192.0.2.1", "192.0.2.2"))
	if len(errs) != 2 || errs[0] == nil || errs[1] == nil || out.Len() != 0 {
		t.Errorf("errs %v, output %q", errs, out.String())
	}
	errs = b.Ban(context.Background(), JailSettings{Name: "x"}, []Ban{{Jail: "x"}})
	if errs[0] == nil || errs[0].Error() != "no address" {
		t.Errorf("errs %v", errs)
	}
}

func TestParseNFTElem(t *testing.T) {
	tests := []struct {
		in   string
		want string
		exp  time.Duration
	}{
		{`"192.0.2.7"`, "192.0.2.7/32", 0},
		{`{"prefix": {"addr": "203.0.113.0", "len": 25}}`, "203.0.113.0/25", 0},
		{`{"elem": {"val": "2001:db8::7", "timeout": 100, "expires": 99}}`, "2001:db8::7/128", 99 * time.Second},
		{`{"elem": {"val": {"prefix": {"addr": "198.51.100.0", "len": 24}}, "timeout": 100, "expires": 42}}`, "198.51.100.0/24", 42 * time.Second},
	}
	for _, tt := range tests {
		p, exp, err := parseNFTElem(json.RawMessage(tt.in))
		if err != nil || p.String() != tt.want || exp != tt.exp {
			t.Errorf("parseNFTElem(%s) = %v, %v, %v", tt.in, p, exp, err)
		}
	}
	if _, _, err := parseNFTElem(json.RawMessage(`{"range": ["1.1.1.1", "1.1.1.9"]}`)); err == nil {
		t.Error("range element accepted")
	}
}

func TestNFTRules(t *testing.T) {
	r, err := parseRule(JailSettings{Name: "sshd", Ports: "ssh,1000:2000"})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.nftHook(); got != "meta l4proto tcp th dport { ssh, 1000-2000 } jump f2b-sshd" {
		t.Errorf("hook %q", got)
	}
	if got := r.nftVerdict(6); got != "reject with icmpv6 type port-unreachable" {
		t.Errorf("verdict %q", got)
	}
	r, _ = parseRule(JailSettings{Name: "x", Protocol: "all", Blocktype: "DROP", Chain: "OUTPUT"})
	if got := r.nftHook() + " " + r.nftVerdict(4); got != "jump f2b-x drop" {
		t.Errorf("hook %q", got)
	}
	if _, _, err := r.nftHookChain(); err == nil {
		t.Error("OUTPUT accepted as a hook chain")
	}
}

func TestIPSetHook(t *testing.T) {
	r, _ := parseRule(JailSettings{Name: "sshd", Ports: "22", Protocol: "tcp", Blocktype: "REJECT --reject-with tcp-reset"})
	if got := strings.Join(r.ipsetHookSpec("f2b-sshd6", 6), " "); got != "-p tcp -m multiport --dports 22 -m set --match-set f2b-sshd6 src -j REJECT --reject-with tcp-reset" {
		t.Errorf("hook %q", got)
	}
	if setName("sshd", 6, true) != "f2b-sshd-net6" || setName("sshd", 4, false) != "f2b-sshd" {
		t.Error("set names")
	}
}

func TestNFTSetupScript(t *testing.T) {
	r, err := parseRule(JailSettings{Name: "sshd", Ports: "22,2222", Blocktype: "DROP"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := setupScript(r, []int{7})
	if err != nil {
		t.Fatal(err)
	}
	want := `add table inet banpipe
add chain inet banpipe input { type filter hook input priority filter - 1; policy accept; }
add set inet banpipe f2b-sshd4 { type ipv4_addr; flags timeout; }
add set inet banpipe f2b-sshd-net4 { type ipv4_addr; flags interval,timeout; }
add set inet banpipe f2b-sshd6 { type ipv6_addr; flags timeout; }
add set inet banpipe f2b-sshd-net6 { type ipv6_addr; flags interval,timeout; }
add chain inet banpipe f2b-sshd
flush chain inet banpipe f2b-sshd
add rule inet banpipe f2b-sshd ip saddr @f2b-sshd4 drop
add rule inet banpipe f2b-sshd ip saddr @f2b-sshd-net4 drop
add rule inet banpipe f2b-sshd ip6 saddr @f2b-sshd6 drop
add rule inet banpipe f2b-sshd ip6 saddr @f2b-sshd-net6 drop
delete rule inet banpipe input handle 7
add rule inet banpipe input meta l4proto tcp th dport { 22, 2222 } jump f2b-sshd
`
	if got != want {
		t.Errorf("setup script:\n%s\nwant:\n%s", got, want)
	}
}

func prefixOf(s string) string {
	if strings.Contains(s, "/") {
		return s
	}
	a := netip.MustParseAddr(s)
	return netip.PrefixFrom(a, a.BitLen()).String()
}

// TestReadLines checks the listing's reader against strings.Split, with
// reads of every size (one byte at a time, lines across reads), and its
// refusal of a line over the limit.
func TestReadLines(t *testing.T) {
	texts := []string{"", "\n", "a", "a\n", "-N f2b-sshd\n-A f2b-sshd -j RETURN\n", "x\n\ny\nlast without end",
		strings.Repeat("-A f2b-sshd -s 2001:db8::1/128 -j REJECT\n", 5000)}
	for _, text := range texts {
		want := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if text == "" {
			want = nil
		}
		for _, r := range []io.Reader{strings.NewReader(text), iotest.OneByteReader(strings.NewReader(text)),
			iotest.HalfReader(strings.NewReader(text))} {
			got, err := readLines(r, 1<<20)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("readLines(%.40q) = %d lines %.80q, %v; want %d lines", text, len(got), got, err, len(want))
			}
		}
	}
	long := strings.Repeat("x", 200<<10)
	if got, err := readLines(strings.NewReader("a\n"+long+"\nb\n"), 1<<20); err != nil || len(got) != 3 || got[1] != long {
		t.Fatalf("a 200 KiB line: %d lines, %v", len(got), err)
	}
	if _, err := readLines(strings.NewReader("a\n"+long+"\n"), 100<<10); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("a line over the limit: %v, want an error", err)
	}
}

// TestRuleLine checks which -S lines name a source: iptables prints the
// source match first; a negated one, or "-s" in a comment, is none.
func TestRuleLine(t *testing.T) {
	tests := []struct {
		line, chain, rest, src string
	}{
		{"-A f2b-sshd -s 192.0.2.7/32 -j REJECT --reject-with icmp-port-unreachable", "f2b-sshd",
			"-s 192.0.2.7/32 -j REJECT --reject-with icmp-port-unreachable", "192.0.2.7/32"},
		{"-A f2b-sshd -s 2001:db8::1/128 -j DROP", "f2b-sshd", "-s 2001:db8::1/128 -j DROP", "2001:db8::1/128"},
		{"-A f2b-sshd -s 2001:db8::1 -j DROP", "f2b-sshd", "-s 2001:db8::1 -j DROP", "2001:db8::1/128"},
		{"-A f2b-sshd -s 198.51.100.77/24 -j DROP", "f2b-sshd", "-s 198.51.100.77/24 -j DROP", "198.51.100.0/24"},
		{"-A f2b-sshd -j RETURN", "f2b-sshd", "-j RETURN", ""},
		{"-A f2b-sshd ! -s 192.0.2.7/32 -j DROP", "f2b-sshd", "! -s 192.0.2.7/32 -j DROP", ""},
		{`-A f2b-sshd -m comment --comment "-s 192.0.2.7/32" -j ACCEPT`, "f2b-sshd", `-m comment --comment "-s 192.0.2.7/32" -j ACCEPT`, ""},
		{"-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd", "INPUT", "-p tcp -m multiport --dports 22 -j f2b-sshd", ""},
		{"-N f2b-sshd", "", "", ""},
		{"-P INPUT ACCEPT", "", "", ""},
	}
	for _, tt := range tests {
		c, rest, src := ruleLine(tt.line)
		want := netip.Prefix{}
		if tt.src != "" {
			want = netip.MustParsePrefix(tt.src)
		}
		if c != tt.chain || rest != tt.rest || src != want {
			t.Errorf("ruleLine(%q) = %q, %q, %v; want %q, %q, %v", tt.line, c, rest, src, tt.chain, tt.rest, want)
		}
	}
}
