package event

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Decode parses one event from line (without its newline) and checks it: the
// value is a JSON object, known fields have their types, required fields are
// present and addresses are valid. Decode does not keep line; set Raw
// yourself if you need it.
func Decode(line []byte, e *Event) error {
	return decodeWith(line, e, nil, decodeOpts{})
}

// decodeOpts are the Reader's options.
type decodeOpts struct {
	nocap  bool // validate unknown fields but keep no captures
	hostIP bool // leave Host empty when it is the text of the event's address
}

// hostIsIP reports whether host names the address or prefix p (the same
// text, or another spelling of it): the failure's id is then p.
func hostIsIP(host []byte, p netip.Prefix) bool {
	var buf [64]byte
	var t []byte
	if p.IsSingleIP() {
		t = p.Addr().AppendTo(buf[:0])
	} else {
		t = p.AppendTo(buf[:0])
	}
	if string(t) == string(host) {
		return true
	}
	q, err := ParseIP(string(host))
	return err == nil && q == p
}

func decodeWith(line []byte, e *Event, in *interner, o decodeOpts) error {
	*e = Event{}
	d := decoder{b: line, in: in, nocap: o.nocap, hostIP: o.hostIP}
	d.skipSpace()
	if !d.eat('{') {
		return d.syntax("not a JSON object")
	}
	d.skipSpace()
	if d.eat('}') {
		return finish(e, 0)
	}
	var seen fieldSet
	for {
		d.skipSpace()
		kb, err := d.key()
		if err != nil {
			return err
		}
		d.skipSpace()
		if !d.eat(':') {
			return d.syntax("expected ':' after object key")
		}
		d.skipSpace()
		if err := d.field(e, kb, &seen); err != nil {
			return err
		}
		d.skipSpace()
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			break
		}
		return d.syntax("expected ',' or '}' after object value")
	}
	d.skipSpace()
	if d.i != len(d.b) {
		return d.syntax("text after the JSON object")
	}
	if d.host != nil && !(e.IP.IsValid() && hostIsIP(d.host, e.IP)) {
		e.Host = string(d.host)
	}
	return finish(e, seen)
}

type fieldSet uint32

const (
	hasTime fieldSet = 1 << iota
	hasJail
	hasHost
	hasIP
	hasAction
)

func finish(e *Event, seen fieldSet) error {
	switch e.Action {
	case "":
		if seen&hasAction != 0 {
			return errors.New(`field "action": must be "ban" or "unban"`)
		}
		if seen&hasTime == 0 {
			return errors.New(`missing required field "time"`)
		}
	case ActionBan, ActionUnban:
	default:
		return fmt.Errorf(`field "action": unknown action %q`, e.Action)
	}
	if e.Jail == "" {
		return errors.New(`missing required field "jail"`)
	}
	if !e.IP.IsValid() && e.Host == "" {
		return errors.New(`missing required field "ip" or "host"`)
	}
	return nil
}

func isKnownField(k string) bool {
	switch k {
	case "action", "time", "jail", "filter", "host", "ip", "lineno", "attempts", "users", "matches",
		"failures", "bantime", "until", "bancount", "restored", "reason", "resolved", "applied", "error":
		return true
	}
	return false
}

type decoder struct {
	b      []byte
	i      int
	nocap  bool // validate unknown fields but keep no captures
	hostIP bool // keep host in host, set Host at the end only without an address
	host   []byte
	in     *interner
}

// SyntaxError is a JSON syntax error at a byte offset of the line.
type SyntaxError struct {
	Offset int // 1-based byte column
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at column %d: %s", e.Offset, e.Msg)
}

func (d *decoder) syntax(msg string) error {
	if d.i >= len(d.b) && msg != "not a JSON object" {
		msg = "unexpected end of line"
	}
	return &SyntaxError{Offset: d.i + 1, Msg: msg}
}

func (d *decoder) skipSpace() {
	for d.i < len(d.b) && isSpace(d.b[d.i]) {
		d.i++
	}
}

func (d *decoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func typeError(key, want string) error {
	return fmt.Errorf("field %q: want %s", key, want)
}

// Field ids of the known fields; keyNames gives their names.
const (
	fUnknown = iota
	fAction
	fTime
	fJail
	fFilter
	fHost
	fIP
	fLineno
	fAttempts
	fUsers
	fMatches
	fFailures
	fBantime
	fUntil
	fBancount
	fRestored
	fReason
	fResolved
	fApplied
	fError
)

var keyNames = [...]string{"", "action", "time", "jail", "filter", "host", "ip", "lineno", "attempts",
	"users", "matches", "failures", "bantime", "until", "bancount", "restored", "reason", "resolved", "applied", "error"}

// keyID returns the id of a field name, dispatching on its length and
// first byte so that a known name costs one comparison.
func keyID(kb []byte) int {
	var id int
	switch len(kb) {
	case 2:
		id = fIP
	case 4:
		switch kb[0] {
		case 't':
			id = fTime
		case 'j':
			id = fJail
		case 'h':
			id = fHost
		}
	case 5:
		switch kb[0] {
		case 'u':
			if len(kb) > 2 && kb[2] == 'e' {
				id = fUsers
			} else {
				id = fUntil
			}
		case 'e':
			id = fError
		}
	case 6:
		switch kb[0] {
		case 'a':
			id = fAction
		case 'f':
			id = fFilter
		case 'l':
			id = fLineno
		case 'r':
			id = fReason
		}
	case 7:
		switch kb[0] {
		case 'a':
			id = fApplied
		case 'b':
			id = fBantime
		case 'm':
			id = fMatches
		}
	case 8:
		switch kb[0] {
		case 'a':
			id = fAttempts
		case 'f':
			id = fFailures
		case 'b':
			id = fBancount
		case 'r':
			if kb[3] == 't' {
				id = fRestored
			} else {
				id = fResolved
			}
		}
	}
	if id != fUnknown && string(kb) != keyNames[id] {
		return fUnknown
	}
	return id
}

func (d *decoder) field(e *Event, kb []byte, seen *fieldSet) error {
	id := keyID(kb)
	switch id {
	case fAction, fJail, fFilter, fHost, fIP, fReason, fError, fTime, fUntil:
		key := keyNames[id]
		if d.i < len(d.b) && d.b[d.i] == 'n' {
			// null is absent
			return d.null(key)
		}
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			if err := d.skipValue(0); err != nil {
				return err
			}
			return typeError(key, "a string")
		}
		v, err := d.strBytes()
		if err != nil {
			return err
		}
		switch id {
		case fAction:
			e.Action = d.in.get(v)
			*seen |= hasAction
		case fJail:
			e.Jail = d.in.jail(v)
			*seen |= hasJail
		case fFilter:
			e.Filter = d.in.filter(v)
		case fHost:
			if d.hostIP {
				// A repeated host replaces the earlier one, as Host does.
				d.host = v
				if v == nil {
					d.host = []byte{}
				}
				e.Host = ""
			} else {
				e.Host = string(v)
			}
			*seen |= hasHost
		case fReason:
			e.Reason = d.in.get(v)
		case fError:
			e.Error = string(v)
		case fIP:
			if len(v) == 0 {
				return nil
			}
			// ParseIP's dotted-quad path, on the bytes (no string to
			// make); anything else goes to its general path
			if a, ok := parseIPv4(v); ok {
				e.IP = netip.PrefixFrom(a, 32)
			} else {
				p, err := parseIP(string(v))
				if err != nil {
					return fmt.Errorf("field \"ip\": invalid address %q", v)
				}
				e.IP = p
			}
			*seen |= hasIP
		case fTime, fUntil:
			t, ok := d.in.parseTime(v)
			if !ok {
				var err error
				if t, err = parseTime(string(v)); err != nil {
					return fmt.Errorf("field %q: invalid RFC 3339 time %q", key, v)
				}
			}
			if id == fTime {
				e.Time = t
				*seen |= hasTime
			} else {
				e.Until = t
			}
		}
		return nil
	case fLineno, fAttempts, fFailures, fBantime, fBancount:
		key := keyNames[id]
		if d.i < len(d.b) && d.b[d.i] == 'n' {
			return d.null(key)
		}
		n, err := d.integer(key)
		if err != nil {
			return err
		}
		switch id {
		case fLineno:
			e.Lineno = n
		case fAttempts:
			e.Attempts = int(n)
		case fFailures:
			e.Failures = int(n)
		case fBantime:
			e.Bantime = n
		case fBancount:
			e.Bancount = int(n)
		}
		return nil
	case fRestored, fApplied, fResolved:
		key := keyNames[id]
		var v bool
		switch {
		case d.lit("true"):
			v = true
		case d.lit("false"):
		case d.lit("null"):
			return nil
		default:
			if err := d.skipValue(0); err != nil {
				return err
			}
			return typeError(key, "true or false")
		}
		if id == fRestored {
			e.Restored = v
		} else if id == fResolved {
			e.Resolved = v
		} else {
			e.Applied = &v
		}
		return nil
	case fUsers:
		return d.strings("users", &e.Users)
	case fMatches:
		return d.strings("matches", &e.Matches)
	}
	// Unknown field: keep strings as captures, validate and skip the rest.
	if d.i < len(d.b) && d.b[d.i] == '"' && !d.nocap {
		s, err := d.str()
		if err != nil {
			return err
		}
		if e.Captures == nil {
			e.Captures = make(map[string]string, 2)
		}
		e.Captures[d.in.get(kb)] = s
		return nil
	}
	return d.skipValue(0)
}

// strings reads an array of strings (or null) into *dst.
func (d *decoder) strings(key string, dst *[]string) error {
	if d.lit("null") {
		return nil
	}
	if !d.eat('[') {
		if err := d.skipValue(0); err != nil {
			return err
		}
		return typeError(key, "an array of strings")
	}
	d.skipSpace()
	if d.eat(']') {
		return nil
	}
	for {
		d.skipSpace()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			if err := d.skipValue(0); err != nil {
				return err
			}
			return typeError(key, "an array of strings")
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		*dst = append(*dst, s)
		d.skipSpace()
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			return nil
		}
		return d.syntax("expected ',' or ']' in array")
	}
}

func parseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

func (d *decoder) null(key string) error {
	if d.lit("null") {
		return nil
	}
	if err := d.skipValue(0); err != nil {
		return err
	}
	return typeError(key, "a string")
}

func (d *decoder) lit(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

func (d *decoder) integer(key string) (int64, error) {
	start := d.i
	// Fast path: up to 18 digits, no sign, fraction or exponent.
	if n, k := digits(d.b[start:]); k > 0 && k <= 18 && (k == 1 || d.b[start] != '0') {
		if end := start + k; end == len(d.b) || !isNumberByte(d.b[end]) {
			d.i = end
			return n, nil
		}
	}
	if err := d.number(); err != nil {
		if d.i == start {
			if err := d.skipValue(0); err != nil {
				return 0, err
			}
			return 0, typeError(key, "a number")
		}
		return 0, err
	}
	s := string(d.b[start:d.i])
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, typeError(key, "an integer")
		}
		n = int64(f)
	}
	return n, nil
}

// number scans a JSON number.
func (d *decoder) number() error {
	start := d.i
	d.eat('-')
	switch {
	case d.eat('0'):
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	default:
		if d.i == start {
			return d.syntax("expected a value")
		}
		return d.syntax("invalid number")
	}
	if d.eat('.') {
		if d.i >= len(d.b) || !isDigit(d.b[d.i]) {
			return d.syntax("invalid number")
		}
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.i >= len(d.b) || !isDigit(d.b[d.i]) {
			return d.syntax("invalid number")
		}
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits returns the value of the leading decimal digits of b and their
// count (at most 19 are read).
func digits(b []byte) (int64, int) {
	var n int64
	k := 0
	for k < len(b) && k < 19 && isDigit(b[k]) {
		n = n*10 + int64(b[k]-'0')
		k++
	}
	return n, k
}

// isNumberByte reports whether c can continue a JSON number.
func isNumberByte(c byte) bool {
	return isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'
}

const maxDepth = 64

// skipValue scans any JSON value.
func (d *decoder) skipValue(depth int) error {
	if depth > maxDepth {
		return d.syntax("nested too deeply")
	}
	if d.i >= len(d.b) {
		return d.syntax("expected a value")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, err := d.str()
		return err
	case c == '{':
		d.i++
		d.skipSpace()
		if d.eat('}') {
			return nil
		}
		for {
			d.skipSpace()
			if _, err := d.str(); err != nil {
				return err
			}
			d.skipSpace()
			if !d.eat(':') {
				return d.syntax("expected ':' after object key")
			}
			d.skipSpace()
			if err := d.skipValue(depth + 1); err != nil {
				return err
			}
			d.skipSpace()
			if d.eat(',') {
				continue
			}
			if d.eat('}') {
				return nil
			}
			return d.syntax("expected ',' or '}' after object value")
		}
	case c == '[':
		d.i++
		d.skipSpace()
		if d.eat(']') {
			return nil
		}
		for {
			d.skipSpace()
			if err := d.skipValue(depth + 1); err != nil {
				return err
			}
			d.skipSpace()
			if d.eat(',') {
				continue
			}
			if d.eat(']') {
				return nil
			}
			return d.syntax("expected ',' or ']' in array")
		}
	case c == 't':
		if d.lit("true") {
			return nil
		}
	case c == 'f':
		if d.lit("false") {
			return nil
		}
	case c == 'n':
		if d.lit("null") {
			return nil
		}
	case c == '-' || isDigit(c):
		return d.number()
	}
	return d.syntax("invalid value")
}

// key scans an object key. Keys are short plain ASCII: a key without escapes
// is found with a byte loop; anything else goes to strBytes.
func (d *decoder) key() ([]byte, error) {
	b, i := d.b, d.i
	if i < len(b) && b[i] == '"' {
		for j := i + 1; j < len(b) && j <= i+16; j++ {
			c := b[j]
			if c == '"' {
				d.i = j + 1
				return b[i+1 : j], nil
			}
			if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				break
			}
		}
	}
	return d.strBytes()
}

// str scans a JSON string and returns its value. Invalid UTF-8 is replaced
// with U+FFFD.
func (d *decoder) str() (string, error) {
	b, err := d.strBytes()
	return string(b), err
}

// strBytes scans a JSON string and returns its value, a subslice of the line
// when the string has no escapes.
func (d *decoder) strBytes() ([]byte, error) {
	b, i := d.b, d.i // locals: the scan loop stores nothing
	if i >= len(b) || b[i] != '"' {
		return nil, d.syntax("expected a string")
	}
	i++
	start := i
	// Fast path: no escapes, plain ASCII or valid UTF-8.
	var high byte
	for i < len(b) {
		// Eight plain ASCII bytes at a time.
		for i+8 <= len(b) && special8(binary.LittleEndian.Uint64(b[i:])) == 0 {
			i += 8
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		if c == '"' {
			s := b[start:i]
			d.i = i + 1
			if high < utf8.RuneSelf || utf8.Valid(s) {
				return s, nil
			}
			return []byte(string([]rune(string(s)))), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		high |= c
		i++
	}
	d.i = i
	buf := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(buf) {
				return []byte(string([]rune(string(buf)))), nil
			}
			return buf, nil
		case c < 0x20:
			return nil, d.syntax("control character in string")
		case c == '\\':
			d.i++
			if d.i >= len(d.b) {
				return nil, d.syntax("unexpected end of line")
			}
			esc := d.b[d.i]
			d.i++
			switch esc {
			case '"', '\\', '/':
				buf = append(buf, esc)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return nil, d.syntax("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(utf8.RuneError)
					save := d.i
					if d.lit(`\u`) {
						if x, ok := d.hex4(); ok {
							r2 = x
						} else {
							return nil, d.syntax("invalid \\u escape")
						}
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
					} else {
						r = utf8.RuneError
						d.i = save
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return nil, d.syntax("invalid escape in string")
			}
		default:
			buf = append(buf, c)
			d.i++
		}
	}
	return nil, d.syntax("unterminated string")
}

// special8 returns a word whose lowest set bit is the high bit of the
// first of the eight bytes of x (the first in the low byte) that is a
// quote, a backslash, a control character or not ASCII; 0 when there is
// none. (SWAR: x - 0x01.. sets the high bit of the lowest zero byte of x
// (&^ x leaves out bytes >= 0x80), x - 0x20.. that of the lowest byte below
// 0x20, and x itself those of bytes >= 0x80. A bit a borrow sets above the
// first such byte does not matter: only the lowest counts.)
func special8(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	bs := x ^ (lo * '\\')
	return ((x-lo*0x20)&^x | (q-lo)&^q | (bs-lo)&^bs | x) & hi
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}
