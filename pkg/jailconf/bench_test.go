package jailconf

import (
	"os"
	"testing"
)

// BenchmarkLoadStock loads Debian's /etc/fail2ban/jail.conf with jail.d.
func BenchmarkLoadStock(b *testing.B) {
	p := "/etc/fail2ban/jail.conf"
	if _, err := os.Stat(p); err != nil {
		b.Skipf("%s: %v", p, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(p); err != nil {
			b.Fatal(err)
		}
	}
}
