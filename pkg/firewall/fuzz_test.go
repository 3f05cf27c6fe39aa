package firewall

import (
	"strings"
	"testing"
)

// FuzzRuleSettings: whatever a jail configuration says, the settings that
// parseRule accepts cannot break out of a line of an iptables-restore or
// nft script (no newline, comment, quote, separator or brace of their own)
// nor out of one argument.
func FuzzRuleSettings(f *testing.F) {
	f.Add("sshd", "ssh,2222", "tcp", "INPUT", "REJECT")
	f.Add("web", "80:90", "udp", "FORWARD", "REJECT --reject-with tcp-reset")
	f.Add("x", "", "all", "", "DROP")
	f.Add("a.b-c_d", "22\n-A INPUT -j ACCEPT", "tcp", "INPUT", "DROP")
	f.Add("j", "1;reboot", "tcp", "INPUT}", "REJECT --reject-with icmp6-adm-prohibited")
	f.Fuzz(func(t *testing.T, name, ports, proto, chain, blocktype string) {
		r, err := parseRule(JailSettings{Name: name, Ports: ports, Protocol: proto, Chain: chain, Blocktype: blocktype})
		if err != nil {
			return
		}
		var words []string
		words = append(words, r.hookSpec()...)
		words = append(words, r.target(4)...)
		words = append(words, r.target(6)...)
		words = append(words, r.ipsetHookSpec(setName(r.jail, 6, true), 6)...)
		words = append(words, chainName(r.jail), r.chain)
		for _, w := range words {
			if w == "" || strings.ContainsAny(w, " \t\r\n\"'#;{}$`\\|&<>") {
				t.Fatalf("unsafe word %q from %q %q %q %q %q", w, name, ports, proto, chain, blocktype)
			}
		}
		nft := r.nftHook() + " " + r.nftVerdict(4) + " " + r.nftVerdict(6)
		if strings.ContainsAny(nft, "\r\n\"'#;$`\\") || strings.Count(nft, "{") > 1 || strings.Count(nft, "}") > 1 {
			t.Fatalf("unsafe nft rule %q", nft)
		}
	})
}
