package logmatch

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"time"
)

// localZone returns the zone of timestamps that carry none: time.Local,
// unless TZ holds a POSIX rule such as "CET-01CEST-02,M3.5.0,M10.5.0"
// (Go only reads zone names from TZ; fail2ban's Python reads both).
func localZone() *time.Location {
	tz, ok := os.LookupEnv("TZ")
	if !ok || tz == "" {
		return time.Local
	}
	if _, err := time.LoadLocation(strings.TrimPrefix(tz, ":")); err == nil {
		return time.Local
	}
	if l, err := posixZone(tz); err == nil {
		return l
	}
	return time.Local
}

// posixZone builds a Location from a POSIX TZ rule, as a TZif file with
// no transitions whose footer is the rule.
func posixZone(rule string) (*time.Location, error) {
	if rule == "" || strings.ContainsAny(rule, "\n\x00") || !(rule[0] == '<' || rule[0] >= 'A' && rule[0] <= 'Z' || rule[0] >= 'a' && rule[0] <= 'z') {
		return nil, errors.New("not a POSIX TZ rule")
	}
	abbr := rule
	if i := strings.IndexAny(abbr, "+-0123456789,<>"); i > 0 {
		abbr = abbr[:i]
	}
	var b []byte
	block := func(timeSize int) {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []uint32{0, 0, 0, 0, 1, uint32(len(abbr) + 1)} {
			b = binary.BigEndian.AppendUint32(b, n)
		}
		b = append(b, 0, 0, 0, 0, 0, 0) // one type: offset 0, no DST, abbreviation 0
		b = append(b, abbr...)
		b = append(b, 0)
		_ = timeSize
	}
	block(4)
	block(8)
	b = append(b, '\n')
	b = append(b, rule...)
	b = append(b, '\n')
	l, err := time.LoadLocationFromTZData(rule, b)
	if err != nil {
		return nil, err
	}
	// A rule Go cannot read leaves every time at offset 0 under abbr; check
	// that the rule's standard offset is honoured.
	if _, off := time.Date(2001, 1, 15, 12, 0, 0, 0, l).Zone(); off == 0 && !zeroOffset(rule) {
		return nil, errors.New("unsupported POSIX TZ rule")
	}
	return l, nil
}

func zeroOffset(rule string) bool {
	s := strings.TrimLeft(rule, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
	return strings.HasPrefix(s, "0") || strings.HasPrefix(s, "+0") || strings.HasPrefix(s, "-0") && !strings.HasPrefix(s, "-0:") && len(s) > 1 && (s[1] == '0' && (len(s) == 2 || s[2] < '1' || s[2] > '9'))
}
