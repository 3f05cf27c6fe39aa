package datedetect

import "strings"

// The line's clocks (clocksOf) and long digit runs (longRuns), which the
// shared checks ask of every line searched by the templates, are found
// once per line (mapOf): the colons with bytes.IndexByte, the runs from
// every eighth byte. A search of the line's start (line[:endpos], as
// matchDate's search from a known place) takes them from the whole
// line's when mapOf has them.

// longRun is the shortest digit run longRuns lists.
const longRun = 8

const high8 = 0x8080808080808080

// mapOf finds the clocks (st.clocks) and long digit runs (st.runs) of s
// and notes whether s is ASCII (st.mapASCII). They are kept for the
// templates that search the same line within one Find (prepare drops
// them: a caller may reuse the line's memory).
//
// The colons come from bytes.IndexByte (a line has few); a run of
// longRun digits or more holds a byte at an offset of 7 modulo 8, so
// only those bytes are read, and the runs through the digits among them
// are measured.
func (st *fstate) mapOf(s string) {
	if st.mapValid && st.mapLine == s {
		return
	}
	if st.mapValid && st.mapASCII && len(s) < len(st.mapLine) && st.mapLine[:len(s)] == s {
		st.clip(s)
		return
	}
	st.clocks, st.runs = st.clocks[:0], st.runs[:0]
	for j := 0; j < len(s); j++ {
		k := strings.IndexByte(s[j:], ':')
		if k < 0 {
			break
		}
		if j += k; isClock(s, j) {
			st.clocks = append(st.clocks, j)
		}
	}
	for j := longRun - 1; j < len(s); j += longRun {
		if !isDigit(s[j]) {
			continue
		}
		a, e := j, j+1
		for a > 0 && isDigit(s[a-1]) {
			a--
		}
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		if e-a >= longRun && (len(st.runs) == 0 || st.runs[len(st.runs)-1][0] != a) {
			st.runs = append(st.runs, [2]int{a, e})
		}
	}
	var hi uint64 // the high bits of every byte: zero for ASCII
	i := 0
	for ; i+16 <= len(s); i += 16 {
		hi |= le64(s[i:i+8]) | le64(s[i+8:i+16])
	}
	for ; i < len(s); i++ {
		hi |= uint64(s[i])
	}
	st.mapASCII = hi&high8 == 0
	st.mapLine, st.mapValid = s, true
}

// clip makes the map of the line mapOf holds that of s, its start (an
// ASCII start of an ASCII line): the clocks and runs that begin in s,
// each clock checked again on s (its bytes after the colon may lie past
// s's end), each run cut at s's end and kept if still long.
func (st *fstate) clip(s string) {
	n := len(s)
	cs := st.clocks[:0]
	for _, j := range st.clocks {
		if j < n && isClock(s, j) {
			cs = append(cs, j)
		}
	}
	rs := st.runs[:0]
	for _, r := range st.runs {
		if r[0] < n && min(r[1], n)-r[0] >= longRun {
			rs = append(rs, [2]int{r[0], min(r[1], n)})
		}
	}
	st.clocks, st.runs, st.mapLine = cs, rs, s
}

// isClock reports whether the colon at j of s can follow an hour.
func isClock(s string, j int) bool {
	return j > 0 && isDigit(s[j-1]) && j+2 < len(s) && isDigit(s[j+1]) &&
		(s[j+2] == ':' || j+3 < len(s) && isDigit(s[j+2]) && s[j+3] == ':')
}

// clocksOf lists the colons of s that can follow an hour: a digit
// before, then a digit and a colon or two digits and a colon after.
func (st *fstate) clocksOf(s string) []int {
	st.mapOf(s)
	return st.clocks
}

// longRuns lists the maximal runs of at least longRun digits of s, as
// [start, end).
func (st *fstate) longRuns(s string) [][2]int {
	st.mapOf(s)
	return st.runs
}
