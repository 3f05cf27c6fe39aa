package f2bconf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Permanent is what ParseTime returns for "-1" (and any negative time):
// fail2ban's bantime for a ban that never ends. Callers test d < 0.
const Permanent = -time.Second

// Units of fail2ban's time syntax, in seconds. A month is a twelfth of an
// average year of 365.25 days.
const (
	secMinute = 60
	secHour   = 3600
	secDay    = 86400
	secWeek   = 7 * secDay
	secYear   = (365*3 + 366) * secDay / 4.0
	secMonth  = secYear / 12
)

// unitTable maps fail2ban's unit words (case-insensitive) to seconds, as
// MyTime.str2seconds spells them: d/dd/da/day/days, w/ww/wee/week/weeks,
// mo/mon/month/months, y/yy/yea/year/years, s/ss/se/sec/second/seconds,
// m/mm/mi/min/minute/minutes, h/hh/ho/hou/hour/hours.
var unitTable = map[string]float64{
	"d": secDay, "dd": secDay, "da": secDay, "day": secDay, "days": secDay,
	"w": secWeek, "ww": secWeek, "we": secWeek, "wee": secWeek, "week": secWeek, "weeks": secWeek,
	"mo": secMonth, "mon": secMonth, "month": secMonth, "months": secMonth,
	"y": secYear, "yy": secYear, "ye": secYear, "yea": secYear, "year": secYear, "years": secYear,
	"s": 1, "ss": 1, "se": 1, "sec": 1, "second": 1, "seconds": 1,
	"m": secMinute, "mm": secMinute, "mi": secMinute, "min": secMinute, "minute": secMinute, "minutes": secMinute,
	"h": secHour, "hh": secHour, "ho": secHour, "hou": secHour, "hour": secHour, "hours": secHour,
}

// ParseTime parses fail2ban's time syntax (MyTime.str2seconds): a number of
// seconds ("600", "0.5"), numbers with units ("10m", "1h30m", "1d", "1w",
// "1mo", "1y", "1 day 3 hours", "0.5h"), groups side by side being added,
// and the arithmetic fail2ban's eval allows (+, -, *, /, //, parentheses:
// "1year-6mo", "2*1h"). Units are case-insensitive: s, m, h, d, w, mo, y
// and their longer spellings (sec, min, hour, day, week, month, year, with
// or without a final s); "m" is minutes, a month is "mo" (30.4375 days), a
// year 365.25 days.
//
// Differences from fail2ban, which evaluates the text as Python after
// replacing the units: integers with leading zeros ("05m") are accepted
// (Python rejects them), as are three or more groups side by side with a
// one-digit one in the middle ("1 2 3", where fail2ban's rewrite leaves
// a syntax error); a "." right after a unit ("1m.") is an error (fail2ban
// reads it as part of the unit's number of seconds), as are Python's hex,
// octal, binary and exponent literals and its power operator (**).
//
// A negative result ("-1") means permanent: ParseTime returns [Permanent]
// (-1s) for it, whatever its size. The result is rounded to the second.
func ParseTime(s string) (time.Duration, error) {
	sec, err := parseSeconds(s)
	if err != nil {
		return 0, err
	}
	if sec < 0 {
		return Permanent, nil
	}
	if sec > math.MaxInt64/float64(time.Second) {
		return 0, fmt.Errorf("time %q out of range", s)
	}
	return time.Duration(math.Round(sec)) * time.Second, nil
}

// ParseSeconds is ParseTime in whole seconds (truncated toward zero, as
// fail2ban's int()), with negative values kept as they are.
func ParseSeconds(s string) (int64, error) {
	sec, err := parseSeconds(s)
	if err != nil {
		return 0, err
	}
	if math.Abs(sec) > math.MaxInt64/2 {
		return 0, fmt.Errorf("time %q out of range", s)
	}
	return int64(sec), nil
}

type timeParser struct {
	s    string
	toks []ttok
	i    int
}

type ttok struct {
	kind byte // 'n' number, 'u' unit, or the operator itself
	num  float64
	text string
}

func parseSeconds(s string) (float64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("invalid time %q: empty", orig)
	}
	if len(s) > 256 {
		return 0, fmt.Errorf("invalid time %q: too long", clip(orig))
	}
	p := &timeParser{s: s}
	if err := p.lex(); err != nil {
		return 0, fmt.Errorf("invalid time %q: %v", orig, err)
	}
	v, err := p.expr(0)
	if err == nil && p.i < len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.i].text)
	}
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		err = errors.New("not a finite number")
	}
	if err != nil {
		return 0, fmt.Errorf("invalid time %q: %v", orig, err)
	}
	return v, nil
}

func (p *timeParser) lex() error {
	s := p.s
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == '_') {
				j++
			}
			text := strings.ReplaceAll(s[i:j], "_", "")
			v, err := strconv.ParseFloat(text, 64)
			if err != nil {
				return fmt.Errorf("bad number %q", s[i:j])
			}
			p.toks = append(p.toks, ttok{kind: 'n', num: v, text: s[i:j]})
			i = j
		case c < 0x80 && unicode.IsLetter(rune(c)):
			j := i
			for j < len(s) && s[j] < 0x80 && unicode.IsLetter(rune(s[j])) {
				j++
			}
			// fail2ban's units follow a digit or white space ((?<=[\d\s]))
			if i == 0 || !(s[i-1] >= '0' && s[i-1] <= '9' || s[i-1] == ' ' || s[i-1] == '\t' || s[i-1] == '\n' || s[i-1] == '\r') {
				return fmt.Errorf("unit %q must follow a number", s[i:j])
			}
			w := strings.ToLower(s[i:j])
			u, ok := unitTable[w]
			if !ok {
				return fmt.Errorf("unknown unit %q", s[i:j])
			}
			// a unit must follow a number or a unit (fail2ban's
			// (?<=[\d\s]) and its insertion of a space after a unit)
			if len(p.toks) == 0 || p.toks[len(p.toks)-1].kind != 'n' && p.toks[len(p.toks)-1].kind != 'u' {
				return fmt.Errorf("unit %q without a number", s[i:j])
			}
			p.toks = append(p.toks, ttok{kind: 'u', num: u, text: s[i:j]})
			i = j
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			p.toks = append(p.toks, ttok{kind: 'f', text: "//"}) // floor division
			i += 2
		case strings.IndexByte("+-*/()", c) >= 0:
			p.toks = append(p.toks, ttok{kind: c, text: string(c)})
			i++
		default:
			return fmt.Errorf("unexpected %q", string(rune(c)))
		}
	}
	return nil
}

// expr: term (('+'|'-') term | term)*, a term directly after another one
// being added ("1h 30m").
func (p *timeParser) expr(depth int) (float64, error) {
	if depth > 32 {
		return 0, errors.New("too deeply nested")
	}
	v, err := p.term(depth)
	if err != nil {
		return 0, err
	}
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		switch t.kind {
		case '+', '-':
			p.i++
			w, err := p.term(depth)
			if err != nil {
				return 0, err
			}
			if t.kind == '+' {
				v += w
			} else {
				v -= w
			}
		case 'n':
			// groups side by side are added ("1h 30m", "1 2"), as fail2ban
			// joins digit, space, digit with "+": only a number starting
			// with a digit after a number or a unit
			prev := p.toks[p.i-1]
			if t.text[0] < '0' || t.text[0] > '9' || prev.kind != 'u' && (prev.kind != 'n' || !endsWithDigit(prev.text)) {
				return 0, fmt.Errorf("unexpected %q", t.text)
			}
			w, err := p.term(depth)
			if err != nil {
				return 0, err
			}
			v += w
		default:
			return v, nil
		}
	}
	return v, nil
}

// term: unary (('*'|'/'|'//') unary | unit)*
func (p *timeParser) term(depth int) (float64, error) {
	v, err := p.unary(depth)
	if err != nil {
		return 0, err
	}
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		switch t.kind {
		case 'u':
			p.i++
			v *= t.num
		case '*', '/', 'f':
			p.i++
			w, err := p.unary(depth)
			if err != nil {
				return 0, err
			}
			switch {
			case t.kind == '*':
				v *= w
			case w == 0:
				return 0, errors.New("division by zero")
			case t.kind == '/':
				v /= w
			default:
				v = math.Floor(v / w)
			}
		default:
			return v, nil
		}
	}
	return v, nil
}

func (p *timeParser) unary(depth int) (float64, error) {
	if p.i >= len(p.toks) {
		return 0, errors.New("unexpected end")
	}
	t := p.toks[p.i]
	switch t.kind {
	case '-', '+':
		p.i++
		if depth > 32 {
			return 0, errors.New("too deeply nested")
		}
		v, err := p.unary(depth + 1)
		if t.kind == '-' {
			v = -v
		}
		return v, err
	case 'n':
		p.i++
		return t.num, nil
	case '(':
		p.i++
		v, err := p.expr(depth + 1)
		if err != nil {
			return 0, err
		}
		if p.i >= len(p.toks) || p.toks[p.i].kind != ')' {
			return 0, errors.New("missing )")
		}
		p.i++
		return v, nil
	}
	return 0, fmt.Errorf("unexpected %q", t.text)
}

func endsWithDigit(s string) bool {
	return s != "" && s[len(s)-1] >= '0' && s[len(s)-1] <= '9'
}
