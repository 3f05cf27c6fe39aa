package jailconf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/f2bconf"
)

const week = 7 * 24 * time.Hour

// TestOverrideOrder loads testdata/layered: jail.conf (with an include),
// jail.d/a.conf, jail.d/b.conf, jail.local, jail.d/b.local, each
// overriding the ones before.
func TestOverrideOrder(t *testing.T) {
	s, err := Load("testdata/layered/jail.conf")
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"paths.conf", "jail.conf", "jail.d/a.conf", "jail.d/b.conf", "jail.local", "jail.d/b.local"}
	var files []string
	for _, f := range s.Files() {
		files = append(files, strings.TrimPrefix(f, "testdata/layered/"))
	}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Errorf("Files = %q, want %q", files, wantFiles)
	}
	if got, want := s.Names(), []string{"sshd", "web", "recidive", "extra"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	var enabled []string
	for _, j := range s.Enabled() {
		enabled = append(enabled, j.Name)
	}
	if want := []string{"sshd", "web", "extra"}; !reflect.DeepEqual(enabled, want) {
		t.Errorf("Enabled = %q, want %q", enabled, want)
	}

	sshd, err := s.Jail("sshd")
	if err != nil {
		t.Fatal(err)
	}
	want := &Jail{
		Name:       "sshd",
		Enabled:    true,                    // jail.d/a.conf
		Filter:     "sshd[mode=aggressive]", // mode from jail.local, through DEFAULT's filter
		FilterName: "sshd",
		FilterArgs: map[string]string{"mode": "aggressive"},
		MaxRetry:   4,                 // jail.local over a.conf's 3 and DEFAULT's 5
		FindTime:   10 * time.Minute,  // DEFAULT
		BanTime:    f2bconf.Permanent, // jail.local's -1 over b.conf's 2h over a.conf's 1h
		Increment:  Increment{Enabled: true, Factor: 1, Multipliers: []int{1, 2, 4, 8}, MaxTime: week},
		IgnoreIP:   []string{"127.0.0.1/8", "::1", "192.0.2.0/24", "2001:db8::1"},
		IgnoreSelf: true,
		LogPaths:   []string{"/var/log/auth.log"}, // from the included paths.conf
		Actions: []Action{{
			Name: "iptables-multiport",
			Args: map[string]string{"port": "ssh", "protocol": "tcp", "chain": "<known/chain>"},
			Spec: `iptables-multiport[port="ssh", protocol="tcp", chain="<known/chain>"]`,
		}},
		Source: "testdata/layered/jail.conf:20",
	}
	sshd.Options = nil
	if !reflect.DeepEqual(sshd, want) {
		t.Errorf("sshd =\n%+v\nwant\n%+v", sshd, want)
	}

	web, err := s.Jail("web")
	if err != nil {
		t.Fatal(err)
	}
	if web.MaxRetry != 20 { // "%(known/maxretry)s0" in b.local: jail.conf's 2, then 0
		t.Errorf("web maxretry = %d, want 20", web.MaxRetry)
	}
	if want := []string{"/var/log/web/*.log", "/var/log/other.log tail"}; !reflect.DeepEqual(web.LogPaths, want) {
		t.Errorf("web logpaths = %q", web.LogPaths)
	}
	if web.Options["port"] != "http,https" || web.Options["banaction"] != "iptables-multiport" {
		t.Errorf("web options = %q", web.Options)
	}

	extra, err := s.Jail("extra")
	if err != nil {
		t.Fatal(err)
	}
	if extra.Filter != "web[mode=aggressive]" || extra.MaxRetry != 5 || extra.Source != "testdata/layered/jail.d/a.conf:6" {
		t.Errorf("extra = %+v", extra)
	}
	wantActions := []Action{
		{Name: "iptables-multiport", Args: map[string]string{"port": "0:65535", "protocol": "tcp", "chain": "<known/chain>"}, Spec: `iptables-multiport[port="0:65535", protocol="tcp", chain="<known/chain>"]`},
		{Name: "sendmail-whois", Args: map[string]string{"name": "extra", "dest": "root@example.org", "sender": "banpipe"}, Spec: `sendmail-whois[name=extra, dest="root@example.org", sender=banpipe]`},
	}
	if !reflect.DeepEqual(extra.Actions, wantActions) {
		t.Errorf("extra actions =\n%+v\nwant\n%+v", extra.Actions, wantActions)
	}

	rec, err := s.Jail("recidive")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Enabled || rec.BanTime != week || rec.FindTime != 24*time.Hour || rec.Actions[0].Name != "iptables-allports" {
		t.Errorf("recidive = %+v", rec)
	}

	// jail.local alone: no jail.d, no jail.conf
	loc, err := Load("testdata/layered/jail.local")
	if err != nil {
		t.Fatal(err)
	}
	j, err := loc.Jail("sshd")
	if err != nil {
		t.Fatal(err)
	}
	if j.MaxRetry != 4 || j.Enabled || j.Filter != "sshd" || j.BanTime != f2bconf.Permanent {
		t.Errorf("jail.local alone: sshd = %+v", j)
	}
	if len(j.Actions) != 0 || j.FindTime != DefaultFindTime {
		t.Errorf("jail.local alone: defaults not fail2ban's: %+v", j)
	}
}

// TestDefaults: a jail without [DEFAULT] gets fail2ban's server defaults.
func TestDefaults(t *testing.T) {
	s, err := LoadOptions("j.local", &f2bconf.Options{FS: fstest.MapFS{"j.local": {Data: []byte("[bare]\nenabled = true\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.Jail("bare")
	if err != nil {
		t.Fatal(err)
	}
	want := &Jail{Name: "bare", Enabled: true, Filter: "bare", FilterName: "bare", FilterArgs: map[string]string{},
		Options:  map[string]string{"enabled": "true", "fail2ban_version": Fail2banVersion, "fail2ban_confpath": ".", "backend": "auto"},
		MaxRetry: 3, FindTime: 10 * time.Minute, BanTime: 10 * time.Minute, Increment: Increment{Factor: 1},
		IgnoreSelf: true, Source: "j.local:1"}
	if !reflect.DeepEqual(j, want) {
		t.Errorf("bare =\n%+v\nwant\n%+v", j, want)
	}
}

// TestIgnoreCache parses ignorecache with fail2ban's defaults.
func TestIgnoreCache(t *testing.T) {
	conf := "[DEFAULT]\nmaxretry = 4\nmaxmatches = %(maxretry)s\n[a]\nignorecache = key=<ip>, max-count=10\n[b]\nignorecache = key=\"<F-USER>@<ip-host>\", max-time=1h\n"
	s, err := LoadOptions("j.conf", &f2bconf.Options{FS: fstest.MapFS{"j.conf": {Data: []byte(conf)}}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Jail("a")
	b, _ := s.Jail("b")
	if a == nil || b == nil {
		t.Fatal("jails missing")
	}
	if *a.IgnoreCache != (IgnoreCache{Key: "<ip>", MaxCount: 10, MaxTime: 5 * time.Minute}) {
		t.Errorf("a: %+v", *a.IgnoreCache)
	}
	if *b.IgnoreCache != (IgnoreCache{Key: "<F-USER>@<ip-host>", MaxCount: 100, MaxTime: time.Hour}) {
		t.Errorf("b: %+v", *b.IgnoreCache)
	}
	if a.MaxMatches != 4 {
		t.Errorf("maxmatches = %d", a.MaxMatches)
	}
}

// TestErrors checks that every bad value names its file and line.
func TestErrors(t *testing.T) {
	tests := []struct {
		name, local, jail, want string
		loadOK                  bool // the error comes from Jail (a disabled jail)
	}{
		{name: "bad maxretry", local: "[a]\nenabled = true\nmaxretry = five\n", want: `j.local:3: [a] maxretry: not an integer: "five"`},
		{name: "bad bantime", local: "[a]\nenabled = true\n\nbantime = 10x\n", want: `j.local:4: [a] bantime: invalid time "10x": unknown unit "x"`},
		{name: "bad findtime in default", local: "[DEFAULT]\nfindtime = 1 fortnight\n[a]\nenabled = 1\n", want: `j.local:2: [a] findtime: invalid time`},
		{name: "bad enabled", local: "[a]\nenabled = ture\n", want: `j.local:2: [a] enabled: not a boolean`},
		{name: "bad ignoreself", local: "[a]\nenabled = on\nignoreself = maybe\n", want: `j.local:3: [a] ignoreself: not a boolean`},
		{name: "bad multipliers", local: "[a]\nenabled = yes\nbantime.multipliers = 1 2 x\n", want: `j.local:3: [a] bantime.multipliers: not an integer: "x"`},
		{name: "bad maxtime", local: "[a]\nenabled = yes\nbantime.maxtime = soon\n", want: `j.local:3: [a] bantime.maxtime: invalid time`},
		{name: "bad factor", local: "[a]\nenabled = yes\nbantime.factor = big\n", want: `j.local:3: [a] bantime.factor: not a number`},
		{name: "bad action", local: "[a]\nenabled = yes\naction = x[port=1] y[oops\n", want: `j.local:3: [a] action "y[oops": unexpected option syntax`},
		{name: "bad filter", local: "[a]\nenabled = yes\nfilter = sshd[mode=x] z\n", want: `j.local:3: [a] filter "sshd[mode=x] z"`},
		{name: "missing reference", local: "[a]\nenabled = yes\nlogpath = %(nope)s\n", want: `j.local:3: [a] logpath: no option "nope"`},
		{name: "syntax", local: "[a]\nenabled = yes\n[b\n", want: `j.local:3: missing ]`},
		{name: "bad ignorecache", local: "[a]\nenabled = yes\nignorecache = key=<ip>, max-count=many\n", want: `j.local:3: [a] ignorecache: not an integer: "many"`},
		{name: "bad ignorecache time", local: "[a]\nenabled = yes\nignorecache = key=<ip>, max-time=later\n", want: `j.local:3: [a] ignorecache: invalid time "later"`},
		{name: "bad ignorecache syntax", local: "[a]\nenabled = yes\nignorecache = key <ip>\n", want: `j.local:3: [a] ignorecache: expected option`},
		{name: "bad maxmatches", local: "[a]\nenabled = yes\nmaxretry = 3\nmaxmatches = %(maxretry)s.5\n", want: `j.local:4: [a] maxmatches: not an integer: "3.5"`},
		{name: "disabled jail", local: "[a]\nmaxretry = lots\n[b]\nenabled = true\n", jail: "a", loadOK: true, want: `j.local:2: [a] maxretry: not an integer`},
		{name: "no such jail", local: "[a]\n[b]\n", jail: "c", loadOK: true, want: `j.local: no jail "c" (jails: a, b)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadOptions("j.local", &f2bconf.Options{FS: fstest.MapFS{"j.local": {Data: []byte(tt.local)}}})
			if tt.loadOK {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				_, err = s.Jail(tt.jail)
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\ngot  %q\nwant %q...", err, tt.want)
			}
			var pe *f2bconf.Error
			if !errors.As(err, &pe) {
				t.Errorf("%v is not an *f2bconf.Error", err)
			}
		})
	}
}

// TestStockJail loads Debian's /etc/fail2ban/jail.conf (with its
// jail.d/defaults-debian.conf) and checks values stated in it.
func TestStockJail(t *testing.T) {
	p := "/etc/fail2ban/jail.conf"
	testenv.RequireFile(t, p, "fail2ban's jail.conf")
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Names()); n < 50 {
		t.Errorf("%d jails", n)
	}
	for _, n := range s.Names() {
		if _, err := s.Jail(n); err != nil {
			t.Errorf("jail %s: %v", n, err)
		}
	}
	sshd, err := s.Jail("sshd")
	if err != nil {
		t.Fatal(err)
	}
	if sshd.Options["port"] != "ssh" || sshd.MaxRetry != 5 || sshd.FindTime != 10*time.Minute || sshd.BanTime != 10*time.Minute {
		t.Errorf("sshd = %+v", sshd)
	}
	if sshd.Filter != "sshd[mode=normal]" || sshd.FilterName != "sshd" {
		t.Errorf("sshd filter = %q", sshd.Filter)
	}
	if len(sshd.Actions) != 1 || sshd.Actions[0].Name != "iptables-multiport" || sshd.Actions[0].Args["port"] != "ssh" || sshd.Actions[0].Args["protocol"] != "tcp" {
		t.Errorf("sshd actions = %+v", sshd.Actions)
	}
	if !reflect.DeepEqual(sshd.IgnoreIP, []string(nil)) && len(sshd.IgnoreIP) != 0 {
		t.Logf("sshd ignoreip = %q", sshd.IgnoreIP)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(p), "jail.d", "defaults-debian.conf")); err == nil {
		if !sshd.Enabled {
			t.Error("sshd not enabled by jail.d/defaults-debian.conf")
		}
	}
	rec, err := s.Jail("recidive")
	if err != nil {
		t.Fatal(err)
	}
	if rec.BanTime != week || rec.FindTime != 24*time.Hour || rec.Actions[0].Name != "iptables-allports" {
		t.Errorf("recidive = %+v", rec)
	}
	if rec.LogPaths[0] != "/var/log/fail2ban.log" {
		t.Errorf("recidive logpath = %q", rec.LogPaths)
	}
	if _, err := s.Jail("nope"); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("Jail(nope) = %v, want an error naming %s", err, p)
	}
}

// TestResolveWithFilter resolves a jail's failregex that extends its
// filter's through %(known/failregex)s.
func TestResolveWithFilter(t *testing.T) {
	conf := "[DEFAULT]\nfilter = %(__name__)s\n[web]\nenabled = true\nfailregex = %(known/failregex)s\n            ^extra from <HOST>\nmaxlines = 2\n"
	s, err := LoadOptions("j.conf", &f2bconf.Options{FS: fstest.MapFS{"j.conf": {Data: []byte(conf)}}})
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.Jail("web")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.Options["failregex"]; ok {
		t.Errorf("failregex resolved without the filter: %q", j.Options["failregex"])
	}
	if j.Options["maxlines"] != "2" {
		t.Errorf("maxlines = %q", j.Options["maxlines"])
	}
	got, err := s.Resolve("web", "failregex", map[string]string{"failregex": "^filter from <HOST>", "maxlines": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "^filter from <HOST>\n^extra from <HOST>"; got != want {
		t.Errorf("Resolve = %q, want %q", got, want)
	}
	var nf *f2bconf.NotFound
	if _, err := s.Resolve("web", "nope", nil); !errors.As(err, &nf) {
		t.Errorf("Resolve(nope) = %v", err)
	}
}
