package logmatch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/lines"
)

// maxLine is the longest line read; a longer line is skipped (see
// [runner.longLine]).
const maxLine = 1 << 20

// longLine reports a line longer than maxLine: it is counted (--stats
// cut) and skipped, never matched. Matching its first MiB would let the
// attacker who wrote it choose what the regex sees at the cut: a "$"
// anchored at the cut would land on a fake address written just before
// it, while the real end of the line (the client's address) is lost.
func (r *runner) longLine(source string, line int64) {
	r.cut++
	r.lineWarn("%s:%d: line longer than %d bytes, skipped (a cut line is never matched)", source, line, maxLine)
}

// lineWarn warns about a line after writing the events of the lines before
// it: read together (2>&1), the warning comes after them. (The output is
// otherwise written when its buffer fills or the input pauses.)
func (r *runner) lineWarn(format string, args ...any) {
	_ = r.w.Flush()
	warnf(r.stderr, format, args...)
}

func run(ctx context.Context, o *options, stdin io.Reader, stdout, stderr io.Writer) error {
	if o.listFilters {
		for _, n := range listFilters() {
			fmt.Fprintln(stdout, n)
		}
		return nil
	}
	if n := o.showFilter; n != "" {
		b, err := showFilter(n)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	if o.config != "" && len(o.files) == 0 {
		return runJails(ctx, o, stdout, stderr)
	}
	def, jail, jailZone, err := definition(o)
	if err != nil {
		return err
	}
	js, err := compileJail(o, def, jail, jailZone)
	if err != nil {
		return err
	}
	if o.dump {
		return dump(stdout, jail, js.f)
	}
	if o.check {
		// regexp2's programs are otherwise compiled on first use
		if err := js.f.Ready(); err != nil {
			return clirun.Config(err)
		}
		fmt.Fprintf(stdout, "%s: ok: filter %s, %d failregex, %d ignoreregex, maxlines %d\n",
			jail, nameOr(def.Name, "(regex)"), len(js.f.FailRegexes()), len(js.f.IgnoreRegexes()), js.f.MaxLines())
		warnInjectable(stderr, jail, def, js.f)
		return nil
	}
	w := event.NewWriter(stdout)
	if o.follow {
		if len(o.files) == 0 || slices.Contains(o.files, "-") {
			return clirun.WithHint(clirun.Usagef("--follow needs FILE arguments or --config (standard input cannot be followed)"),
				"tail -F FILE | logmatch ... reads a followed standard input")
		}
		js.logPaths = o.files
		js.backend = "auto"
		js.dd.Store(nil)
		return runSources(ctx, o, []*jailSpec{js}, w, stderr)
	}
	r, err := newRunner(ctx, o, js, w, stderr)
	if err != nil {
		return err
	}
	r.progress = isTerminal(stderr)

	files := o.files
	if len(files) == 0 {
		files = []string{"-"}
	}
	jobs := o.jobs
	if jobs > 1 && o.input == "text" && !js.latin1 && !js.f.Parallel() && len(o.files) > 0 {
		warnf(stderr, "%s: multi-line filter (maxlines %d): matching on one core", jail, js.f.MaxLines())
	}
	if o.input != "text" || js.latin1 || !js.f.Parallel() {
		jobs = 1
	}
	var readErr error
	for _, name := range files {
		var err error
		if jobs > 1 && name != "-" {
			err = r.readFileParallel(o, js, name, jobs)
		} else {
			err = r.readFile(name, stdin)
		}
		if err != nil {
			warnf(stderr, "%v", err)
			readErr = err
		}
	}
	if err := w.Flush(); err != nil {
		return clirun.Failure(fmt.Errorf("write: %w", err))
	}
	if r.progress && r.lastProgress != (time.Time{}) {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if o.stats {
		r.printStats()
	}
	if readErr != nil {
		return clirun.Silent{Code: clirun.ExitFailure}
	}
	return nil
}

// jailSpec is one jail ready to read: its compiled filter and the
// settings of its sources.
type jailSpec struct {
	name     string
	source   string // "file:line" of the jail's section; "" ad hoc
	def      *filter.Definition
	f        *filter.Filter
	loc      *time.Location
	findTime time.Duration // 0: no limit
	// backend is fail2ban's backend name (auto, polling, pyinotify,
	// systemd) and backendArgs its [key=value] options.
	backend     string
	backendArgs map[string]string
	logPaths    []string // globs
	latin1      bool     // logencoding latin-1: bytes are code points
	// dd is the detector compileJail made to check the datepattern, unused:
	// the batch run's runner takes it (a second datedetect.New costs up to
	// 2 ms and 200 KB of fresh memory at start-up). Sources (--follow,
	// --config) clear it and make each runner's own when it starts. It is
	// taken atomically: the runners of a jail's sources start at once.
	dd atomic.Pointer[datedetect.Detector]
}

// compileJail compiles def for jail with the zone rule of the options
// (--logtimezone, else the jail's, else TZ).
func compileJail(o *options, def *filter.Definition, jail, jailZone string) (*jailSpec, error) {
	loc := localZone()
	z := o.logTimeZone
	if z == "" {
		z = jailZone
	}
	if z != "" {
		l, err := datedetect.ParseZone(z)
		if err != nil {
			if o.logTimeZone == "" {
				return nil, clirun.Config(fmt.Errorf("logtimezone %q: %v", z, err))
			}
			return nil, clirun.Usagef("--logtimezone %q: %v", z, err)
		}
		loc = l
	}
	f, err := filter.Compile(*def, filter.Options{Timeout: o.timeout, UseDNS: o.useDNS})
	if err != nil {
		return nil, clirun.Config(err)
	}
	var dd *datedetect.Detector
	if !f.Journal() {
		if dd, err = datedetect.New(datedetect.Options{Location: loc, Pattern: def.DatePattern}); err != nil {
			return nil, clirun.Config(fmt.Errorf("%s: datepattern: %w", def.Name, err))
		}
	}
	js := &jailSpec{name: jail, def: def, f: f, loc: loc}
	js.dd.Store(dd)
	return js, nil
}

// newRunner returns a runner of js's filter writing to w: each source
// has its own, as the date detector and the multi-line buffer are per
// stream.
func newRunner(ctx context.Context, o *options, js *jailSpec, w *event.Writer, stderr io.Writer) (*runner, error) {
	f, now := js.f, o.now
	var dd *datedetect.Detector
	if !f.Journal() {
		// As in fail2ban, the year pattern (ExYear) follows the clock; --now
		// is the reference of year-less dates.
		if dd = js.dd.Swap(nil); dd == nil {
			var err error
			dd, err = datedetect.New(datedetect.Options{Location: js.loc, Pattern: js.def.DatePattern})
			if err != nil {
				return nil, clirun.Config(fmt.Errorf("%s: datepattern: %w", js.def.Name, err))
			}
		}
		if !now.IsZero() {
			dd.SetNow(now)
		}
	}
	r := &runner{
		ctx: ctx, f: f, jail: js.name, stderr: stderr, input: o.input, dd: dd,
		hits:       make([]int64, len(f.FailRegexes())),
		ignoreHits: make([]int64, len(f.IgnoreRegexes())),
		latin1:     js.latin1,
		met:        o.metrics.jail(js.name),
	}
	r.printMissed, r.printIgnored = o.printMissed, o.printIgn
	warn := func(msg string) { warnf(stderr, "%s", msg) }
	// NoNewlines: every reader here (lines.Reader, the batches' split, the
	// tailer's ReadSlice) cuts lines at '\n'; journal messages go to LineAt
	mo := filter.MatcherOptions{Warn: warn, NoGroups: true, Matches: true, ReuseCaptures: true, ReuseStrings: true, NoNewlines: true}
	if u := f.UseDNS(); u == "yes" || u == "warn" {
		mo.DNS = &filter.DNSCache{Timeout: o.dnsTimeout, Warn: warn}
	}
	if dd != nil {
		mo.Dates = dd
	}
	if !now.IsZero() {
		mo.Now = func() time.Time { return now }
	}
	r.nowFn = mo.Now
	if r.nowFn == nil {
		r.nowFn = time.Now
	}
	r.m = filter.NewMatcher(f, mo)
	r.w = w
	r.ev.Jail = js.name
	r.ev.Filter = js.def.Name
	r.capOrder = captureOrder(f)
	return r, nil
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// definition builds the filter definition from the options.
func definition(o *options) (*filter.Definition, string, string, error) {
	var def *filter.Definition
	var zone string
	input := o.input
	jail := ""
	if len(o.jails) > 1 {
		return nil, "", "", clirun.Usagef("one --jail only here")
	}
	if len(o.jails) == 1 {
		jail = o.jails[0]
	}
	switch {
	case o.config != "":
		if jail == "" {
			return nil, "", "", clirun.WithHint(clirun.Usagef("FILE arguments with --config need one --jail NAME"),
				"without FILE arguments, logmatch --config reads every enabled jail's own logs")
		}
		if o.filter != "" {
			return nil, "", "", clirun.Usagef("--config takes the filter from the jail: give -f/--filter or --config, not both")
		}
		d, z, err := jailDefinition(o.config, jail, o.filterDir, input)
		if err != nil {
			return nil, "", "", err
		}
		def, zone = d, z
	case o.filter != "":
		auto := ""
		if input == "journal-json" {
			auto = "journal" // as fail2ban's systemd backend
		}
		d, err := loadFilter(o.filter, o.filterDir, auto)
		if err != nil {
			return nil, "", "", err
		}
		def = d
	case len(o.regex) > 0:
		def = &filter.Definition{}
	default:
		return nil, "", "", clirun.WithHint(clirun.Usagef("no filter: give -f/--filter SPEC, -e/--regex REGEX or --config with --jail"),
			"logmatch -f sshd /var/log/auth.log")
	}
	def.FailRegex = append(def.FailRegex, o.regex...)
	def.IgnoreRegex = append(def.IgnoreRegex, o.ignoreRegex...)
	if o.datePatSet {
		def.DatePattern = o.datePattern
	}
	if o.maxLinesSet {
		def.MaxLines = o.maxLines
	}
	if jail == "" {
		jail = nameOr(def.Name, "logmatch")
	}
	return def, jail, zone, nil
}

// capture is an <F-NAME> capture of a filter: its group name in a
// failure's Captures and the event field it is written as.
type capture struct {
	group, field string
}

// captureOrder lists the <F-NAME> captures of the filter's regexes in the
// order of their fields in an event (by name; groups whose names differ in
// case only, one field, in group name order: the first non-empty wins).
func captureOrder(f *filter.Filter) []capture {
	seen := map[string]bool{}
	var out []capture
	add := func(r *filter.Regex) {
		if r == nil {
			return
		}
		for _, n := range r.Captures() {
			if !seen[n] {
				seen[n] = true
				out = append(out, capture{group: n, field: strings.ToLower(n)})
			}
		}
	}
	add(f.PrefRegex())
	for _, r := range f.FailRegexes() {
		add(r)
	}
	slices.SortFunc(out, func(a, b capture) int {
		return cmp.Or(strings.Compare(a.field, b.field), strings.Compare(a.group, b.group))
	})
	return out
}

type runner struct {
	ctx      context.Context
	f        *filter.Filter
	m        *filter.Matcher
	dd       *datedetect.Detector
	w        *event.Writer
	ev       event.Event
	jail     string
	input    string
	stderr   io.Writer
	nowFn    func() time.Time
	capOrder []capture
	met      *jailMetrics // nil: metrics off

	lineno                              int64
	matched, ignored, missed, failures  int64
	timeouts, bad, cut                  int64
	dnsDropped                          int64 // failures whose host name gave no address
	hits, ignoreHits                    []int64
	progress, printMissed, printIgnored bool
	lastProgress                        time.Time
	msgBuf                              []byte
	source                              string

	// Sources of a jail configuration:
	latin1   bool          // logencoding latin-1
	findTime time.Duration // failures older than now-findTime are dropped (0: none)
	stale    int64         // failures dropped as older than findtime
	cursor   string        // __CURSOR of the last journal record read
	// cursorLineno: a journal record's lineno is its sequence number
	// (the cursor's i=), the same when the record is read again.
	cursorLineno bool
	convBuf      []byte
	hinted       bool // the input-format hint was given
	jobs         int  // the most cores a file was matched on (--stats)
}

func (r *runner) readFile(name string, stdin io.Reader) error {
	var in io.Reader = stdin
	r.source = "stdin"
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, errors.Unwrap(err))
		}
		defer fh.Close()
		in = fh
		r.source = name
	}
	lr := lines.NewReader(in, maxLine)
	if !isRegular(in) {
		// a pipe or a terminal may pause: what was found goes out
		// before a read that may wait (a regular file never waits; its
		// events are written when the output buffer fills)
		lr.OnIdle = func() { _ = r.w.Flush() }
	}
	for n := 0; ; n++ {
		// cancellation is seen within checkEvery lines (a few
		// microseconds of matching)
		if n%checkEvery == 0 && r.ctx.Err() != nil {
			return nil
		}
		line, truncated, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: read: %w", r.source, err)
		}
		r.lineno++
		if truncated {
			r.longLine(r.source, lr.Line())
			continue
		}
		r.process(line, lr.Line())
		if r.progress && r.lineno&0xffff == 0 {
			r.showProgress()
		}
	}
}

// checkEvery is how many lines a batch run matches between two looks at
// its context.
const checkEvery = 64

// isRegular reports whether in is a regular file.
func isRegular(in io.Reader) bool {
	fh, ok := in.(*os.File)
	if !ok {
		return false
	}
	st, err := fh.Stat()
	return err == nil && st.Mode().IsRegular()
}

func (r *runner) process(line []byte, fileLine int64) {
	r.processHint(line, fileLine, nil)
}

// processHint is process with a Probe's hint (see parallel.go); nil: none.
// (A pointer: a Hint passed on by value was copied on every line.)
func (r *runner) processHint(line []byte, fileLine int64, hint *filter.Hint) {
	var res *filter.Result
	var err error
	if r.met != nil {
		r.met.lines.Inc()
	}
	if r.latin1 {
		if conv := latin1ToUTF8(r.convBuf[:0], line); len(conv) != len(line) {
			r.convBuf, line = conv, conv
		}
	}
	if !r.hinted {
		r.hint(line)
	}
	if r.input == "journal-json" {
		msg, t, cur, jerr := journalEntry(line, r.msgBuf[:0])
		if jerr != nil {
			r.bad++
			r.lineWarn("%s:%d: %v", r.source, fileLine, jerr)
			return
		}
		r.msgBuf = msg
		r.cursor = cur
		if r.cursorLineno {
			if n := cursorSeqnum(cur); n > 0 {
				r.lineno = n
			}
		}
		line = msg
		if t.IsZero() {
			t = r.nowFn()
		}
		res, err = r.m.LineAt(msg, t)
	} else if hint == nil {
		res, err = r.m.Line(line)
	} else {
		res, err = r.m.LineHint(line, *hint)
	}
	if err != nil {
		var te *filter.TimeoutError
		if errors.As(err, &te) {
			r.timeouts++
			if r.met != nil {
				r.met.timeouts.Inc()
			}
			r.lineWarn("%s:%d: %v; line skipped: %s", r.source, fileLine, err, oneLine(string(line)))
		} else {
			r.bad++
			r.lineWarn("%s:%d: %v", r.source, fileLine, err)
		}
		return
	}
	r.dnsDropped += int64(res.DNSDropped)
	switch {
	case res.Ignore >= 0:
		r.ignored++
		r.ignoreHits[res.Ignore]++
		if r.met != nil {
			r.met.ignored.Inc()
		}
		if r.printIgnored {
			fmt.Fprintf(r.stderr, "logmatch: ignored: %s:%d: %s\n", r.source, fileLine, oneLine(string(line)))
		}
		return
	case res.Regex >= 0:
		r.matched++
		r.hits[res.Regex]++
		if r.met != nil {
			r.met.matched.Inc()
		}
	default:
		r.missed++
		if r.met != nil {
			r.met.missed.Inc()
		}
		if r.printMissed {
			fmt.Fprintf(r.stderr, "logmatch: missed: %s:%d: %s\n", r.source, fileLine, oneLine(string(line)))
		}
		return
	}
	var oldest time.Time
	if r.findTime > 0 {
		oldest = r.nowFn().Add(-r.findTime)
	}
	for i := range res.Failures {
		fl := &res.Failures[i]
		if !oldest.IsZero() && fl.Time.Before(oldest) {
			r.stale++
			continue
		}
		e := &r.ev
		e.Time = fl.Time
		e.Host = fl.Host
		e.IP = fl.IP
		e.Resolved = fl.Resolved
		e.Lineno = r.lineno
		e.Attempts = fl.Attempts
		e.Users = nil
		if len(fl.Users) > 1 {
			e.Users = fl.Users
		}
		e.Matches = fl.Lines
		// the captures in field order, in one slice for every event: the
		// writer encodes them at once
		e.Fields = e.Fields[:0]
		for _, c := range r.capOrder {
			v := fl.Captures[c.group]
			if v == "" || len(e.Fields) > 0 && e.Fields[len(e.Fields)-1].Name == c.field {
				continue
			}
			e.Fields = append(e.Fields, event.Field{Name: c.field, Value: v})
		}
		r.failures++
		if r.met != nil {
			r.met.failures.Inc()
		}
		if err := r.w.Write(e); err != nil {
			return
		}
	}
}

func (r *runner) showProgress() {
	now := time.Now()
	if now.Sub(r.lastProgress) < time.Second {
		return
	}
	r.lastProgress = now
	fmt.Fprintf(r.stderr, "\rlogmatch: %d lines, %d failures\033[K", r.lineno, r.failures)
}

func (r *runner) printStats() {
	w := r.stderr
	fmt.Fprintf(w, "logmatch: stats: lines %d, matched %d, ignored %d, missed %d, failures %d, timeouts %d, bad %d, cut %d, dns dropped %d\n",
		r.lineno, r.matched, r.ignored, r.missed, r.failures, r.timeouts, r.bad, r.cut, r.dnsDropped)
	for i, re := range r.f.FailRegexes() {
		fmt.Fprintf(w, "logmatch: stats: failregex %d: %d hits: %s\n", i+1, r.hits[i], oneLine(re.Source))
	}
	for i, re := range r.f.IgnoreRegexes() {
		fmt.Fprintf(w, "logmatch: stats: ignoreregex %d: %d hits: %s\n", i+1, r.ignoreHits[i], oneLine(re.Source))
	}
	if r.jobs > 1 {
		fmt.Fprintf(w, "logmatch: stats: jobs %d: %d lines matched again in order (another date found than on their core, or the end of a cached session)\n", r.jobs, r.m.Rematched())
	}
	if r.dd != nil {
		for _, s := range r.dd.Stats() {
			if s.Hits == 0 {
				continue
			}
			fmt.Fprintf(w, "logmatch: stats: date template: %d hits: %s\n", s.Hits, oneLine(s.Name))
		}
	}
}

// journalEntry turns one `journalctl -o json` record into the line
// fail2ban's systemd backend builds (formatJournalEntry: "HOST
// IDENT[PID]: MESSAGE") and its time (__REALTIME_TIMESTAMP, in µs).
func journalEntry(b []byte, dst []byte) ([]byte, time.Time, string, error) {
	msg, t, err := journalRecord(b, dst)
	if err != nil {
		return nil, t, "", err
	}
	var c struct {
		Cursor string `json:"__CURSOR"`
	}
	_ = json.Unmarshal(b, &c)
	return msg, t, c.Cursor, nil
}

func journalRecord(b []byte, dst []byte) ([]byte, time.Time, error) {
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, time.Time{}, fmt.Errorf("not a journal JSON record: %v", err)
	}
	field := func(k string) (string, bool, error) {
		raw, ok := rec[k]
		if !ok {
			return "", false, nil
		}
		v, err := journalValue(raw)
		if err != nil {
			return "", false, fmt.Errorf("field %s: %v", k, err)
		}
		return v, true, nil
	}
	msg, ok, err := field("MESSAGE")
	if err != nil {
		return nil, time.Time{}, err
	}
	if !ok {
		return nil, time.Time{}, fmt.Errorf("journal record without MESSAGE")
	}
	var t time.Time
	if ts, ok, err := field("__REALTIME_TIMESTAMP"); err == nil && ok {
		var us int64
		if _, err := fmt.Sscan(ts, &us); err != nil {
			return nil, time.Time{}, fmt.Errorf("field __REALTIME_TIMESTAMP: %q is not a number", ts)
		}
		t = time.UnixMicro(us)
	}
	var parts []string
	if h, _, _ := field("_HOSTNAME"); h != "" {
		parts = append(parts, h)
	}
	id, _, _ := field("SYSLOG_IDENTIFIER")
	if id == "" {
		id, _, _ = field("_COMM")
	}
	if id != "" {
		pid, _, _ := field("SYSLOG_PID")
		if pid == "" {
			pid, _, _ = field("_PID")
		}
		if pid != "" {
			id += "[" + pid + "]"
		}
		id += ":"
		parts = append(parts, id)
	}
	parts = append(parts, msg)
	dst = append(dst, strings.Join(parts, " ")...)
	return dst, t, nil
}

// journalValue decodes a journal JSON field: a string, an array of bytes
// (non-UTF-8 data), or a list of those (a field given several times, joined
// with " | " as fail2ban joins them).
func journalValue(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		if string(raw) == "null" {
			return "", nil
		}
		var n json.Number
		if err := json.Unmarshal(raw, &n); err == nil {
			return n.String(), nil
		}
		return "", errors.New("not a string, byte array or list")
	}
	// a byte array?
	bs := make([]byte, 0, len(list))
	isBytes := len(list) > 0
	for _, e := range list {
		var n int
		if err := json.Unmarshal(e, &n); err != nil || n < 0 || n > 255 {
			isBytes = false
			break
		}
		bs = append(bs, byte(n))
	}
	if isBytes {
		return string(bs), nil
	}
	var vals []string
	for _, e := range list {
		v, err := journalValue(e)
		if err != nil {
			return "", err
		}
		vals = append(vals, v)
	}
	return strings.Join(vals, " | "), nil
}

func dump(w io.Writer, jail string, f *filter.Filter) error {
	d := f.Def
	type out struct {
		Jail         string   `json:"jail"`
		Filter       string   `json:"filter,omitempty"`
		File         string   `json:"file,omitempty"`
		PrefRegex    string   `json:"prefregex,omitempty"`
		FailRegex    []string `json:"failregex"`
		IgnoreRegex  []string `json:"ignoreregex"`
		MaxLines     int      `json:"maxlines"`
		DatePattern  string   `json:"datepattern,omitempty"`
		UseDNS       string   `json:"usedns"`
		LogType      string   `json:"logtype,omitempty"`
		JournalMatch []string `json:"journalmatch,omitempty"`
		Expanded     struct {
			PrefRegex   string   `json:"prefregex,omitempty"`
			FailRegex   []string `json:"failregex"`
			IgnoreRegex []string `json:"ignoreregex"`
		} `json:"expanded"`
	}
	o := out{Jail: jail, Filter: d.Name, File: d.File, PrefRegex: d.PrefRegex, FailRegex: d.FailRegex,
		IgnoreRegex: d.IgnoreRegex, MaxLines: f.MaxLines(), DatePattern: d.DatePattern, UseDNS: f.UseDNS(),
		LogType: d.LogType, JournalMatch: d.JournalMatch}
	if o.IgnoreRegex == nil {
		o.IgnoreRegex = []string{}
	}
	if p := f.PrefRegex(); p != nil {
		o.Expanded.PrefRegex = p.Expanded
	}
	o.Expanded.FailRegex = []string{}
	o.Expanded.IgnoreRegex = []string{}
	for _, r := range f.FailRegexes() {
		o.Expanded.FailRegex = append(o.Expanded.FailRegex, r.Expanded)
	}
	for _, r := range f.IgnoreRegexes() {
		o.Expanded.IgnoreRegex = append(o.Expanded.IgnoreRegex, r.Expanded)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(o)
}

// hint warns once, at the first line, when the input's format does not
// look like what the jail reads: journal JSON given as text, text given
// as journal JSON, or text given to a journal (backend = systemd) jail.
func (r *runner) hint(line []byte) {
	r.hinted = true
	jsonLike := len(line) > 1 && line[0] == '{' && line[1] == '"'
	switch {
	case r.input == "text" && jsonLike:
		warnf(r.stderr, "hint: %s:1 looks like journal JSON (journalctl -o json): give --input journal-json", r.source)
	case r.input == "journal-json" && !jsonLike && len(line) > 0:
		warnf(r.stderr, "hint: %s:1 is not journal JSON: jail %s reads log text; drop --input journal-json", r.source, r.jail)
	case r.input == "text" && r.f.Journal():
		warnf(r.stderr, "hint: jail %s reads the journal (backend = systemd): text lines are taken as journal messages (HOST IDENT[PID]: MESSAGE) at --now; give `journalctl -o json` output with --input journal-json", r.jail)
	}
}

// latin1ToUTF8 appends line, read as ISO-8859-1 (each byte a code point),
// to dst in UTF-8; a line of ASCII is returned as is.
func latin1ToUTF8(dst, line []byte) []byte {
	ascii := true
	for _, b := range line {
		if b >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return line
	}
	for _, b := range line {
		dst = utf8.AppendRune(dst, rune(b))
	}
	return dst
}

// cursorSeqnum returns the sequence number (i=, hexadecimal) of a journal
// cursor such as "s=...;i=1f3a;b=...", or 0.
func cursorSeqnum(cursor string) int64 {
	for _, part := range strings.Split(cursor, ";") {
		if v, ok := strings.CutPrefix(part, "i="); ok {
			n, err := strconv.ParseInt(v, 16, 64)
			if err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}
