package logmatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/lines"
)

// maxLine is the longest line read; longer lines are cut (with a warning).
const maxLine = 1 << 20

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
	input, now := o.input, o.now
	def, jail, jailZone, err := definition(o)
	if err != nil {
		return err
	}
	loc := localZone()
	z := o.logTimeZone
	if z == "" {
		z = jailZone
	}
	if z != "" {
		l, err := datedetect.ParseZone(z)
		if err != nil {
			return clirun.Usagef("--logtimezone %q: %v", z, err)
		}
		loc = l
	}

	f, err := filter.Compile(*def, filter.Options{Timeout: o.timeout, UseDNS: o.useDNS})
	if err != nil {
		return clirun.Config(err)
	}
	var dd *datedetect.Detector
	if !f.Journal() {
		// As in fail2ban, the year pattern (ExYear) follows the clock; --now
		// is the reference of year-less dates.
		dd, err = datedetect.New(datedetect.Options{Location: loc, Pattern: def.DatePattern})
		if err != nil {
			return clirun.Config(fmt.Errorf("%s: datepattern: %w", def.Name, err))
		}
		if !now.IsZero() {
			dd.SetNow(now)
		}
	}
	if o.dump {
		return dump(stdout, jail, f)
	}
	if o.check {
		fmt.Fprintf(stdout, "%s: ok: filter %s, %d failregex, %d ignoreregex, maxlines %d\n",
			jail, nameOr(def.Name, "(regex)"), len(f.FailRegexes()), len(f.IgnoreRegexes()), f.MaxLines())
		return nil
	}

	r := &runner{
		ctx: ctx, f: f, jail: jail, stderr: stderr, input: input, dd: dd,
		hits:       make([]int64, len(f.FailRegexes())),
		ignoreHits: make([]int64, len(f.IgnoreRegexes())),
		progress:   isTerminal(stderr),
	}
	r.printMissed, r.printIgnored = o.printMissed, o.printIgn
	mo := filter.MatcherOptions{Warn: func(msg string) { warnf(stderr, "%s", msg) }, NoGroups: true}
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
	r.w = event.NewWriter(stdout)
	r.ev.Jail = jail
	r.ev.Filter = def.Name
	r.capNames = captureNames(f)

	files := o.files
	if len(files) == 0 {
		files = []string{"-"}
	}
	var readErr error
	for _, name := range files {
		if err := r.readFile(name, stdin); err != nil {
			warnf(stderr, "%v", err)
			readErr = err
		}
	}
	if err := r.w.Flush(); err != nil {
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
			return nil, "", "", clirun.Usagef("--config needs --jail NAME")
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

// captureNames lists the groups that are <F-NAME> captures of the filter.
func captureNames(f *filter.Filter) map[string]bool {
	out := map[string]bool{}
	add := func(r *filter.Regex) {
		if r == nil {
			return
		}
		for _, n := range r.Captures() {
			out[n] = true
		}
	}
	add(f.PrefRegex())
	for _, r := range f.FailRegexes() {
		add(r)
	}
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
	capNames map[string]bool

	lineno                              int64
	matched, ignored, missed, failures  int64
	timeouts, bad, cut                  int64
	hits, ignoreHits                    []int64
	progress, printMissed, printIgnored bool
	lastProgress                        time.Time
	msgBuf                              []byte
	source                              string
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
	lr.OnIdle = func() { _ = r.w.Flush() }
	for {
		if err := r.ctx.Err(); err != nil {
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
			r.cut++
			warnf(r.stderr, "%s:%d: line longer than %d bytes, cut", r.source, lr.Line(), maxLine)
		}
		r.process(line, lr.Line())
		if r.progress && r.lineno&0xffff == 0 {
			r.showProgress()
		}
	}
}

func (r *runner) process(line []byte, fileLine int64) {
	var res *filter.Result
	var err error
	if r.input == "journal-json" {
		msg, t, jerr := journalEntry(line, r.msgBuf[:0])
		if jerr != nil {
			r.bad++
			warnf(r.stderr, "%s:%d: %v", r.source, fileLine, jerr)
			return
		}
		r.msgBuf = msg
		line = msg
		if t.IsZero() {
			t = r.nowFn()
		}
		res, err = r.m.LineAt(msg, t)
	} else {
		res, err = r.m.Line(line)
	}
	if err != nil {
		var te *filter.TimeoutError
		if errors.As(err, &te) {
			r.timeouts++
			warnf(r.stderr, "%s:%d: %v; line skipped: %s", r.source, fileLine, err, oneLine(string(line)))
		} else {
			r.bad++
			warnf(r.stderr, "%s:%d: %v", r.source, fileLine, err)
		}
		return
	}
	switch {
	case res.Ignore >= 0:
		r.ignored++
		r.ignoreHits[res.Ignore]++
		if r.printIgnored {
			fmt.Fprintf(r.stderr, "logmatch: ignored: %s:%d: %s\n", r.source, fileLine, oneLine(string(line)))
		}
		return
	case res.Regex >= 0:
		r.matched++
		r.hits[res.Regex]++
	default:
		r.missed++
		if r.printMissed {
			fmt.Fprintf(r.stderr, "logmatch: missed: %s:%d: %s\n", r.source, fileLine, oneLine(string(line)))
		}
		return
	}
	for i := range res.Failures {
		fl := &res.Failures[i]
		e := &r.ev
		e.Time = fl.Time
		e.Host = fl.Host
		e.IP = fl.IP
		e.Lineno = r.lineno
		e.Attempts = fl.Attempts
		e.Users = nil
		if len(fl.Users) > 1 {
			e.Users = fl.Users
		}
		e.Captures = nil
		for k, v := range fl.Captures {
			if v == "" || !r.capNames[k] {
				continue
			}
			if e.Captures == nil {
				e.Captures = map[string]string{}
			}
			e.Captures[strings.ToLower(k)] = v
		}
		r.failures++
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
	fmt.Fprintf(w, "logmatch: stats: lines %d, matched %d, ignored %d, missed %d, failures %d, timeouts %d, bad %d, cut %d\n",
		r.lineno, r.matched, r.ignored, r.missed, r.failures, r.timeouts, r.bad, r.cut)
	for i, re := range r.f.FailRegexes() {
		fmt.Fprintf(w, "logmatch: stats: failregex %d: %d hits: %s\n", i+1, r.hits[i], oneLine(re.Source))
	}
	for i, re := range r.f.IgnoreRegexes() {
		fmt.Fprintf(w, "logmatch: stats: ignoreregex %d: %d hits: %s\n", i+1, r.ignoreHits[i], oneLine(re.Source))
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
func journalEntry(b []byte, dst []byte) ([]byte, time.Time, error) {
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
