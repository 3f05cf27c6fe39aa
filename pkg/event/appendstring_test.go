package event

import (
	"math/bits"
	"strings"
	"testing"
	"unicode/utf8"
)

// appendStringBytewise is AppendString as it was before its eight-byte
// fast path (plain8): one byte at a time. The fast path must give the same
// bytes for every input.
func appendStringBytewise(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// TestSpecial8 puts every byte value at every position of an
// eight-byte word of plain text, and a second special byte after it:
// special8's lowest set bit is the high bit of the first special byte.
func TestSpecial8(t *testing.T) {
	special := func(c int) bool { return c < 0x20 || c >= 0x80 || c == '"' || c == '\\' }
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			for _, fill := range []byte{' ', '~', 'a', '!', '#', '[', ']'} {
				for _, after := range []int{-1, 0, 0x1f, '"', '\\', 0x80, 0xff} {
					w := []byte(strings.Repeat(string(fill), 8))
					w[pos] = byte(c)
					first := pos
					if after >= 0 && pos < 7 {
						w[7] = byte(after)
					}
					if !special(c) {
						first = 8
						if after >= 0 && pos < 7 {
							first = 7
						}
					}
					m := special8(word(string(w)))
					got := 8
					if m != 0 {
						got = bits.TrailingZeros64(m) >> 3
					}
					if got != first {
						t.Fatalf("special8(%q): first special byte at %d, want %d", w, got, first)
					}
				}
			}
		}
	}
}

func TestAppendStringAsBytewise(t *testing.T) {
	for _, s := range []string{
		"", "a", "plain ascii text that is longer than eight bytes",
		"Nov 21 10:04:05 web01 sshd[1201]: Failed password for root from 192.0.2.7 port 50022 ssh2",
		`198.51.100.7 - - [21/Nov/2026:10:04:05 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0"`,
		"tab\there", "12345678\x00", "1234567\x7f8", "\xff\xfe12345678", "ab\u2028cd\u2029efgh", "quote\"back\\slash!!",
		"\xe2\x80", "é12345678é", strings.Repeat("x", 63) + "\n",
	} {
		if got, want := string(AppendString(nil, s)), string(appendStringBytewise(nil, s)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain text, longer than a word", "a\"b\\c\x01d\te\u2028f\xffg", "é", "\xe2\x80\xa8abcdefgh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendString([]byte("x"), s), appendStringBytewise([]byte("x"), s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, byte at a time %s", s, got, want)
		}
	})
}

// BenchmarkAppendStringLogLine encodes an access log line, as the matches
// field of a failure carries it.
func BenchmarkAppendStringLogLine(b *testing.B) {
	s := `198.51.100.7 - - [21/Nov/2026:10:04:05 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0 (X11; Linux x86_64)"`
	b.SetBytes(int64(len(s)))
	buf := make([]byte, 0, 512)
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}
