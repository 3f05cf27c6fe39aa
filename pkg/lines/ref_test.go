package lines

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// refNext is the Reader as it was on a bufio.Reader (ReadSlice, the line cut
// at max while appending): the reference the block reader must agree with.
type refReader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

func (r *refReader) next() ([]byte, bool, error) {
	r.buf = r.buf[:0]
	truncated := false
	add := func(chunk []byte) {
		if truncated {
			return
		}
		if room := r.max - len(r.buf); len(chunk) > room {
			r.buf, truncated = append(r.buf, chunk[:room]...), true
			return
		}
		r.buf = append(r.buf, chunk...)
	}
	for {
		chunk, err := r.br.ReadSlice('\n')
		switch {
		case err == nil:
			add(chunk[:len(chunk)-1])
			return bytes.TrimSuffix(r.buf, []byte("\r")), truncated, nil
		case errors.Is(err, bufio.ErrBufferFull):
			add(chunk)
		case errors.Is(err, io.EOF):
			if len(chunk) == 0 && len(r.buf) == 0 && !truncated {
				return nil, false, io.EOF
			}
			add(chunk)
			return bytes.TrimSuffix(r.buf, []byte("\r")), truncated, nil
		default:
			return nil, false, err
		}
	}
}

type readLine struct {
	text      string
	truncated bool
	lineno    int64
}

func readAll(t testing.TB, in string, max int, wrap func(io.Reader) io.Reader) (got, want []readLine) {
	r := NewReader(wrap(strings.NewReader(in)), max)
	for {
		l, tr, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, readLine{string(l), tr, r.Line()})
	}
	ref := &refReader{br: bufio.NewReaderSize(wrap(strings.NewReader(in)), 64<<10), max: max}
	for {
		l, tr, err := ref.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, readLine{string(l), tr, int64(len(want) + 1)})
	}
	return got, want
}

var readerWraps = map[string]func(io.Reader) io.Reader{
	"plain":    func(r io.Reader) io.Reader { return r },
	"one byte": iotest.OneByteReader,
	"half":     iotest.HalfReader,
	"data+EOF": iotest.DataErrReader,
}

func sameLines(t *testing.T, name string, got, want []readLine) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d lines, the bufio reader %d", name, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			g, w := got[i], want[i]
			if len(g.text) > 80 || len(w.text) > 80 {
				g.text = fmt.Sprintf("%d bytes %q...", len(g.text), g.text[:min(len(g.text), 20)])
				w.text = fmt.Sprintf("%d bytes %q...", len(w.text), w.text[:min(len(w.text), 20)])
			}
			t.Fatalf("%s: line %d = %+v, the bufio reader %+v", name, i+1, g, w)
		}
	}
}

// TestLongLinesAsBufio reads lines of every length around the block size
// and the maximum, with and without CR, max below and above the block.
func TestLongLinesAsBufio(t *testing.T) {
	var lens []int
	for _, base := range []int{bufSize, 2 * bufSize, 3 * bufSize, 100000} {
		for d := -2; d <= 2; d++ {
			lens = append(lens, base+d)
		}
	}
	for _, max := range []int{bufSize, bufSize + 1, 3*bufSize + 1, 1 << 20} {
		for _, cr := range []string{"", "\r"} {
			var in strings.Builder
			for i, n := range lens {
				in.WriteString("short " + fmt.Sprint(i) + cr + "\n")
				in.WriteString(strings.Repeat(string(rune('a'+i%26)), n) + cr + "\n")
			}
			in.WriteString(strings.Repeat("z", max+1)) // a long last line, no newline
			for name, wrap := range readerWraps {
				if name == "one byte" || name == "half" {
					continue // many reads of megabytes (slow under -race); FuzzNextAsBufio has them
				}
				got, want := readAll(t, in.String(), max, wrap)
				sameLines(t, fmt.Sprintf("max %d cr %q %s", max, cr, name), got, want)
			}
		}
	}
}

func FuzzNextAsBufio(f *testing.F) {
	for _, s := range []string{"a\nb\n", "a\r\nb", "0123456789abc\nok\n", "\n\n\r\n\r", "x\n01234\r\nok\n", "long line without end"} {
		f.Add(s, uint8(5))
	}
	f.Fuzz(func(t *testing.T, in string, max uint8) {
		for name, wrap := range readerWraps {
			got, want := readAll(t, in, int(max)+1, wrap)
			sameLines(t, name, got, want)
		}
	})
}

// TestReadErrorInLine: an error inside a line is returned (the partial
// line dropped), and reading goes on after it.
func TestReadErrorInLine(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("a\npart"), iotest.ErrReader(boom)), 100)
	if l, _, err := r.Next(); err != nil || string(l) != "a" {
		t.Fatalf("first line %q, %v", l, err)
	}
	if _, _, err := r.Next(); !errors.Is(err, boom) {
		t.Fatalf("second Next: %v, want %v", err, boom)
	}
}
