package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/event"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func newEngine(j bans.Journal, emit func(*event.Event)) *bans.Engine {
	return bans.New(bans.Config{Journal: j, Emit: emit, Jail: func(string) *bans.Jail {
		return &bans.Jail{Settings: bans.Settings{MaxRetry: 2, FindTime: time.Hour, BanTime: time.Hour,
			Increment: bans.Increment{Enabled: true, Factor: 1}}}
	}})
}

func fail(en *bans.Engine, sec int, ip string, line int64) {
	p, _ := event.ParseIP(ip)
	en.Failure(&event.Event{Time: t0.Add(time.Duration(sec) * time.Second), Jail: "sshd", IP: p, Host: ip, Lineno: line})
}

func TestRoundTripJournalAndCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "bancount.state")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	en := newEngine(s, nil)
	if _, err := s.Load(en.Apply, nil); err != nil {
		t.Fatal(err)
	}
	fail(en, 0, "192.0.2.7", 1)
	fail(en, 1, "192.0.2.7", 2)
	fail(en, 2, "2001:db8::1", 3)
	fail(en, 3, "host.example", 4)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	check := func(name string) {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var got []string
		en := newEngine(s, func(e *event.Event) { got = append(got, e.ID()+" "+e.Until.UTC().Format(time.TimeOnly)) })
		st, err := s.Load(en.Apply, func(f string, l int, err error) { t.Errorf("%s:%d: %v", f, l, err) })
		if err != nil {
			t.Fatal(err)
		}
		if st.Bad != 0 {
			t.Errorf("%s: %d bad records", name, st.Bad)
		}
		en.Start()
		en.Restore()
		if strings.Join(got, ",") != "192.0.2.7 11:00:01" {
			t.Errorf("%s: restored %q", name, got)
		}
		w := en.Status("sshd", 10)[0].Windows
		if len(w) != 2 {
			t.Errorf("%s: windows %+v", name, w)
		}
		if err := s.Compact(en.Snapshot); err != nil {
			t.Fatal(err)
		}
	}
	check("journal")
	check("snapshot")
	check("snapshot again")
}

func TestLockNamesHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(path)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path+".lock") {
		t.Fatalf("second open: %v", err)
	}
}

func TestTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	body := "{\"k\":\"J\",\"v\":1,\"gen\":0}\n" +
		"{\"k\":\"t\",\"j\":\"sshd\",\"i\":\"192.0.2.7\",\"s\":1,\"F\":1,\"L\":1,\"r\":1,\"f\":1}\n" +
		"{\"k\":\"t\",\"j\":\"ssh"
	os.WriteFile(path+".journal", []byte(body), 0o600)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	en := newEngine(s, nil)
	st, err := s.Load(en.Apply, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if st.Records != 1 || st.Truncated != int64(len("{\"k\":\"t\",\"j\":\"ssh")) {
		t.Errorf("stats %+v", st)
	}
	data, _ := os.ReadFile(path + ".journal")
	if !strings.HasSuffix(string(data), "\"f\":1}\n") {
		t.Errorf("journal not cut at the last line: %q", data)
	}
}

func TestOldGenerationJournalIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	os.WriteFile(path, []byte("{\"k\":\"S\",\"v\":1,\"gen\":2}\n{\"k\":\"t\",\"j\":\"sshd\",\"i\":\"192.0.2.7\",\"F\":1,\"L\":1,\"r\":1,\"f\":1}\n"), 0o600)
	os.WriteFile(path+".journal", []byte("{\"k\":\"J\",\"v\":1,\"gen\":1}\n{\"k\":\"t\",\"j\":\"sshd\",\"i\":\"192.0.2.8\",\"F\":1,\"L\":1,\"r\":1,\"f\":1}\n"), 0o600)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	en := newEngine(s, nil)
	st, err := s.Load(en.Apply, nil)
	if err != nil || st.Records != 1 || en.Tracked() != 1 {
		t.Fatalf("records %d tracked %d err %v", st.Records, en.Tracked(), err)
	}
}

// FuzzLoad feeds arbitrary snapshot and journal contents to the loader and
// the engine: they may be refused, never crash, and whatever loads
// snapshots and reloads without a bad record. (In memory: the file handling
// around it is tested above.)
func FuzzLoad(f *testing.F) {
	f.Add([]byte("{\"k\":\"S\",\"v\":1,\"gen\":0}\n{\"k\":\"b\",\"j\":\"sshd\",\"i\":\"192.0.2.7\",\"ip\":\"192.0.2.7\",\"st\":1,\"e\":5,\"bt\":3,\"c\":1}\n"),
		[]byte("{\"k\":\"J\",\"v\":1,\"gen\":0}\n{\"k\":\"u\",\"j\":\"sshd\",\"i\":\"192.0.2.7\"}\n{\"k\":\"w\",\"j\":\"x\",\"s\":9,\"keys\":[{\"i\":\"a\",\"n\":1}]}\n"))
	f.Add([]byte(""), []byte("{\"k\":\"J\",\"v\":1,\"gen\":0}\n{\"k\":\"h\",\"j\":\"sshd\",\"i\":\"a\",\"c\":3,\"tm\":5,\"bt\":-1}\n{\"k\":\"t\"\n"))
	f.Add([]byte("{\"k\":\"S\",\"v\":1,\"gen\":0}\n{\"k\":\"b\",\"j\":\"s\",\"i\":\"x\",\"e\":0,\"bt\":-1,\"c\":1}\n{\"k\":\"b\",\"j\":\"s\",\"i\":\"x\",\"e\":9,\"bt\":4,\"c\":1}\n"), []byte{})
	f.Fuzz(func(t *testing.T, snap, journal []byte) {
		en := newEngine(nil, func(*event.Event) {})
		var st LoadStats
		if _, err := readFile(bytes.NewReader(snap), "snap", 'S', en.Apply, nil, &st); err != nil {
			return
		}
		if _, err := readFile(bytes.NewReader(journal), "journal", 'J', en.Apply, nil, &st); err != nil {
			return
		}
		en.Start()
		en.Restore()
		fail(en, 100000, "192.0.2.7", 1)
		fail(en, 100001, "192.0.2.7", 2)
		en.Status("", 5)
		var buf bytes.Buffer
		buf.Write(headerLine('S', 1))
		en.Snapshot(func(r *bans.Record) error {
			buf.Write(append(AppendRecord(nil, r), '\n'))
			return nil
		})
		en2 := newEngine(nil, nil)
		var st2 LoadStats
		if _, err := readFile(&buf, "resnap", 'S', en2.Apply, func(f string, l int, err error) {
			t.Errorf("%s:%d: %v", f, l, err)
		}, &st2); err != nil || st2.Bad != 0 {
			t.Fatalf("reload of the snapshot: %+v %v", st2, err)
		}
	})
}

// TestFlushDoesNotWaitForFsync: the stream's writes go to the kernel and
// return; fsync runs in the background (group commit), so a slow disk never
// stalls the stream.
func TestFlushDoesNotWaitForFsync(t *testing.T) {
	release := make(chan struct{})
	syncing := make(chan struct{}, 100)
	old := fsync
	fsync = func(f *os.File) error {
		syncing <- struct{}{}
		<-release
		return nil
	}
	defer func() { fsync = old }()
	path := filepath.Join(t.TempDir(), "state")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	en := newEngine(s, nil)
	if _, err := s.Load(en.Apply, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			fail(en, i, "192.0.2.7", int64(i+1))
			s.Flush()
		}
		close(done)
	}()
	<-syncing // an fsync is in progress and blocked...
	select {
	case <-done: // ...and 100 flushes went through meanwhile
	case <-time.After(10 * time.Second):
		t.Fatal("Flush waited for fsync")
	}
	data, _ := os.ReadFile(path + ".journal")
	if n := strings.Count(string(data), "\n"); n < 100 {
		t.Errorf("journal has %d lines after the flushes, want > 100 (in the kernel before any fsync returned)", n)
	}
	close(release)
	for len(syncing) > 0 {
		<-syncing
	}
	fsync = func(*os.File) error { return nil }
	s.Close()
}

func TestForeignJournalKeptAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	os.WriteFile(path+".journal", []byte("precious data\n"), 0o600)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var warned string
	if _, err := s.Load(newEngine(s, nil).Apply, func(f string, l int, err error) { warned = err.Error() }); err != nil {
		t.Fatal(err)
	}
	m, _ := filepath.Glob(path + ".journal.bad-*")
	if len(m) != 1 || !strings.Contains(warned, "kept as") {
		t.Fatalf("aside %v, warning %q", m, warned)
	}
	if data, _ := os.ReadFile(m[0]); string(data) != "precious data\n" {
		t.Errorf("kept %q", data)
	}
}

// TestCompactAsync: records appended while the snapshot is written in the
// background land in the new journal; the reloaded state has everything.
func TestCompactAsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	en := newEngine(s, nil)
	if _, err := s.Load(en.Apply, nil); err != nil {
		t.Fatal(err)
	}
	fail(en, 0, "192.0.2.7", 1)
	fail(en, 1, "192.0.2.7", 2) // ban
	if err := s.CompactAsync(en.Snapshot); err != nil {
		t.Fatal(err)
	}
	fail(en, 2, "198.51.100.1", 3) // during or after the background write
	fail(en, 3, "198.51.100.1", 4) // ban
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".journal.next"); err == nil {
		t.Error("journal.next left behind")
	}
	got, st := loadIDs(t, path)
	if st.Bad != 0 || got != "192.0.2.7 198.51.100.1" {
		t.Errorf("after async compaction: %q %+v", got, st)
	}
}

func loadIDs(t *testing.T, path string) (string, LoadStats) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	en := newEngine(s, nil)
	st, err := s.Load(en.Apply, func(f string, l int, err error) { t.Errorf("%s:%d: %v", f, l, err) })
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range en.Status("sshd", 0)[0].Banned {
		ids = append(ids, b.ID)
	}
	return strings.Join(ids, " "), st
}

// TestCrashDuringCompactAsync: a crash before the new snapshot is renamed
// into place, or after it but before the new journal is, loses nothing.
func TestCrashDuringCompactAsync(t *testing.T) {
	ban := func(ip string, seq int) string {
		return fmt.Sprintf(`{"k":"b","j":"sshd","i":%q,"ip":%q,"st":1795255200000000000,"e":1795258800000000000,"bt":3600,"c":1,"f":2,"seq":%d}`+"\n", ip, ip, seq)
	}
	for _, tc := range []struct {
		name            string
		snap, jnl, next string
	}{
		{"snapshot not yet renamed",
			`{"k":"S","v":1,"gen":3}` + "\n" + ban("192.0.2.1", 1),
			`{"k":"J","v":1,"gen":3}` + "\n" + ban("192.0.2.2", 2),
			`{"k":"J","v":1,"gen":4}` + "\n" + ban("192.0.2.3", 3)},
		{"journal not yet renamed",
			`{"k":"S","v":1,"gen":4}` + "\n" + ban("192.0.2.1", 1) + ban("192.0.2.2", 2),
			`{"k":"J","v":1,"gen":3}` + "\n" + ban("192.0.2.2", 2),
			`{"k":"J","v":1,"gen":4}` + "\n" + ban("192.0.2.3", 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state")
			os.WriteFile(path, []byte(tc.snap), 0o600)
			os.WriteFile(path+".journal", []byte(tc.jnl), 0o600)
			os.WriteFile(path+".journal.next", []byte(tc.next), 0o600)
			got, _ := loadIDs(t, path)
			if got != "192.0.2.1 192.0.2.2 192.0.2.3" {
				t.Errorf("loaded %q", got)
			}
			if _, err := os.Stat(path + ".journal.next"); err == nil {
				t.Error("journal.next not folded in")
			}
			// And again, from the merged files.
			if got, _ := loadIDs(t, path); got != "192.0.2.1 192.0.2.2 192.0.2.3" {
				t.Errorf("reloaded %q", got)
			}
		})
	}
}
