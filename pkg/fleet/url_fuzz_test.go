package fleet

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzURL checks that any URL either builds a client or fails with a
// message that does not show the password.
func FuzzURL(f *testing.F) {
	for _, s := range []string{
		"redis://127.0.0.1:6379/0", "rediss://u:p4ss@h:1/2", "redis+sentinel://:p4ss@a:1,b:2/m/3",
		"rediss+sentinel://a/m", "redis://[::1]:6379", "redis://h:99999", "redis://u:p4ss@h:x/0",
		"redis://u:p4ss@h/0/1", "redis://h/0?db=1", "unix:///tmp/s", "redis://u:p4ss@[::1/0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := newClient(Config{URL: s, ID: "x"})
		if err == nil {
			c.Close()
			return
		}
		u, perr := url.Parse(s)
		if perr != nil {
			return
		}
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 && strings.Contains(err.Error(), pw) &&
			!strings.Contains(strings.Replace(s, pw, "", 1), pw) {
			t.Errorf("error %q shows the password of %q", err, s)
		}
	})
}
