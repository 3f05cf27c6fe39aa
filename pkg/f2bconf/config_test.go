package f2bconf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLayered reads testdata/layered: includes before and after (one of
// them an optional missing .local), a .local override using known/, the
// comment rules, continuation lines with a blank line, %% and %(x)s.
func TestLayered(t *testing.T) {
	c, err := Read("testdata/layered/main.conf", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"testdata/layered/base.conf", "testdata/layered/main.conf", "testdata/layered/tail.conf", "testdata/layered/main.local"}
	if got := c.Files(); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("Files() = %q, want %q", got, wantFiles)
	}
	if got, want := c.Sections(), []string{"Definition", "Init"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Sections() = %q, want %q", got, want)
	}
	tests := []struct{ sec, key, want string }{
		{"Definition", "prefix", "^base-prefix testd"},
		{"Definition", "PREFIX", "^base-prefix testd"},
		{"Definition", "greeting", "hello testd"},
		{"Definition", "ignoreregex", "hash#stays"},
		{"Definition", "percent", "100% sure"},
		{"Definition", "mode", "extra"},
		{"Definition", "known/mode", "normal"},
		{"Definition", "nested", "<mdre-<mode>>"},
		{"Definition", "datepattern", "{^LN-BEG}"},
		{"Definition", "failregex", `^Failed for <F-USER>\S+</F-USER> from <HOST>` + "\n" +
			`^Invalid user \S+ from <HOST>` + "\n\n" +
			`^after a blank line from <HOST>` + "\n" +
			`^last from <HOST>` + "\n" +
			`^local addition from <HOST>`},
		{"Init", "blocktype", "REJECT"},
		{"Init", "blocktype?family=inet6", "REJECT --reject-with icmp6-port-unreachable"},
		{"Init", "greeting", "hello testd"},
		{"DEFAULT", "_daemon", "testd"},
	}
	for _, tt := range tests {
		got, err := c.Get(tt.sec, tt.key)
		if err != nil {
			t.Errorf("Get(%s, %s): %v", tt.sec, tt.key, err)
		} else if got != tt.want {
			t.Errorf("Get(%s, %s) =\n%q\nwant\n%q", tt.sec, tt.key, got, tt.want)
		}
	}
	if raw, _ := c.Raw("Definition", "prefix"); raw != "^%(__prefix)s %(_daemon)s" {
		t.Errorf("Raw(prefix) = %q", raw)
	}
	if f, l := c.Pos("Definition", "failregex"); f != "testdata/layered/main.local" || l != 2 {
		t.Errorf("Pos(failregex) = %s:%d, want main.local:2", f, l)
	}
	if f, l := c.Pos("Definition", "__prefix"); f != "testdata/layered/base.conf" || l != 5 {
		t.Errorf("Pos(__prefix) = %s:%d, want base.conf:5", f, l)
	}
	var nf *NotFound
	if _, err := c.Get("Definition", "nope"); !errors.As(err, &nf) || nf.Key != "nope" {
		t.Errorf("Get(nope) error = %v, want *NotFound", err)
	}
	if _, err := c.Get("Nope", "x"); !errors.As(err, &nf) || nf.Section != "Nope" || nf.Key != "" {
		t.Errorf("Get(Nope, x) error = %v, want *NotFound section", err)
	}
	m, err := c.Combine(FilterKeys, false, nil, nil, TagOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// mode is "extra" after main.local, so <mdre-<mode>> is E; nested is
	// not a filter key, so only the tag lookup sees it
	if got, err := SubstituteTags(map[string]string{"x": "<nested>"}, TagOptions{Lookup: func(tag string) (string, bool) {
		v, err := c.Get("Definition", tag)
		return v, err == nil
	}}); err != nil || got["x"] != "E" {
		t.Errorf("<nested> = %q, %v; want E", got["x"], err)
	}
	if m["datepattern"] != "{^LN-BEG}" || m["known/blocktype"] != "REJECT" {
		t.Errorf("Combine = %q", m)
	}
	nl, err := Read("testdata/layered/main.conf", &Options{NoLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := nl.Get("Definition", "mode"); got != "normal" {
		t.Errorf("NoLocal: mode = %q, want normal", got)
	}
	if _, err := nl.Get("Definition", "known/mode"); err != nil {
		t.Errorf("NoLocal: known/mode: %v (want the current value)", err)
	}
}

// TestReadMore merges a further file and reports a missing one as
// fs.ErrNotExist.
func TestReadMore(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/jail.conf":   {Data: []byte("[DEFAULT]\nbantime = 10m\n[sshd]\nport = ssh\n")},
		"etc/extra.conf":  {Data: []byte("[sshd]\nport = 2222\n[new]\nenabled = true\n")},
		"etc/extra.local": {Data: []byte("[new]\nenabled = false\n")},
	}
	c, err := Read("/etc/jail.conf", &Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ReadMore("/etc/missing.conf"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadMore(missing) = %v, want fs.ErrNotExist", err)
	}
	if err := c.ReadMore("/etc/extra.conf"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get("sshd", "port"); got != "2222" {
		t.Errorf("port = %q", got)
	}
	if got, _ := c.Get("sshd", "%(known/port)s"); got != "" {
		t.Errorf("odd key accepted: %q", got)
	}
	if got, _ := c.Get("new", "enabled"); got != "false" {
		t.Errorf("enabled = %q, want false from extra.local", got)
	}
	if got, want := c.Sections(), []string{"sshd", "new"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Sections = %q, want %q", got, want)
	}
	if got, want := c.Keys("sshd"), []string{"port", "bantime"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys = %q, want %q", got, want)
	}
}

// TestReadErrors checks that every error names file and line.
func TestReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		get   [2]string // section, key to Get (when Read succeeds)
		want  string
	}{
		{"missing bracket", map[string]string{"a.conf": "[Definition]\nx = 1\n[Init\ny = 2\n"}, [2]string{}, "a.conf:3: missing ] in section header"},
		{"no delimiter", map[string]string{"a.conf": "[Definition]\nx = 1\njust words\n"}, [2]string{}, `a.conf:3: expected "key = value" or a [section]: "just words"`},
		{"no section", map[string]string{"a.conf": "# c\nx = 1\n"}, [2]string{}, "a.conf:2: option outside a section"},
		{"empty key", map[string]string{"a.conf": "[s]\n = 1\n"}, [2]string{}, "a.conf:2: option without a name"},
		{"duplicate section", map[string]string{"a.conf": "[s]\nx=1\n\n[s]\ny=2\n"}, [2]string{}, "a.conf:4: section [s] already defined at line 1"},
		{"duplicate option", map[string]string{"a.conf": "[s]\nx=1\nX=2\n"}, [2]string{}, `a.conf:3: option "x" in [s] already set at line 2`},
		{"unknown include", map[string]string{"a.conf": "[INCLUDES]\nbefore = common.conf\n         nope.conf\n[s]\nx=1\n", "common.conf": "[s]\ny=1\n"}, [2]string{}, "a.conf:2: include before: nope.conf not found"},
		{"error in include", map[string]string{"a.conf": "[INCLUDES]\nafter = b.conf\n", "b.conf": "[s]\n\nbad line\n"}, [2]string{}, "b.conf:3: expected"},
		{"error in local", map[string]string{"a.conf": "[s]\nx=1\n", "a.local": "[s]\ny\n"}, [2]string{}, "a.local:2: expected"},
		{"invalid utf8", map[string]string{"a.conf": "[s]\nx=\xff\n"}, [2]string{}, "a.conf:2: invalid UTF-8"},
		{"missing option", map[string]string{"a.conf": "[s]\nx=1\n\ny = a %(nope)s\n"}, [2]string{"s", "y"}, `a.conf:4: [s] y: no option "nope" for %(nope)s`},
		{"loop", map[string]string{"a.conf": "[s]\nx = %(y)s\ny = %(x)s\n"}, [2]string{"s", "x"}, "a.conf:2: [s] x: interpolation deeper than 10 levels"},
		{"stray percent", map[string]string{"a.conf": "[s]\nx = 50%\n"}, [2]string{"s", "x"}, "a.conf:2: [s] x: '%' must be followed by '%' or '('"},
		{"bad reference", map[string]string{"a.conf": "[s]\nx = %(y\n"}, [2]string{"s", "x"}, "a.conf:2: [s] x: bad interpolation reference"},
		{"loop through default", map[string]string{"a.conf": "[DEFAULT]\nd = %(x)s\n[s]\nx = <%(d)s>\n"}, [2]string{"s", "x"}, "a.conf:4: [s] x: interpolation deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, d := range tt.files {
				fsys[n] = &fstest.MapFile{Data: []byte(d)}
			}
			c, err := Read("a.conf", &Options{FS: fsys})
			if err == nil && tt.get[0] != "" {
				_, err = c.Get(tt.get[0], tt.get[1])
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\ngot  %q\nwant %q...", err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Line == 0 {
				t.Errorf("error %v is not an *Error with a line", err)
			}
		})
	}
}

// TestParseRules pins the line syntax, one rule per case.
var parseRuleTests = []struct {
	name string
	in   string
	key  string
	want string
}{
	{"colon", "[s]\nk: v\n", "k", "v"},
	{"first delimiter wins", "[s]\nk: a = b\n", "k", "a = b"},
	{"equals first", "[s]\nk = a: b\n", "k", "a: b"},
	{"upper key", "[s]\nKeY = v\n", "key", "v"},
	{"inline semicolon", "[s]\nk = v ; c\n", "k", "v"},
	{"semicolon without space", "[s]\nk = a;b\n", "k", "a;b"},
	{"inline hash kept", "[s]\nk = a # b\n", "k", "a # b"},
	{"inline semicolon after tab", "[s]\nk = a\t;b\n", "k", "a"},
	{"empty value", "[s]\nk =\n", "k", ""},
	{"empty value then continuation", "[s]\nk =\n  a\n  b\n", "k", "\na\nb"},
	{"trailing blank lines dropped", "[s]\nk = a\n\n\n", "k", "a"},
	{"blank lines inside", "[s]\nk = a\n\n  b\n", "k", "a\n\nb"},
	{"comment line in value dropped", "[s]\nk = a\n  # x\n  ; y\n  b\n", "k", "a\nb"},
	{"comment line keeps no blank", "[s]\nk = a\n# x\n  b\n", "k", "a\nb"},
	{"indented option", "[s]\n  k = a\n    b\n  l = c\n", "k", "a\nb"},
	{"indented option next", "[s]\n  k = a\n    b\n  l = c\n", "l", "c"},
	{"section line as continuation", "[s]\nk = a\n  [t]\n", "k", "a\n[t]"},
	{"crlf", "[s]\r\nk = a\r\n  b\r\n", "k", "a\nb"},
	{"cr only", "[s]\rk = a\r  b\r", "k", "a\nb"},
	{"bom", "\ufeff[s]\nk = a\n", "k", "a"},
	{"no final newline", "[s]\nk = a", "k", "a"},
	{"tab indent", "[s]\nk = a\n\tb\n", "k", "a\nb"},
	{"section trailing text", "[s] junk\nk = a\n", "k", "a"},
	{"continued option then new", "[s]\nk = a\nm = b\n", "m", "b"},
	{"percent escape", "[s]\nk = %%Y-%%m\n", "k", "%Y-%m"},
	{"name reference", "[s]\nk = %(__name__)s\n", "k", "s"},
	{"reference lower-cased", "[s]\nab = x\nk = %(AB)s\n", "k", "x"},
	{"section reference", "[s]\nk = %(t/v)s\n[t]\nv = tv\n", "k", "tv"},
	{"section reference default", "[DEFAULT]\nv = dv\n[s]\nk = %(t/v)s\n[t]\nw = 1\n", "k", "dv"},
	{"default reference", "[DEFAULT]\nv = dv\n[s]\nv = sv\nk = %(default/v)s\n", "k", "dv"},
	{"known without override", "[DEFAULT]\nv = dv\n[s]\nv = sv\nk = %(known/v)s\n", "k", "dv"},
	{"reference resolved in section", "[DEFAULT]\nx = %(y)s\ny = dy\n[s]\ny = sy\nk = %(x)s\n", "k", "sy"},
	{"depth 9 ok", "[s]\nk = %(a1)s\na1 = %(a2)s\na2 = %(a3)s\na3 = %(a4)s\na4 = %(a5)s\na5 = %(a6)s\na6 = %(a7)s\na7 = %(a8)s\na8 = %(a9)s\na9 = end\n", "k", "end"},
}

func TestParseRules(t *testing.T) {
	for _, tt := range parseRuleTests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Read("a.conf", &Options{FS: fstest.MapFS{"a.conf": {Data: []byte(tt.in)}}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Get("s", tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSectionDefaults checks that Section's defaults act as fail2ban's
// pOptions: over the file's values, in the result and in references.
func TestSectionDefaults(t *testing.T) {
	in := "[DEFAULT]\nport = 22\n[s]\nport = ssh\nrule = -p tcp --dport %(port)s\nname = %(jail)s\n"
	c, err := Read("a.conf", &Options{FS: fstest.MapFS{"a.conf": {Data: []byte(in)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Section("s", nil); err == nil {
		t.Error("Section without defaults: want the missing %(jail)s error")
	}
	got, err := c.Section("s", map[string]string{"PORT": "2222", "jail": "sshd", "extra": "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"port": "2222", "rule": "-p tcp --dport 2222", "name": "sshd"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Section = %q, want %q", got, want)
	}
}

// TestConditionalSections merges [Init?family=inet6] into [Init].
func TestConditionalSections(t *testing.T) {
	in := "[Init?family=inet6]\nproto = v6\n[Definition]\nban = cmd <proto> <ip>\n[Init]\nproto = v4\n"
	c, err := Read("a.conf", &Options{FS: fstest.MapFS{"a.conf": {Data: []byte(in)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Sections(), []string{"Init", "Definition"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Sections = %q, want %q", got, want)
	}
	m, err := c.Combine([]string{"ban"}, false, nil, map[string]string{"ip": "<ip>"}, TagOptions{Ignore: []string{"ip"}})
	if err != nil {
		t.Fatal(err)
	}
	if m["ban"] != "cmd <proto> <ip>" {
		t.Errorf("conditional tag substituted without a condition: %q", m["ban"])
	}
	for cond, want := range map[string]string{"family=inet": "cmd v4 <ip>", "family=inet6": "cmd v6 <ip>"} {
		got, err := SubstituteTags(m, TagOptions{Conditional: cond, Ignore: []string{"ip"}})
		if err != nil {
			t.Fatal(err)
		}
		if got["ban"] != want {
			t.Errorf("%s: ban = %q, want %q", cond, got["ban"], want)
		}
	}
}

// TestIncludeCycle: files including each other are read once each.
func TestIncludeCycle(t *testing.T) {
	fsys := fstest.MapFS{
		"d/a.conf": {Data: []byte("[INCLUDES]\nbefore = b.conf\n[s]\nx = a\n")},
		"d/b.conf": {Data: []byte("[INCLUDES]\nbefore = a.conf\n[s]\nx = b\ny = b\n")},
	}
	c, err := Read("d/a.conf", &Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Files(), []string{"d/b.conf", "d/a.conf"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Files = %q, want %q", got, want)
	}
	if x, _ := c.Get("s", "x"); x != "a" {
		t.Errorf("x = %q", x)
	}
	// a diamond many levels deep stays within MaxIncludes or fails cleanly
	fsys = fstest.MapFS{}
	for i := 0; i < 12; i++ {
		data := "[s]\nx = 1\n"
		if i < 11 {
			next := "f" + string(rune('a'+i+1)) + ".conf"
			data = "[INCLUDES]\nbefore = " + next + "\nafter = " + next + "\n"
		}
		fsys[filepath.Join("e", "f"+string(rune('a'+i))+".conf")] = &fstest.MapFile{Data: []byte(data)}
	}
	if _, err := Read("e/fa.conf", &Options{FS: fsys}); err == nil || !strings.Contains(err.Error(), "too many included files") {
		t.Errorf("diamond: err = %v", err)
	}
}

// TestConcurrentGet reads one Config from several goroutines (run with
// -race).
func TestConcurrentGet(t *testing.T) {
	c, err := Read("testdata/layered/main.conf", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- true }()
			for n := 0; n < 50; n++ {
				if _, err := c.Section("Definition", map[string]string{"mode": "x"}); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Combine(FilterKeys, true, nil, nil, TagOptions{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
}

// TestCombineKnownArgument: an action argument chain="<known/chain>" (what
// jail.conf's action_mw passes to sendmail-whois, whose [Init] has no
// chain) stays as it is, as in fail2ban, instead of resolving known/chain
// to the argument itself; where [Init] sets chain, <known/chain> is that.
func TestCombineKnownArgument(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"[Definition]\nactionban = mail <chain>\n", "mail <known/chain>"},
		{"[Definition]\nactionban = iptables -I <chain>\n[Init]\nchain = INPUT\n", "iptables -I INPUT"},
	} {
		c, err := Read("/a.conf", &Options{FS: fstest.MapFS{"a.conf": {Data: []byte(tc.file)}}})
		if err != nil {
			t.Fatal(err)
		}
		args := map[string]string{"chain": "<known/chain>"}
		m, err := c.Combine(ActionKeys, false, args, args, TagOptions{})
		if err != nil {
			t.Errorf("%q: %v", tc.file, err)
			continue
		}
		if m["actionban"] != tc.want {
			t.Errorf("%q: actionban = %q, want %q", tc.file, m["actionban"], tc.want)
		}
	}
}

// TestLimits: a file over MaxFileSize and a device named as an include
// are refused without being read whole.
func TestLimits(t *testing.T) {
	big := make([]byte, MaxFileSize+10)
	copy(big, "[s]\nx = 1\n")
	for i := 10; i < len(big); i++ {
		big[i] = '#'
	}
	if _, err := Read("a.conf", &Options{FS: fstest.MapFS{"a.conf": {Data: big}}}); err == nil || !strings.Contains(err.Error(), "file too large") {
		t.Errorf("big file: %v", err)
	}
	fsys := fstest.MapFS{"a.conf": {Data: []byte("[INCLUDES]\nbefore = /dev/zero\n[s]\n")}}
	if _, err := Read("a.conf", &Options{FS: fsys}); err == nil || !strings.Contains(err.Error(), "a.conf:2: include before: /dev/zero not found") {
		t.Errorf("device include (fs): %v", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "a.conf")
	if err := os.WriteFile(p, []byte("[INCLUDES]\nafter = /dev/zero\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(p, nil); err == nil || !strings.Contains(err.Error(), "include after: /dev/zero not found") {
		t.Errorf("device include (os): %v", err)
	}
}

// TestCombineSkipsName: an [Init] or [Definition] option written
// "__name__" is not combined, as fail2ban's getOptions skips it.
func TestCombineSkipsName(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f.conf")
	if err := os.WriteFile(f, []byte("[Init]\n__name__ = x\nport = 22\n[Definition]\n__name__ = y\nfailregex = ^<HOST> <port>$\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Read(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, all := range []bool{false, true} {
		m, err := c.Combine(FilterKeys, all, nil, nil, TagOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m["__name__"]; ok || m["known/__name__"] != "" || m["failregex"] != "^<HOST> 22$" {
			t.Errorf("all=%v: Combine = %q", all, m)
		}
	}
}
