package fleet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/fleettest"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/fleet"
)

func TestDialConfigErrors(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\nx\n"), 0o600)
	notPEM := filepath.Join(dir, "ca")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	tests := []struct {
		name string
		cfg  fleet.Config
		want string
	}{
		{"scheme", fleet.Config{URL: "http://h:1/0"}, "scheme must be"},
		{"no host", fleet.Config{URL: "redis:///0"}, "no host"},
		{"query", fleet.Config{URL: "redis://h:1/0?db=2"}, "query parameters"},
		{"db", fleet.Config{URL: "redis://h:1/x"}, `invalid database number "x"`},
		{"path", fleet.Config{URL: "redis://h:1/0/1"}, "invalid path"},
		{"port", fleet.Config{URL: "redis://h:99999/0"}, `invalid port "99999"`},
		{"several hosts", fleet.Config{URL: "redis://h:1,g:2/0"}, "several hosts need redis+sentinel"},
		{"sentinel without master", fleet.Config{URL: "redis+sentinel://h:26379"}, "no master name"},
		{"both passwords", fleet.Config{URL: "redis://:pw@h:1/0", PasswordFile: pw}, "give one"},
		{"missing password file", fleet.Config{URL: "redis://h:1/0", PasswordFile: filepath.Join(dir, "nope")}, "no such file"},
		{"empty password", fleet.Config{URL: "redis://h:1/0", PasswordFile: empty}, "empty first line"},
		{"ca not pem", fleet.Config{URL: "rediss://h:1/0", CAFile: notPEM}, "no PEM certificate"},
		{"state file", fleet.Config{URL: "redis://h:1/0", StateFile: notPEM}, "fleet state file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.ID = "web1"
			f, err := fleet.Dial(context.Background(), tt.cfg)
			if err == nil {
				f.Close()
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), ":pw@") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// Nothing listening: Dial succeeds, the fleet is down and every call fails
// at once.
func TestDialUnreachable(t *testing.T) {
	port := fleettest.FreePort(t)
	f, err := fleet.Dial(context.Background(), fleet.Config{URL: "redis://127.0.0.1:" + strconv.Itoa(port) + "/0", ID: "web1"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Up() {
		t.Fatal("up with nothing listening")
	}
	// The breaker is open (not Up): the call fails with ErrUnavailable.
	if _, err := f.Failure(context.Background(), "sshd", "192.0.2.1", time.Now(), sshd); !errors.Is(err, fleet.ErrUnavailable) {
		t.Fatalf("err %v", err)
	}
	if _, err := f.Failure(context.Background(), "ss hd", "192.0.2.1", time.Now(), sshd); err == nil || errors.Is(err, fleet.ErrUnavailable) {
		t.Errorf("jail with a space: %v", err)
	}
}

func TestPassword(t *testing.T) {
	srv := fleettest.Start(t, "--requirepass", "s3cret")
	host := srv.Addr()
	pw := srv.WriteFile("pw", []byte("s3cret\n"))
	bad := srv.WriteFile("bad", []byte("nope\n"))
	ctx := context.Background()
	for _, cfg := range []fleet.Config{
		{URL: "redis://:s3cret@" + host + "/0"},
		{URL: "redis://default:s3cret@" + host + "/1"},
		{URL: "redis://" + host + "/0", PasswordFile: pw},
	} {
		cfg.ID = "web1"
		f, err := fleet.Dial(ctx, cfg)
		if err != nil {
			t.Fatalf("%s: %v", fleet.Redact(cfg.URL), err)
		}
		if _, err := f.Failure(ctx, "sshd", "192.0.2.1", time.Now(), sshd); err != nil {
			t.Errorf("%s: %v", fleet.Redact(cfg.URL), err)
		}
		f.Close()
	}
	for _, cfg := range []fleet.Config{
		{URL: "redis://" + host + "/0"},
		{URL: "redis://" + host + "/0", PasswordFile: bad},
		{URL: "redis://:wrong@" + host + "/0"},
	} {
		cfg.ID = "web1"
		f, err := fleet.Dial(ctx, cfg)
		if err == nil {
			f.Close()
			t.Errorf("%s: no error with a wrong password", fleet.Redact(cfg.URL))
		} else if strings.Contains(err.Error(), "wrong@") {
			t.Errorf("error %q shows the password", err)
		}
	}
}

func TestTLS(t *testing.T) {
	srv, ca := fleettest.StartTLS(t)
	ctx := context.Background()
	a := dial(t, srv.URL(), "web1", func(c *fleet.Config) { c.CAFile = ca })
	b := dial(t, srv.URL(), "web2", func(c *fleet.Config) { c.CAFile = ca })
	for i := range 2 {
		d, err := []*fleet.Fleet{a, b}[i].Failure(ctx, "sshd", "192.0.2.1", time.Now(), sshd)
		if err != nil || d.Failures != i+1 {
			t.Fatalf("over TLS: %+v, %v", d, err)
		}
	}
	// without the CA the certificate does not verify: a configuration error
	var why error
	f, err := fleet.Dial(ctx, fleet.Config{URL: srv.URL(), ID: "web3", Timeout: 2 * time.Second,
		OnState: func(err error) { why = err }})
	if err == nil {
		f.Close()
		t.Fatalf("no error without the CA (down: %v)", why)
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error %q, want it to name the certificate", err)
	}
	// plain text to a TLS port: no answer that parses; the fleet stays down
	f, err = fleet.Dial(ctx, fleet.Config{URL: strings.Replace(srv.URL(), "rediss", "redis", 1), ID: "web4"})
	if err == nil {
		if f.Up() {
			t.Error("plain text to a TLS port is up")
		}
		f.Close()
	}
}

func TestRedact(t *testing.T) {
	if got := fleet.Redact("redis://u:s3cret@h:1/0"); strings.Contains(got, "s3cret") {
		t.Errorf("Redact = %q", got)
	}
}

// The ACL user the README recommends is enough for everything a host does.
func TestACLUser(t *testing.T) {
	args := append([]string{"--user", "web1", "on", ">s3cret", "~banpipe:*"}, aclCommands...)
	srv := fleettest.Start(t, args...)
	ctx := context.Background()
	url := "redis://web1:s3cret@" + srv.Addr() + "/0"
	a := dial(t, url, "web1")
	b := dial(t, url, "web2")
	ch := b.Subscribe(ctx)
	synced(t, url, ch)
	w := fleet.Window{MaxRetry: 2, FindTime: time.Minute, BanTime: time.Hour, Increment: true}
	if _, err := a.Announce(ctx, "sshd", w); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		d, err := a.Failure(ctx, "sshd", "192.0.2.70", t0.Add(time.Duration(i)*time.Second), w)
		if err != nil || d.Ban != (i == 1) {
			t.Fatalf("failure %d: %+v, %v", i+1, d, err)
		}
	}
	for _, ev := range []*event.Event{ban("sshd", "192.0.2.70", time.Now(), time.Hour), unban("sshd", "192.0.2.70", time.Now())} {
		if err := a.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if n, _ := a.Pending(); n != 0 || !a.Up() {
			t.Fatalf("publish as the ACL user did not go out (pending %d)", n)
		}
		if got := recv(t, ch, time.Second); got.IP != ev.IP || got.Action != ev.Action {
			t.Fatalf("got %s, want %s", event.Append(nil, got), event.Append(nil, ev))
		}
	}
	// catch-up from the ban set as that user
	if err := a.Publish(ctx, ban("sshd", "192.0.2.71", time.Now(), time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := dial(t, url, "web3")
	if ev := recv(t, c.Subscribe(ctx), time.Second); !ev.Restored {
		t.Fatalf("got %s", event.Append(nil, ev))
	}
}

var aclCommands = []string{"+ping", "+time", "+evalsha", "+eval", "+hmget", "+hget", "+hgetall", "+hset", "+pexpire", "+pttl", "+persist", "+del",
	"+zadd", "+zrem", "+xadd", "+zremrangebyscore", "+zrangebyscore", "+xread", "+xrange", "+xrevrange", "+multi", "+exec"}

// Hosts announce their jail settings; a host learns which others differ.
func TestAnnounce(t *testing.T) {
	srv := fleettest.Start(t)
	ctx := context.Background()
	a, b, c := dial(t, srv.URL(), "web1"), dial(t, srv.URL(), "web2"), dial(t, srv.URL(), "web3")
	if d, err := a.Announce(ctx, "sshd", sshd); err != nil || len(d) != 0 {
		t.Fatalf("first host: %q, %v", d, err)
	}
	if d, err := b.Announce(ctx, "sshd", sshd); err != nil || len(d) != 0 {
		t.Fatalf("same settings: %q, %v", d, err)
	}
	other := sshd
	other.MaxRetry, other.BanTime = 3, -1
	d, err := c.Announce(ctx, "sshd", other)
	want := []string{"web1: maxretry=5 findtime=10m0s bantime=1h0m0s increment=false", "web2: maxretry=5 findtime=10m0s bantime=1h0m0s increment=false"}
	if err != nil || strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Fatalf("differing host: %q, %v, want %q", d, err, want)
	}
	if d, err := a.Announce(ctx, "sshd", sshd); err != nil || len(d) != 1 || d[0] != "web3: maxretry=3 findtime=10m0s bantime=permanent increment=false" {
		t.Fatalf("re-announce: %q, %v", d, err)
	}
	if d, err := a.Announce(ctx, "nginx", sshd); err != nil || len(d) != 0 {
		t.Fatalf("other jail: %q, %v", d, err)
	}
}

// A subscription Redis refuses (an ACL without XREAD) is reported through
// OnState, once, instead of failing silently.
func TestSubscribeRefusedIsReported(t *testing.T) {
	var cmds []string
	for _, c := range aclCommands {
		if c != "+xread" {
			cmds = append(cmds, c)
		}
	}
	srv := fleettest.Start(t, append([]string{"--user", "web1", "on", ">s3cret", "~banpipe:*"}, cmds...)...)
	notes := make(chan error, 16)
	f := dial(t, "redis://web1:s3cret@"+srv.Addr()+"/0", "web1", func(c *fleet.Config) {
		c.OnState = func(err error) { notes <- err }
	})
	f.Subscribe(context.Background())
	select {
	case err := <-notes:
		if err == nil || !strings.Contains(err.Error(), "subscribe") || !strings.Contains(err.Error(), "xread") {
			t.Fatalf("OnState(%v), want the refused XREAD", err)
		}
	case <-time.After(recvDeadline):
		t.Fatal("refusal not reported")
	}
	// The subscription keeps retrying (and being refused) every RetryMin;
	// a marker proves nothing else was said: Redis goes away, which must be
	// the next thing OnState hears.
	srv.Kill()
	nextNote(t, notes, fleet.ErrUnavailable)
}

// nextNote waits for the next OnState report and checks it is the breaker
// opening (want), not a repeat of an earlier report.
func nextNote(t *testing.T, notes <-chan error, want error) {
	t.Helper()
	select {
	case err := <-notes:
		if !errors.Is(err, want) {
			t.Fatalf("reported %v, want only %v", err, want)
		}
	case <-time.After(recvDeadline):
		t.Fatalf("%v not reported", want)
	}
}

// Failures Redis refuses (an ACL without EVALSHA and EVAL) return an error,
// so the caller decides locally, and are reported through OnState once.
func TestFailureRefusedIsReported(t *testing.T) {
	var cmds []string
	for _, c := range aclCommands {
		if c != "+evalsha" && c != "+eval" {
			cmds = append(cmds, c)
		}
	}
	srv := fleettest.Start(t, append([]string{"--user", "web1", "on", ">s3cret", "~banpipe:*"}, cmds...)...)
	notes := make(chan error, 16)
	f := dial(t, "redis://web1:s3cret@"+srv.Addr()+"/0", "web1", func(c *fleet.Config) {
		c.OnState = func(err error) { notes <- err }
	})
	for range 3 {
		if _, err := f.Failure(context.Background(), "sshd", "192.0.2.1", time.Now(), sshd); err == nil || errors.Is(err, fleet.ErrUnavailable) {
			t.Fatalf("err %v, want the refusal", err)
		}
	}
	if err := <-notes; err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("OnState(%v)", err)
	}
	if !f.Up() {
		t.Error("a refusal opened the breaker")
	}
	// marker: with Redis gone the next failure opens the breaker, which
	// must be the next report (the refusals were told once)
	srv.Kill()
	if _, err := f.Failure(context.Background(), "sshd", "192.0.2.1", time.Now(), sshd); !errors.Is(err, fleet.ErrUnavailable) {
		t.Fatalf("err %v with Redis gone", err)
	}
	nextNote(t, notes, fleet.ErrUnavailable)
}
