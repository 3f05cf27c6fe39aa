package filter

import (
	"encoding/binary"
	"slices"
	"unicode/utf8"
)

// appendRunes decodes UTF-8 b onto dst as Python's decode(errors="replace")
// does: each maximal invalid subsequence becomes one U+FFFD (Go's decoder
// would give one per byte). NUL and every other valid character stay.
func appendRunes(dst []rune, b []byte) []rune {
	// ASCII runs: grow once and widen bytes by index, eight bytes checked
	// at a time (an append per byte costs about twice as much)
	dst = slices.Grow(dst, len(b))
	for len(b) > 0 {
		if len(b) >= 8 && binary.LittleEndian.Uint64(b)&0x8080808080808080 == 0 {
			n := len(dst)
			d := dst[n : n+8]
			d[0], d[1], d[2], d[3] = rune(b[0]), rune(b[1]), rune(b[2]), rune(b[3])
			d[4], d[5], d[6], d[7] = rune(b[4]), rune(b[5]), rune(b[6]), rune(b[7])
			dst = dst[:n+8]
			b = b[8:]
			continue
		}
		c := b[0]
		if c < utf8.RuneSelf {
			dst = append(dst, rune(c))
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			dst = append(dst, r)
			b = b[n:]
			continue
		}
		dst = append(dst, utf8.RuneError)
		b = b[invalidLen(b):]
	}
	return dst
}

// invalidLen returns the length of the maximal subpart of an ill-formed
// sequence at the start of b (Unicode's "maximal subpart" practice, which
// Python follows): a valid lead byte and the continuation bytes that fit it.
func invalidLen(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		x := b[n]
		if x < lo || x > hi {
			break
		}
		n++
		lo, hi = 0x80, 0xBF
	}
	return n
}

// decodeRuneString decodes the first rune of s.
func decodeRuneString(s string) (rune, int) { return utf8.DecodeRuneInString(s) }
