package filter

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

func TestAppendRunes(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"plain", "plain"},
		{"a\x00b", "a\x00b"},
		{"r\xe2\x82oot", "r\ufffdoot"},                   // truncated 3-byte sequence: one U+FFFD
		{"\xff\xfe", "\ufffd\ufffd"},                     // two invalid bytes: two
		{"\xf0\x9f\x98", "\ufffd"},                       // truncated 4-byte sequence
		{"\xe0\x80\x80", "\ufffd\ufffd\ufffd"},           // overlong: E0 needs A0..BF next
		{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"},           // surrogate: ED needs 80..9F next
		{"\xc3\xa9\xc3", "\u00e9\ufffd"},                 // valid then truncated at the end
		{"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"}, // above U+10FFFF
		{"x\xe2\x82\xacy", "x\u20acy"},
		// eight-byte ASCII blocks around invalid and multi-byte sequences
		{"0123456789abcdef\xffxyz01234567\xe2\x82\xac89abcdefgh\xe2\x82", "0123456789abcdef\ufffdxyz01234567\u20ac89abcdefgh\ufffd"},
	}
	for _, tt := range tests {
		got := string(appendRunes(nil, []byte(tt.in)))
		if got != tt.want {
			t.Errorf("appendRunes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpandTags(t *testing.T) {
	tests := []struct{ in, dns, want string }{
		{`from <HOST>$`, "yes", `from ` + tagHost + `$`},
		{`from <HOST>$`, "no", `from ` + tagAddr + `$`},
		{`<ADDR>/<CIDR>`, "yes", tagAddr + `/` + tagCIDR},
		{`user <F-USER>\S+</F-USER> id <F-ID/>`, "yes", `user (?P<user>\S+) id (?P<fid>\S+)`},
		{`<F-ID>\w+</F-ID> <F-PORT>\d+</F-PORT>`, "yes", `(?P<fid>\w+) (?P<fport>\d+)`},
		{`<F-ALT_USER1>x</F-ALT_USER1>`, "yes", `(?P<alt_user1>x)`},
		{`</F-USER> unopened stays`, "yes", `</F-USER> unopened stays`},
		{`<unknown> <F-lower>`, "yes", `<unknown> <F-lower>`},
		{`a<SKIPLINES>b<SKIPLINES>`, "yes", `a\n(?P<skiplines0>(?:(?:.*\n)*?))b\n(?P<skiplines1>(?:(?:.*\n)*?))`},
		{`((?i)abc) (?:(?i)def) \((?i)x)`, "yes", `(?i:abc) (?i:def) \((?i)x)`},
	}
	for _, tt := range tests {
		if got := ExpandTags(tt.in, tt.dns); got != tt.want {
			t.Errorf("ExpandTags(%q, %s)\ngot  %q\nwant %q", tt.in, tt.dns, got, tt.want)
		}
	}
}

func mustMatcher(t testing.TB, def Definition) *Matcher {
	t.Helper()
	f, err := Compile(def, Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	return NewMatcher(f, MatcherOptions{Now: func() time.Time { return now }, Matches: true})
}

// TestMultiLineFailure follows one sshd-like connection across lines: the
// id comes from one line, the failure from later ones (mlfid), a nofail
// line waits, and the failure counts the lines merged. The expectations
// are what fail2ban's own Filter.processLine returns for these lines.
func TestMultiLineFailure(t *testing.T) {
	m := mustMatcher(t, Definition{
		Name:      "t",
		PrefRegex: `^conn <F-MLFID>\d+</F-MLFID>: <F-CONTENT>.+</F-CONTENT>$`,
		FailRegex: []string{
			`^<F-NOFAIL>connect from</F-NOFAIL> <HOST>$`,
			`^failed login for <F-USER>\S+</F-USER>$`,
			`^<F-MLFFORGET>closed</F-MLFFORGET>$`,
		},
		UseDNS: "no",
	})
	steps := []struct {
		line  string
		hosts []string
		users []string
		att   int
		lines []string // the failure's log text (fail2ban's ticket matches)
	}{
		{"conn 7: connect from 192.0.2.7", nil, nil, 0, nil},
		{"conn 8: failed login for nobody", nil, nil, 0, nil}, // no id yet: pending
		// the failure counts the nofail line that gave the id
		{"conn 7: failed login for root", []string{"192.0.2.7"}, []string{"root"}, 2,
			[]string{"conn 7: connect from 192.0.2.7", "conn 7: failed login for root"}},
		{"conn 7: failed login for admin", []string{"192.0.2.7"}, []string{"root", "admin"}, 1,
			[]string{"conn 7: failed login for admin"}},
		// several users on one connection: even the closing line counts
		{"conn 7: closed", []string{"192.0.2.7"}, []string{"root", "admin"}, 1, []string{"conn 7: closed"}},
		{"conn 7: failed login for root", nil, nil, 0, nil}, // forgotten: no id
	}
	for i, s := range steps {
		res, err := m.LineAt([]byte(s.line), time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		var hosts []string
		for _, f := range res.Failures {
			hosts = append(hosts, f.Host)
			if !reflect.DeepEqual(f.Users, s.users) {
				t.Errorf("step %d: users %q, want %q", i, f.Users, s.users)
			}
			if f.Attempts != s.att {
				t.Errorf("step %d: attempts %d, want %d", i, f.Attempts, s.att)
			}
			if !reflect.DeepEqual(f.Lines, s.lines) {
				t.Errorf("step %d: lines %q, want %q", i, f.Lines, s.lines)
			}
		}
		if !reflect.DeepEqual(hosts, s.hosts) {
			t.Errorf("step %d %q: hosts %q, want %q", i, s.line, hosts, s.hosts)
		}
	}
}

// TestIgnoreAndFirstWins checks that the first matching failregex wins and
// that ignoreregex drops a match.
func TestIgnoreAndFirstWins(t *testing.T) {
	m := mustMatcher(t, Definition{
		Name:        "t",
		FailRegex:   []string{`bad <F-USER>\w+</F-USER> from <HOST>`, `bad \w+ from <HOST>`},
		IgnoreRegex: []string{`from 192\.0\.2\.99`},
	})
	res, _ := m.LineAt([]byte("bad eve from 192.0.2.1"), time.Unix(0, 0))
	if res.Regex != 0 || len(res.Failures) != 1 || res.Failures[0].Captures["user"] != "eve" {
		t.Errorf("first regex should win with its capture: %+v", res)
	}
	res, _ = m.LineAt([]byte("bad eve from 192.0.2.99"), time.Unix(0, 0))
	if res.Ignore != 0 || len(res.Failures) != 0 {
		t.Errorf("ignoreregex should drop the line: %+v", res)
	}
}

// TestMaxLines checks a two-line failure with <SKIPLINES>.
func TestMaxLines(t *testing.T) {
	m := mustMatcher(t, Definition{
		Name:      "t",
		FailRegex: []string{`^user (?P<u>\S+) begins$<SKIPLINES>^user (?P=u) failed from <HOST>$`},
		MaxLines:  3,
	})
	var got []string
	for _, l := range []string{"user a begins", "noise", "user a failed from 192.0.2.3", "user a failed from 192.0.2.4"} {
		res, err := m.LineAt([]byte(l), time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Failures {
			got = append(got, f.Host)
			if f.Attempts != 2 {
				t.Errorf("attempts %d, want 2 (the noise line is skipped)", f.Attempts)
			}
			if want := []string{"user a begins", "user a failed from 192.0.2.3"}; !reflect.DeepEqual(f.Lines, want) {
				t.Errorf("lines %q, want %q", f.Lines, want)
			}
		}
	}
	if !reflect.DeepEqual(got, []string{"192.0.2.3"}) {
		t.Errorf("failures %q, want [192.0.2.3] (the matched lines leave the buffer)", got)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, def := range []Definition{
		{Name: "t"},
		{Name: "t", FailRegex: []string{"no id here"}},
		{Name: "t", FailRegex: []string{"(<HOST>"}},
		{Name: "t", FailRegex: []string{"<HOST>"}, UseDNS: "maybe"},
		{Name: "t", FailRegex: []string{"<HOST>"}, PrefRegex: "(?P<x>"},
	} {
		if _, err := Compile(def, Options{}); err == nil {
			t.Errorf("Compile(%+v) succeeded", def)
		}
	}
}

// FuzzPrefilter checks that the literal prefilter, the fast syslog prefix
// matcher and the start sets never change a result: the built-in sshd
// filter with and without them gives the same failures,
// and no line makes the matcher fail or panic.
func FuzzPrefilter(f *testing.F) {
	for _, s := range []string{
		"web01 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2",
		"web01 sshd[1]: Invalid user a from 2001:db8::1 port 22",
		"web01 sshd[1]: Accepted publickey for bob from 192.0.2.2 port 22 ssh2",
		"web01 sshd[1]: Connection closed by authenticating user x 192.0.2.3 port 2 [preauth]",
		"web01 sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.4  user=root",
		"web01 sshd[1]: error: maximum authentication attempts exceeded for root from 192.0.2.5 port 1 ssh2 [preauth]",
	} {
		f.Add(s)
	}
	def, err := Load("filter.d/sshd.conf", map[string]string{"mode": "aggressive"}, &LoadOptions{FS: builtin.FS})
	if err != nil {
		f.Fatal(err)
	}
	with, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		f.Fatal(err)
	}
	without, _ := Compile(*def, Options{UseDNS: "no"})
	without.pre, without.fastPref, without.starts = nil, nil, nil
	if with.fastPref == nil || !with.starts.complete {
		f.Fatal("the built-in sshd filter does not take the fast prefix path with complete start sets")
	}
	now := func() time.Time { return time.Unix(0, 0) }
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 2000 {
			return
		}
		a := NewMatcher(with, MatcherOptions{Now: now})
		b := NewMatcher(without, MatcherOptions{Now: now})
		for _, l := range strings.Split(line, "\n") {
			ra, err1 := a.LineAt([]byte(l), time.Unix(0, 0))
			fa := append([]Failure(nil), ra.Failures...)
			ria := ra.Regex
			rb, err2 := b.LineAt([]byte(l), time.Unix(0, 0))
			if err1 != nil || err2 != nil {
				t.Fatalf("errors %v, %v on %q", err1, err2, l)
			}
			if ria != rb.Regex || !reflect.DeepEqual(fa, rb.Failures) {
				t.Fatalf("prefilter changes the result on %q: regex %d vs %d, %+v vs %+v", l, ria, rb.Regex, fa, rb.Failures)
			}
			for _, fl := range fa {
				for _, v := range fl.Captures {
					if !utf8.ValidString(v) {
						t.Fatalf("invalid UTF-8 in a capture: %q", v)
					}
				}
			}
		}
	})
}

// TestLongLine checks that a very long line is matched as Python matches
// it (regexp2 v2's default backtracking-stack limit would refuse it).
func TestLongLine(t *testing.T) {
	def, err := Load("filter.d/sshd.conf", nil, &LoadOptions{FS: builtin.FS})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(*def, Options{UseDNS: "no"})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(f, MatcherOptions{})
	line := "web01 sshd[1]: Failed password for invalid user " + strings.Repeat("a b ", 25000) + "x from 192.0.2.1 port 1 ssh2"
	res, err := m.LineAt([]byte(line), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || res.Failures[0].Host != "192.0.2.1" {
		t.Fatalf("long line: %+v", res.Failures)
	}
}

type panicky struct{}

func (panicky) FindDate(line string, dst *datedetect.Date) (int, int, bool) {
	if strings.Contains(line, "boom") {
		panic("date detector exploded")
	}
	*dst = datedetect.Date{}
	return 0, 0, false
}

// TestPanicRecovered checks that a panic while processing a line is
// reported as that line's error and the matcher goes on.
func TestPanicRecovered(t *testing.T) {
	f, err := Compile(Definition{Name: "t", FailRegex: []string{`fail from <HOST>`}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(f, MatcherOptions{Dates: panicky{}})
	if _, err := m.Line([]byte("boom fail from 192.0.2.1")); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("panic not turned into an error: %v", err)
	}
	res, err := m.Line([]byte("fail from 192.0.2.2"))
	if err != nil || len(res.Failures) != 1 || res.Failures[0].Host != "192.0.2.2" {
		t.Fatalf("after a panic: %+v, %v", res, err)
	}
}

// TestPrefilterReplacementChar: a literal U+FFFD in a regex also matches
// invalid UTF-8 in the line, which the byte prefilter cannot see.
func TestPrefilterReplacementChar(t *testing.T) {
	m := mustMatcher(t, Definition{Name: "t", FailRegex: []string{"user \ufffd\ufffd from <HOST>"}})
	res, err := m.LineAt([]byte("user \xff\xfe from 192.0.2.1"), time.Unix(0, 0))
	if err != nil || len(res.Failures) != 1 {
		t.Fatalf("invalid UTF-8 should match the U+FFFD literal: %+v %v", res, err)
	}
}

// TestReuseCaptures: with MatcherOptions.ReuseCaptures and ReuseStrings
// each Result's failures carry their own line's captures, host and text (a
// reused map is cleared, a failure without captures has none), as without
// the options.
func TestReuseCaptures(t *testing.T) {
	def := Definition{
		Name: "t",
		FailRegex: []string{
			`^bad user <F-USER>\S+</F-USER>(?: via <F-PORT>\d+</F-PORT>)? from <HOST>$`,
			`^bad host <HOST>$`,
		},
		UseDNS: "no",
	}
	lines := []string{
		"bad user root via 22 from 192.0.2.1",
		"bad user admin from 192.0.2.2",
		"bad host 192.0.2.3",
		"bad user x from 192.0.2.4",
	}
	want := []map[string]string{
		{"user": "root", "fport": "22"},
		{"user": "admin"},
		nil,
		{"user": "x"},
	}
	f, err := Compile(def, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, reuse := range []bool{false, true} {
		m := NewMatcher(f, MatcherOptions{ReuseCaptures: reuse, ReuseStrings: reuse, Matches: true})
		var maps []map[string]string
		for i, l := range lines {
			res, err := m.LineAt([]byte(l), time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Failures) != 1 {
				t.Fatalf("reuse %v: %q: %d failures", reuse, l, len(res.Failures))
			}
			c := res.Failures[0].Captures
			if h, want := res.Failures[0].Host, l[strings.LastIndexByte(l, ' ')+1:]; h != want {
				t.Errorf("reuse %v: %q: host %q, want %q", reuse, l, h, want)
			}
			if ls := res.Failures[0].Lines; len(ls) != 1 || ls[0] != l {
				t.Errorf("reuse %v: %q: lines %q", reuse, l, ls)
			}
			if !reflect.DeepEqual(c, want[i]) {
				t.Errorf("reuse %v: %q: captures %v, want %v", reuse, l, c, want[i])
			}
			if c != nil {
				maps = append(maps, c)
			}
		}
		// the first map was reused for the later lines, or not
		if same := reflect.ValueOf(maps[0]).Pointer() == reflect.ValueOf(maps[2]).Pointer(); same != reuse {
			t.Errorf("reuse %v: the first and last failures share a map: %v", reuse, same)
		}
	}
}
