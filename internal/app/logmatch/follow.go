package logmatch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/lines"
)

// safetyTick is how often a source watched through inotify checks its
// file anyway (an event lost to a queue overflow, a directory that was
// replaced).
const safetyTick = 30 * time.Second

// perSourceMemory is what the soft memory limit (tuneGC) grows by for each
// source: a followed file's runner (date detector, matcher, read buffer)
// holds a few tens of KiB, and a limit under the live heap would make the
// collector run without end while idle.
const perSourceMemory = 64 << 10

// readBuf is the read buffer of one followed file: small, as a thousand
// files may be followed; a longer line is put together from several reads.
const readBuf = 8 << 10

// sources runs the sources of several jails into one event stream.
type sources struct {
	ctx    context.Context
	o      *options
	w      *event.Writer
	stderr io.Writer
	hub    *hub
	pos    *positions
	wg     sync.WaitGroup

	mu      sync.Mutex
	runners []*runner
	failed  bool // a write to standard output failed
}

// runSources reads every source of specs: each logpath (a file or a
// glob) of a file jail, and the journal of a systemd jail. Without
// --follow each source is read to its end once.
func runSources(ctx context.Context, o *options, specs []*jailSpec, w *event.Writer, stderr io.Writer) error {
	pos, err := openPositions(o.positions)
	if err != nil {
		return clirun.Config(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &sources{ctx: ctx, o: o, w: w, stderr: stderr, pos: pos}
	if o.follow {
		s.hub = newHub(ctx, stderr)
	}
	for _, js := range specs {
		if js.backend == "systemd" {
			s.start(func() { s.journal(js) })
			continue
		}
		for _, p := range js.logPaths {
			if hasMeta(p) {
				s.start(func() { s.glob(js, p) })
			} else {
				s.start(func() { s.file(js, p) })
			}
		}
	}
	var saveErr error
	if o.follow && o.positions != "" {
		s.start(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if err := pos.tick(); err != nil && saveErr == nil {
						warnf(stderr, "positions: %v", err)
					}
				}
			}
		})
	}
	s.wg.Wait()
	if s.hub != nil {
		s.hub.close()
	}
	ferr := w.Flush()
	if err := pos.final(o.follow); err != nil {
		warnf(stderr, "positions: %v", err)
	}
	if o.stats {
		for _, r := range s.runners {
			r.printStats()
		}
	}
	if ferr != nil || s.failed {
		return clirun.Failure(fmt.Errorf("write: %v", ferr))
	}
	return nil
}

func (s *sources) start(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func (s *sources) newRunner(js *jailSpec, input string) *runner {
	o := *s.o
	o.input = input
	r, err := newRunner(s.ctx, &o, js, s.w, s.stderr)
	if err != nil { // compiled before: cannot happen
		panic(err)
	}
	r.findTime = js.findTime
	s.mu.Lock()
	s.runners = append(s.runners, r)
	n := len(s.runners)
	s.mu.Unlock()
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit + int64(n)*perSourceMemory)
	}
	return r
}

// flush flushes the events written so far; positions are recorded only
// after it succeeded.
func (s *sources) flush() bool {
	if err := s.w.Flush(); err != nil {
		s.mu.Lock()
		first := !s.failed
		s.failed = true
		s.mu.Unlock()
		if first {
			warnf(s.stderr, "write: %v", err)
		}
		return false
	}
	return true
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// glob follows every file matching pattern, also those that appear later.
func (s *sources) glob(js *jailSpec, pattern string) {
	started := map[string]bool{}
	scan := func() {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return
		}
		for _, m := range matches {
			if st, err := os.Stat(m); err != nil || st.IsDir() || started[m] {
				continue
			}
			started[m] = true
			s.start(func() { s.file(js, m) })
		}
	}
	scan()
	if len(started) == 0 {
		warnf(s.stderr, "%s: no file matches %s yet (jail %s)", js.source, pattern, js.name)
	}
	if !s.o.follow {
		return
	}
	dir, base := filepath.Split(pattern)
	var sub *subscription
	if !hasMeta(dir) && js.backend != "polling" {
		sub = s.hub.subscribe(filepath.Clean(dir), func(name string) bool {
			ok, _ := filepath.Match(base, name)
			return ok
		})
		defer s.hub.unsubscribe(sub)
	}
	for s.wait(js, sub) {
		scan()
	}
}

// wait waits for a change announced by sub, or for the polling interval;
// it returns false when the run ends.
func (s *sources) wait(js *jailSpec, sub *subscription) bool {
	d := s.o.poll
	var wake <-chan struct{}
	if sub != nil && sub.watched {
		d, wake = safetyTick, sub.wake
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return s.ctx.Err() == nil
}

// tailer reads one log file as tail -F does.
type tailer struct {
	s        *sources
	js       *jailSpec
	path     string
	r        *runner
	f        *os.File
	br       *bufio.Reader
	dev, ino uint64
	off      int64 // bytes of complete lines read
	line     int64 // lines read
	pending  []byte
	cut      bool
	warned   string
	// last holds the bytes just before off (up to lastLen): a file whose
	// bytes there changed was truncated and written again (copytruncate).
	last []byte
}

const lastLen = 32

func (s *sources) file(js *jailSpec, path string) {
	t := &tailer{s: s, js: js, path: path, r: s.newRunner(js, "text")}
	t.r.source = path
	defer t.close()
	var sub *subscription
	if s.o.follow && js.backend != "polling" {
		base := filepath.Base(path)
		sub = s.hub.subscribe(filepath.Dir(path), func(name string) bool { return name == base })
		defer s.hub.unsubscribe(sub)
	}
	t.open(true)
	for {
		if t.f != nil {
			t.read()
			t.checkRotation()
		} else {
			t.open(false)
			if t.f != nil {
				continue
			}
		}
		if !s.o.follow || !s.wait(js, sub) {
			return
		}
	}
}

func fileID(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}

func (t *tailer) warnOnce(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if msg != t.warned {
		t.warned = msg
		warnf(t.s.stderr, "%s", msg)
	}
}

// open opens the file; first is the first open of this run, which goes on
// from the saved position (reading first the rest of a file rotated while
// logmatch was down).
func (t *tailer) open(first bool) {
	f, err := os.Open(t.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			t.warnOnce("%s: no such file yet; read when it appears (jail %s)", t.path, t.js.name)
		} else {
			t.warnOnce("%s: cannot read: %v (jail %s); retried", t.path, errors.Unwrap(err), t.js.name)
		}
		return
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return
	}
	t.warned = ""
	t.f, t.br = f, bufio.NewReaderSize(f, readBuf)
	t.dev, t.ino = fileID(fi)
	t.off, t.line, t.pending, t.cut, t.last = 0, 0, t.pending[:0], false, nil
	saved, ok := t.s.pos.get(t.js.name, t.path)
	if !first || !ok || saved.Offset == 0 {
		return
	}
	if saved.Dev == t.dev && saved.Ino == t.ino {
		if fi.Size() >= saved.Offset && t.endsLine(f, saved.Offset, saved.Last) {
			if _, err := f.Seek(saved.Offset, io.SeekStart); err == nil {
				t.off, t.line, t.last = saved.Offset, saved.Line, saved.Last
			}
		}
		return
	}
	t.rotatedWhileDown(saved)
}

// endsLine reports whether the bytes before off are last (or, without
// last, a newline); else the file was truncated and written again since.
func (t *tailer) endsLine(f *os.File, off int64, last []byte) bool {
	if off == 0 {
		return true
	}
	if len(last) == 0 {
		last = []byte{'\n'}
	}
	if int64(len(last)) > off {
		return false
	}
	b := make([]byte, len(last))
	n, _ := f.ReadAt(b, off-int64(len(last)))
	return n == len(b) && string(b) == string(last)
}

// readLast returns the bytes of f just before off (up to lastLen).
func readLast(f *os.File, off int64) []byte {
	k := min(off, lastLen)
	b := make([]byte, k)
	n, _ := f.ReadAt(b, off-k)
	return b[:n]
}

// rotatedWhileDown reads the rest of the file saved was read from when it
// was renamed (rotated) while logmatch was down: it is looked for by its
// inode among the files of the same directory.
func (t *tailer) rotatedWhileDown(saved position) {
	dir := filepath.Dir(t.path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if dev, ino := fileID(fi); dev != saved.Dev || ino != saved.Ino || fi.Size() < saved.Offset {
			continue
		}
		old, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return
		}
		if !t.endsLine(old, saved.Offset, saved.Last) {
			old.Close()
			return
		}
		if _, err := old.Seek(saved.Offset, io.SeekStart); err != nil {
			old.Close()
			return
		}
		cur := *t
		t.f, t.br, t.off, t.line = old, bufio.NewReaderSize(old, readBuf), saved.Offset, saved.Line
		t.dev, t.ino = saved.Dev, saved.Ino
		t.r.source = filepath.Join(dir, e.Name())
		t.read()
		old.Close()
		t.f, t.br, t.off, t.line, t.pending = cur.f, cur.br, 0, 0, t.pending[:0]
		t.dev, t.ino, t.last = cur.dev, cur.ino, nil
		t.r.source = t.path
		return
	}
}

func (t *tailer) close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}

// read reads and processes the complete lines available, flushes their
// events, then records the position. A partial last line is left for the
// next read (the writer has not finished it).
func (t *tailer) read() {
	n := 0
	consumed := 0 // bytes of the current line read so far
	for t.s.ctx.Err() == nil {
		chunk, err := t.br.ReadSlice('\n')
		if err == nil {
			consumed += len(chunk)
			line := chunk[:len(chunk)-1]
			if len(t.pending) > 0 || t.cut {
				t.add(line)
				line = t.pending
			}
			t.off += int64(consumed)
			consumed = 0
			t.line++
			t.r.lineno = t.line
			if t.cut {
				t.r.longLine(t.r.source, t.line)
			} else {
				t.r.process(trimCR(line), t.line)
			}
			t.pending, t.cut = t.pending[:0], false
			n++
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			consumed += len(chunk)
			t.add(chunk)
			continue
		}
		if len(chunk) > 0 || consumed > 0 {
			// a partial line: read it again with its rest
			if _, serr := t.f.Seek(t.off, io.SeekStart); serr == nil {
				t.br.Reset(t.f)
			}
			t.pending, t.cut = t.pending[:0], false
		}
		if err != io.EOF {
			t.warnOnce("%s: read: %v", t.r.source, err)
		}
		break
	}
	if n > 0 {
		t.last = readLast(t.f, t.off)
		if t.s.flush() {
			t.s.pos.set(position{Jail: t.js.name, Path: t.path, Dev: t.dev, Ino: t.ino, Offset: t.off, Line: t.line, Last: t.last})
		}
	}
}

func (t *tailer) add(b []byte) {
	if t.cut {
		return
	}
	if room := maxLine - len(t.pending); len(b) > room {
		b, t.cut = b[:room], true
	}
	t.pending = append(t.pending, b...)
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// checkRotation follows the path to a new file (rename or delete and
// re-create) and starts over a truncated one (copytruncate).
func (t *tailer) checkRotation() {
	fi, err := os.Stat(t.path)
	if err != nil {
		return // gone: keep the old file open until a new one appears
	}
	if dev, ino := fileID(fi); dev != t.dev || ino != t.ino {
		t.read() // what was written to the old file before the switch
		t.close()
		t.open(false)
		if t.f != nil {
			t.read()
		}
		return
	}
	ofi, err := t.f.Stat()
	if err != nil {
		return
	}
	if ofi.Size() < t.off || !t.endsLine(t.f, t.off, t.last) {
		if _, err := t.f.Seek(0, io.SeekStart); err == nil {
			t.br.Reset(t.f)
			t.off, t.line, t.pending, t.cut, t.last = 0, 0, t.pending[:0], false, nil
			t.read()
		}
	}
}

// journal reads a systemd jail's journal with journalctl -o json: its
// journalmatch and backend options (journalflags, journalpath,
// journalfiles, namespace), after the saved cursor or from findtime ago;
// with --follow it runs journalctl -f and starts it again if it exits.
func (s *sources) journal(js *jailSpec) {
	r := s.newRunner(js, "journal-json")
	r.source = "journal of " + js.name
	r.cursorLineno = true
	for {
		args := []string{"-o", "json", "--no-pager"}
		if s.o.follow {
			args = append(args, "-f")
		}
		if p, ok := s.pos.get(js.name, ""); ok && p.Cursor != "" || r.cursor != "" {
			c := r.cursor
			if c == "" {
				c = p.Cursor
			}
			args = append(args, "--after-cursor", c)
		} else if js.findTime > 0 {
			args = append(args, "--since", "@"+strconv.FormatInt(r.nowFn().Add(-js.findTime).Unix(), 10))
		}
		args = append(args, journalArgs(js)...)
		s.journalOnce(js, r, args)
		if !s.o.follow || !s.wait(js, nil) {
			return
		}
	}
}

func journalArgs(js *jailSpec) []string {
	var args []string
	a := js.backendArgs
	if v, err := strconv.Atoi(a["journalflags"]); err == nil {
		if v&4 != 0 {
			args = append(args, "--system")
		}
		if v&8 != 0 {
			args = append(args, "--user")
		}
	}
	if v := a["journalpath"]; v != "" {
		args = append(args, "--directory", v)
	}
	for _, f := range strings.Fields(a["journalfiles"]) {
		args = append(args, "--file", f)
	}
	if v := a["namespace"]; v != "" {
		args = append(args, "--namespace", v)
	}
	for i, m := range js.def.JournalMatch {
		if i > 0 {
			args = append(args, "+")
		}
		args = append(args, strings.Fields(m)...)
	}
	return args
}

func (s *sources) journalOnce(js *jailSpec, r *runner, args []string) {
	cmd := exec.CommandContext(s.ctx, "journalctl", args...)
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		warnf(s.stderr, "journal of jail %s: %v", js.name, err)
		return
	}
	if err := cmd.Start(); err != nil {
		warnf(s.stderr, "%s: journal of jail %s: %v", js.source, js.name, err)
		return
	}
	lr := lines.NewReader(out, maxLine)
	n := 0
	lr.OnIdle = func() {
		if n > 0 && s.flush() && r.cursor != "" {
			s.pos.set(position{Jail: js.name, Cursor: r.cursor})
		}
		n = 0
	}
	for {
		line, _, err := lr.Next()
		if err != nil {
			break
		}
		r.lineno = lr.Line()
		r.process(line, lr.Line())
		n++
	}
	lr.OnIdle()
	err = cmd.Wait()
	if s.ctx.Err() == nil && s.o.follow {
		warnf(s.stderr, "journal of jail %s: journalctl ended (%v); started again", js.name, err)
	} else if err != nil && s.ctx.Err() == nil {
		warnf(s.stderr, "journal of jail %s: journalctl: %v", js.name, err)
	}
}

// hub spreads inotify events (through fsnotify) on directories to the
// sources waiting on files in them. Without inotify, sources poll.
type hub struct {
	w      *fsnotify.Watcher
	stderr io.Writer
	mu     sync.Mutex
	dirs   map[string]map[*subscription]bool
	done   chan struct{}
}

type subscription struct {
	dir     string
	match   func(name string) bool
	wake    chan struct{}
	watched bool
}

func newHub(ctx context.Context, stderr io.Writer) *hub {
	h := &hub{stderr: stderr, dirs: map[string]map[*subscription]bool{}, done: make(chan struct{})}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		warnf(stderr, "inotify: %v; polling the logs instead", err)
		close(h.done)
		return h
	}
	h.w = w
	go h.loop(ctx)
	return h
}

func (h *hub) loop(ctx context.Context) {
	defer close(h.done)
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-h.w.Events:
			if !ok {
				return
			}
			dir, name := filepath.Split(ev.Name)
			h.mu.Lock()
			for sub := range h.dirs[filepath.Clean(dir)] {
				if sub.match(name) {
					sub.notify()
				}
			}
			h.mu.Unlock()
		case _, ok := <-h.w.Errors:
			if !ok {
				return
			}
			// an overflow: wake everyone to look
			h.mu.Lock()
			for _, subs := range h.dirs {
				for sub := range subs {
					sub.notify()
				}
			}
			h.mu.Unlock()
		}
	}
}

func (s *subscription) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// subscribe asks for a wake-up when a file of dir whose name satisfies
// match changes. A directory that cannot be watched (it does not exist
// yet) leaves the subscription unwatched: its source polls.
func (h *hub) subscribe(dir string, match func(string) bool) *subscription {
	sub := &subscription{dir: dir, match: match, wake: make(chan struct{}, 1)}
	if h.w == nil {
		return sub
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.dirs[dir]
	if subs == nil {
		if err := h.w.Add(dir); err != nil {
			return sub
		}
		subs = map[*subscription]bool{}
		h.dirs[dir] = subs
	}
	subs[sub] = true
	sub.watched = true
	return sub
}

func (h *hub) unsubscribe(sub *subscription) {
	if sub == nil || !sub.watched {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.dirs[sub.dir], sub)
}

func (h *hub) close() {
	if h.w != nil {
		h.w.Close()
		<-h.done
	}
}
