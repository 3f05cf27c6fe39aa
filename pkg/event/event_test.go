package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means valid
		check   func(t *testing.T, e *Event)
	}{
		{name: "failure", in: `{"time":"2026-11-21T10:04:05+01:00","jail":"sshd","filter":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"attempts":1,"user":"root"}`,
			check: func(t *testing.T, e *Event) {
				if !e.IsFailure() || e.Jail != "sshd" || e.Lineno != 42 || e.Captures["user"] != "root" || e.ID() != "192.0.2.7" {
					t.Errorf("got %+v", e)
				}
				if _, off := e.Time.Zone(); off != 3600 {
					t.Errorf("zone offset = %d, want 3600", off)
				}
			}},
		{name: "mapped address is unmapped", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","ip":"::ffff:192.0.2.7"}`,
			check: func(t *testing.T, e *Event) {
				if e.ID() != "192.0.2.7" {
					t.Errorf("ID = %q", e.ID())
				}
			}},
		{name: "ban with prefix", in: `{"action":"ban","jail":"sshd","ip":"203.0.113.77/24","bantime":-1}`,
			check: func(t *testing.T, e *Event) {
				if e.ID() != "203.0.113.0/24" || e.Bantime != -1 {
					t.Errorf("got %q %d", e.ID(), e.Bantime)
				}
			}},
		{name: "ban by id", in: `{"action":"ban","jail":"sshd","host":"user42"}`},
		{name: "escapes", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","host":"a\"b\\c\u00e9\ud83d\ude00\n"}`,
			check: func(t *testing.T, e *Event) {
				if e.Host != "a\"b\\cé😀\n" {
					t.Errorf("host = %q", e.Host)
				}
			}},
		{name: "not json", in: `hello`, wantErr: "not a JSON object"},
		{name: "truncated", in: `{"time":"2026-11-21T10:04:05Z","jail":"j"`, wantErr: "unexpected end of line"},
		{name: "wrong type", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","host":"h","lineno":"7"}`, wantErr: `field "lineno": want a number`},
		{name: "missing time", in: `{"jail":"j","host":"h"}`, wantErr: `missing required field "time"`},
		{name: "missing jail", in: `{"time":"2026-11-21T10:04:05Z","host":"h"}`, wantErr: `missing required field "jail"`},
		{name: "missing id", in: `{"time":"2026-11-21T10:04:05Z","jail":"j"}`, wantErr: `missing required field "ip" or "host"`},
		{name: "bad address", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","ip":"192.030.0.6"}`, wantErr: `invalid address`},
		{name: "zone address", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","ip":"fe80::1%eth0"}`, wantErr: `invalid address`},
		{name: "bad time", in: `{"time":"yesterday","jail":"j","host":"h"}`, wantErr: `invalid RFC 3339 time`},
		{name: "bad action", in: `{"action":"nuke","jail":"j","host":"h"}`, wantErr: `unknown action`},
		{name: "trailing text", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","host":"h"} x`, wantErr: "text after"},
		{name: "nested unknown ok", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","host":"h","x":{"y":[1,2,{"z":null}]}}`},
		{name: "NUL in string", in: "{\"time\":\"2026-11-21T10:04:05Z\",\"jail\":\"j\",\"host\":\"a\x00b\"}", wantErr: "control character"},
		{name: "float integer", in: `{"action":"ban","jail":"j","ip":"192.0.2.1","bantime":3600.0}`},
		{name: "matches", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","host":"h","matches":["l1 \"q\"","l2"]}`,
			check: func(t *testing.T, e *Event) {
				if len(e.Matches) != 2 || e.Matches[0] != `l1 "q"` || e.Matches[1] != "l2" || len(e.Captures) != 0 {
					t.Errorf("matches = %q, captures %v", e.Matches, e.Captures)
				}
			}},
		{name: "matches not strings", in: `{"time":"2026-11-21T10:04:05Z","jail":"j","host":"h","matches":["a",1]}`, wantErr: `field "matches": want an array of strings`},
		{name: "fraction refused", in: `{"action":"ban","jail":"j","ip":"192.0.2.1","bantime":1.5}`, wantErr: "want an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Event
			err := Decode([]byte(tt.in), &e)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode() error = %v", err)
				}
				if tt.check != nil {
					tt.check(t, &e)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Decode() error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	until := time.Date(2026, 11, 21, 11, 4, 5, 0, time.UTC)
	applied := false
	in := Event{Action: ActionBan, Time: time.Date(2026, 11, 21, 10, 4, 5, 120000000, time.FixedZone("", 3600)),
		Jail: "sshd", Host: "h", Failures: 5, Bantime: 3600, Until: until, Bancount: 2, Restored: true,
		Captures: map[string]string{"user": "<root>&"}, Users: []string{"a", "b"}, Matches: []string{"line 1", "line\t2"}, Applied: &applied, Error: "e"}
	in.IP, _ = ParseIP("2001:db8::1")
	b := Append(nil, &in)
	if bytes.Contains(b, []byte(`\u003c`)) {
		t.Errorf("HTML escaped: %s", b)
	}
	var out Event
	if err := Decode(b, &out); err != nil {
		t.Fatalf("Decode(%s): %v", b, err)
	}
	if !out.Time.Equal(in.Time) || out.Until != in.Until || out.IP != in.IP || out.Captures["user"] != "<root>&" ||
		out.Failures != 5 || out.Bancount != 2 || !out.Restored || *out.Applied || out.Error != "e" || len(out.Users) != 2 ||
		len(out.Matches) != 2 || out.Matches[1] != "line\t2" {
		t.Errorf("round trip lost data:\nin  %+v\nout %+v\njson %s", in, out, b)
	}
	if !json.Valid(b) {
		t.Errorf("not valid JSON: %s", b)
	}
	if !strings.Contains(string(b), `"time":"2026-11-21T10:04:05.12+01:00"`) {
		t.Errorf("time not RFC 3339 with offset and fraction: %s", b)
	}
}

func TestAppendResultKeepsLine(t *testing.T) {
	raw := []byte(`{"action":"ban","jail":"sshd","ip":"192.0.2.7","extra":{"k":[1]}}`)
	var e Event
	if err := Decode(raw, &e); err != nil {
		t.Fatal(err)
	}
	e.Raw = raw
	got := string(AppendResult(nil, &e, false, "refused: loopback"))
	want := `{"action":"ban","jail":"sshd","ip":"192.0.2.7","extra":{"k":[1]},"applied":false,"error":"refused: loopback"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestReaderReportsAndGoesOn(t *testing.T) {
	in := strings.Join([]string{
		`{"time":"2026-11-21T10:04:05Z","jail":"j","host":"a"}`,
		`garbage`,
		``,
		`{"time":"2026-11-21T10:04:05Z","jail":"j","host":"b"}` + "\r",
		strings.Repeat("x", MaxLine+10),
		`{"time":"2026-11-21T10:04:05Z","jail":"j","host":"c"}`, // no final newline
	}, "\n")
	r := NewReader(strings.NewReader(in), "stdin")
	var hosts, errs []string
	for {
		var e Event
		err := r.Read(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			errs = append(errs, le.Error())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, e.Host)
	}
	if strings.Join(hosts, ",") != "a,b,c" {
		t.Errorf("hosts = %v", hosts)
	}
	if len(errs) != 2 || !strings.HasPrefix(errs[0], "stdin:2: ") || !strings.HasPrefix(errs[1], "stdin:5: line longer") {
		t.Errorf("errors = %q", errs)
	}
	if r.Bad() != 2 {
		t.Errorf("Bad() = %d", r.Bad())
	}
}

func TestWriterFlushesOnIdle(t *testing.T) {
	pr, pw := io.Pipe()
	out := &syncBuffer{}
	w := NewWriter(out)
	r := NewReader(pr, "stdin")
	r.OnIdle(func() { w.Flush() })
	go func() {
		pw.Write([]byte(`{"time":"2026-11-21T10:04:05Z","jail":"j","host":"a"}` + "\n"))
	}()
	var e Event
	if err := r.Read(&e); err != nil {
		t.Fatal(err)
	}
	w.Write(&e)
	done := make(chan struct{})
	go func() { r.Read(&e); close(done) }() // blocks on the pipe: must flush first
	for out.String() == "" {
		select {
		case <-done:
			t.Fatal("read returned early")
		case <-time.After(time.Millisecond):
		}
	}
	pw.Close()
	<-done
	if !strings.Contains(out.String(), `"host":"a"`) {
		t.Errorf("out = %q", out.String())
	}
}

func BenchmarkDecode(b *testing.B) {
	line := []byte(`{"time":"2026-11-21T10:04:05+01:00","jail":"sshd","filter":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"attempts":1,"user":"root"}`)
	var e Event
	b.ReportAllocs()
	for b.Loop() {
		if err := Decode(line, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	var e Event
	Decode([]byte(`{"time":"2026-11-21T10:04:05+01:00","jail":"sshd","filter":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"attempts":1,"user":"root"}`), &e)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], &e)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFastTimeMatchesTimeParse: the fast RFC 3339 parser takes the forms
// the encoder writes (and others that are valid), agreeing with time.Parse
// to the offset, and declines the rest to the general parser.
func TestFastTimeMatchesTimeParse(t *testing.T) {
	for _, c := range []struct {
		s    string
		fast bool // the fast parser must take it
	}{
		{"2026-11-21T10:04:05Z", true},
		{"2026-11-21T10:04:05+01:00", true},
		{"2026-11-21T10:04:05.5-05:30", true},
		{"2024-02-29T23:59:59.123456789+00:00", true},
		{"2026-11-21T10:04:05.1234567891Z", true},
		{"2026-11-21t10:04:05z", false},
		{"2026-02-29T10:04:05Z", false},
		{"2026-11-21T24:04:05Z", false},
		{"2026-11-21T10:04:05+0100", false},
	} {
		want, werr := time.Parse(time.RFC3339Nano, c.s)
		got, ok := parseRFC3339([]byte(c.s))
		if ok != c.fast {
			t.Errorf("%s: fast parser took it: %v, want %v", c.s, ok, c.fast)
		}
		if !ok {
			// Declined: the general parser decides, as time.Parse.
			g, err := parseTime(c.s)
			if (err == nil) != (werr == nil) || err == nil && !g.Equal(want) {
				t.Errorf("%s: general parser %v (%v), time.Parse %v (%v)", c.s, g, err, want, werr)
			}
			continue
		}
		if werr != nil || !got.Equal(want) {
			t.Errorf("%s: fast %v, time.Parse %v (%v)", c.s, got, want, werr)
		}
		if _, o1 := got.Zone(); true {
			if _, o2 := want.Zone(); o1 != o2 {
				t.Errorf("%s: offset %d, want %d", c.s, o1, o2)
			}
		}
	}
}

func TestFastIPv4MatchesParseIP(t *testing.T) {
	for _, s := range []string{"192.0.2.7", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3"} {
		a, ok := parseIPv4([]byte(s))
		p, err := parseIP(s)
		if ok != (err == nil) || (ok && a != p.Addr()) {
			t.Errorf("%s: fast %v %v, the general parser %v %v", s, a, ok, p, err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	line := `{"time":"2026-11-21T10:04:05+01:00","jail":"sshd","filter":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"attempts":1,"user":"root"}` + "\n"
	in := strings.Repeat(line, 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r := NewReader(strings.NewReader(in), "stdin")
		var e Event
		for r.Read(&e) == nil {
		}
	}
}

// TestKeyID checks that every known field name maps to its own id and that
// near misses are unknown.
func TestKeyID(t *testing.T) {
	for id, name := range keyNames {
		if id == fUnknown {
			continue
		}
		if got := keyID([]byte(name)); got != id {
			t.Errorf("keyID(%q) = %d, want %d", name, got, id)
		}
		if !isKnownField(name) {
			t.Errorf("%q is not a known field", name)
		}
		for _, miss := range []string{name + "x", name[:len(name)-1], "x" + name[1:], name[:len(name)-1] + "x"} {
			if got := keyID([]byte(miss)); got != fUnknown {
				t.Errorf("keyID(%q) = %d, want unknown", miss, got)
			}
		}
	}
}

func TestCutMatch(t *testing.T) {
	long := strings.Repeat("a", MaxMatchLen-1) + "é" + "zz"
	got := CutMatch(long)
	if len(got) != MaxMatchLen-1 || !utf8.ValidString(got) {
		t.Errorf("CutMatch cut to %d bytes (valid UTF-8 %v), want %d", len(got), utf8.ValidString(got), MaxMatchLen-1)
	}
	if s := strings.Repeat("b", MaxMatchLen); CutMatch(s) != s {
		t.Errorf("CutMatch changed a line of exactly MaxMatchLen bytes")
	}
}
