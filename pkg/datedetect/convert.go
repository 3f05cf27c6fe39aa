package datedetect

import (
	"strings"
	"sync/atomic"
	"time"
)

// dateFields are the values a pattern template captured (fail2ban's
// groupdict), already converted to numbers.
type dateFields struct {
	has                         uint32 // 1<<key for every key seen
	year, month, day            int
	hour, minute, second, nsec  int
	weekday, julian, weekOfYear int
	weekStartsMon               bool
	zone                        int // minutes east
	hasZone                     bool
	ampm                        int // 0 none, 1 am, 2 pm
	hour12                      int
	bad                         bool
}

var (
	monthsAbbr = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	monthsFull = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	daysAbbr   = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	daysFull   = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)

func indexFold(list []string, s string) int {
	for i, v := range list {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}

// atoi parses ASCII digits with optional surrounding spaces (Python's
// int() on what the token regexes capture).
func atoi(s string) (int, bool) {
	s = strings.Trim(s, " ")
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// set records one captured value, as reGroupDictStrptime does for key.
func (f *dateFields) set(key int, val string) {
	f.has |= 1 << key
	var ok = true
	switch key {
	case keyy:
		f.year, ok = atoi(val)
		if f.year <= 2000 {
			f.year += 2000
		}
		f.has |= 1 << keyY
	case keyY:
		f.year, ok = atoi(val)
	case keym:
		f.month, ok = atoi(val)
	case keyB:
		f.month = indexFold(monthsFull, val) + 1
		ok = f.month > 0
		f.has |= 1 << keym
	case keyb:
		f.month = indexFold(monthsAbbr, val) + 1
		ok = f.month > 0
		f.has |= 1 << keym
	case keyd:
		f.day, ok = atoi(val)
	case keyH:
		f.hour, ok = atoi(val)
	case keyI:
		f.hour12, ok = atoi(val)
		f.hour = f.hour12
		f.has |= 1 << keyH
	case keyM:
		f.minute, ok = atoi(val)
	case keyS:
		f.second, ok = atoi(val)
	case keyf:
		n, k := 0, 0
		for i := 0; i < len(val) && k < 9; i++ {
			c := val[i]
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + int(c-'0')
			k++
		}
		for ; k < 9; k++ {
			n *= 10
		}
		f.nsec = n
	case keyA:
		f.weekday = indexFold(daysFull, val)
		ok = f.weekday >= 0
		f.has |= 1 << keya
	case keya:
		f.weekday = indexFold(daysAbbr, val)
		ok = f.weekday >= 0
	case keyw:
		f.weekday, ok = atoi(val)
		f.weekday--
		if f.weekday < 0 {
			f.weekday = 6
		}
		f.has |= 1 << keya
	case keyj:
		f.julian, ok = atoi(val)
	case keyU, keyW:
		f.weekOfYear, ok = atoi(val)
		f.weekStartsMon = key == keyW
		f.has |= 1 << keyU
	case keyz, keyZ:
		f.hasZone = true
		if val == "Z" || val == "UTC" || val == "GMT" {
			f.zone = 0
		} else {
			f.zone, ok = zoneOffset(val)
		}
	case keyp:
		switch strings.ToLower(val) {
		case "am":
			f.ampm = 1
		case "pm":
			f.ampm = 2
		default:
			ok = false
		}
	}
	if !ok {
		f.bad = true
	}
}

func (f *dateFields) is(key int) bool { return f.has&(1<<key) != 0 }

// fixAMPM applies %p to a %I hour (fail2ban treats a missing %p as AM).
func (f *dateFields) fixAMPM() {
	if !f.is(keyI) {
		return
	}
	h := f.hour12
	switch f.ampm {
	case 0, 1:
		if h == 12 {
			h = 0
		}
	case 2:
		if h != 12 {
			h += 12
		}
	}
	f.hour = h
}

func daysIn(year int, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// julianFromWeek is Python's _calc_julian_from_U_or_W.
func julianFromWeek(year, week, weekday int, startsMon bool) int {
	first := (int(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Weekday()) + 6) % 7 // Monday = 0
	if !startsMon {
		first = (first + 1) % 7
		weekday = (weekday + 1) % 7
	}
	w0 := (7 - first) % 7
	if week == 0 {
		return 1 + weekday - first
	}
	return 1 + w0 + 7*(week-1) + weekday
}

// assemble turns fields into a time as reGroupDictStrptime does, keeping
// fractional seconds, with now as the reference of what the fields lack;
// ok is false where fail2ban fails to convert. The result depends on
// f, now and the Detector's Location only (the Detector's caches make
// it cheaper, never different), so a Date may call it lines later.
func (d *Detector) assemble(f *dateFields, now time.Time) (time.Time, bool) {
	if f.bad {
		return time.Time{}, false
	}
	f.fixAMPM()
	if t, ok := d.minute.lookup(d, f, now); ok {
		return t, true
	}
	r, ok := d.resolve(f, now)
	if !ok {
		return time.Time{}, false
	}
	year, month, day := r.year, r.month, r.day
	loc := d.loc
	if f.hasZone {
		loc = fixedZone(f.zone)
	}
	t, even := d.mkTime(year, month, day, f, loc)
	if r.assumeToday && t.After(now) {
		t = time.Date(year, time.Month(month), day-1, f.hour, f.minute, f.second, f.nsec, loc)
	}
	if r.assumeYear && t.After(d.dayAhead(now)) {
		if day > daysIn(year-1, month) {
			return time.Time{}, false // 29 Feb of a common year
		}
		t, _ = d.mkTime(year-1, month, day, f, loc)
		even = false // not cached: the year depends on the second
	}
	if even && r.cacheable {
		d.minute.store(d, f, year, t, loc)
	}
	return t, true
}

// resolved is the calendar day of a date's fields, as assemble takes it.
type resolved struct {
	year, month, day int
	assumeYear       bool // the year is now's
	assumeToday      bool // the day is now's
	// year-less dates (syslog) are not cached: their year follows "now"
	// and the hit would cost what mkTime costs
	cacheable bool
}

// resolve is assemble's first half: the day of f (the year, or the day,
// taken from now where f lacks them; a Julian day or a week converted)
// and the fields' ranges checked. ok is false for a date that assemble
// refuses, except 29 Feb of a year-less date, which only the time can
// tell (see valid). f has had fixAMPM.
func (d *Detector) resolve(f *dateFields, now time.Time) (r resolved, ok bool) {
	year, month, day := f.year, f.month, f.day
	hasMonth, hasDay := f.is(keym), f.is(keyd)
	assumeYear := false
	if !f.is(keyY) {
		year, _, _ = d.nowDate(now)
		assumeYear = true
	}
	cacheable := hasMonth && hasDay && !assumeYear
	if !hasMonth || !hasDay {
		julian, hasJulian := f.julian, f.is(keyj)
		if !hasJulian && f.is(keyU) && f.is(keya) {
			julian = julianFromWeek(year, f.weekOfYear, f.weekday, f.weekStartsMon)
			hasJulian = true
		}
		if hasJulian {
			t := time.Date(year, 1, julian, 0, 0, 0, 0, time.UTC)
			year, month, day = t.Year(), int(t.Month()), t.Day()
			hasMonth, hasDay = true, true
		}
	}
	assumeToday := false
	if !hasMonth && !hasDay {
		_, month, day = d.nowDate(now)
		assumeToday = true
	} else if !hasMonth || !hasDay {
		return r, false // fail2ban: datetime() with a missing field
	}
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		f.hour > 23 || f.minute > 59 || f.second > 59 {
		return r, false
	}
	return resolved{year: year, month: month, day: day, assumeYear: assumeYear, assumeToday: assumeToday, cacheable: cacheable}, true
}

// valid reports whether assemble(f, now) is ok, without building the
// time where it can: sure is false where only assemble can tell (29 Feb
// of a year-less date, valid this year, not in the year before).
func (d *Detector) valid(f *dateFields, now time.Time) (ok, sure bool) {
	if ok, known := plainValid(f, now); known {
		return ok, true
	}
	if f.bad {
		return false, true
	}
	f.fixAMPM()
	r, ok := d.resolve(f, now)
	return ok, !ok || !r.assumeYear || r.month != 2 || r.day != 29
}

// plainFields are the fields of the common dates: a month (a number or a
// name) and a day, maybe a year, a weekday name, %H:%M:%S, a fraction, a
// zone.
const plainFields = 1<<keyy | 1<<keyY | 1<<keym | 1<<keyB | 1<<keyb | 1<<keyd | 1<<keyH | 1<<keyM |
	1<<keyS | 1<<keyf | 1<<keyA | 1<<keya | 1<<keyz | 1<<keyZ

// Unix seconds of 0002-01-01 and 9998-01-01 UTC: a now between them has a
// year of 1 to 9999 in every zone.
const saneFrom, saneTo = -62104060800, 253339228800

// plainValid is valid for the common dates (plainFields with a month
// and a day) without resolve: known is false for the others, and for 29
// February without a year. A date without a year is valid when its
// month has its day in every year and now's year is one of 1 to 9999
// (resolve takes now's year; assemble moves no date but 29 February to
// the year before).
func plainValid(f *dateFields, now time.Time) (ok, known bool) {
	if f.has&^plainFields != 0 || !f.is(keym) || !f.is(keyd) {
		return false, false
	}
	if f.bad || f.month < 1 || f.month > 12 || f.day < 1 || f.hour > 23 || f.minute > 59 || f.second > 59 {
		return false, true
	}
	if f.is(keyY) {
		return f.year >= 1 && f.year <= 9999 && f.day <= daysIn(f.year, f.month), true
	}
	if f.month == 2 && f.day == 29 {
		return false, false
	}
	if u := now.Unix(); u < saneFrom || u >= saneTo {
		return false, false
	}
	return f.day <= daysIn(2001, f.month), true
}

// minuteCache is the minute of the last date assemble converted, for
// the next line of the same minute: its fields but the second and the
// fraction, and the minute's start. A hit is the same value as mkTime's
// (time.Unix of the day's start plus the clock, in the zone); only dates
// with a year, a month and a day (nothing taken from "now") of a day
// whose zone offset does not change (mkTime's even days) are kept.
type minuteCache struct {
	valid bool
	key   dateFields // second and nsec zeroed
	loc   *time.Location
	year  int
	base  int64 // Unix seconds of the minute's start
	zone  *time.Location
}

func minuteKey(f *dateFields) dateFields {
	k := *f
	k.second, k.nsec = 0, 0
	return k
}

// sameMinute is minuteKey(f) == *k without the copy.
func sameMinute(f, k *dateFields) bool {
	return f.minute == k.minute && f.hour == k.hour && f.day == k.day && f.month == k.month &&
		f.year == k.year && f.has == k.has && f.zone == k.zone && f.hasZone == k.hasZone &&
		f.weekday == k.weekday && f.julian == k.julian && f.weekOfYear == k.weekOfYear &&
		f.weekStartsMon == k.weekStartsMon && f.ampm == k.ampm && f.hour12 == k.hour12 && f.bad == k.bad
}

func (c *minuteCache) lookup(d *Detector, f *dateFields, now time.Time) (time.Time, bool) {
	if !c.valid || c.loc != d.loc || f.second < 0 || f.second > 59 || f.nsec < 0 || f.nsec >= 1e9 ||
		!sameMinute(f, &c.key) {
		return time.Time{}, false
	}
	return time.Unix(c.base+int64(f.second), int64(f.nsec)).In(c.zone), true
}

func (c *minuteCache) store(d *Detector, f *dateFields, year int, t time.Time, zone *time.Location) {
	*c = minuteCache{valid: true, key: minuteKey(f), loc: d.loc, year: year,
		base: t.Unix() - int64(f.second), zone: zone}
}

// nowDate returns the date of now in the detector's zone. The day that
// holds now is cached, so a fixed --now or a clock that stays within one
// day costs a comparison per line instead of a conversion.
func (d *Detector) nowDate(now time.Time) (year, month, day int) {
	c := &d.today
	if c.loc == d.loc && !c.from.IsZero() && (now == c.last || !now.Before(c.from) && now.Before(c.to)) {
		c.last = now
		return c.year, c.month, c.day
	}
	nl := now.In(d.loc)
	y, m, dd := nl.Date()
	c.year, c.month, c.day, c.loc = y, int(m), dd, d.loc
	c.from = time.Date(y, m, dd, 0, 0, 0, 0, d.loc)
	c.to = time.Date(y, m, dd+1, 0, 0, 0, 0, d.loc)
	c.last = now
	if c.from.After(now) || !c.to.After(now) {
		c.from = time.Time{} // an odd zone transition: do not cache
	}
	return y, int(m), dd
}

// nowCache is the local day that holds the last "now" seen.
type nowCache struct {
	from, to         time.Time
	last             time.Time // the last now found in [from, to)
	loc              *time.Location
	year, month, day int
}

// dayCache is the start of one day in one zone, when the zone's offset
// is the same all day long (then a time of that day is the start plus
// its seconds, as time.Date would compute it).
type dayCache struct {
	year, month, day int
	loc              *time.Location
	base             time.Time
	unix             int64 // base.Unix()
	even             bool
}

// dayAhead is now plus 24 hours, cached for a fixed now.
func (d *Detector) dayAhead(now time.Time) time.Time {
	if now != d.aheadOf {
		d.aheadOf, d.ahead = now, now.Add(24*time.Hour)
	}
	return d.ahead
}

// mkTime is time.Date(year, month, day, f's clock, loc) for validated
// fields, from a per-day cache of the day's start: time.Date with a
// zone costs a zone look-up per call, the cache an addition.
// even reports the cached path (the day's offset is the same all day).
func (d *Detector) mkTime(year, month, day int, f *dateFields, loc *time.Location) (t time.Time, even bool) {
	var c *dayCache
	for k := range d.days {
		e := &d.days[k]
		if e.loc == loc && e.day == day && e.month == month && e.year == year && e.loc != nil {
			c = e
			break
		}
	}
	if c == nil {
		c = &d.days[d.dayNext]
		d.dayNext = (d.dayNext + 1) % len(d.days)
		base := time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc)
		*c = dayCache{year: year, month: month, day: day, loc: loc, base: base, unix: base.Unix()}
		if h, mi, s := base.Clock(); h == 0 && mi == 0 && s == 0 && base.Day() == day {
			_, zend := base.ZoneBounds()
			c.even = zend.IsZero() || !zend.Before(base.Add(24*time.Hour))
		}
	}
	if !c.even || f.nsec < 0 || f.nsec >= 1e9 {
		return time.Date(year, time.Month(month), day, f.hour, f.minute, f.second, f.nsec, loc), false
	}
	// the same value as time.Date's: unixTime(sec, nsec) in loc
	return time.Unix(c.unix+int64(f.hour*3600+f.minute*60+f.second), int64(f.nsec)).In(loc), true
}

var zoneCache [2 * 24 * 60]atomic.Pointer[time.Location]

// fixedZone returns a fixed zone of off minutes east of UTC.
func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	i := off + 24*60
	if i < 0 || i >= len(zoneCache) {
		return time.FixedZone("", off*60)
	}
	if z := zoneCache[i].Load(); z != nil {
		return z
	}
	z := time.FixedZone("", off*60)
	zoneCache[i].Store(z)
	return z
}

// dateOf makes dst the date of the winning match m of template t and
// reports whether it is valid: an epoch or TAI64N value is converted at
// once, fields are left to [Date.Time] (see pend).
func (d *Detector) dateOf(t *template, line string, m *match, dst *Date) bool {
	switch t.kind {
	case kindEpoch:
		tm, ok := d.epoch(t, d.groupText(line, m, func(rx *templateRE) int { return rx.valNum }))
		*dst = Date{t: tm}
		return ok
	case kindTAI64N:
		*dst = Date{}
		v := d.groupText(line, m, func(rx *templateRE) int { return rx.spanNum })
		if len(v) < 25 {
			return false
		}
		sec, ok1 := hexval(v[2:17])
		ns, ok2 := hexval(v[17:25])
		if !ok1 || !ok2 {
			return false
		}
		dst.t = time.Unix(int64(sec), int64(ns)%1e9).In(d.loc)
		return true
	}
	if m.fast {
		return d.pend(dst, &m.f)
	}
	var f dateFields
	for _, fg := range m.rx.fields {
		g := m.rm.GroupByNumber(fg.num)
		if g == nil || len(g.Captures) == 0 {
			continue
		}
		if fg.key == keyp {
			f.set(keyp, g.String())
		}
	}
	for _, fg := range m.rx.fields {
		g := m.rm.GroupByNumber(fg.num)
		if g == nil || len(g.Captures) == 0 || fg.key == keyp {
			continue
		}
		f.set(fg.key, g.String())
	}
	return d.pend(dst, &f)
}

// groupText is the text of a group of m: num picks its number in the
// template's regex when m is a regex match.
func (d *Detector) groupText(line string, m *match, num func(*templateRE) int) string {
	if m.fast {
		return line[m.gstart:m.gend]
	}
	g := m.rm.GroupByNumber(num(m.rx))
	if g == nil || len(g.Captures) == 0 {
		return ""
	}
	return g.String()
}

func hexval(s string) (uint64, bool) {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return n, true
}

// epoch converts an {EPOCH}/{LEPOCH} value exactly (fail2ban uses a float):
// a long form of 13..15 digits (or with a fraction) is milliseconds, of 16
// or more digits microseconds.
func (d *Detector) epoch(t *template, v string) (time.Time, bool) {
	ip, fp := v, ""
	if i := strings.IndexByte(v, '.'); i >= 0 {
		ip, fp = v[:i], v[i+1:]
	}
	shift := 0
	if t.longFrm && len(v) >= 13 {
		if len(v) >= 16 && !strings.Contains(v, ".") {
			shift = 6
		} else {
			shift = 3
		}
	}
	if shift > 0 {
		if len(ip) <= shift {
			return time.Time{}, false
		}
		fp = ip[len(ip)-shift:] + fp
		ip = ip[:len(ip)-shift]
	}
	sec, ok := atoi64(ip)
	if !ok {
		return time.Time{}, false
	}
	var ns int64
	k := 0
	for i := 0; i < len(fp) && k < 9; i++ {
		c := fp[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		ns = ns*10 + int64(c-'0')
		k++
	}
	for ; k < 9; k++ {
		ns *= 10
	}
	return time.Unix(sec, ns).In(d.loc), true
}

func atoi64(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// ParseZone parses a fail2ban logtimezone value (UTC, GMT, Z, UTC+0300,
// -0430, CET, CEST+01, ...) into a fixed zone, as fail2ban's
// validateTimeZone: abbreviations have fixed offsets (CET is +01:00 all
// year).
func ParseZone(s string) (*time.Location, error) {
	off, ok := zoneOffset(s)
	if !ok {
		return nil, &zoneError{s}
	}
	return time.FixedZone(s, off*60), nil
}

type zoneError struct{ s string }

func (e *zoneError) Error() string { return "unknown or unsupported time zone: " + e.s }
