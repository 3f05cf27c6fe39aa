// Package store keeps bancount's state on disk: a snapshot and an
// append-only journal of the engine's changes ([bans.Record]), both JSON
// Lines, and a lock so that one process at a time uses them.
//
// # Files
//
// For a state path P:
//
//	P          the snapshot: a header line, then the whole state as records
//	P.journal  the changes since the snapshot: a header line, then records
//	P.lock     held with flock(2) LOCK_EX by the process using the state;
//	           it contains that process's id
//	P.journal.next  the journal of a compaction running in the background
//	           ([Store.CompactAsync]); folded into P.journal on load
//
// Both headers carry a generation number, {"k":"S","v":1,"gen":N} and
// {"k":"J","v":1,"gen":N}. A journal is replayed only when its generation
// equals the snapshot's: compaction writes the snapshot of generation N+1
// (temporary file, fsync, rename, fsync of the directory) before it
// replaces the journal, so a crash between the two leaves a journal that is
// ignored because the snapshot already holds it.
//
// # Records
//
// One JSON object per line with short keys: k (kind, one character: t
// window, s seen, d dropped, b ban, u unban, h history, w watermark, H
// clock), j (jail), i (id), s (failure time, Unix ns), n (line number), F
// and L (window first and last failure, Unix ns), r (retry), f (failures),
// (L is left out when it equals s, F when it equals L), ip, st and e (ban start and end, Unix ns, e 0 for permanent), bt (ban
// time in seconds, -1 permanent), c (ban count), x (true: an extension),
// tm (history time, Unix s), keys (watermark ids: [{"i":ID,"n":LINE}]),
// now, first, next, seq (clock), why (unban reason).
//
// # Durability
//
// [Store.Append] buffers; [Store.Flush] writes the buffer to the journal
// with one write(2), so what was flushed survives a kill -9 of the process;
// a background goroutine then fsyncs, at most once every 50 ms (group
// commit), so the stream never waits for the disk: a power loss can lose
// the last 50 ms, a crash of the process loses nothing flushed. Callers
// flush before they let the effects of the records be seen (bancount
// flushes the journal before each write to standard output: write-ahead).
// A failed write is sticky: every later Flush returns it, so nothing more
// can be let out. A journal whose last line was cut by a crash is truncated
// to its last complete line on load.
//
// # Safety
//
// Every file is opened with O_NOFOLLOW (a symbolic link in place of one of
// them is refused), and [Open] refuses a state directory that users other
// than its owner (and root) can write. An empty snapshot is refused
// ([ErrEmptySnapshot]): a snapshot always holds a header.
package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/banpipe/banpipe/internal/safefile"
	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/event"
)

// Store is an open state.
type Store struct {
	path string
	lock *os.File

	mu    sync.Mutex
	jf    *os.File
	buf   []byte
	gen   int64
	jsize int64
	err   error
	// records, writes and werrs count the journal's activity (Counts).
	records, writes, werrs int64
	syncReq                chan struct{}
	done                   chan struct{}
	closed                 sync.Once

	compacting sync.WaitGroup // a CompactAsync writing in the background
	busy       bool           // guarded by mu: a CompactAsync is running
	asyncErr   error          // guarded by mu: the last background failure
	wg         sync.WaitGroup
}

// ErrLocked is wrapped by Open's error when another process holds the state.
var ErrLocked = errors.New("in use by another process")

// Open locks the state at path, creating its directory (mode 0700) when
// missing. It fails at once when another process holds the lock.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	if err := safefile.CheckDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	lp := path + ".lock"
	lf, err := safefile.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := io.ReadAll(io.LimitReader(lf, 32))
		lf.Close()
		holder := strings.TrimSpace(string(pid))
		if holder == "" {
			holder = "unknown"
		}
		return nil, fmt.Errorf("state %s: %w (pid %s holds %s)", path, ErrLocked, holder, lp)
	}
	lf.Truncate(0)
	lf.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &Store{path: path, lock: lf, syncReq: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// Path returns the snapshot's path.
func (s *Store) Path() string { return s.path }

// LoadStats reports what Load read.
type LoadStats struct {
	Records   int   // records applied
	Bad       int   // lines skipped as invalid
	Truncated int64 // bytes of a torn last journal line removed
}

// Load replays the snapshot and then the journal into apply, and opens the
// journal for appending. A line that is not a valid record is skipped and
// counted; warn, when not nil, is told about each.
func (s *Store) Load(apply func(*bans.Record) error, warn func(file string, line int, err error)) (LoadStats, error) {
	var st LoadStats
	gen := int64(0)
	if f, err := safefile.Open(s.path); err == nil {
		g, err := readSnapshot(f, s.path, apply, warn, &st)
		f.Close()
		if err != nil {
			return st, err
		}
		gen = g
	} else if !errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("state %s: %w", s.path, err)
	}
	s.gen = gen
	jp := s.path + ".journal"
	if err := mergeNext(jp, gen); err != nil {
		return st, err
	}
	jf, err := safefile.OpenFile(jp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return st, fmt.Errorf("state %s: %w", jp, err)
	}
	fi, err := jf.Stat()
	if err != nil {
		jf.Close()
		return st, err
	}
	fresh := fi.Size() == 0
	if !fresh {
		// Cut a torn last line.
		data, err := io.ReadAll(jf)
		if err != nil {
			jf.Close()
			return st, fmt.Errorf("state %s: %w", jp, err)
		}
		end := bytes.LastIndexByte(data, '\n') + 1
		if end < len(data) {
			st.Truncated = int64(len(data) - end)
			data = data[:end]
			if err := jf.Truncate(int64(end)); err != nil {
				jf.Close()
				return st, fmt.Errorf("state %s: %w", jp, err)
			}
		}
		var hst LoadStats
		jgen, herr := header(data, 'J')
		switch {
		case herr != nil:
			// Not a journal (or its header is damaged): keep it aside,
			// never overwrite what we cannot read.
			aside := fmt.Sprintf("%s.bad-%d", jp, time.Now().Unix())
			if err := safefile.WriteFile(aside, data, 0o600); err != nil {
				jf.Close()
				return st, fmt.Errorf("state %s: %v, and cannot keep it aside: %w", jp, herr, err)
			}
			if warn != nil {
				warn(jp, 1, fmt.Errorf("%v: kept as %s, starting a new journal", herr, aside))
			}
			fresh = true
		case jgen != gen:
			// A journal of an older generation: the snapshot holds what
			// it had (a crash between the two steps of Compact).
			fresh = true
		default:
			if _, err := readFile(bytes.NewReader(data), jp, 'J', apply, warn, &hst); err != nil {
				jf.Close()
				return st, err
			}
			st.Records += hst.Records
			st.Bad += hst.Bad
			s.jsize = int64(len(data))
		}
	}
	if fresh {
		if err := jf.Truncate(0); err != nil {
			jf.Close()
			return st, err
		}
		h := headerLine('J', gen)
		if _, err := jf.WriteAt(h, 0); err != nil {
			jf.Close()
			return st, err
		}
		s.jsize = int64(len(h))
	}
	if _, err := jf.Seek(s.jsize, io.SeekStart); err != nil {
		jf.Close()
		return st, err
	}
	s.jf = jf
	s.wg.Add(1)
	go s.syncer()
	return st, nil
}

// Read replays the state at path into apply without locking or changing
// it (for `bancount status --state` next to a running or stopped
// bancount). A torn last journal line is skipped.
func Read(path string, apply func(*bans.Record) error, warn func(file string, line int, err error)) (LoadStats, error) {
	var st LoadStats
	gen := int64(0)
	if f, err := safefile.Open(path); err == nil {
		g, err := readSnapshot(f, path, apply, warn, &st)
		f.Close()
		if err != nil {
			return st, err
		}
		gen = g
	} else if !errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("state %s: %w", path, err)
	}
	jp := path + ".journal"
	data, err := safefile.ReadFile(jp)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("state %s: %w", jp, err)
	}
	end := bytes.LastIndexByte(data, '\n') + 1
	st.Truncated = int64(len(data) - end)
	data = data[:end]
	replayed := false
	if jgen, err := header(data, 'J'); err == nil && jgen == gen {
		if _, err := readFile(bytes.NewReader(data), jp, 'J', apply, warn, &st); err != nil {
			return st, err
		}
		replayed = true
	}
	// A compaction in progress (or cut by a crash): its new journal.
	next, err := safefile.ReadFile(jp + ".next")
	if err != nil {
		return st, nil
	}
	next = next[:bytes.LastIndexByte(next, '\n')+1]
	if ngen, err := header(next, 'J'); err == nil && (ngen == gen || ngen == gen+1 && replayed) {
		_, err = readFile(bytes.NewReader(next), jp+".next", 'J', apply, warn, &st)
		return st, err
	}
	return st, nil
}

// mergeNext folds the journal a background compaction had started
// (P.journal.next) into P.journal after a crash: the snapshot's generation
// gen tells which of the two journals still count. The result replaces
// P.journal atomically and P.journal.next is removed.
func mergeNext(jp string, gen int64) error {
	np := jp + ".next"
	next, err := safefile.ReadFile(np)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state %s: %w", np, err)
	}
	next = next[:bytes.LastIndexByte(next, '\n')+1]
	ngen, herr := header(next, 'J')
	if herr != nil || ngen < gen {
		return os.Remove(np) // older than the snapshot: already in it
	}
	merged := headerLine('J', gen)
	if ngen == gen+1 {
		// The snapshot of ngen was never renamed into place: the old
		// journal still counts, then the new one.
		if old, err := safefile.ReadFile(jp); err == nil {
			old = old[:bytes.LastIndexByte(old, '\n')+1]
			if g, err := header(old, 'J'); err == nil && g == gen {
				merged = old
			}
		}
	} else if ngen != gen {
		return os.Remove(np)
	}
	if i := bytes.IndexByte(next, '\n'); i >= 0 {
		merged = append(merged, next[i+1:]...)
	}
	if err := writeAtomic(jp+".tmp", jp, func(w *bufio.Writer) error {
		_, err := w.Write(merged)
		return err
	}); err != nil {
		return fmt.Errorf("state %s: %w", jp, err)
	}
	return os.Remove(np)
}

func headerLine(kind byte, gen int64) []byte {
	return fmt.Appendf(nil, "{\"k\":%q,\"v\":1,\"gen\":%d}\n", string(kind), gen)
}

func header(data []byte, kind byte) (int64, error) {
	line := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line = data[:i]
	}
	var h struct {
		K   string `json:"k"`
		V   int    `json:"v"`
		Gen int64  `json:"gen"`
	}
	if err := json.Unmarshal(line, &h); err != nil || h.K != string(kind) {
		return 0, fmt.Errorf("not a bancount state header")
	}
	if h.V != 1 {
		return 0, fmt.Errorf("state version %d not supported", h.V)
	}
	return h.Gen, nil
}

// syncEvery is the group commit interval of the background fsync.
const syncEvery = 50 * time.Millisecond

// fsync is replaced by tests that do not need durability.
var fsync = (*os.File).Sync

// ErrEmptySnapshot is wrapped by Load's and Read's error when the snapshot
// is an empty file: a snapshot always has a header, so an empty one was cut
// (a full disk, another program) and the bans it held are not known.
var ErrEmptySnapshot = errors.New("empty snapshot (0 bytes): cut by a full disk or another program, the bans it held are lost")

// readSnapshot reads the snapshot f; an empty file is an error.
func readSnapshot(f *os.File, name string, apply func(*bans.Record) error,
	warn func(string, int, error), st *LoadStats) (int64, error) {
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		return 0, fmt.Errorf("state %s: %w", name, ErrEmptySnapshot)
	}
	return readFile(f, name, 'S', apply, warn, st)
}

// readFile reads a header of kind and records from r.
func readFile(r io.Reader, name string, kind byte, apply func(*bans.Record) error,
	warn func(string, int, error), st *LoadStats) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var gen int64
	var rec bans.Record
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// An over-long line: skip it whole.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			st.Bad++
			if warn != nil {
				warn(name, n, errors.New("line too long"))
			}
			if err == io.EOF {
				break
			}
			continue
		}
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return gen, fmt.Errorf("state %s: %w", name, err)
		}
		if n == 1 {
			g, herr := header(line, kind)
			if herr != nil {
				return 0, fmt.Errorf("state %s:1: %w", name, herr)
			}
			gen = g
		} else if len(bytes.TrimSpace(line)) > 0 {
			derr := Decode(line, &rec)
			if derr == nil {
				derr = apply(&rec)
			}
			if derr != nil {
				st.Bad++
				if warn != nil {
					warn(name, n, derr)
				}
			} else {
				st.Records++
			}
		}
		if err == io.EOF {
			break
		}
	}
	return gen, nil
}

// Append adds a record to the journal's buffer.
func (s *Store) Append(r *bans.Record) {
	s.mu.Lock()
	s.buf = AppendRecord(s.buf, r)
	s.buf = append(s.buf, '\n')
	s.records++
	full := len(s.buf) >= 256<<10
	s.mu.Unlock()
	if full {
		s.Flush()
	}
}

// Flush writes the buffered records to the journal file and asks the
// background goroutine to fsync it.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *Store) flushLocked() error {
	if s.err != nil {
		return s.err
	}
	if len(s.buf) == 0 || s.jf == nil {
		return nil
	}
	n, err := s.jf.Write(s.buf)
	s.jsize += int64(n)
	s.buf = s.buf[:0]
	s.writes++
	if err != nil {
		s.werrs++
		s.err = fmt.Errorf("state %s.journal: %w", s.path, err)
		return s.err
	}
	select {
	case s.syncReq <- struct{}{}:
	default:
	}
	return nil
}

// JournalCounts are the journal's activity since Open.
type JournalCounts struct {
	Records int64 // records appended
	Writes  int64 // write(2) calls to the journal file
	Errors  int64 // failed writes (the first stops the store)
}

// Counts returns the journal's activity since Open.
func (s *Store) Counts() JournalCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return JournalCounts{Records: s.records, Writes: s.writes, Errors: s.werrs}
}

// JournalSize returns the journal's size in bytes.
func (s *Store) JournalSize() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jsize
}

func (s *Store) syncer() {
	defer s.wg.Done()
	for {
		select {
		case <-s.syncReq:
			s.mu.Lock()
			f := s.jf
			s.mu.Unlock()
			if f != nil {
				fsync(f)
			}
			// Group commit: at most one fsync per syncEvery; the writes
			// meanwhile are in the kernel and go with the next one.
			select {
			case <-time.After(syncEvery):
			case <-s.done:
				return
			}
		case <-s.done:
			return
		}
	}
}

// CompactAsync starts a compaction that does not wait for the disk: the
// state is serialised in memory (the only work done while the caller holds
// the engine), new records go at once to a new journal (P.journal.next,
// generation N+1), and a goroutine writes and fsyncs the snapshot, then
// renames the new journal into place. A crash at any step loses nothing:
// Load folds P.journal.next back in. It does nothing while one is running.
func (s *Store) CompactAsync(snap func(emit func(*bans.Record) error) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy {
		return nil
	}
	if s.asyncErr != nil {
		err := s.asyncErr
		s.asyncErr = nil
		return err
	}
	if err := s.flushLocked(); err != nil {
		return err
	}
	gen := s.gen + 1
	var buf bytes.Buffer
	buf.Write(headerLine('S', gen))
	var line []byte
	if err := snap(func(r *bans.Record) error {
		line = append(AppendRecord(line[:0], r), '\n')
		buf.Write(line)
		return nil
	}); err != nil {
		return err
	}
	jp := s.path + ".journal"
	np := jp + ".next"
	nf, err := safefile.OpenFile(np, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("state %s: %w", np, err)
	}
	h := headerLine('J', gen)
	if _, err := nf.Write(h); err != nil {
		nf.Close()
		return fmt.Errorf("state %s: %w", np, err)
	}
	old := s.jf
	s.jf, s.gen, s.jsize, s.busy = nf, gen, int64(len(h)), true
	s.compacting.Add(1)
	go func() {
		defer s.compacting.Done()
		err := fsync(old)
		if err == nil {
			err = fsync(nf)
		}
		if err == nil {
			err = writeAtomic(s.path+".tmp", s.path, func(w *bufio.Writer) error {
				_, err := w.Write(buf.Bytes())
				return err
			})
		}
		if err == nil {
			err = os.Rename(np, jp)
		}
		if err == nil {
			if d, derr := os.Open(filepath.Dir(jp)); derr == nil {
				fsync(d)
				d.Close()
			}
		}
		old.Close()
		s.mu.Lock()
		s.busy = false
		if err != nil {
			s.asyncErr = fmt.Errorf("state %s: background compaction: %w", s.path, err)
		}
		s.mu.Unlock()
	}()
	return nil
}

// Compact writes a new snapshot from snap and starts an empty journal.
func (s *Store) Compact(snap func(emit func(*bans.Record) error) error) error {
	s.compacting.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flushLocked(); err != nil {
		return err
	}
	gen := s.gen + 1
	tmp := s.path + ".tmp"
	if err := writeAtomic(tmp, s.path, func(w *bufio.Writer) error {
		w.Write(headerLine('S', gen))
		var line []byte
		return snap(func(r *bans.Record) error {
			line = append(AppendRecord(line[:0], r), '\n')
			_, err := w.Write(line)
			return err
		})
	}); err != nil {
		return fmt.Errorf("state %s: %w", s.path, err)
	}
	jp := s.path + ".journal"
	h := headerLine('J', gen)
	if err := writeAtomic(jp+".tmp", jp, func(w *bufio.Writer) error {
		_, err := w.Write(h)
		return err
	}); err != nil {
		return fmt.Errorf("state %s: %w", jp, err)
	}
	jf, err := safefile.OpenFile(jp, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("state %s: %w", jp, err)
	}
	jf.Seek(0, io.SeekEnd)
	if s.jf != nil {
		s.jf.Close()
	}
	s.jf, s.gen, s.jsize = jf, gen, int64(len(h))
	return nil
}

func writeAtomic(tmp, dst string, fill func(*bufio.Writer) error) error {
	f, err := safefile.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = fsync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		fsync(d)
		d.Close()
	}
	return nil
}

// Close flushes and fsyncs the journal and releases the lock. Closing
// twice is harmless.
func (s *Store) Close() error {
	err := errors.New("store already closed")
	s.closed.Do(func() { err = s.close() })
	return err
}

func (s *Store) close() error {
	s.compacting.Wait()
	err := s.Flush()
	close(s.done)
	s.wg.Wait()
	s.mu.Lock()
	if s.jf != nil {
		if serr := fsync(s.jf); err == nil {
			err = serr
		}
		s.jf.Close()
		s.jf = nil
	}
	s.mu.Unlock()
	s.lock.Close()
	return err
}

// AppendRecord appends r as one JSON object (no newline) to b.
func AppendRecord(b []byte, r *bans.Record) []byte {
	b = append(b, `{"k":"`...)
	b = append(b, r.Kind, '"')
	b = appendStr(b, `,"j":`, r.Jail)
	b = appendStr(b, `,"i":`, r.ID)
	b = appendNum(b, `,"s":`, r.Seen)
	b = appendNum(b, `,"n":`, r.Lineno)
	// A window record omits L when it equals s, and F when it equals L.
	last, first := r.Last, r.First
	if r.Kind == bans.RecTicket {
		if first == last {
			first = 0
		}
		if last == r.Seen {
			last = 0
		}
	}
	b = appendNum(b, `,"F":`, first)
	b = appendNum(b, `,"L":`, last)
	b = appendNum(b, `,"r":`, r.Retry)
	b = appendNum(b, `,"f":`, r.Fails)
	b = appendStr(b, `,"ip":`, r.IP)
	b = appendNum(b, `,"st":`, r.Start)
	b = appendNum(b, `,"e":`, r.End)
	b = appendNum(b, `,"bt":`, r.Bantime)
	b = appendNum(b, `,"c":`, r.Count)
	if r.Extend {
		b = append(b, `,"x":true`...)
	}
	b = appendNum(b, `,"tm":`, r.Time)
	if len(r.Keys) > 0 {
		b = append(b, `,"keys":[`...)
		for i, k := range r.Keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"i":`...)
			b = event.AppendString(b, k.ID)
			b = appendNum(b, `,"n":`, k.Lineno)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendNum(b, `,"now":`, r.Now)
	b = appendNum(b, `,"next":`, r.Next)
	b = appendNum(b, `,"seq":`, r.Seq)
	b = appendStr(b, `,"why":`, r.Reason)
	return append(b, '}')
}

// appendStr appends key and v as a JSON string, unless v is empty.
func appendStr(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, key...)
	if plain(v) {
		b = append(b, '"')
		b = append(b, v...)
		return append(b, '"')
	}
	return event.AppendString(b, v)
}

// plain reports whether s needs no JSON escaping.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// appendNum appends key and v, unless v is 0.
func appendNum(b []byte, key string, v int64) []byte {
	if v == 0 {
		return b
	}
	b = append(b, key...)
	return strconv.AppendInt(b, v, 10)
}

type wire struct {
	K    string `json:"k"`
	J    string `json:"j"`
	I    string `json:"i"`
	S    int64  `json:"s"`
	N    int64  `json:"n"`
	F    int64  `json:"F"`
	L    int64  `json:"L"`
	R    int64  `json:"r"`
	Fa   int64  `json:"f"`
	IP   string `json:"ip"`
	St   int64  `json:"st"`
	E    int64  `json:"e"`
	Bt   int64  `json:"bt"`
	C    int64  `json:"c"`
	X    bool   `json:"x"`
	Tm   int64  `json:"tm"`
	Keys []struct {
		I string `json:"i"`
		N int64  `json:"n"`
	} `json:"keys"`
	Now  int64  `json:"now"`
	Next int64  `json:"next"`
	Seq  int64  `json:"seq"`
	Why  string `json:"why"`
}

// Decode parses one record line into r.
func Decode(line []byte, r *bans.Record) error {
	var w wire
	if err := json.Unmarshal(line, &w); err != nil {
		return fmt.Errorf("invalid record: %v", err)
	}
	if len(w.K) != 1 {
		return fmt.Errorf("invalid record kind %q", w.K)
	}
	*r = bans.Record{Kind: w.K[0], Jail: w.J, ID: w.I, Seen: w.S, Lineno: w.N, First: w.F, Last: w.L,
		Retry: w.R, Fails: w.Fa, IP: w.IP, Start: w.St, End: w.E, Bantime: w.Bt, Count: w.C, Extend: w.X,
		Time: w.Tm, Now: w.Now, Next: w.Next, Seq: w.Seq, Reason: w.Why}
	for _, k := range w.Keys {
		r.Keys = append(r.Keys, bans.MarkKey{ID: k.I, Lineno: k.N})
	}
	if r.Kind == bans.RecTicket {
		if r.Last == 0 {
			r.Last = r.Seen
		}
		if r.First == 0 {
			r.First = r.Last
		}
	}
	return nil
}
