package datedetect

import "math/bits"

// The line's clocks (clocksOf) and long digit runs (longRuns), which the
// shared checks ask of every line searched by the templates, come from
// one pass over it that marks its digits and colons a bit a byte, eight
// bytes at a time (mapOf); the clocks and runs are then a few word
// operations on those bits.

// longRun is the shortest digit run longRuns lists.
const longRun = 8

const (
	ones8 = 0x0101010101010101
	high8 = 0x8080808080808080
)

// classify8 returns the digits and the colons among the eight bytes of x
// (a little-endian word of the line), byte k as bit k. Bytes from 0x80
// up are neither.
func classify8(x uint64) (dig, col uint64) {
	hi := x & high8
	y := x &^ high8                           // seven-bit bytes: the sums below carry into no other byte
	d := (y + 0x50*ones8) &^ (y + 0x46*ones8) // high bit: '0' <= byte < ':'
	z := y ^ ':'*ones8
	c := ^((z + 0x7f*ones8) | z) // high bit: z == 0
	return gather8(d &^ hi & high8), gather8(c &^ hi & high8)
}

// classifyASCII is classify8 for a word of ASCII bytes (all below
// 0x80), where no masking of high bytes is needed.
func classifyASCII(x uint64) (dig, col uint64) {
	d := (x + 0x50*ones8) &^ (x + 0x46*ones8) // high bit: '0' <= byte < ':'
	z := x ^ ':'*ones8
	c := ^((z + 0x7f*ones8) | z) // high bit: z == 0
	return gather8(d & high8), gather8(c & high8)
}

// gather8 packs the high bits of the eight bytes of m (only they may be
// set) into its low eight bits, byte k to bit k.
func gather8(m uint64) uint64 { return (m >> 7) * 0x0102040810204080 >> 56 }

// mapOf marks the digits (st.dig) and colons (st.col) of s, bit i%64 of
// word i/64 for byte i, with three zero words after the line's (the
// shifts below read past its end), and notes whether s is ASCII
// (st.mapASCII).
//
// Its pass assumes s is ASCII (most lines are), which spares classify8's
// masking of the high bytes (classifyASCII); a line that turns out not
// to be is mapped again with classify8.
func (st *fstate) mapOf(s string) {
	if st.mapValid && st.mapLine == s {
		return
	}
	n := (len(s)+63)/64 + 3
	if cap(st.dig) < n {
		st.dig, st.col = make([]uint64, n), make([]uint64, n)
	}
	st.dig, st.col = st.dig[:n], st.col[:n]
	st.mapASCII = st.mapWords(s, false)
	if !st.mapASCII {
		st.mapWords(s, true)
	}
	st.mapLine, st.mapValid = s, true
}

// mapWords fills st.dig and st.col for s, with classify8 when exact, else
// with classifyASCII (right only for ASCII), and reports whether s is
// ASCII.
func (st *fstate) mapWords(s string, exact bool) bool {
	dig, col := st.dig, st.col
	classify := func(x uint64) (uint64, uint64) {
		if exact {
			return classify8(x)
		}
		return classifyASCII(x)
	}
	var hi uint64 // the high bits of every byte: zero for ASCII
	w := 0
	for ; (w+1)*64 <= len(s); w++ {
		// a whole word: eight times eight bytes
		b := s[w*64 : w*64+64]
		var dw, cw uint64
		for k := 0; k < 64; k += 8 {
			x := le64(b[k : k+8])
			hi |= x
			d, c := classify(x)
			dw |= d << k
			cw |= c << k
		}
		dig[w], col[w] = dw, cw
	}
	var dw, cw uint64
	i := w * 64
	for ; i+8 <= len(s); i += 8 {
		x := le64(s[i : i+8])
		hi |= x
		d, c := classify(x)
		dw |= d << (i & 63)
		cw |= c << (i & 63)
	}
	if i < len(s) {
		var x uint64
		for k := len(s) - 1; k >= i; k-- {
			x = x<<8 | uint64(s[k])
		}
		hi |= x
		// the missing bytes are zeros: neither digits nor colons
		d, c := classify(x)
		dw |= d << (i & 63)
		cw |= c << (i & 63)
	}
	for ; w < len(dig); w++ {
		dig[w], col[w] = dw, cw
		dw, cw = 0, 0
	}
	return hi&high8 == 0
}

// clocksOf lists the colons of s that can follow an hour: a digit
// before, then a digit and a colon or two digits and a colon after.
// The list is kept for the templates that search the same line within
// one Find (prepare drops it: a caller may reuse the line's memory).
func (st *fstate) clocksOf(s string) []int {
	if st.clockValid && st.clockLine == s {
		return st.clocks
	}
	st.mapOf(s)
	st.clocks = st.clocks[:0]
	D, C := st.dig, st.col
	var dPrev uint64 // the word before's digits
	for w := 0; w*64 < len(s); w++ {
		d, c := D[w], C[w]
		if c != 0 {
			before := d<<1 | dPrev>>63 // bit j: a digit at j-1
			after := d>>1 | D[w+1]<<63 // at j+1
			d2 := d>>2 | D[w+1]<<62
			c2 := c>>2 | C[w+1]<<62
			c3 := c>>3 | C[w+1]<<61
			for b := c & before & after & (c2 | d2&c3); b != 0; b &= b - 1 {
				st.clocks = append(st.clocks, w*64+bits.TrailingZeros64(b))
			}
		}
		dPrev = d
	}
	st.clockLine, st.clockValid = s, true
	return st.clocks
}

// longRuns lists the maximal runs of at least longRun digits of s, as
// [start, end), kept for the templates that ask of the same line within
// one Find (prepare drops it).
func (st *fstate) longRuns(s string) [][2]int {
	if st.runValid && st.runLine == s {
		return st.runs
	}
	st.mapOf(s)
	st.runs = st.runs[:0]
	D := st.dig
	var dPrev uint64
	for w := 0; w*64 < len(s); w++ {
		d0 := D[w]
		if d0 != 0 {
			// bit j of r2: digits at j and j+1; of r4: at j..j+3; of
			// r8: at j..j+7 (of the next word's r4 only the low four
			// bits count, which need its r2's low six)
			d1, d2 := D[w+1], D[w+2]
			r2 := d0 & (d0>>1 | d1<<63)
			r2n := d1 & (d1>>1 | d2<<63)
			r4 := r2 & (r2>>2 | r2n<<62)
			r4n := r2n & (r2n >> 2)
			starts := d0 &^ (d0<<1 | dPrev>>63) // a digit after no digit
			for long := starts & r4 & (r4>>4 | r4n<<60); long != 0; long &= long - 1 {
				a := w*64 + bits.TrailingZeros64(long)
				st.runs = append(st.runs, [2]int{a, st.runEnd(a + longRun)})
			}
		}
		dPrev = d0
	}
	st.runLine, st.runValid = s, true
	return st.runs
}

// runEnd returns the first byte from i on that is no digit (mapOf's).
func (st *fstate) runEnd(i int) int {
	for {
		b := i & 63
		k := bits.TrailingZeros64(^(st.dig[i>>6] >> b))
		i += k
		if k < 64-b {
			return i
		}
	}
}
