package datedetect

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// naiveDigitRun is nextDigitRun by definition: the first start at i or
// later of n digits in a row.
func naiveDigitRun(s string, i, n int) int {
	for a := i; a+n <= len(s); a++ {
		ok := true
		for k := a; k < a+n; k++ {
			if !isDigit(s[k]) {
				ok = false
				break
			}
		}
		if ok {
			return a
		}
	}
	return -1
}

// TestNextDigitRun: the strided search finds the same run as a check of
// every start, on random lines of digits and other bytes.
func TestNextDigitRun(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := make([]byte, r.IntN(40))
		for k := range b {
			if r.IntN(5) == 0 {
				b[k] = " :/-Tx"[r.IntN(6)]
			} else {
				b[k] = byte('0' + r.IntN(10))
			}
		}
		s := string(b)
		i, n := r.IntN(len(s)+2), 1+r.IntN(12)
		if i > len(s) {
			i = len(s)
		}
		if got, want := nextDigitRun(s, i, n), naiveDigitRun(s, i, n); got != want {
			t.Fatalf("nextDigitRun(%q, %d, %d) = %d, want %d", s, i, n, got, want)
		}
	}
}

func FuzzNextDigitRun(f *testing.F) {
	f.Add("Gecko/20100101 Firefox", 0, 8)
	f.Fuzz(func(t *testing.T, s string, i, n int) {
		if i < 0 || i > len(s) || n < 1 || n > 64 {
			return
		}
		if got, want := nextDigitRun(s, i, n), naiveDigitRun(s, i, n); got != want {
			t.Fatalf("nextDigitRun(%q, %d, %d) = %d, want %d", s, i, n, got, want)
		}
	})
}

// TestLongRuns: longRuns lists exactly the maximal runs of at least
// longRun digits, in order.
func TestLongRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var st fstate
	for range 100000 {
		b := make([]byte, r.IntN(60))
		for k := range b {
			if r.IntN(9) == 0 {
				b[k] = " :/-Tx"[r.IntN(6)]
			} else {
				b[k] = byte('0' + r.IntN(10))
			}
		}
		s := string(b)
		var want [][2]int
		for a := 0; a < len(s); {
			if !isDigit(s[a]) {
				a++
				continue
			}
			e := a
			for e < len(s) && isDigit(s[e]) {
				e++
			}
			if e-a >= longRun {
				want = append(want, [2]int{a, e})
			}
			a = e
		}
		st.mapValid = false
		got := st.longRuns(s)
		if len(got) != len(want) {
			t.Fatalf("longRuns(%q) = %v, want %v", s, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("longRuns(%q) = %v, want %v", s, got, want)
			}
		}
	}
}

// TestLineMap: clocksOf and longRuns (on the line, and on starts of it
// after the line's map), clocksTo and runsTo (the map of the line's
// start, then the rest of it), and asciiOnly agree with
// their definitions on random lines of digits, colons, other ASCII and
// bytes from 0x80 up (whose low seven bits look like digits or colons).
func TestLineMap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const other = " :/-Tx\xb0\xb9\xba\x80\xff"
	var st fstate
	for range 100000 {
		// lines mostly of digits, and lines of sparse digits with a few
		// runs of 3 to 12 digits at any offset (runsTo reads every eighth
		// byte)
		b := make([]byte, r.IntN(200))
		sparse := r.IntN(2) == 0
		for k := range b {
			if sparse && r.IntN(4) != 0 || !sparse && r.IntN(3) == 0 {
				b[k] = other[r.IntN(len(other))]
			} else {
				b[k] = byte('0' + r.IntN(10))
			}
		}
		for range r.IntN(4) {
			if !sparse || len(b) == 0 {
				break
			}
			at, n := r.IntN(len(b)), 3+r.IntN(10)
			for k := at; k < min(len(b), at+n); k++ {
				b[k] = byte('0' + r.IntN(10))
			}
		}
		// as drawn, and with every byte cut to seven bits (an ASCII line,
		// where \xb0 becomes '0' and \xba ':')
		low := make([]byte, len(b))
		for k := range b {
			low[k] = b[k] & 0x7f
		}
		check := func(s string) {
			t.Helper()
			var clocks []int
			for j := 0; j < len(s); j++ {
				if s[j] == ':' && j > 0 && isDigit(s[j-1]) && j+2 < len(s) && isDigit(s[j+1]) &&
					(s[j+2] == ':' || j+3 < len(s) && isDigit(s[j+2]) && s[j+3] == ':') {
					clocks = append(clocks, j)
				}
			}
			var runs [][2]int
			for a := 0; a < len(s); {
				if !isDigit(s[a]) {
					a++
					continue
				}
				e := a
				for e < len(s) && isDigit(s[e]) {
					e++
				}
				if e-a >= longRun {
					runs = append(runs, [2]int{a, e})
				}
				a = e
			}
			if got := st.clocksOf(s); !slices.Equal(got, clocks) {
				t.Fatalf("clocksOf(%q) = %v, want %v", s, got, clocks)
			}
			if got := st.longRuns(s); !slices.Equal(got, runs) {
				t.Fatalf("longRuns(%q) = %v, want %v", s, got, runs)
			}
			// a question on the line's start: every clock and run
			// before upto listed, and only true ones after it
			st.mapValid = false
			upto := r.IntN(len(s) + 2)
			got := st.clocksTo(s, upto)
			if k := sort.SearchInts(clocks, upto); len(got) < k || !slices.Equal(got, clocks[:len(got)]) {
				t.Fatalf("clocksTo(%q, %d) = %v, want %v and maybe more of %v", s, upto, got, clocks[:k], clocks)
			}
			gr := st.runsTo(s, upto)
			k := 0
			for k < len(runs) && runs[k][0] < upto {
				k++
			}
			if len(gr) < k || !slices.Equal(gr, runs[:len(gr)]) {
				t.Fatalf("runsTo(%q, %d) = %v, want %v and maybe more of %v", s, upto, gr, runs[:k], runs)
			}
			// then the whole line, from that partial map
			if got := st.clocksOf(s); !slices.Equal(got, clocks) {
				t.Fatalf("clocksOf(%q) after clocksTo(%d) = %v, want %v", s, upto, got, clocks)
			}
			if got := st.longRuns(s); !slices.Equal(got, runs) {
				t.Fatalf("longRuns(%q) after runsTo(%d) = %v, want %v", s, upto, got, runs)
			}
			if asciiOnly(s) != !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }) {
				t.Fatalf("asciiOnly(%q) = %v", s, asciiOnly(s))
			}
		}
		for _, s := range []string{string(b), string(low)} {
			// the line, then starts of it (as line[:endpos]), shorter
			// and shorter
			st.mapValid = false
			check(s)
			for k := len(s); k > 0; {
				k = r.IntN(k)
				check(s[:k])
			}
		}
	}
}
