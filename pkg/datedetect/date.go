package datedetect

import "time"

// A Date is the date a Detector found in a line ([Detector.FindDate]).
// The Detector decides at once whether the date is valid; its time is
// built the first time [Date.Time] asks for it, from what the line gave
// and the "now" of the moment the line was read (the Detector's Now, or
// the clock then), so it is the time [Detector.Find] would have given
// for that line, whenever and however often it is asked. Most lines of a
// log are no failure: their time is never built.
//
// The zero Date has the zero time. Copies of a Date are independent and
// give the same time. A Date whose time is not built yet uses its
// Detector's caches: call Time where the Detector's methods are called,
// never concurrently with them.
type Date struct {
	d   *Detector // not nil while the time is to be built
	f   dateFields
	now time.Time
	t   time.Time
}

// At returns a Date of the time t, for a line whose time is known (a
// journal entry) or a finder of dates other than a Detector.
func At(t time.Time) Date { return Date{t: t} }

// Time returns the date's time; the zero time for a date that is not
// valid and for the zero Date.
func (dt *Date) Time() time.Time {
	if dt.d != nil {
		dt.t, _ = dt.d.assemble(&dt.f, dt.now)
		dt.d = nil
	}
	return dt.t
}

// pend makes dst the date of the fields f, its time left to dst.Time,
// and reports whether it is valid (assemble's ok). It keeps the "now"
// assemble would read at this moment: the Detector's, or the clock's
// when the Detector has none and the fields lack a year, month or day
// (only then does the time depend on it). Where validity needs the time
// itself, the time is built at once.
func (d *Detector) pend(dst *Date, f *dateFields) bool {
	now := d.now
	if now.IsZero() && (!f.is(keyY) || !f.is(keym) || !f.is(keyd)) {
		now = time.Now()
	}
	dst.f, dst.now, dst.d, dst.t = *f, now, nil, time.Time{}
	ok, sure := d.valid(&dst.f, now)
	switch {
	case !ok:
	case sure:
		dst.d = d
	default:
		dst.t, ok = d.assemble(&dst.f, now)
	}
	return ok
}

// FindDate is [Detector.Find] with the time left to dst: it finds the
// date of line (the same span, validity and template bookkeeping as
// Find) and makes dst that date; dst.Time gives the time Find would
// have given. ok is false with no date (dst is then the zero Date) and
// with a date that is not valid (dst has the zero time).
func (d *Detector) FindDate(line string, dst *Date) (start, end int, ok bool) {
	d.prepare(line)
	if m := d.findLast(line); m != nil {
		return m.gstart, m.gend, d.pend(dst, &m.f)
	}
	defer d.release()
	m, dt, found := d.matchTime(line)
	if !found || m.gstart < 0 {
		*dst = Date{}
		return 0, 0, false
	}
	start, end = m.gstart, m.gend
	if !d.asciiTo(line, end) {
		start, end = d.byteOffset(line, start), d.byteOffset(line, end)
	}
	if start == end {
		*dst = Date{t: d.nowTime()}
		return start, end, true
	}
	return start, end, d.dateOf(dt.t, line, m, dst)
}
