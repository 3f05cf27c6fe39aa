package action

import (
	"context"
	"encoding/json"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/firewall"
)

// TestFail2banDifferential renders every command of every installed
// action with fail2ban's own code (testdata/fail2ban_render.py, run with
// the system's python3 and fail2ban's modules) and with this package, for
// an IPv4 and an IPv6 ban, and wants them equal.
func TestFail2banDifferential(t *testing.T) {
	stock(t)
	testenv.RequirePython(t, "fail2ban.server.action")
	files, _ := filepath.Glob(filepath.Join(stockDir, "*.conf"))
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".conf"))
	}
	compared := differential(t, nil, names)
	t.Logf("%d commands of %d actions compared", compared, len(names))
	if compared < 400 {
		t.Errorf("only %d commands compared", compared)
	}
	// With arguments and jail options.
	jailOpts := map[string]string{"logpath": "/var/log/auth.log", "port": "imap", "dest": "jail@example.org"}
	specs := []string{
		`iptables-multiport[port="22,2222", protocol=udp, chain=FORWARD]`,
		`iptables-allports[name=other, blocktype=DROP]`,
		`iptables-ipset[type=allports, bantime=3600]`,
		`nftables[type=allports]`,
		`nftables-multiport[port="http,https", blocktype=drop]`,
		`sendmail-whois[dest=a@example.org, sender=f2b@example.org, sendername="Ban Pipe"]`,
		`mail-whois-lines[dest="admin@example.org"]`,
		`cloudflare[cfuser=u@example.org, cftoken=T]`,
		`complain[grepmax=5, mailargs="-a x"]`,
		`abuseipdb[abuseipdb_apikey=K, abuseipdb_category="18,22"]`,
		`dummy[target=/tmp/x, init=hello]`,
		`hostsdeny[file=/tmp/hosts.deny]`,
		`route[blocktype=prohibit]`,
		`ufw[application=OpenSSH]`,
		`xarf-login-attack[service=ssh, sender=me@example.org]`,
	}
	n := differential(t, jailOpts, specs)
	if n < len(specs)*10 {
		t.Errorf("only %d commands compared", n)
	}
}

// differential compares the commands of each spec with fail2ban's, for a
// jail sshd with options jailOpts; it returns how many it compared.
func differential(t *testing.T, jailOpts map[string]string, specs []string) int {
	t.Helper()
	py := testenv.RequirePython(t, "fail2ban.server.action")
	script, _ := filepath.Abs("testdata/fail2ban_render.py")
	jo, _ := json.Marshal(jailOpts)
	if jailOpts == nil {
		jo = []byte("{}")
	}
	cmd := exec.Command(py, append([]string{script, string(jo)}, specs...)...)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	var want map[string]map[string]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	js := firewall.JailSettings{Name: "sshd", Options: jailOpts}
	compared := 0
	for _, spec := range specs {
		w, ok := want[spec]
		if !ok || w["error"] != "" {
			t.Logf("%s: fail2ban: %v", spec, w["error"])
			continue
		}
		b := newBackend(t, Config{Dir: stockDir, Actions: []string{spec},
			LookupAddr: func(context.Context, string) ([]string, error) { return nil, nil }})
		b.now = func() time.Time { return time.Unix(1700000000, 0) }
		st, err := b.load(js)
		if err != nil {
			if strings.Contains(err.Error(), "no [Definition] section") {
				continue // an include-only helper: fail2ban makes an action without commands of it, banpipe refuses it
			}
			t.Errorf("%s: %v", spec, err)
			continue
		}
		a := st.actions[0]
		for key, wcmd := range w {
			fam, op, _ := strings.Cut(key, "/")
			info := b.plainInfo(fam)
			if op == opBan || op == opUnban {
				ip := "192.0.2.7/32"
				if fam == "inet6" {
					ip = "2001:db8::7/128"
				}
				bn := firewall.Ban{Prefix: netip.MustParsePrefix(ip), Failures: 5, Bancount: 1,
					Time: time.Unix(1700000000, 0), Bantime: 600 * time.Second}
				info = b.banInfo(ctx, js, &bn, fam)
			}
			sc, err := a.render(op, fam, info)
			if err != nil {
				t.Errorf("%s %s: %v", spec, key, err)
				continue
			}
			if got := sc.text; got != strings.TrimSpace(wcmd) {
				t.Errorf("%s %s:\n got: %q\nwant: %q", spec, key, got, wcmd)
			}
			compared++
		}
	}
	return compared
}
