package filter

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/pkg/pyre"
)

// prefixFilters returns the filters whose prefregex the fast syslog prefix
// matcher must know: the built-in sshd.conf and, when installed,
// fail2ban's.
func prefixFilters(t testing.TB) map[string]*Filter {
	t.Helper()
	out := map[string]*Filter{}
	load := func(name, file string, opts *LoadOptions) {
		def, err := Load(file, nil, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := Compile(*def, Options{UseDNS: "no"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = f
	}
	load("built-in sshd", "filter.d/sshd.conf", &LoadOptions{FS: os.DirFS("builtin")})
	if _, err := os.Stat("/etc/fail2ban/filter.d/sshd.conf"); err == nil {
		load("fail2ban sshd", "/etc/fail2ban/filter.d/sshd.conf", nil)
	} else {
		t.Log("fail2ban is not installed: its sshd.conf is not checked")
	}
	return out
}

// checkPrefix compares the fast matcher with the prefregex on one line:
// when the fast matcher is sure, the regex must match with the same mlfid
// and content.
func checkPrefix(t testing.TB, name string, f *Filter, line []byte) (fast bool) {
	mlfEnd, cs, ok := f.fastPref.match(line, false)
	if !ok {
		return false
	}
	text := append(appendRunes(nil, line), '\n')
	sp := make([]pyre.Span, len(f.pref.slots))
	found, err := f.pref.re.Find(text, f.pref.slots, sp)
	if err != nil {
		t.Fatalf("%s: %q: %v", name, line, err)
	}
	if !found {
		t.Fatalf("%s: %q: fast matcher found content at %d, the prefregex does not match", name, line, cs)
	}
	for i, g := range f.pref.groups {
		s := sp[1+i]
		var want pyre.Span
		switch g.name {
		case "mlfid":
			want = pyre.Span{Index: 0, Length: mlfEnd, OK: true}
		case "content":
			want = pyre.Span{Index: cs, Length: len(text) - 1 - cs, OK: true}
		}
		if s != want {
			t.Fatalf("%s: %q: group %s: regex %+v, fast matcher %+v", name, line, g.name, s, want)
		}
	}
	return true
}

func TestSyslogPrefixAgainstRegex(t *testing.T) {
	fs := prefixFilters(t)
	lines := []string{
		" web01 sshd[123]: Accepted publickey for root from 192.0.2.1 port 22 ssh2",
		"web01 sshd[123]: Failed password for root from 192.0.2.1 port 22 ssh2",
		" web01 sshd-session[9]: Invalid user x from 192.0.2.1 port 22",
		"   host.example.org   sshd[1]:   error: PAM: Authentication failure for x from 192.0.2.1",
		" h sshd[1]: fatal: Timeout before authentication for 192.0.2.1",
		" h sshd[1]: error: x",
		" h sshd[1]: error:  x",
		" h sshd[1]: error: PAM:  x",
		" h sshd[1]: error: PAM: ",
		" h sshd[1]: error: ",
		" h sshd[1]: [ID 800047 auth.info] Failed password for x from 192.0.2.1",
		" h sshd[1]:\tx",
		" h sshd[1]: \tx",
		" h\tsshd[1]: x",
		"\th sshd[1]: x",
		"[] h sshd[1]: x",
		" <auth.info> h sshd[1]: x",
		" <auth.info h sshd[1]: x",
		" h kernel: [1.2] sshd[1]: x",
		" h sshd[1]: x\ny",
		" h sshd[1]: x\r",
		" h sshd[1]: \xff\xfe x",
		" h sshd[1]: x \xff\xfe",
		" h sshd[]: x",
		" h sshd[1] x",
		" h sshd[1]:x",
		" h sshd: x",
		" h sshd(pam_unix)[1]: x",
		" h sshdx[1]: x",
		" h sshd-sessionx[1]: x",
		" h sshd-session[1]: x",
		" sshd[1]: x",
		"sshd[1]: sshd[2]: x",
		" h sshd[1]: sshd[2]: x",
		" h\u00a0sshd[1]: x",
		" h sshd[1]:\u00a0x",
		" h sshd[1]: \u00e9t\u00e9",
		" h @vserver_x sshd[1]: x",
		" h sshd[12345678901234567890]: x",
		" h sshd[1]: " + strings.Repeat("a", 5000),
		" web01 CRON[123]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
		" web01 systemd-logind[612]: Session 922 logged out.",
		" h sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
		" h kernel: [1.2] x",
		" h kernel: x",
		" h kx",
		" h fatal: x",
		" h error: x",
		" h e",
		" h @vserver_a x",
		" h (sshd)[1]: x",
		" h [1]: sshd: x",
		" h :x",
		" h s x",
		" h sshd: x",
		" h Connection from 192.0.2.1",
		" h Accepted password for x from 192.0.2.1 port 1 ssh2",
		" h CRON[1]: x\ny",
		" h CRON[1]: x \xff",
		" h \xffCRON[1]: x",
		" h  ",
		" h systemd[1]: Started x.",
		" h sshdx: x",
		" h sshd-sessio[1]: x",
		" h kernel x",
		" h kernel:x",
		" h fatal:x",
		" h errors: x",
		" h @x",
		" h @vserver_",
		" h [ID 1 a] x",
		" h :1 x",
		" h (x) x",
		" h",
	}
	// fail2ban's sample logs, as written and without their first 16 bytes
	// (where a syslog date stands)
	if files, _ := filepath.Glob("/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/*"); len(files) > 0 {
		for _, p := range files {
			fh, err := os.Open(p)
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(fh)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				l := sc.Text()
				lines = append(lines, l)
				if len(l) > 16 {
					lines = append(lines, l[15:], l[16:])
				}
			}
			fh.Close()
		}
	}
	for name, f := range fs {
		if f.fastPref == nil {
			t.Fatalf("%s: the fast prefix matcher is not used for %q", name, f.pref.Expanded)
		}
		n := 0
		for _, l := range lines {
			if checkPrefix(t, name, f, []byte(l)) {
				n++
			}
		}
		// the plain shapes must take the fast path
		for _, l := range lines[:6] {
			if _, _, ok := f.fastPref.match([]byte(l), false); !ok && !(name == "fail2ban sshd" && strings.Contains(l, "sshd-session")) {
				t.Errorf("%s: %q: fast path not taken", name, l)
			}
		}
		t.Logf("%s: %d of %d lines on the fast path, all agree with the prefregex", name, n, len(lines))
	}
}

func TestSyslogPrefixShapes(t *testing.T) {
	for _, c := range []struct {
		d    string
		want []string
	}{
		{"sshd", []string{"sshd"}},
		{"sshd(?:-session)?", []string{"sshd", "sshd-session"}},
		{"(?:sshd|x)", nil},
		{"ssh.", nil},
		{"kernel", nil},
		{"sshd(?:-session)", nil},
	} {
		got := daemonNames(c.d)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("daemonNames(%q) = %q, want %q", c.d, got, c.want)
		}
	}
	// a prefregex of another shape gets no fast matcher
	f, err := Compile(Definition{Name: "x", PrefRegex: `^(?P<mlfid>\S+ )(?P<content>.+)$`, FailRegex: []string{"^a <HOST>"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.fastPref != nil {
		t.Error("fast prefix matcher for an unknown prefregex shape")
	}
}

// FuzzSyslogPrefix checks the fast prefix matcher against the prefregex on
// arbitrary lines.
func FuzzSyslogPrefix(f *testing.F) {
	for _, s := range []string{
		" web01 sshd[123]: Accepted publickey for root from 192.0.2.1 port 22 ssh2",
		" h sshd[1]: error: PAM: x",
		" h sshd-session[1]: fatal: x",
		" h sshd[1]: [ID 1 a.b] x",
	} {
		f.Add(s)
	}
	fs := prefixFilters(f)
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 2000 {
			return
		}
		for name, flt := range fs {
			checkPrefix(t, name, flt, []byte(line))
		}
	})
}
