package event

import (
	"net/netip"
	"sync"
	"time"
)

// interner shares the strings that repeat from event to event (jail and
// filter names, capture names) so that decoding them does not allocate.
type interner struct {
	m map[string]string
}

func (in *interner) get(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < 4096 {
		if in.m == nil {
			in.m = make(map[string]string)
		}
		in.m[s] = s
	}
	return s
}

// parseIPv4 parses a dotted-quad IPv4 address without allocating; ok is
// false for anything else (leading zeros included), which the caller then
// hands to ParseIP.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var a [4]byte
	n, i := 0, 0
	for n < 4 {
		if i >= len(b) || !isDigit(b[i]) {
			return netip.Addr{}, false
		}
		v, start := 0, i
		for i < len(b) && isDigit(b[i]) {
			v = v*10 + int(b[i]-'0')
			i++
			if i-start > 3 {
				return netip.Addr{}, false
			}
		}
		if v > 255 || (i-start > 1 && b[start] == '0') {
			return netip.Addr{}, false
		}
		a[n] = byte(v)
		n++
		if n < 4 {
			if i >= len(b) || b[i] != '.' {
				return netip.Addr{}, false
			}
			i++
		}
	}
	if i != len(b) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(a), true
}

var zones sync.Map // offset seconds -> *time.Location

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if l, ok := zones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := zones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}

// parseRFC3339 parses the common shapes of RFC 3339 times without
// allocating; ok is false when the text needs the general parser.
func parseRFC3339(b []byte) (time.Time, bool) {
	// 2006-01-02T15:04:05[.frac](Z|+07:00)
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(s []byte) (int, bool) {
		v := 0
		for _, c := range s {
			if !isDigit(c) {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if b[i] == '.' {
		i++
		start := i
		for i < len(b) && isDigit(b[i]) {
			if i-start < 9 {
				nsec = nsec*10 + int(b[i]-'0')
			}
			i++
		}
		if i == start {
			return time.Time{}, false
		}
		for k := i - start; k < 9; k++ {
			nsec *= 10
		}
	}
	if i >= len(b) {
		return time.Time{}, false
	}
	off := 0
	switch b[i] {
	case 'Z':
		i++
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return time.Time{}, false
		}
		h, okh := num(b[i+1 : i+3])
		m, okm := num(b[i+4 : i+6])
		if !okh || !okm || h > 23 || m > 59 {
			return time.Time{}, false
		}
		off = h*3600 + m*60
		if b[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return time.Time{}, false
	}
	if i != len(b) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, fixedZone(off)), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
