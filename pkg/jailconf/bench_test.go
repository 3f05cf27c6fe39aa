package jailconf

import (
	"os"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

// BenchmarkLoadStock loads Debian's /etc/fail2ban/jail.conf with jail.d.
func BenchmarkLoadStock(b *testing.B) {
	p := "/etc/fail2ban/jail.conf"
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(b, "fail2ban is not installed: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(p); err != nil {
			b.Fatal(err)
		}
	}
}
