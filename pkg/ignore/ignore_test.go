package ignore

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIgnored(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "ignore.list")
	os.WriteFile(list, []byte("# office\n203.0.113.0/28 # comment\n\n198.51.100.9, 2001:db8:beef::/48\n"), 0o600)
	l, err := New([]string{"192.0.2.0/24 10.1.2.3", "::ffff:172.16.0.1,2001:db8:1::/64", "gw.example",
		"10.9.0.0/255.255.0.0", "file:" + list}, Options{
		Self: true,
		Resolve: func(_ context.Context, h string) ([]netip.Addr, error) {
			if h == "gw.example" {
				return []netip.Addr{netip.MustParseAddr("198.51.100.77")}, nil
			}
			return nil, errors.New("no such host")
		},
		SelfAddrs: func() ([]netip.Addr, error) { return []netip.Addr{netip.MustParseAddr("198.51.100.1")}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want string // rule, "" for not ignored
	}{
		{"192.0.2.7", "ip"},
		{"::ffff:192.0.2.7", "ip"},
		{"192.0.3.1", ""},
		{"10.1.2.3", "ip"},
		{"10.1.2.4", ""},
		{"172.16.0.1", "ip"},
		{"2001:db8:1::5", "ip"},
		{"2001:db8:2::5", ""},
		{"10.9.200.1", "ip"},
		{"203.0.113.15", "ip"},
		{"203.0.113.16", ""},
		{"198.51.100.9", "ip"},
		{"2001:db8:beef:1::1", "ip"},
		{"198.51.100.77", "dns"},
		{"gw.example", "dns"},
		{"GW.example", "dns"},
		{"other.example", ""},
		{"198.51.100.1", "ignoreself rule"},
		{"127.0.0.5", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"0.0.0.0", "loopback"},
	}
	for _, tt := range tests {
		a, err := netip.ParseAddr(tt.id)
		ok, src := l.Ignored(tt.id, a, err == nil)
		if ok != (tt.want != "") || src != tt.want {
			t.Errorf("Ignored(%s) = %v %q, want %q", tt.id, ok, src, tt.want)
		}
	}
}

func TestBadEntries(t *testing.T) {
	for _, bad := range []string{"192.0.2.0/33", "1.2.3.4/255.0.255.0", "$(reboot)", "file:/nonexistent/x"} {
		if _, err := New([]string{bad}, Options{}); err == nil {
			t.Errorf("New(%q): no error", bad)
		}
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "l")
	os.WriteFile(f, []byte("192.0.2.1\nnot/valid\n"), 0o600)
	_, err := New([]string{"file:" + f}, Options{})
	if err == nil || !strings.Contains(err.Error(), f+":2:") {
		t.Errorf("want file:line in error, got %v", err)
	}
}

// TestCommand runs a real ignorecommand: the id arrives as an argument, is
// never run as shell text, and answers are cached.
func TestCommand(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	pwned := filepath.Join(dir, "pwned")
	script := filepath.Join(dir, "check.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$1\" >> "+calls+"\n[ \"$1\" = 192.0.2.50 ] && exit 0\n[ \"$1\" = 192.0.2.99 ] && exit 3\nexit 1\n"), 0o700)
	var warns []string
	l, err := New(nil, Options{Command: script + " <ip>", Warn: func(m string) { warns = append(warns, m) }})
	if err != nil {
		t.Fatal(err)
	}
	check := func(id string, want bool) {
		t.Helper()
		a, err := netip.ParseAddr(id)
		if got, _ := l.Ignored(id, a, err == nil); got != want {
			t.Errorf("Ignored(%q) = %v, want %v", id, got, want)
		}
	}
	check("192.0.2.50", true)
	check("192.0.2.51", false)
	check("192.0.2.50", true) // cached
	evil := "x$(touch " + pwned + ");`touch " + pwned + "`"
	check(evil, false)
	check("192.0.2.99", false)
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("the id was run as shell code")
	}
	data, _ := os.ReadFile(calls)
	want := "192.0.2.50\n192.0.2.51\n" + evil + "\n192.0.2.99\n"
	if string(data) != want {
		t.Errorf("command calls:\n%s\nwant:\n%s", data, want)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "exit status 3") {
		t.Errorf("warnings %q", warns)
	}
}
