package jailconf

import (
	"errors"
	"os"
	"testing"
	"testing/fstest"

	"github.com/banpipe/banpipe/pkg/f2bconf"
)

// FuzzLoad loads arbitrary jail configurations: no panic, and every error
// is an *f2bconf.Error (a place to show the user).
func FuzzLoad(f *testing.F) {
	for _, p := range []string{"testdata/layered/jail.conf", "testdata/layered/jail.local", "testdata/layered/jail.d/a.conf"} {
		d, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(d, []byte("[sshd]\nenabled = true\nbantime = 1h\n"))
	}
	f.Add([]byte("[a]\nenabled = 1\nbantime.increment = on\nbantime.multipliers = 1 2\nbantime.maxtime = 1d\naction = x[a=1] y\n"), []byte("[a]\nmaxretry = %(known/maxretry)s0\n"))
	f.Fuzz(func(t *testing.T, conf, local []byte) {
		fsys := fstest.MapFS{"j.conf": {Data: conf}, "j.local": {Data: local}}
		s, err := LoadOptions("j.conf", &f2bconf.Options{FS: fsys})
		if err != nil {
			var pe *f2bconf.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Load error is no *f2bconf.Error: %v", err)
			}
			return
		}
		for _, n := range s.Names() {
			j, err := s.Jail(n)
			if err != nil {
				var pe *f2bconf.Error
				if !errors.As(err, &pe) {
					t.Fatalf("Jail(%q) error is no *f2bconf.Error: %v", n, err)
				}
				continue
			}
			if j.Name != n || j.MaxRetry < 0 || (j.BanTime < 0 && j.BanTime != f2bconf.Permanent) {
				t.Fatalf("jail %+v", j)
			}
			for _, a := range j.Actions {
				if a.Name == "" || a.Args == nil {
					t.Fatalf("action %+v", a)
				}
			}
		}
	})
}
