// Package lines reads newline-terminated lines from a stream for banpipe's
// filters: it bounds the length of a line, reads a last line that has no
// newline, strips a CR before the newline, and tells its caller when the input
// pauses so that buffered output can be flushed at once.
package lines

import (
	"bytes"
	"io"
)

// bufSize is the size of a Reader's block: each read asks for the room
// left in it. 64 KiB is as large as a pipe's buffer; a larger block
// costs fresh memory and cache for few syscalls saved.
const bufSize = 64 << 10

// Reader reads lines. It is not safe for concurrent use.
type Reader struct {
	r          io.Reader
	buf        []byte // the block; buf[start:end] is not read yet
	start, end int
	err        error // the read error that ended the input (io.EOF)
	max        int
	long       []byte // a line longer than the block, up to max bytes
	n          int64

	// OnIdle, when set, is called before a read that may block, that is when
	// no complete line is buffered. Filters flush their output there, so that
	// `tail -F log | logmatch | bancount` reacts at once.
	OnIdle func()
}

// NewReader returns a Reader of r whose lines are cut at max bytes.
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{r: r, max: max}
}

// Line returns the number of the line last returned by Next, from 1.
func (r *Reader) Line() int64 { return r.n }

// Next returns the next line without its line end. The slice is valid until
// the next call. truncated reports that the line was longer than the maximum
// and was cut; the rest of it was read and dropped. At the end of the input
// Next returns io.EOF; a last line without a newline is returned first.
func (r *Reader) Next() (line []byte, truncated bool, err error) {
	// a whole line in the block is taken in place: one scan, no copy
	if i := bytes.IndexByte(r.buf[r.start:r.end], '\n'); i >= 0 {
		line = r.buf[r.start : r.start+i]
		r.start += i + 1
		r.n++
		return r.bounded(line)
	}
	return r.slow()
}

// bounded cuts line at max bytes (a CR before the newline counts) and
// drops a CR at its end.
func (r *Reader) bounded(line []byte) ([]byte, bool, error) {
	truncated := false
	if len(line) > r.max {
		line, truncated = line[:r.max], true
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, truncated, nil
}

// slow reads until a line ends: no complete line is in the block.
func (r *Reader) slow() ([]byte, bool, error) {
	if r.OnIdle != nil {
		r.OnIdle()
	}
	if r.buf == nil {
		r.buf = make([]byte, bufSize)
	}
	// the start of the line moves to the front of the block
	r.end = copy(r.buf, r.buf[r.start:r.end])
	r.start = 0
	r.long = r.long[:0]
	over := false // the line is longer than max
	scanned := r.end
	for {
		if r.err != nil {
			break
		}
		if r.end == len(r.buf) {
			// the line fills the block: keep up to max bytes of it aside
			if !over {
				room := r.max - len(r.long)
				if r.end > room {
					r.long, over = append(r.long, r.buf[:room]...), true
				} else {
					r.long = append(r.long, r.buf[:r.end]...)
				}
			}
			r.end, scanned = 0, 0
		}
		n, err := r.read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.err = err
		}
		if i := bytes.IndexByte(r.buf[scanned:r.end], '\n'); i >= 0 {
			r.start = scanned + i + 1
			r.n++
			return r.join(r.buf[:scanned+i], over)
		}
		scanned = r.end
	}
	// the input ended
	if r.end == 0 && len(r.long) == 0 && !over {
		if r.err == io.EOF {
			// as a bufio.Reader does, read again at the next call: a
			// file may grow, a terminal may give more after ^D
			r.err = nil
			return nil, false, io.EOF
		}
		err := r.err
		r.err = nil
		return nil, false, err
	}
	if r.err != io.EOF {
		// a read error inside a line: the line is lost, the error told
		err := r.err
		r.err = nil
		r.end, r.long = 0, r.long[:0]
		return nil, false, err
	}
	rest := r.buf[:r.end]
	r.start, r.end = 0, 0
	r.n++
	return r.join(rest, over)
}

// join returns the line whose last part is tail, the rest being in
// r.long (a line longer than the block).
func (r *Reader) join(tail []byte, over bool) ([]byte, bool, error) {
	if len(r.long) == 0 && !over {
		return r.bounded(tail)
	}
	if !over {
		if room := r.max - len(r.long); len(tail) > room {
			r.long, over = append(r.long, tail[:room]...), true
		} else {
			r.long = append(r.long, tail...)
		}
	}
	line, truncated, _ := r.bounded(r.long)
	return line, truncated || over, nil
}

// read reads into b, trying again a few times when the reader returns
// nothing and no error (io.ErrNoProgress after 100 tries, as bufio).
func (r *Reader) read(b []byte) (int, error) {
	for range 100 {
		n, err := r.r.Read(b)
		if n < 0 || n > len(b) {
			panic("lines: reader returned a bad count")
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}
