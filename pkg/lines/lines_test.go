package lines

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestNext(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		max   int
		want  []string
		trunc []bool
	}{
		{name: "plain", in: "a\nb\n", max: 10, want: []string{"a", "b"}, trunc: []bool{false, false}},
		{name: "no final newline", in: "a\nb", max: 10, want: []string{"a", "b"}, trunc: []bool{false, false}},
		{name: "crlf", in: "a\r\nb\r\n", max: 10, want: []string{"a", "b"}, trunc: []bool{false, false}},
		{name: "empty lines", in: "\n\nx\n", max: 10, want: []string{"", "", "x"}, trunc: []bool{false, false, false}},
		{name: "nul kept", in: "a\x00b\n", max: 10, want: []string{"a\x00b"}, trunc: []bool{false}},
		{name: "long line cut", in: "0123456789abc\nok\n", max: 5, want: []string{"01234", "ok"}, trunc: []bool{true, false}},
		{name: "long last line", in: "0123456789", max: 5, want: []string{"01234"}, trunc: []bool{true}},
		// after the first line, lines come from the buffer in place: the
		// same cut at max, CR included
		{name: "buffered line of max", in: "x\n01234\nok\n", max: 5, want: []string{"x", "01234", "ok"}, trunc: []bool{false, false, false}},
		{name: "buffered line of max with CR", in: "x\n01234\r\nok\n", max: 5, want: []string{"x", "01234", "ok"}, trunc: []bool{false, true, false}},
		{name: "buffered crlf", in: "x\r\n0123\r\nok", max: 5, want: []string{"x", "0123", "ok"}, trunc: []bool{false, false, false}},
		{name: "huge line over buffer", in: strings.Repeat("y", 200000) + "\nz\n", max: 100000,
			want: []string{strings.Repeat("y", 100000), "z"}, trunc: []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in), tt.max)
			var got []string
			var trunc []bool
			for {
				l, tr, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(l))
				trunc = append(trunc, tr)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
			for i := range trunc {
				if i < len(tt.trunc) && trunc[i] != tt.trunc[i] {
					t.Errorf("line %d truncated = %v, want %v", i+1, trunc[i], tt.trunc[i])
				}
			}
			if r.Line() != int64(len(tt.want)) {
				t.Errorf("Line() = %d, want %d", r.Line(), len(tt.want))
			}
		})
	}
}

func TestOnIdleOnlyWhenNoLineBuffered(t *testing.T) {
	r := NewReader(strings.NewReader("a\nb\nc"), 100)
	idle := 0
	r.OnIdle = func() { idle++ }
	for {
		if _, _, err := r.Next(); err != nil {
			break
		}
	}
	// Idle before the first read (nothing buffered), before "c" (no newline
	// buffered) and before EOF: never between "a" and "b".
	if idle != 3 {
		t.Errorf("OnIdle called %d times, want 3", idle)
	}
}

// BenchmarkNext reads 200-byte lines, as logmatch does (OnIdle set).
func BenchmarkNext(b *testing.B) {
	line := strings.Repeat("2026/11/21 00:00:00 [error] 1#1: *1 open() failed, client: 192.0.2.1 ", 3)[:199] + "\n"
	data := strings.Repeat(line, 20000)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		r := NewReader(strings.NewReader(data), 64<<10)
		r.OnIdle = func() {}
		for {
			if _, _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
