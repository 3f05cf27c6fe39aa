// Package f2bsample replays fail2ban's annotated sample logs (the format of
// fail2ban's tests/files/logs, and of banpipe's own pkg/filter/builtin/testdata)
// through any filter implementation, following fail2ban's
// tests/samplestestcase.py:
//
//   - "# failJSON: {...}" annotates the next line: "match" says whether a
//     failure is expected, and "host", "time" (local time, fractions
//     allowed), "user", "users" (a set), "attempts" and other captures
//     must then agree; "constraint" can keep the line from a combination;
//   - "# fileOptions: {...}" sets options merged under each later
//     "# filterOptions: {...}" (an object or a list of objects: one filter
//     per entry); "test.condition" can switch a block off, "test.prefix-line"
//     is prepended to journal lines, "test.filter-name" names the filter
//     combination;
//   - "# addFILE: "name"" appends another sample file;
//   - with logtype=journal the time is not parsed: it is Now;
//   - one filter state per combination, across all its lines and files.
package f2bsample

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Now is the samples' "now": 2005-08-14 12:00:00 CEST.
var Now = time.Unix(1124013600, 0)

// Zone returns the samples' time zone (CET/CEST).
func Zone() *time.Location {
	if loc, err := time.LoadLocation("Europe/Zurich"); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600) // summer dates then differ by an hour
}

// Expect is a failJSON annotation.
type Expect struct {
	Raw        map[string]any
	Match      bool
	Constraint string
}

// Line is one sample line of a combination.
type Line struct {
	File   string
	Lineno int
	Text   string
	Expect *Expect // nil: a line without annotation (it must not match)
}

// Combination is one filter with one set of options and the lines it
// sees, in order.
type Combination struct {
	Filter     string            // filter name (the sample file's name)
	Key        string            // a name unique per option set
	Options    map[string]string // filter options, without test.* keys
	Journal    bool              // logtype=journal: time is Now, no date parsing
	PrefixLine string
	Lines      []Line
}

var directiveRE = regexp.MustCompile(`^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$`)

// Read parses the sample log of filter name in dir (and the files it adds)
// into its combinations, in first-use order.
func Read(dir, name string) ([]*Combination, error) {
	combos := map[string]*Combination{}
	var order []*Combination
	var active []*Combination
	var activeOpts []map[string]any
	var common map[string]any
	files := []string{name}
	for fi := 0; fi < len(files); fi++ {
		fname := files[fi]
		data, err := os.ReadFile(filepath.Join(dir, fname))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		ignoreBlock := false
		lnum := 0
		var pending *Expect
		for sc.Scan() {
			lnum++
			line := sc.Text()
			if pending == nil {
				if m := directiveRE.FindStringSubmatch(line); m != nil {
					var v any
					if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
						return nil, fmt.Errorf("%s:%d: %v", fname, lnum, err)
					}
					switch m[1] {
					case "fileOptions":
						common, _ = v.(map[string]any)
						continue
					case "addFILE":
						s, _ := v.(string)
						files = append(files, s)
						continue
					case "filterOptions":
						active, activeOpts = nil, nil
						ignoreBlock = false
						list, ok := v.([]any)
						if !ok {
							list = []any{v}
						}
						for _, e := range list {
							fo, _ := e.(map[string]any)
							opts := map[string]any{}
							for k, x := range common {
								opts[k] = x
							}
							for k, x := range fo {
								opts[k] = x
							}
							if c, ok := opts["test.condition"].(string); ok && c != "" {
								ok, err := evalCond(c, name, opts)
								if err != nil {
									return nil, fmt.Errorf("%s:%d: %v", fname, lnum, err)
								}
								ignoreBlock = !ok
							}
							if ignoreBlock {
								continue
							}
							c := combination(combos, &order, name, opts)
							active = append(active, c)
							activeOpts = append(activeOpts, opts)
						}
						continue
					case "failJSON":
						raw, _ := v.(map[string]any)
						pending = &Expect{Raw: raw}
						pending.Match, _ = raw["match"].(bool)
						pending.Constraint, _ = raw["constraint"].(string)
						continue
					}
				}
				if ignoreBlock || strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
					continue
				}
			}
			exp := pending
			pending = nil
			if ignoreBlock {
				continue
			}
			if active == nil {
				c := combination(combos, &order, name, map[string]any{})
				active, activeOpts = []*Combination{c}, []map[string]any{{}}
			}
			text := strings.TrimRight(line, "\r\n")
			for i, c := range active {
				if exp != nil && exp.Constraint != "" {
					ok, err := evalCond(exp.Constraint, name, activeOpts[i])
					if err != nil {
						return nil, fmt.Errorf("%s:%d: %v", fname, lnum, err)
					}
					if !ok {
						continue
					}
				}
				t := text
				if c.Journal && c.PrefixLine != "" {
					t = c.PrefixLine + t
				}
				c.Lines = append(c.Lines, Line{File: fname, Lineno: lnum, Text: t, Expect: exp})
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func combination(combos map[string]*Combination, order *[]*Combination, name string, opts map[string]any) *Combination {
	fo := map[string]string{}
	var keys []string
	for k, v := range opts {
		if strings.HasPrefix(k, "test.") {
			continue
		}
		fo[k] = fmt.Sprint(v)
		keys = append(keys, k)
	}
	sort.Strings(keys)
	key := ""
	for _, k := range keys {
		key += k + "=" + fo[k] + ";"
	}
	if n, ok := opts["test.filter-name"].(string); ok && n != "" {
		key = n
	}
	if c, ok := combos[key]; ok {
		return c
	}
	c := &Combination{Filter: name, Key: key, Options: fo, Journal: fo["logtype"] == "journal"}
	c.PrefixLine, _ = opts["test.prefix-line"].(string)
	combos[key] = c
	*order = append(*order, c)
	return c
}

var condRE = regexp.MustCompile(`^\s*(name|opts\.get\('([\w.-]+)'\))\s*(==|!=)\s*'([^']*)'\s*$`)

// evalCond evaluates the Python conditions the samples use:
// name == 'x' and opts.get('k') == 'v' (or !=).
func evalCond(expr, name string, opts map[string]any) (bool, error) {
	m := condRE.FindStringSubmatch(expr)
	if m == nil {
		return false, fmt.Errorf("unsupported condition %q", expr)
	}
	val := name
	if m[2] != "" {
		v, ok := opts[m[2]]
		if !ok {
			val = "\x00none"
		} else {
			val = fmt.Sprint(v)
		}
	}
	eq := val == m[4]
	if m[3] == "!=" {
		return !eq, nil
	}
	return eq, nil
}

// Got is one failure a filter implementation reported for a line.
type Got struct {
	Host     string
	IP       netip.Prefix
	Time     time.Time
	Groups   map[string]string // the captures (nil when unknown)
	Users    []string
	Attempts int
	// Partial: Groups holds only the non-empty <F-NAME> captures, as events
	// carry them (no ip4, ip6, dns groups; an empty capture is absent).
	Partial bool
}

// Mismatch describes a case that did not agree.
type Mismatch struct {
	Combo  string
	File   string
	Lineno int
	Text   string
	Reason string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s %s:%d: %s\n    %s", m.Combo, m.File, m.Lineno, m.Reason, m.Text)
}

// Tally counts cases.
type Tally struct {
	Cases      int // annotated (line, combination) pairs
	Agree      int
	Unexpected int // unannotated lines that matched
	Mismatches []Mismatch
}

// Check compares what a filter reported for each line of c (got[i] for
// c.Lines[i]) with the annotations, and adds to t.
func (t *Tally) Check(c *Combination, got [][]Got) {
	loc := Zone()
	for i, l := range c.Lines {
		var g []Got
		if i < len(got) {
			g = got[i]
		}
		if l.Expect == nil {
			if len(g) > 0 {
				t.Unexpected++
				t.Mismatches = append(t.Mismatches, Mismatch{c.Filter + "[" + c.Key + "]", l.File, l.Lineno, l.Text, "unannotated line matched: " + g[0].Host})
			}
			continue
		}
		t.Cases++
		reason := compare(l.Expect, g, loc)
		if reason == "" {
			t.Agree++
			continue
		}
		t.Mismatches = append(t.Mismatches, Mismatch{c.Filter + "[" + c.Key + "]", l.File, l.Lineno, l.Text, reason})
	}
}

func compare(e *Expect, g []Got, loc *time.Location) string {
	if len(g) == 0 {
		if e.Match {
			return "not matched, should have"
		}
		return ""
	}
	if !e.Match {
		return fmt.Sprintf("matched (host %q), should not have", g[0].Host)
	}
	if len(g) > 1 {
		return fmt.Sprintf("%d failures", len(g))
	}
	f := g[0]
	for k, v := range e.Raw {
		switch k {
		case "time", "match", "desc", "constraint":
			continue
		case "host":
			want := fmt.Sprint(v)
			host := f.Host
			if h, ok := f.Groups["host"]; ok {
				host = h
			}
			if !sameHost(host, want) {
				return fmt.Sprintf("host %q, want %q", host, want)
			}
		case "attempts":
			n, _ := v.(float64)
			if f.Attempts != int(n) {
				return fmt.Sprintf("attempts %d, want %v", f.Attempts, v)
			}
		case "users":
			list, _ := v.([]any)
			var want []string
			for _, x := range list {
				want = append(want, fmt.Sprint(x))
			}
			have := slices.Clone(f.Users)
			slices.Sort(want)
			slices.Sort(have)
			if !slices.Equal(want, have) {
				return fmt.Sprintf("users %q, want %q", have, want)
			}
		default:
			gv, ok := f.Groups[k]
			if f.Partial {
				switch {
				case k == "dns" && v == nil:
					if !f.IP.IsValid() {
						return "dns: host is not an address"
					}
					continue
				case k == "ip4" || k == "ip6":
					if !f.IP.IsValid() || !sameHost(f.IP.Addr().String(), fmt.Sprint(v)) {
						return fmt.Sprintf("%s: ip %v, want %v", k, f.IP, v)
					}
					continue
				case !ok && v == "":
					continue // an empty capture is not written
				}
			}
			if v == nil {
				if ok {
					return fmt.Sprintf("%s %q, want none", k, gv)
				}
				continue
			}
			if !ok || gv != fmt.Sprint(v) {
				if !ok {
					return fmt.Sprintf("%s absent, want %q", k, v)
				}
				return fmt.Sprintf("%s %q, want %q", k, gv, v)
			}
		}
	}
	if ts, ok := e.Raw["time"].(string); ok {
		want, frac, err := parseLocal(ts, loc)
		if err != nil {
			return "bad expected time " + ts
		}
		got := f.Time
		if !frac {
			// fail2ban's templates mostly drop fractions; events keep them
			got = got.Truncate(time.Second)
		}
		if !got.Equal(want) {
			return fmt.Sprintf("time %s, want %s", f.Time.In(loc).Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
	}
	return ""
}

var localRE = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$`)

// parseLocal parses an expected time as Python's strptime with
// "%Y-%m-%dT%H:%M:%S[.%f]" does, in loc.
func parseLocal(s string, loc *time.Location) (time.Time, bool, error) {
	m := localRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false, fmt.Errorf("bad time %q", s)
	}
	n := make([]int, 7)
	for i := 1; i <= 6; i++ {
		n[i], _ = strconv.Atoi(m[i]) // not Sscan: it reads "08" as octal
	}
	ns := 0
	if m[7] != "" {
		f := m[7] + strings.Repeat("0", 9-len(m[7]))
		ns, _ = strconv.Atoi(f)
	}
	return time.Date(n[1], time.Month(n[2]), n[3], n[4], n[5], n[6], ns, loc), m[7] != "", nil
}

// sameHost compares hosts as fail2ban's IPAddr does: as addresses when both
// are IP literals, else as text.
func sameHost(got, want string) bool {
	if got == want {
		return true
	}
	a, err1 := netip.ParseAddr(strings.Trim(got, "[]"))
	b, err2 := netip.ParseAddr(strings.Trim(want, "[]"))
	if err1 == nil && err2 == nil {
		return a.Unmap() == b.Unmap()
	}
	return false
}

// Names lists the sample files in dir that have a filter in filterDir
// (filter.d/NAME.conf, not a *common.conf).
func Names(dir, filterDir string) []string {
	ents, _ := os.ReadDir(filterDir)
	var out []string
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), ".conf")
		if !ok || strings.HasSuffix(e.Name(), "common.conf") || strings.HasPrefix(n, ".") {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
