// Package datedetect finds the date in a log line the way fail2ban's
// DateDetector does, so a fail2ban filter's datepattern (or its default
// templates) gives the same time and cuts the same text out of the line.
//
// # Templates
//
// With no pattern, a Detector uses fail2ban's 17 default templates (ISO 8601
// and simple dates, syslog/asctime with optional weekday, fraction and year,
// dd/mm/yyyy, Apache [dd/Mon/yyyy:HH:MM:SS +zzzz], CPanel, mm-dd-yyyy,
// EPOCH, time only, <mm/dd/yy@HH:MM:SS>, MySQL yymmdd, Tomcat "Mon dd, yyyy
// h:mm:ss PM", ASSP, compact 20050123T215959, a zone name or offset before a
// syslog date, TAI64N), each unanchored one preceded by a {^LN-BEG} copy of
// weight 100, and fail2ban's adaptive order (last winner first, "distance
// collision" search, bubble-up by hits).
//
// A datepattern (one pattern a line) is a regular expression in Python
// syntax with %-codes: %Y %y %m %d %H %I %M %S %f %p %a %A %b %B %j %U %W %w
// %z %Z %k %l, fail2ban's exact variants %ExY (a year of this century) %Exy
// %Exm %Exd %ExH %ExM %ExS %Exk %Exl, %Exz and %ExZ (zone abbreviations),
// and %%. Keywords: {^LN-BEG} (at line start, after up to two non-word
// characters; alone: the default templates anchored so), ^, {UNB} (no word
// boundaries), {NONE} (no date: the line's time is "now"), {DATE} (the
// default templates inside the given context), {DEFAULT}, EPOCH, LEPOCH
// (milliseconds or microseconds), {EPOCH}/{LEPOCH} inside a pattern,
// TAI64N (also ^TAI64N and {^LN-BEG}TAI64N; like fail2ban, "{TAI64N}" in
// braces is literal text), ** at either end (no word boundary there) and
// (?i) style flags. Patterns that fail2ban refuses are errors of [New].
//
// The date text is Python's group 1 of the template, as fail2ban cuts it
// out of the line: the whole date normally, the first group when a
// datepattern has its own group (^[^\[]*\[({DATE})).
//
// # Time
//
// A date without a year gets now's year, and the previous year when that
// puts it more than one day after now. A date without day and month gets
// today, and yesterday when that would be after now. %y (and %Exy) is
// 20yy. A zone in the line wins (Z, UTC, GMT, +hh, +hhmm, +hh:mm, and with
// %Z/%Exz fail2ban's fixed abbreviation table: CET is always +01:00);
// otherwise the Detector's Location applies. Fractional seconds are kept
// (fail2ban drops them). Epoch and TAI64N values are exact (no float).
//
// # Dates and their time
//
// [Detector.Find] returns a line's time. [Detector.FindDate] finds the
// same date (the same span, the same validity, the same template
// bookkeeping: fail2ban's adaptive order and the hits of --stats) into a
// [Date], whose time is built only when [Date.Time] asks: most lines of
// a log are no failure, and nothing reads their time. A Date keeps what
// the line gave and the "now" of the moment it was read, so its time is
// the one Find would have given, asked at once or lines later (package
// filter keeps the last date so for the dateless lines after it).
// Validity is decided at once, without the time where the fields tell
// (a day the month has, an hour under 24 ...), with it where they do not
// (29 February of a year-less date).
//
// # Deviations from fail2ban
//
// Year rollover compares instants (fail2ban compares a UTC wall clock with
// the local one when the line has a zone) and rebuilds the previous year's
// date from the captured month and day. Digits outside ASCII (which
// Python's int() accepts) make the date invalid. %ExY is computed from
// Options.Now when the Detector is created (fail2ban: at start-up).
//
// # Speed
//
// The regular expressions run on github.com/dlclark/regexp2 after
// translation from Python syntax; a template's regex is compiled the first
// time a line needs it (a user's datepattern, and the first {DATE} copy,
// still compile in [New], so a bad regex is New's error), and the package
// does no work at init. Every default template (each variant: {^LN-BEG},
// word-bounded, ^-anchored, behind ^[^\[]*\[) also has a hand-written
// matcher that walks the regex as a backtracking engine does, alternatives
// in the same order, so it finds the same match and groups without a regex
// and without allocation; unanchored ones skip the line starts with no
// hour colon in reach. When the default templates are searched over a
// line (fail2ban's collision search, as for a date mid-line), the line's
// clocks (colons after an hour) and long digit runs are found once, and a
// table of the bytes each template accepts before its hour (its answers
// kept per clock, keyed by the bytes it reads) rules out at once every
// template that cannot match; only the others are searched. Once the
// search holds a candidate, a match of a later template (not the last,
// not anchored) that starts at or past max(the candidate's start, the
// smaller of the template's last distance and the last winner's start,
// plus one) could change nothing (fail2ban's "distance collision" drops
// it), so the checks and searches of those templates read the line only
// as far as a match starting before that bound can reach, and the
// line's clocks and runs are found only that far (a date early in a long
// access-log line: its start). The common
// shapes take a shorter "happy" path that
// accepts a line only when every alternative the regex tries first fails
// at once: syslog (also bracketed, with day name, fraction, year), ISO 8601
// (also before spaces), Apache's date behind ^[^\[]*\[, and these
// datepatterns of the built-in filters and fail2ban's filter files: the
// access-log date ^[^\[]*\[(%d/%b/%Y:%H:%M:%S %z)\] and traefik's
// ^\S+ \S+ \S+ \[(...)\], nginx's error-log date, grafana's t= dates. The
// matchers work on ASCII text and hand anything else (and the few cases
// where Python's and .NET's \s differ) to the regex. A Detector keeps the
// last minute it converted (dates with a year, on days of one zone
// offset), so a line of the same minute costs an addition. Tests compare
// the paths on generated lines and under go test -fuzz, a warm detector
// with a fresh one per line, and the whole detector with fail2ban's own
// DateDetector when python3 and fail2ban are installed. Other datepatterns
// use the regexes.
package datedetect
