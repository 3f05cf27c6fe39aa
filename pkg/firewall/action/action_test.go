package action

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/banpipe/banpipe/pkg/firewall"
)

func newBackend(t *testing.T, cfg Config) *Backend {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = "testdata/action.d"
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// ban returns a ban of ip; captures["matches"], when present, gives its
// matches (the lines, split at newlines) and is not a capture.
func ban(ip string, captures map[string]string) firewall.Ban {
	p := netip.MustParsePrefix(ip)
	b := firewall.Ban{Prefix: p, Bantime: time.Hour, Failures: 5, Bancount: 1,
		Time: time.Unix(1700000000, 0), Captures: captures}
	if m, ok := captures["matches"]; ok {
		b.Matches = strings.Split(m, "\n")
		delete(captures, "matches")
	}
	return b
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func noErrors(t *testing.T, what string, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s[%d]: %v", what, i, err)
		}
	}
}

func TestLifecycle(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	b := newBackend(t, Config{Actions: []string{`record[logfile="` + log + `"]`}})
	ctx := context.Background()
	js := firewall.JailSettings{Name: "sshd"}
	noErrors(t, "ban", b.Ban(ctx, js, []firewall.Ban{
		ban("192.0.2.7/32", map[string]string{"user": "alice"}),
		ban("2001:db8::7/128", nil),
	}))
	// Already banned: not applied twice.
	noErrors(t, "reban", b.Ban(ctx, js, []firewall.Ban{ban("192.0.2.7/32", nil)}))
	ents, err := b.List(ctx, "sshd")
	if err != nil || len(ents) != 2 || ents[0].Prefix.String() != "192.0.2.7/32" || ents[1].Prefix.String() != "2001:db8::7/128" {
		t.Fatalf("List = %v, %v", ents, err)
	}
	// An unknown ban is no error and runs nothing.
	noErrors(t, "unban", b.Unban(ctx, js, []firewall.Ban{ban("192.0.2.7/32", nil), ban("198.51.100.1/32", nil)}))
	if ents, _ := b.List(ctx, ""); len(ents) != 1 {
		t.Fatalf("List after unban = %v", ents)
	}
	if err := b.Flush(ctx, "sshd"); err != nil {
		t.Fatal(err)
	}
	if ents, _ := b.List(ctx, ""); len(ents) != 0 {
		t.Fatalf("List after flush = %v", ents)
	}
	// Banned again after a flush: started again.
	noErrors(t, "ban", b.Ban(ctx, js, []firewall.Ban{ban("198.51.100.0/24", nil)}))
	want := `start sshd
ban 192.0.2.7 sshd alice 3600
ban 2001:db8::7 sshd  3600
unban 192.0.2.7 sshd
flush sshd
stop sshd
start sshd
ban 198.51.100.0/24 sshd  3600
`
	if got := readFile(t, log); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	// Close leaves what was made unless StopOnClose.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, log); got != want {
		t.Errorf("Close ran a command:\n%s", got)
	}
	if errs := b.Ban(ctx, js, []firewall.Ban{ban("192.0.2.8/32", nil)}); errs[0] == nil {
		t.Error("ban after Close: no error")
	}
}

func TestStopOnClose(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	b := newBackend(t, Config{Actions: []string{`record[logfile="` + log + `"]`}, StopOnClose: true})
	noErrors(t, "ban", b.Ban(context.Background(), firewall.JailSettings{Name: "a"}, []firewall.Ban{ban("192.0.2.1/32", nil)}))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, log), "start a\nban 192.0.2.1 a  3600\nstop a\n"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

// TestInitArgs checks [Init] defaults, arguments over them, the jail's
// port and protocol, and [Init?family=inet6] with actionstart per family.
func TestInitArgs(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	b := newBackend(t, Config{Jails: map[string]Jail{
		"web": {Actions: []string{`init[logfile="` + log + `", target="there, then"]`}},
	}})
	ctx := context.Background()
	js := firewall.JailSettings{Name: "web", Ports: "80,443", Protocol: "tcp"}
	noErrors(t, "ban", b.Ban(ctx, js, []firewall.Ban{ban("192.0.2.1/32", nil), ban("192.0.2.2/32", nil)}))
	noErrors(t, "ban", b.Ban(ctx, js, []firewall.Ban{ban("2001:db8::1/128", nil)}))
	if err := b.Flush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	want := `start inet4 four
hello there, then port=80,443 proto=tcp cond=four fam=inet4 world
hello there, then port=80,443 proto=tcp cond=four fam=inet4 world
start inet6 six
hello there, then port=80,443 proto=tcp cond=six fam=inet6 world
stop inet4
stop inet6
`
	if got := readFile(t, log); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	// A jail that Jails does not list has no action.
	if errs := b.Ban(ctx, firewall.JailSettings{Name: "other"}, []firewall.Ban{ban("192.0.2.1/32", nil)}); errs[0] == nil || !strings.Contains(errs[0].Error(), "jail other: no action") {
		t.Errorf("unlisted jail: %v", errs[0])
	}
}

// TestHostileCaptures bans with hostile captures through an action that
// uses them in every quoting context: nothing runs, each context gets the
// value as it was.
func TestHostileCaptures(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	out := filepath.Join(dir, "out")
	ctx := context.Background()
	for _, p := range payloads(pwned) {
		b := newBackend(t, Config{
			Actions: []string{`quoting[out="` + out + `"]`},
			LookupAddr: func(context.Context, string) ([]string, error) {
				return []string{"$(touch " + pwned + ").example."}, nil
			},
		})
		caps := map[string]string{"user": p, "fid": p, "matches": p}
		noErrors(t, "ban", b.Ban(ctx, firewall.JailSettings{Name: "sshd"}, []firewall.Ban{ban("192.0.2.7/32", caps)}))
		if _, err := os.Stat(pwned); err == nil {
			t.Fatalf("%q: a command ran", p)
		}
		want := map[string]string{
			"1": p, "2": p, "3": p, "4": "in dq: " + p + ".", "5": "in sq: " + p + ".",
			"6": p + ".", "7": p + ".", "8": p + ".", "9": p, "10": p + "192.0.2.7", "11": "x" + p + "yz",
			"12": p + "|$(touch " + pwned + ").example|" + p,
		}
		for f, w := range want {
			if got := readFile(t, out+"."+f); got != w {
				t.Errorf("value %q, line %s: got %q, want %q", p, f, got, w)
			}
		}
	}
}

func TestFailingCommand(t *testing.T) {
	b := newBackend(t, Config{Actions: []string{"fail"}})
	errs := b.Ban(context.Background(), firewall.JailSettings{Name: "sshd"}, []firewall.Ban{ban("192.0.2.7/32", nil)})
	want := "action fail: actionban: exit status 3: cannot ban 192.0.2.7: no such thing"
	if errs[0] == nil || errs[0].Error() != want {
		t.Fatalf("error %v, want %q", errs[0], want)
	}
	var ce *CommandError
	if !errors.As(errs[0], &ce) || ce.Operation != "actionban" {
		t.Errorf("not a CommandError: %#v", errs[0])
	}
	if ents, _ := b.List(context.Background(), ""); len(ents) != 0 {
		t.Errorf("failed ban listed: %v", ents)
	}
}

func TestTimeout(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	for _, cfg := range []Config{
		// The action's own timeout option, from an argument,
		{Actions: []string{`hang[pidfile="` + pidfile + `", timeout=1]`}},
		// or Config.Timeout for an action without one.
		{Actions: []string{`hang[pidfile="` + pidfile + `", timeout=""]`}, Timeout: time.Second},
	} {
		b := newBackend(t, cfg)
		start := time.Now()
		errs := b.Ban(context.Background(), firewall.JailSettings{Name: "sshd"}, []firewall.Ban{ban("192.0.2.7/32", nil)})
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("took %v", el)
		}
		if !errors.Is(errs[0], ErrTimeout) || !strings.Contains(errs[0].Error(), "timed out after 1s") {
			t.Fatalf("error %v", errs[0])
		}
		assertDead(t, pidfile)
	}
}

func TestContextCancel(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	b := newBackend(t, Config{Actions: []string{`hang[pidfile="` + pidfile + `"]`}})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	errs := b.Ban(ctx, firewall.JailSettings{Name: "sshd"}, []firewall.Ban{ban("192.0.2.7/32", nil)})
	if !errors.Is(errs[0], context.DeadlineExceeded) && !errors.Is(errs[0], ErrTimeout) {
		t.Fatalf("error %v", errs[0])
	}
	assertDead(t, pidfile)
}

// TestRepair: a failing ban runs actioncheck, which fails, then
// actionrepair, then the ban once more; a second ban of the same address
// runs actionprolong; a restored ban of a norestored action runs nothing.
func TestRepair(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	b := newBackend(t, Config{Actions: []string{`repair[logfile="` + log + `", marker="` + filepath.Join(dir, "m") + `"]`}})
	ctx := context.Background()
	js := firewall.JailSettings{Name: "sshd"}
	noErrors(t, "ban", b.Ban(ctx, js, []firewall.Ban{ban("192.0.2.7/32", nil)}))
	second := ban("192.0.2.7/32", nil)
	second.Bantime = 2 * time.Hour
	noErrors(t, "prolong", b.Ban(ctx, js, []firewall.Ban{second}))
	restored := ban("192.0.2.9/32", nil)
	restored.Restored = true
	noErrors(t, "restored", b.Ban(ctx, js, []firewall.Ban{restored}))
	if got, want := readFile(t, log), "repair\nban 192.0.2.7\nprolong 192.0.2.7 7200\n"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
	if ents, _ := b.List(ctx, "sshd"); len(ents) != 2 {
		t.Errorf("List = %v", ents)
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	ok := newBackend(t, Config{
		Actions: []string{"record", "init[target=x]\nfail"},
		Jails:   map[string]Jail{"web": {Actions: []string{"quoting"}}},
	})
	if err := ok.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing", Config{Actions: []string{"nosuch"}}, `action "nosuch": testdata/action.d/nosuch.conf: no such action file`},
		{"loop", Config{Actions: []string{"loop"}}, `refers to itself`},
		{"bad dir", Config{Dir: "testdata/nodir", Actions: []string{"record"}}, `testdata/nodir: not a directory`},
		{"twice", Config{Actions: []string{"record record"}}, `a second action named record`},
		{"bad timeout", Config{Actions: []string{"record[timeout=soon]"}}, `timeout: not a positive time`},
		{"arithmetic", Config{Actions: []string{"arith"}}, `<F-COUNT> inside $((...))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t, tt.cfg)
			err := b.Check(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check() = %v, want %q", err, tt.want)
			}
		})
	}
	for _, spec := range []string{"", "x[", "x[a=b"} {
		if _, err := New(Config{Actions: []string{spec}}); err == nil {
			t.Errorf("New(%q): no error", spec)
		}
	}
}

func TestReverseName(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":   "7.2.0.192.",
		"2001:db8::1": "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.",
	} {
		if got := reverseName(netip.MustParseAddr(in)); got != want {
			t.Errorf("reverseName(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestJailName: a jail's name becomes <name>, written into commands, so a
// name that could mean something to the shell is refused.
func TestJailName(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	b := newBackend(t, Config{Actions: []string{`record[logfile="` + filepath.Join(dir, "log") + `"]`}})
	for _, name := range []string{"x; touch " + pwned, "$(touch " + pwned + ")", "", "a b", "-x", "a'b", strings.Repeat("a", MaxJailName+1)} {
		errs := b.Ban(context.Background(), firewall.JailSettings{Name: name}, []firewall.Ban{ban("192.0.2.7/32", nil)})
		if errs[0] == nil || !strings.Contains(errs[0].Error(), "jail name") {
			t.Errorf("jail %q: %v", name, errs[0])
		}
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("a command ran")
	}
	for _, name := range []string{"sshd", "nginx-http-auth", "postfix.sasl", "a@b:c+d_e"} {
		noErrors(t, name, b.Ban(context.Background(), firewall.JailSettings{Name: name}, []firewall.Ban{ban("192.0.2.7/32", nil)}))
	}
	if _, err := New(Config{Jails: map[string]Jail{"a;b": {Actions: []string{"record"}}}}); err == nil {
		t.Error("New with a bad jail name: no error")
	}
}

func TestFormatBantime(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		ban  firewall.Ban
		js   firewall.JailSettings
		want string
	}{
		{"ban's", firewall.Ban{Bantime: time.Hour}, firewall.JailSettings{Bantime: time.Minute}, "3600"},
		{"permanent", firewall.Ban{Bantime: -1}, firewall.JailSettings{}, "-1"},
		{"until", firewall.Ban{Time: t0, Until: t0.Add(90 * time.Second)}, firewall.JailSettings{}, "90"},
		{"jail's", firewall.Ban{}, firewall.JailSettings{Bantime: 2 * time.Minute}, "120"},
		{"jail permanent", firewall.Ban{}, firewall.JailSettings{Bantime: -1}, "-1"},
		{"jail option", firewall.Ban{}, firewall.JailSettings{Options: map[string]string{"bantime": "1h30m"}}, "5400"},
		{"default", firewall.Ban{}, firewall.JailSettings{}, "600"},
	}
	for _, tt := range tests {
		if got := formatBantime(&tt.ban, tt.js); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestAssumeStarted: ad hoc commands in a fresh process act on what an
// earlier one made.
func TestAssumeStarted(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	ctx := context.Background()
	b := newBackend(t, Config{Actions: []string{`record[logfile="` + log + `"]`}, AssumeStarted: true})
	noErrors(t, "unban", b.Unban(ctx, firewall.JailSettings{Name: "sshd"}, []firewall.Ban{ban("192.0.2.7/32", nil)}))
	if err := b.Flush(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, log), "unban 192.0.2.7 sshd\nflush web\nstop web\n"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
	// Without it, nothing runs.
	log2 := filepath.Join(t.TempDir(), "log")
	b2 := newBackend(t, Config{Actions: []string{`record[logfile="` + log2 + `"]`}})
	noErrors(t, "unban", b2.Unban(ctx, firewall.JailSettings{Name: "sshd"}, []firewall.Ban{ban("192.0.2.7/32", nil)}))
	if err := b2.Flush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, log2); got != "" {
		t.Errorf("log %q, want nothing", got)
	}
}

func TestFS(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	fsys := fstest.MapFS{
		"etc/action.d/x.conf":      {Data: []byte("[INCLUDES]\nbefore = common.conf\n[Definition]\nactionban = printf '%%s\\n' \"<msg> <ip>\" >> \"<logfile>\"\n")},
		"etc/action.d/x.local":     {Data: []byte("[Init]\nmsg = from local\n")},
		"etc/action.d/common.conf": {Data: []byte("[Init]\nmsg = from common\nlogfile = " + log + "\n")},
	}
	b := newBackend(t, Config{FS: fsys, Dir: "etc/action.d", Actions: []string{"x"}})
	if err := b.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	noErrors(t, "ban", b.Ban(context.Background(), firewall.JailSettings{Name: "j"}, []firewall.Ban{ban("192.0.2.1/32", nil)}))
	if got, want := readFile(t, log), "from local 192.0.2.1\n"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

func TestListExpires(t *testing.T) {
	b := newBackend(t, Config{Actions: []string{"record"}})
	ctx := context.Background()
	now := time.Now()
	bans := []firewall.Ban{
		{Prefix: netip.MustParsePrefix("192.0.2.1/32"), Time: now, Until: now.Add(time.Hour)},
		{Prefix: netip.MustParsePrefix("192.0.2.2/32"), Time: now, Bantime: 10 * time.Minute},
		{Prefix: netip.MustParsePrefix("192.0.2.3/32"), Time: now, Bantime: -1},
	}
	noErrors(t, "ban", b.Ban(ctx, firewall.JailSettings{Name: "j"}, bans))
	ents, err := b.List(ctx, "j")
	if err != nil || len(ents) != 3 {
		t.Fatalf("List = %v, %v", ents, err)
	}
	if e := ents[0].Expires; e < 59*time.Minute || e > time.Hour {
		t.Errorf("until: Expires %v", e)
	}
	if e := ents[1].Expires; e < 9*time.Minute || e > 10*time.Minute {
		t.Errorf("bantime: Expires %v", e)
	}
	if e := ents[2].Expires; e != 0 {
		t.Errorf("permanent: Expires %v", e)
	}
}

// TestStartNotOnDemand: with actionstart_on_demand = false, an action with
// [Init?family=inet6] starts both families at its first ban.
func TestStartNotOnDemand(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	b := newBackend(t, Config{Actions: []string{`init[logfile="` + log + `", actionstart_on_demand=false]`}})
	noErrors(t, "ban", b.Ban(context.Background(), firewall.JailSettings{Name: "j"}, []firewall.Ban{ban("192.0.2.1/32", nil)}))
	if got, want := readFile(t, log), "start inet4 four\nstart inet6 six\nhello world port=1 proto=<protocol> cond=four fam=inet4 world\n"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}
