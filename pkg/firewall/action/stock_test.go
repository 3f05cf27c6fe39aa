package action

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/firewall"
)

// These tests read the action files of the installed fail2ban and run
// them with stand-ins for curl, mail, sendmail and whois
// (testdata/fakebin/recorder) that record their arguments and standard input:
// no mail is sent, no network is used.

const stockDir = "/etc/fail2ban/action.d"

func stock(t testing.TB) {
	t.Helper()
	testenv.RequireFile(t, filepath.Join(stockDir, "dummy.conf"), "fail2ban's action files")
}

// fakeBin puts testdata/fakebin first on PATH and returns the file the
// stand-ins record into.
func fakeBin(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	// Never run the real programs (mail, network) by mistake.
	for _, name := range []string{"curl", "mail", "sendmail", "whois"} {
		if st, err := os.Stat(filepath.Join(bin, name)); err != nil || st.Mode()&0o111 == 0 {
			t.Fatalf("stand-in %s missing in %s: %v", name, bin, err)
		}
	}
	rec := filepath.Join(t.TempDir(), "record")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("RECORD_FILE", rec)
	return rec
}

// TestStockCheck loads and renders every installed action.
func TestStockCheck(t *testing.T) {
	stock(t)
	files, _ := filepath.Glob(filepath.Join(stockDir, "*.conf"))
	n := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".conf")
		b := newBackend(t, Config{Dir: stockDir, Actions: []string{name}})
		err := b.Check(context.Background())
		if err != nil && strings.HasSuffix(name, "-common") && strings.Contains(err.Error(), "no [Definition] section") {
			continue // an include-only helper, not an action
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		n++
	}
	if n < 40 {
		t.Errorf("only %d actions checked", n)
	}
}

func TestStockDummy(t *testing.T) {
	stock(t)
	target := filepath.Join(t.TempDir(), "dummy")
	var out bytes.Buffer
	b := newBackend(t, Config{Dir: stockDir, Actions: []string{`dummy[target="` + target + `"]`}, Stdout: &out})
	ctx := context.Background()
	js := firewall.JailSettings{Name: "sshd"}
	noErrors(t, "ban", b.Ban(ctx, js, []firewall.Ban{ban("192.0.2.7/32", nil), ban("2001:db8::7/128", nil)}))
	noErrors(t, "unban", b.Unban(ctx, js, []firewall.Ban{ban("192.0.2.7/32", nil)}))
	if got, want := readFile(t, target), "123\n+192.0.2.7\n+2001:db8::7\n-192.0.2.7\n"; got != want {
		t.Errorf("target %q, want %q", got, want)
	}
	for _, w := range []string{
		"[sshd] dummy " + target + " -- started\n",
		"banned 192.0.2.7 (family: inet4)\n", "banned 2001:db8::7 (family: inet6)\n",
		"unbanned 192.0.2.7 (family: inet4)\n",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("stdout lacks %q:\n%s", w, out.String())
		}
	}
	if err := b.Flush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("actionstop left %s: %v", target, err)
	}
	if !strings.Contains(out.String(), "clear all\n") || !strings.Contains(out.String(), "stopped\n") {
		t.Errorf("flush and stop did not run:\n%s", out.String())
	}
}

// TestStockSendmailWhoisMatches runs sendmail-whois-matches with hostile
// matches, sendmail replaced through the mailcmd argument.
func TestStockSendmailWhoisMatches(t *testing.T) {
	stock(t)
	rec := fakeBin(t)
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	matches := "Nov 21 sshd[1]: Failed password for $(touch " + pwned + ") from 192.0.2.7\n" +
		"~! touch " + pwned + "\n" +
		"`touch " + pwned + "`'\"; touch " + pwned + "; echo \"\n" +
		"."
	spec := `sendmail-whois-matches[mailcmd='sendmail -f "<sender>" "<dest>"', dest="admin@example.org", sender="f2b@example.org", name=sshd]`
	b := newBackend(t, Config{Dir: stockDir, Actions: []string{spec}})
	ctx := context.Background()
	js := firewall.JailSettings{Name: "sshd"}

	// The rendered command holds no part of the matches.
	st, err := b.load(js)
	if err != nil {
		t.Fatal(err)
	}
	bn := ban("192.0.2.7/32", map[string]string{"matches": matches})
	sc, err := st.actions[0].render(opBan, "inet4", b.banInfo(ctx, js, &bn, "inet4"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sc.text, "touch") || !strings.Contains(sc.text, "${BANPIPE_MATCHES}") {
		t.Errorf("rendered command:\n%s", sc.text)
	}

	noErrors(t, "ban", b.Ban(ctx, js, []firewall.Ban{bn}))
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("a command ran")
	}
	got := readFile(t, rec)
	for _, w := range []string{
		"== sendmail\narg: -f\narg: f2b@example.org\narg: admin@example.org\n",
		"Subject: [Fail2Ban] sshd: started on ",
		"From: Fail2Ban <f2b@example.org>\nTo: admin@example.org\n",
		"Subject: [Fail2Ban] sshd: banned 192.0.2.7 from ",
		"The IP 192.0.2.7 has just been banned by Fail2Ban after\n5 attempts against sshd.",
		"whois stub for 192.0.2.7\n",
		"Matches:\n\n" + matches + "\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("mail lacks %q:\n%s", w, got)
		}
	}
	// A restored ban sends no mail (norestored).
	before := got
	r := ban("192.0.2.8/32", nil)
	r.Restored = true
	noErrors(t, "restored", b.Ban(ctx, js, []firewall.Ban{r}))
	if readFile(t, rec) != before {
		t.Error("restored ban sent a mail")
	}
}

// TestStockMail checks that fail2ban's mail action keeps mail's
// "set escape" (the CVE-2021-32749 fix) and gets the jail's values.
func TestStockMail(t *testing.T) {
	stock(t)
	rec := fakeBin(t)
	b := newBackend(t, Config{Dir: stockDir, Actions: []string{`mail[dest="admin@example.org"]`}})
	noErrors(t, "ban", b.Ban(context.Background(), firewall.JailSettings{Name: "sshd"}, []firewall.Ban{ban("2001:db8::7/128", nil)}))
	got := readFile(t, rec)
	for _, w := range []string{
		"== mail\narg: -E\narg: set escape\narg: -s\narg: [Fail2Ban] sshd: started  on ",
		"arg: [Fail2Ban] sshd: banned 2001:db8::7 from ",
		"The IP 2001:db8::7 has just been banned by Fail2Ban after\n5 attempts against sshd.",
		"arg: admin@example.org\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("mail lacks %q:\n%s", w, got)
		}
	}
}

// TestStockReporting runs the curl-based reporting actions with hostile
// matches and checks what curl receives.
func TestStockReporting(t *testing.T) {
	stock(t)
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	matches := "x'\"$(touch " + pwned + ")`touch " + pwned + "`; touch " + pwned + "\n~! touch " + pwned
	tests := []struct {
		spec string
		ip   string
		want []string
	}{
		{`abuseipdb[abuseipdb_apikey="KEY", abuseipdb_category="18,22"]`, "192.0.2.7/32", []string{
			"arg: https://api.abuseipdb.com/api/v2/report\n",
			"arg: Key: KEY\n",
			"arg: comment=" + matches + "\n...\n",
			"arg: ip=192.0.2.7\n",
			"arg: categories=18,22\n",
		}},
		{`blocklist_de[email="me@example.org", apikey="K", service="sshd", agent="banpipe"]`, "2001:db8::7/128", []string{
			"arg: server=me@example.org\n",
			"arg: ip=2001:db8::7\n",
			"arg: logs=" + matches + "\n\n",
			"arg: --user-agent\narg: banpipe\n",
		}},
		{`cloudflare[cfuser="u@example.org", cftoken="T"]`, "192.0.2.7/32", []string{
			"arg: X-Auth-Email: u@example.org\n",
			`arg: {"mode":"block","configuration":{"target":"ip","value":"192.0.2.7"},"notes":"Fail2Ban sshd"}` + "\n",
		}},
		{`cloudflare[cfuser="u@example.org", cftoken="T"]`, "2001:db8::7/128", []string{
			`arg: {"mode":"block","configuration":{"target":"ip6","value":"2001:db8::7"},"notes":"Fail2Ban sshd"}` + "\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			rec := fakeBin(t)
			b := newBackend(t, Config{Dir: stockDir, Actions: []string{tt.spec}})
			noErrors(t, "ban", b.Ban(context.Background(), firewall.JailSettings{Name: "sshd"},
				[]firewall.Ban{ban(tt.ip, map[string]string{"matches": matches, "user": matches})}))
			if _, err := os.Stat(pwned); err == nil {
				t.Fatal("a command ran")
			}
			got := readFile(t, rec)
			if !strings.HasPrefix(got, "== curl\n") {
				t.Fatalf("curl not run:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("curl lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestStockIptables renders iptables-multiport (never run on the host):
// the jail's ports and chain, [Init?family=inet6] for IPv6.
func TestStockIptables(t *testing.T) {
	stock(t)
	b := newBackend(t, Config{Dir: stockDir, Actions: []string{"iptables-multiport"}})
	ctx := context.Background()
	js := firewall.JailSettings{Name: "sshd", Ports: "22,2222", Protocol: "tcp", Chain: "INPUT"}
	st, err := b.load(js)
	if err != nil {
		t.Fatal(err)
	}
	a := st.actions[0]
	tests := []struct{ op, ip, fam, want string }{
		{opBan, "192.0.2.7/32", "inet4", "iptables -w -I f2b-sshd 1 -s 192.0.2.7 -j REJECT --reject-with icmp-port-unreachable"},
		{opBan, "2001:db8::/64", "inet6", "ip6tables -w -I f2b-sshd 1 -s 2001:db8::/64 -j REJECT --reject-with icmp6-port-unreachable"},
		{opUnban, "192.0.2.7/32", "inet4", "iptables -w -D f2b-sshd -s 192.0.2.7 -j REJECT --reject-with icmp-port-unreachable"},
		{opStart, "", "inet6", "{ ip6tables -w -I INPUT -p $proto -m multiport --dports 22,2222 -j f2b-sshd; }"},
		{opStop, "", "inet4", "iptables -w -X f2b-sshd"},
	}
	for _, tt := range tests {
		info := b.plainInfo(tt.fam)
		if tt.ip != "" {
			bn := ban(tt.ip, nil)
			info = b.banInfo(ctx, js, &bn, tt.fam)
		}
		sc, err := a.render(tt.op, tt.fam, info)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sc.text, tt.want) || len(sc.env) != 0 {
			t.Errorf("%s %s:\n%s\nlacks %q (env %q)", tt.op, tt.fam, sc.text, tt.want, sc.env)
		}
	}
	if !a.def.conditional || !a.def.startOnDemand {
		t.Error("iptables-multiport: conditional sections not seen")
	}
}
