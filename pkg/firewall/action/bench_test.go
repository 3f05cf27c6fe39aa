package action

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/banpipe/banpipe/pkg/firewall"
)

// BenchmarkRender renders sendmail-whois-matches's actionban for one ban
// with an untrusted value (no command runs).
func BenchmarkRender(b *testing.B) {
	stock(b)
	be, err := New(Config{Dir: stockDir, Actions: []string{"sendmail-whois-matches"}})
	if err != nil {
		b.Fatal(err)
	}
	js := firewall.JailSettings{Name: "sshd"}
	st, err := be.load(js)
	if err != nil {
		b.Fatal(err)
	}
	a := st.actions[0]
	bn := ban("192.0.2.7/32", map[string]string{"matches": "Failed password for root from 192.0.2.7"})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.render(opBan, "inet4", be.banInfo(ctx, js, &bn, "inet4")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBan applies bans through an action that appends one line to a
// file: the cost of one /bin/sh per ban.
func BenchmarkBan(b *testing.B) {
	log := filepath.Join(b.TempDir(), "log")
	be, err := New(Config{Dir: "testdata/action.d", Actions: []string{`record[logfile="` + log + `"]`}})
	if err != nil {
		b.Fatal(err)
	}
	js := firewall.JailSettings{Name: "sshd"}
	ctx := context.Background()
	base := netip.MustParseAddr("10.0.0.0").As4()
	i := 0
	for b.Loop() {
		a := base
		a[1], a[2], a[3] = byte(i>>16), byte(i>>8), byte(i)
		i++
		bn := ban(netip.PrefixFrom(netip.AddrFrom4(a), 32).String(), map[string]string{"user": "root"})
		if errs := be.Ban(ctx, js, []firewall.Ban{bn}); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bans/s")
}
