package logmatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// position is how far one source was read: a file (by device and inode,
// so that a rotated file is told from its successor) or a jail's journal
// (by cursor).
type position struct {
	Jail   string `json:"jail"`
	Path   string `json:"path,omitempty"`
	Dev    uint64 `json:"dev,omitempty"`
	Ino    uint64 `json:"ino,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	Line   int64  `json:"line,omitempty"`
	Cursor string `json:"cursor,omitempty"`
	// Last holds the bytes just before Offset (up to 32): a file whose
	// bytes there differ was truncated and written again.
	Last []byte `json:"last,omitempty"`
}

func posKey(jail, path string) string { return jail + "\x00" + path }

// positions is the positions file: every source records its position
// after its events were flushed to standard output; the file is written
// atomically (temporary file, fsync, rename). While following, the
// file is written once a second with the positions of the previous write
// (one second behind what was flushed), so that events still in the pipe
// to bancount when the whole pipeline stops are read again at the next
// start; bancount's dedupe watermark drops those it had counted.
type positions struct {
	path  string
	mu    sync.Mutex
	saved map[string]position // read at start
	cur   map[string]position
	prev  map[string]position
	dirty bool // cur changed since prev was taken
	// prevWritten: prev is on disk
	prevWritten bool
}

func openPositions(path string) (*positions, error) {
	p := &positions{path: path, saved: map[string]position{}, cur: map[string]position{}, prev: map[string]position{}, prevWritten: true}
	if path == "" {
		return p, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Version int        `json:"version"`
		Sources []position `json:"sources"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: not a positions file: %v", path, err)
	}
	for _, s := range f.Sources {
		k := posKey(s.Jail, s.Path)
		p.saved[k] = s
		p.cur[k] = s
	}
	p.prev = clonePos(p.cur)
	return p, nil
}

func clonePos(m map[string]position) map[string]position {
	out := make(map[string]position, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// get returns the position saved by the previous run.
func (p *positions) get(jail, path string) (position, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.saved[posKey(jail, path)]
	return s, ok
}

// set records a source's position; call it only after the events of the
// lines before it were flushed.
func (p *positions) set(s position) {
	p.mu.Lock()
	p.cur[posKey(s.Jail, s.Path)] = s
	p.dirty = true
	p.mu.Unlock()
}

// tick writes the positions of the previous tick and keeps the current
// ones for the next.
func (p *positions) tick() error {
	p.mu.Lock()
	var write map[string]position
	if !p.prevWritten {
		write, p.prevWritten = p.prev, true
	}
	if p.dirty {
		p.prev, p.dirty, p.prevWritten = clonePos(p.cur), false, false
	}
	p.mu.Unlock()
	if write == nil {
		return nil
	}
	return p.write(write)
}

// final writes the positions at exit: the current ones after a scan
// (standard output was read to its end), the lagged ones after following.
func (p *positions) final(lagged bool) error {
	p.mu.Lock()
	m := clonePos(p.cur)
	if lagged {
		m = p.prev
	}
	p.mu.Unlock()
	return p.write(m)
}

func (p *positions) write(m map[string]position) error {
	if p.path == "" {
		return nil
	}
	list := make([]position, 0, len(m))
	for _, s := range m {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Jail != list[j].Jail {
			return list[i].Jail < list[j].Jail
		}
		return list[i].Path < list[j].Path
	})
	b, err := json.MarshalIndent(struct {
		Version int        `json:"version"`
		Sources []position `json:"sources"`
	}{1, list}, "", " ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(p.path)
	tmp, err := os.CreateTemp(dir, ".positions-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), p.path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
