package datedetect

import (
	"strings"
	"unsafe"
)

// The line's clocks (clockAt, clocksTo) and long digit runs (runsTo),
// which the shared checks and the searches ask of the line searched by
// the templates, are kept for the line (fstate's map) and found lazily,
// only as far along the line as a question needs: the colons with
// strings.IndexByte, the runs from every eighth byte. A search that
// only needs the line's start (a match starting before a bound, the
// leftmost match of a template) maps the start only.

// longRun is the shortest digit run runsTo lists.
const longRun = 8

// mapFor makes st's map that of s: kept when it is s's already (within
// one Find; prepare drops it, as a caller may reuse the line's memory),
// else empty, to be filled on demand.
func (st *fstate) mapFor(s string) {
	// the same string again (one load each, no call), or equal text
	if st.mapValid && len(st.mapLine) == len(s) && (unsafe.StringData(st.mapLine) == unsafe.StringData(s) || st.mapLine == s) {
		return
	}
	st.clocks, st.runs = st.clocks[:0], st.runs[:0]
	st.colTo, st.runTo = 0, longRun-1
	st.mapLine, st.mapValid = s, true
}

// clockAt returns the k-th clock of s (from 0, in order) when s has one
// with its colon before upto, mapping on as needed; else -1. A clock
// at or past upto may be returned when an earlier question mapped that
// far.
func (st *fstate) clockAt(s string, k, upto int) int {
	st.mapFor(s)
	for k >= len(st.clocks) {
		to := min(upto, len(s))
		if st.colTo >= to {
			return -1
		}
		j := -1
		if to-st.colTo <= 16 {
			// a short span (the rest of a bounded question): byte by
			// byte, without IndexByte's call
			for i := st.colTo; i < to; i++ {
				if s[i] == ':' {
					j = i
					break
				}
			}
		} else if k := strings.IndexByte(s[st.colTo:to], ':'); k >= 0 {
			j = st.colTo + k
		}
		if j < 0 {
			st.colTo = to
			return -1
		}
		st.colTo = j + 1
		if isClock(s, j) {
			st.clocks = append(st.clocks, j)
		}
	}
	return st.clocks[k]
}

// clocksTo lists the clocks of s in order: every one with its colon
// before upto, and maybe some after it (those an earlier question
// mapped).
func (st *fstate) clocksTo(s string, upto int) []int {
	st.clockAt(s, noIdx, upto)
	return st.clocks
}

// runsTo lists the maximal runs of at least longRun digits of s, as
// [start, end), in order: every one that starts before upto, and maybe
// some after it. A run of longRun digits or more holds a byte at an
// offset of 7 modulo 8 within its first longRun bytes, so only those
// bytes are read (up to upto+longRun-1), and the runs through the
// digits among them are measured.
func (st *fstate) runsTo(s string, upto int) [][2]int {
	st.mapFor(s)
	to := min(len(s), upto+longRun-1)
	j := st.runTo
	for ; j < to; j += longRun {
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
	st.runTo = j
	return st.runs
}

// isClock reports whether the colon at j of s can follow an hour.
func isClock(s string, j int) bool {
	return j > 0 && isDigit(s[j-1]) && j+2 < len(s) && isDigit(s[j+1]) &&
		(s[j+2] == ':' || j+3 < len(s) && isDigit(s[j+2]) && s[j+3] == ':')
}

// clocksOf lists the colons of s that can follow an hour: a digit
// before, then a digit and a colon or two digits and a colon after.
func (st *fstate) clocksOf(s string) []int { return st.clocksTo(s, len(s)) }

// longRuns lists the maximal runs of at least longRun digits of s, as
// [start, end).
func (st *fstate) longRuns(s string) [][2]int { return st.runsTo(s, len(s)) }
