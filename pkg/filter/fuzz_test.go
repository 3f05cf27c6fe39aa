package filter

import (
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"
)

// FuzzLoad feeds arbitrary filter files to Load, Compile and a Matcher:
// errors are fine, panics and hangs are not.
func FuzzLoad(f *testing.F) {
	f.Add("[Definition]\nfailregex = ^Failed .* from <HOST>\n", "Failed x from 192.0.2.1")
	f.Add("[INCLUDES]\nbefore = common.conf\n[Definition]\n_daemon = sshd\nprefregex = ^%(__prefix_line)s<F-CONTENT>.+</F-CONTENT>$\nfailregex = ^<mdre-<mode>>\nmdre-normal = bad <F-USER>\\S+</F-USER> from <ADDR>\n[Init]\nmode = normal\nmaxlines = 2\n", "web sshd[1]: bad u from 192.0.2.2")
	f.Add("[Definition]\nfailregex = <F-MLFID>\\d+</F-MLFID> <F-NOFAIL>x</F-NOFAIL> <HOST><SKIPLINES>y\nmaxlines = 3\n", "1 x 192.0.2.3\ny")
	f.Fuzz(func(t *testing.T, conf, line string) {
		if len(conf) > 4000 || len(line) > 1000 {
			return
		}
		fsys := fstest.MapFS{
			"f.conf":      {Data: []byte(conf)},
			"common.conf": {Data: []byte("[DEFAULT]\n__prefix_line = \\s*\\S+ \\S+:\\s+\n")},
		}
		def, err := Load("f.conf", map[string]string{"mode": "normal"}, &LoadOptions{FS: fsys})
		if err != nil {
			return
		}
		flt, err := Compile(*def, Options{Timeout: 100 * time.Millisecond})
		if err != nil {
			return
		}
		m := NewMatcher(flt, MatcherOptions{})
		for i := 0; i < 3; i++ {
			if _, err := m.LineAt([]byte(line), time.Unix(0, 0)); err != nil {
				return
			}
		}
	})
}

// FuzzAppendRunes: appendRunes (eight ASCII bytes at a time) decodes as a
// plain loop over the bytes with Python's replacement rule does.
func FuzzAppendRunes(f *testing.F) {
	f.Add([]byte("Failed password for root from 192.0.2.1 port 22 ssh2"))
	f.Add([]byte("0123456789abcdef\xffxyz01234567\xe2\x82\xac89abcdefgh\xe2\x82"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want []rune
		for i := 0; i < len(b); {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				want = append(want, utf8.RuneError)
				i += invalidLen(b[i:])
				continue
			}
			want = append(want, r)
			i += n
		}
		prefix := []rune("x")
		got := appendRunes(prefix, b)
		if string(got) != "x"+string(want) || len(got) != 1+len(want) {
			t.Errorf("appendRunes(%q) = %q, want %q", b, got, want)
		}
	})
}
