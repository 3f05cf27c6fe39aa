package event

import (
	"net/netip"
	"sync"
	"time"
)

// interner shares the strings that repeat from event to event (jail and
// filter names, capture names) so that decoding them does not allocate, and
// keeps the reader's caches: the last jail and filter (events of one jail
// come in runs: no hashing then) and the start of the last day seen.
type interner struct {
	m       map[string]string
	jail1   string
	filter1 string
	day     dayCache
}

// dayCache is the Unix second of midnight of one date in one zone offset.
type dayCache struct {
	date [10]byte // 2006-01-02
	off  int
	loc  *time.Location
	unix int64
	ok   bool
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

// jail interns a jail name, checking the last one first.
func (in *interner) jail(b []byte) string {
	if in == nil {
		return string(b)
	}
	if in.jail1 != string(b) {
		in.jail1 = in.get(b)
	}
	return in.jail1
}

// filter interns a filter name, checking the last one first.
func (in *interner) filter(b []byte) string {
	if in == nil {
		return string(b)
	}
	if in.filter1 != string(b) {
		in.filter1 = in.get(b)
	}
	return in.filter1
}

// parseTime is parseRFC3339 with the day cache: time.Date runs once per
// date and zone, the time of day is added to the cached midnight.
func (in *interner) parseTime(b []byte) (time.Time, bool) {
	if in == nil {
		return parseRFC3339(b)
	}
	f, ok := scanRFC3339(b)
	if !ok {
		return time.Time{}, false
	}
	c := &in.day
	if !c.ok || c.off != f.off || string(c.date[:]) != string(b[:10]) {
		if f.day > daysIn(time.Month(f.month), f.year) {
			return time.Time{}, false
		}
		loc := fixedZone(f.off)
		*c = dayCache{off: f.off, loc: loc, ok: true,
			unix: time.Date(f.year, time.Month(f.month), f.day, 0, 0, 0, 0, loc).Unix()}
		copy(c.date[:], b[:10])
	}
	sec := c.unix + int64(f.hour*3600+f.minute*60+f.sec)
	return time.Unix(sec, int64(f.nsec)).In(c.loc), true
}

// parseIPv4 parses a dotted-quad IPv4 address without allocating; ok is
// false for anything else (leading zeros included), which the caller then
// hands to the general parser (ParseIP's: netip reads such an address the
// same way).
func parseIPv4[T string | []byte](b T) (netip.Addr, bool) {
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

// rfc3339 holds the fields of an RFC 3339 time.
type rfc3339 struct {
	year, month, day, hour, minute, sec, nsec, off int
}

// parseRFC3339 parses the common shapes of RFC 3339 times without
// allocating; ok is false when the text needs the general parser.
func parseRFC3339(b []byte) (time.Time, bool) {
	f, ok := scanRFC3339(b)
	if !ok || f.day > daysIn(time.Month(f.month), f.year) {
		return time.Time{}, false
	}
	return time.Date(f.year, time.Month(f.month), f.day, f.hour, f.minute, f.sec, f.nsec, fixedZone(f.off)), true
}

// scanRFC3339 reads and checks the fields of
// 2006-01-02T15:04:05[.frac](Z|+07:00), all but the day's upper bound.
func scanRFC3339(b []byte) (f rfc3339, ok bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return f, false
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
		hour > 23 || minute > 59 || sec > 59 {
		return f, false
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
			return f, false
		}
		for k := i - start; k < 9; k++ {
			nsec *= 10
		}
	}
	if i >= len(b) {
		return f, false
	}
	off := 0
	switch b[i] {
	case 'Z':
		i++
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return f, false
		}
		h, okh := num(b[i+1 : i+3])
		m, okm := num(b[i+4 : i+6])
		if !okh || !okm || h > 23 || m > 59 {
			return f, false
		}
		off = h*3600 + m*60
		if b[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return f, false
	}
	if i != len(b) {
		return f, false
	}
	return rfc3339{year, month, day, hour, minute, sec, nsec, off}, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
