// Package lines reads newline-terminated lines from a stream for banpipe's
// filters: it bounds the length of a line, reads a last line that has no
// newline, strips a CR before the newline, and tells its caller when the input
// pauses so that buffered output can be flushed at once.
package lines

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Reader reads lines. It is not safe for concurrent use.
type Reader struct {
	br  *bufio.Reader
	max int
	buf []byte
	n   int64

	// OnIdle, when set, is called before a read that may block, that is when
	// no complete line is buffered. Filters flush their output there, so that
	// `tail -F log | logmatch | bancount` reacts at once.
	OnIdle func()
}

// NewReader returns a Reader of r whose lines are cut at max bytes.
func NewReader(r io.Reader, max int) *Reader {
	size := 64 << 10
	return &Reader{br: bufio.NewReaderSize(r, size), max: max}
}

// Line returns the number of the line last returned by Next, from 1.
func (r *Reader) Line() int64 { return r.n }

// Next returns the next line without its line end. The slice is valid until
// the next call. truncated reports that the line was longer than the maximum
// and was cut; the rest of it was read and dropped. At the end of the input
// Next returns io.EOF; a last line without a newline is returned first.
func (r *Reader) Next() (line []byte, truncated bool, err error) {
	// a whole line in the buffer is taken in place: one scan, no copy
	if n := r.br.Buffered(); n > 0 {
		b, _ := r.br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i <= r.max {
			_, _ = r.br.Discard(i + 1)
			r.n++
			return trimCR(b[:i]), false, nil
		}
	}
	if r.OnIdle != nil && !r.lineBuffered() {
		r.OnIdle()
	}
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		switch {
		case err == nil:
			chunk = chunk[:len(chunk)-1]
			if !truncated {
				r.buf, truncated = r.appendBounded(r.buf, chunk)
			}
			r.n++
			return trimCR(r.buf), truncated, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if !truncated {
				r.buf, truncated = r.appendBounded(r.buf, chunk)
			}
			continue
		case errors.Is(err, io.EOF):
			if len(chunk) == 0 && len(r.buf) == 0 && !truncated {
				return nil, false, io.EOF
			}
			if !truncated {
				r.buf, truncated = r.appendBounded(r.buf, chunk)
			}
			r.n++
			return trimCR(r.buf), truncated, nil
		default:
			return nil, false, err
		}
	}
}

func (r *Reader) appendBounded(dst, chunk []byte) ([]byte, bool) {
	if room := r.max - len(dst); len(chunk) > room {
		return append(dst, chunk[:room]...), true
	}
	return append(dst, chunk...), false
}

func (r *Reader) lineBuffered() bool {
	n := r.br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := r.br.Peek(n)
	return bytes.IndexByte(b, '\n') >= 0
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}
