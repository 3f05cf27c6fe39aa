package logmatch

import (
	"testing"
	"time"
)

func TestJournalEntry(t *testing.T) {
	tests := []struct {
		in, want string
		at       time.Time
		err      bool
	}{
		{`{"MESSAGE":"hello","_HOSTNAME":"h","SYSLOG_IDENTIFIER":"sshd","_PID":"7","__REALTIME_TIMESTAMP":"1700000000000001"}`, "h sshd[7]: hello", time.UnixMicro(1700000000000001), false},
		{`{"MESSAGE":[104,105,255],"_COMM":"app"}`, "app: hi\xff", time.Time{}, false},
		{`{"MESSAGE":["a",[98]],"SYSLOG_IDENTIFIER":"x","SYSLOG_PID":"1","_PID":"2"}`, "x[1]: a | b", time.Time{}, false},
		{`{"MESSAGE":null}`, "", time.Time{}, false},
		{`{"_HOSTNAME":"h"}`, "", time.Time{}, true},
		{`{"MESSAGE":"m","__REALTIME_TIMESTAMP":"soon"}`, "", time.Time{}, true},
		{`{"MESSAGE":{"x":1}}`, "", time.Time{}, true},
		{`not json`, "", time.Time{}, true},
	}
	for _, tt := range tests {
		got, at, err := journalRecord([]byte(tt.in), nil)
		if (err != nil) != tt.err {
			t.Errorf("journalRecord(%s): error %v", tt.in, err)
			continue
		}
		if err == nil && (string(got) != tt.want || !at.Equal(tt.at)) {
			t.Errorf("journalRecord(%s) = %q, %v; want %q, %v", tt.in, got, at, tt.want, tt.at)
		}
	}
}

// FuzzJournalEntry: any input gives a line or an error, never a panic; a
// record that decodes gives the same line when decoded again.
func FuzzJournalEntry(f *testing.F) {
	f.Add([]byte(`{"MESSAGE":"hello","_HOSTNAME":"h","SYSLOG_IDENTIFIER":"sshd","_PID":"7","__REALTIME_TIMESTAMP":"1700000000000001"}`))
	f.Add([]byte(`{"MESSAGE":[104,105,255]}`))
	f.Add([]byte(`{"MESSAGE":["a",[98],null]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		line, at, err := journalRecord(b, nil)
		if err != nil {
			return
		}
		again, at2, err := journalRecord(b, []byte("prefix"))
		if err != nil || string(again) != "prefix"+string(line) || !at.Equal(at2) {
			t.Fatalf("journalRecord(%q) not stable: %q, %q, %v", b, line, again, err)
		}
	})
}
