package event

import (
	"math/bits"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Append appends e as one JSON object, without a newline, to b. Field order is
// fixed: action, time, jail, filter, host, ip, lineno, attempts, the captures in
// name order (or Fields in their order), users, matches, then the ban fields
// and the result fields.
//
// When e was read from a line (Raw is set) and only result fields were added,
// use [AppendResult] to keep the line as it was.
func Append(b []byte, e *Event) []byte {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	if e.Action != "" {
		key("action")
		b = AppendString(b, e.Action)
	}
	if !e.Time.IsZero() {
		key("time")
		b = AppendTime(b, e.Time)
	}
	if e.Jail != "" {
		key("jail")
		b = AppendString(b, e.Jail)
	}
	if e.Filter != "" {
		key("filter")
		b = AppendString(b, e.Filter)
	}
	if e.Host != "" {
		key("host")
		b = AppendString(b, e.Host)
	}
	if e.IP.IsValid() {
		key("ip")
		b = append(b, '"')
		if e.IP.IsSingleIP() {
			b = e.IP.Addr().AppendTo(b)
		} else {
			b = e.IP.AppendTo(b)
		}
		b = append(b, '"')
	}
	if e.Lineno != 0 {
		key("lineno")
		b = strconv.AppendInt(b, e.Lineno, 10)
	}
	if e.Attempts != 0 {
		key("attempts")
		b = strconv.AppendInt(b, int64(e.Attempts), 10)
	}
	if len(e.Fields) > 0 {
		for _, f := range e.Fields {
			if f.Value != "" && !isKnownField(f.Name) {
				key(f.Name)
				b = AppendString(b, f.Value)
			}
		}
	} else if len(e.Captures) > 0 {
		var names [8]string
		ks := names[:0]
		for k, v := range e.Captures {
			if v != "" && !isKnownField(k) {
				ks = append(ks, k)
			}
		}
		slices.Sort(ks)
		for _, k := range ks {
			key(k)
			b = AppendString(b, e.Captures[k])
		}
	}
	if len(e.Users) > 0 {
		key("users")
		b = append(b, '[')
		for i, u := range e.Users {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, u)
		}
		b = append(b, ']')
	}
	if len(e.Matches) > 0 {
		key("matches")
		b = append(b, '[')
		for i, m := range e.Matches {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, m)
		}
		b = append(b, ']')
	}
	if e.Failures != 0 {
		key("failures")
		b = strconv.AppendInt(b, int64(e.Failures), 10)
	}
	if e.Action == ActionBan || e.Bantime != 0 {
		key("bantime")
		b = strconv.AppendInt(b, e.Bantime, 10)
	}
	if !e.Until.IsZero() {
		key("until")
		b = AppendTime(b, e.Until)
	}
	if e.Bancount != 0 {
		key("bancount")
		b = strconv.AppendInt(b, int64(e.Bancount), 10)
	}
	if e.Restored {
		key("restored")
		b = append(b, "true"...)
	}
	if e.Reason != "" {
		key("reason")
		b = AppendString(b, e.Reason)
	}
	if e.Resolved {
		key("resolved")
		b = append(b, "true"...)
	}
	if e.Applied != nil {
		key("applied")
		b = strconv.AppendBool(b, *e.Applied)
	}
	if e.Error != "" {
		key("error")
		b = AppendString(b, e.Error)
	}
	return append(b, '}')
}

// AppendResult appends fwban's result for e: the line e was read from with
// "applied" (and "error" when err is not empty) added, or the encoding of e
// with those fields when e has no Raw line.
func AppendResult(b []byte, e *Event, applied bool, errText string) []byte {
	raw := e.Raw
	if raw == nil || e.Applied != nil || e.Error != "" {
		c := *e
		c.Raw = nil
		c.Applied = &applied
		c.Error = errText
		return Append(b, &c)
	}
	// Raw is a valid object: drop trailing space and the closing brace.
	end := len(raw)
	for end > 0 && raw[end-1] != '}' {
		end--
	}
	body := raw[:end-1]
	b = append(b, body...)
	trimmed := body
	for len(trimmed) > 0 && isSpace(trimmed[len(trimmed)-1]) {
		trimmed = trimmed[:len(trimmed)-1]
	}
	if len(trimmed) > 0 && trimmed[len(trimmed)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, `"applied":`...)
	b = strconv.AppendBool(b, applied)
	if errText != "" {
		b = append(b, `,"error":`...)
		b = AppendString(b, errText)
	}
	return append(b, '}')
}

// AppendTime appends t in RFC 3339 with its offset, with fractional seconds
// only when t has them.
func AppendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// control characters are escaped; '<', '>' and '&' are not.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// eight bytes at a time up to the first that needs care: a log
		// line is mostly plain ASCII
		if i+8 <= len(s) {
			m := special8(word(s[i : i+8]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
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

// word returns the first eight bytes of s, the first in the low byte.
func word(s string) uint64 {
	s = s[:8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
