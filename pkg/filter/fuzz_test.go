package filter

import (
	"testing"
	"testing/fstest"
	"time"
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
