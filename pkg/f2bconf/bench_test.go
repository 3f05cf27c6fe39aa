package f2bconf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

func stockOrSkip(b *testing.B, p string) string {
	p = filepath.Join(stockDir, p)
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(b, "fail2ban is not installed: %v", err)
	}
	return p
}

// BenchmarkReadSshd reads fail2ban's sshd.conf with its includes.
func BenchmarkReadSshd(b *testing.B) {
	p := stockOrSkip(b, "filter.d/sshd.conf")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCombineSshdAggressive resolves sshd.conf for mode=aggressive
// (the Definition/Init combination and every <tag>).
func BenchmarkCombineSshdAggressive(b *testing.B) {
	c, err := Read(stockOrSkip(b, "filter.d/sshd.conf"), nil)
	if err != nil {
		b.Fatal(err)
	}
	args := map[string]string{"mode": "aggressive"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Combine(FilterKeys, false, nil, args, TagOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadJail reads jail.conf with jail.d and resolves every
// option of every jail.
func BenchmarkReadJail(b *testing.B) {
	p := stockOrSkip(b, "jail.conf")
	b.ReportAllocs()
	for b.Loop() {
		c, err := Read(p, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range c.Sections() {
			for _, k := range c.Keys(s) {
				_, _ = c.Get(s, k)
			}
		}
	}
}
