package filter

import (
	"strings"
	"testing"
)

// BenchmarkAppendRunes: the []rune conversion of a message before the
// regexes run (regexp2 matches runes), on an ASCII sshd message and on one
// with a multi-byte user name; an op is one message.
func BenchmarkAppendRunes(b *testing.B) {
	for _, tc := range []struct{ name, line string }{
		{"ascii", "Failed password for invalid user oracle from 203.0.113.7 port 52144 ssh2"},
		{"utf8", "Failed password for invalid user j\u00fcrgen-\u00e9t\u00e9 from 203.0.113.7 port 52144 ssh2"},
		{"long-ascii", strings.Repeat("GET /index.php?id=12345&q=abcdef HTTP/1.1 ", 6)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			in := []byte(tc.line)
			var buf []rune
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				buf = appendRunes(buf[:0], in)
			}
		})
	}
}
