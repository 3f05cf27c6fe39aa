package event

import (
	"bufio"
	"fmt"
	"io"
	"sync"

	"github.com/banpipe/banpipe/pkg/lines"
)

// LineError reports a line of the input that is not a valid event.
type LineError struct {
	Source string // "stdin" or a file name
	Line   int64  // 1-based line number
	Err    error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Reader reads events, one per line.
type Reader struct {
	lr     *lines.Reader
	source string
	keep   bool
	nocap  bool
	hostIP bool
	bad    int64
	names  interner
}

// NewReader returns a Reader of r. source names r in errors ("stdin").
func NewReader(r io.Reader, source string) *Reader {
	return &Reader{lr: lines.NewReader(r, MaxLine), source: source}
}

// KeepRaw makes Read set Event.Raw to a copy of the line (fwban needs it to
// write its results).
func (r *Reader) KeepRaw() { r.keep = true }

// DropCaptures makes Read leave Captures nil: a reader that has no use for
// the <F-NAME> captures (bancount) saves a map per event. Unknown fields are
// still checked.
func (r *Reader) DropCaptures() { r.nocap = true }

// HostOnlyWithoutIP makes Read leave Host empty when it names the event's
// address (the same text, or another spelling of it): a reader that
// identifies failures by [Event.ID] (bancount) saves a string per event.
// Host is still checked, and set when there is no address or when it
// differs from it (an <F-ID>, a resolved host name).
func (r *Reader) HostOnlyWithoutIP() { r.hostIP = true }

// OnIdle sets a function called whenever the input pauses (no complete line
// is buffered); writers flush there.
func (r *Reader) OnIdle(f func()) { r.lr.OnIdle = f }

// Bad returns how many bad lines Read has reported.
func (r *Reader) Bad() int64 { return r.bad }

// Read reads the next event into e. Blank lines are skipped. At the end of
// the input it returns io.EOF. A bad line gives a *LineError; the caller
// reports it and calls Read again.
func (r *Reader) Read(e *Event) error {
	for {
		line, truncated, err := r.lr.Next()
		if err != nil {
			return err
		}
		if truncated {
			r.bad++
			return &LineError{r.source, r.lr.Line(), fmt.Errorf("line longer than %d bytes", MaxLine)}
		}
		if len(trimSpace(line)) == 0 {
			continue
		}
		if err := decodeWith(line, e, &r.names, decodeOpts{nocap: r.nocap, hostIP: r.hostIP}); err != nil {
			r.bad++
			return &LineError{r.source, r.lr.Line(), err}
		}
		if r.keep {
			e.Raw = append([]byte(nil), trimSpace(line)...)
		}
		return nil
	}
}

// Line returns the line number of the event last read.
func (r *Reader) Line() int64 { return r.lr.Line() }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// Writer writes events, one per line, through a buffer. It is safe for
// concurrent use. Call Flush when the input pauses and before exit.
type Writer struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
	err error
	n   int64
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write writes e.
func (w *Writer) Write(e *Event) error {
	w.mu.Lock()
	w.buf = append(Append(w.buf[:0], e), '\n')
	err := w.put()
	w.mu.Unlock()
	return err
}

// WriteResult writes fwban's result for e (see [AppendResult]).
func (w *Writer) WriteResult(e *Event, applied bool, errText string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(AppendResult(w.buf[:0], e, applied, errText), '\n')
	return w.put()
}

func (w *Writer) put() error {
	if w.err != nil {
		return w.err
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = err
		return err
	}
	w.n++
	return nil
}

// Count returns the number of events written.
func (w *Writer) Count() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// Flush writes any buffered events to the underlying writer.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = err
	}
	return w.err
}
