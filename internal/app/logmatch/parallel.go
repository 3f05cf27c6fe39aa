package logmatch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
)

// Batch scans on every core (--jobs). One goroutine reads the file in
// blocks of whole lines (about batchBytes); N workers each take a block,
// split it into lines and match each on their own Matcher
// (filter.Matcher.Probe: the date span cut out of each line, and what the
// regexes made of the rest: nothing, an ignoreregex, or a failregex match
// with its groups); the runner then takes every line in order, finding
// its date itself, and when it cuts the same span as the worker it takes
// the worker's match as its own (filter.Matcher.LineHint): it only merges
// it into the multi-line failure cache, resolves host names (usedns) and
// writes the event. A line whose span differs (the date state of the
// runner, which depends on the lines before, chose another template) is
// matched again. All state (dates, the multi-line failure cache, DNS,
// counters, output) stays with the one runner, so the output is the
// single-core run's, byte for byte.

// Batches are recycled (a few in flight, bounded memory: logmatch runs
// under a small memory limit).
const batchBytes = 256 << 10

// minParallel is the smallest file matched on several cores: a smaller
// one is one block, matched by one worker while the runner waits.
const minParallel = batchBytes

type batch struct {
	// data holds whole lines, each ended by '\n' (the last line of the
	// file may have none); a line longer than maxLine that was dropped
	// while reading is an empty line at an offset in cutAt
	data  []byte
	cutAt []int
	// set by the worker
	ends  []int // end of each line in data (without its line end)
	next  []int // start of the line after each
	cut   []bool
	hints []filter.Hint
	arena filter.HintArena
	done  chan struct{}
	err   error // a read error after the batch's lines
}

// split cuts b.data into lines as lines.Reader does: without '\n' and a
// CR before it; a line of more than maxLine bytes (CR included) is cut.
func (b *batch) split() {
	b.ends, b.next, b.cut = b.ends[:0], b.next[:0], b.cut[:0]
	cuts := b.cutAt
	for start := 0; start < len(b.data); {
		end := len(b.data)
		next := end
		if i := bytes.IndexByte(b.data[start:], '\n'); i >= 0 {
			end, next = start+i, start+i+1
		}
		cut := end-start > maxLine
		if len(cuts) > 0 && cuts[0] == start {
			cut, cuts = true, cuts[1:]
		}
		if !cut && end > start && b.data[end-1] == '\r' {
			end--
		}
		b.ends = append(b.ends, end)
		b.next = append(b.next, next)
		b.cut = append(b.cut, cut)
		start = next
	}
	b.hints = slices.Grow(b.hints[:0], len(b.ends))[:len(b.ends)]
}

func (b *batch) line(i int) []byte {
	start := 0
	if i > 0 {
		start = b.next[i-1]
	}
	return b.data[start:b.ends[i]]
}

// blockReader reads a file in blocks of whole lines.
type blockReader struct {
	r    io.Reader
	pend []byte // the start of a line the last block did not end
	skip bool   // dropping the rest of a line longer than maxLine
	eof  bool
}

// fill reads the next block into b; last reports the end of the file (or
// a read error, in b.err).
func (br *blockReader) fill(b *batch, name string) (last bool) {
	b.data = append(b.data[:0], br.pend...)
	b.cutAt, b.err = b.cutAt[:0], nil
	br.pend = br.pend[:0]
	// read up to batchBytes, and on until a line ends (a long line)
	for !br.eof && (len(b.data) < batchBytes || bytes.IndexByte(b.data, '\n') < 0) {
		if cap(b.data)-len(b.data) < batchBytes/2 {
			b.data = slices.Grow(b.data, batchBytes)
		}
		old := len(b.data)
		n, err := br.r.Read(b.data[old:cap(b.data)])
		b.data = b.data[:old+n]
		if err == io.EOF {
			br.eof = true
		} else if err != nil {
			b.err = fmt.Errorf("%s: read: %w", name, err)
			br.eof = true
		}
		if br.skip {
			// drop the cut line's bytes up to its end, then an empty line
			// stands for it
			i := bytes.IndexByte(b.data[old:], '\n')
			if i < 0 && !br.eof {
				b.data = b.data[:old]
				continue
			}
			rest := old + i + 1
			if i < 0 {
				rest = len(b.data)
			}
			b.cutAt = append(b.cutAt, old)
			b.data = append(b.data[:old+1], b.data[rest:]...)
			b.data[old] = '\n'
			br.skip = false
		}
		// the line the block ends in is longer than maxLine: drop it
		tail := bytes.LastIndexByte(b.data, '\n') + 1
		if len(b.data)-tail > maxLine && !br.eof {
			b.data = b.data[:tail]
			br.skip = true
		}
	}
	if br.eof {
		return true
	}
	tail := bytes.LastIndexByte(b.data, '\n') + 1
	br.pend = append(br.pend, b.data[tail:]...)
	b.data = b.data[:tail]
	return false
}

// readFileParallel is readFile for a named file on jobs cores.
func (r *runner) readFileParallel(o *options, js *jailSpec, name string, jobs int) error {
	fh, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, errors.Unwrap(err))
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() && st.Size() < minParallel {
		fh.Close()
		return r.readFile(name, nil)
	}
	r.source = name
	r.jobs = max(r.jobs, jobs)

	// the workers share the runner's compiled filter (safe for
	// concurrent use); a Probe never resolves names nor emits
	probers := make([]*filter.Matcher, jobs)
	for i := range probers {
		if probers[i], err = r.prober(o, js); err != nil {
			return err
		}
	}
	// jobs+2 batches: one per worker, one the runner takes in order, one
	// being read
	work := make(chan *batch, jobs)
	order := make(chan *batch, jobs+2)
	free := make(chan *batch, jobs+2)
	for range cap(free) {
		free <- &batch{}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop) // the reader stops, then closes work
		wg.Wait()
	}()
	for _, pm := range probers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.split()
				b.arena.Reset()
				for i := range b.ends {
					if !b.cut[i] {
						b.hints[i] = pm.Probe(b.line(i), &b.arena)
					}
				}
				close(b.done)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(work)
		br := &blockReader{r: fh}
		for {
			var b *batch
			select {
			case b = <-free:
			case <-stop:
				return
			}
			b.done = make(chan struct{})
			last := br.fill(b, name)
			select {
			case order <- b:
			case <-stop:
				return
			}
			select {
			case work <- b:
			case <-stop:
				return
			}
			if last {
				return
			}
		}
	}()
	var fileLine int64
	for b := range order {
		<-b.done
		for i := range b.ends {
			if i%checkEvery == 0 && r.ctx.Err() != nil {
				return nil
			}
			r.lineno++
			fileLine++
			if b.cut[i] {
				r.longLine(r.source, fileLine)
			} else {
				r.processHint(b.line(i), fileLine, &b.hints[i])
			}
			if r.progress && r.lineno&0xffff == 0 {
				r.showProgress()
			}
		}
		if b.err != nil {
			return b.err
		}
		free <- b
	}
	return nil
}

// prober returns a Matcher for Probe, set up as the runner's.
func (r *runner) prober(o *options, js *jailSpec) (*filter.Matcher, error) {
	dd, err := datedetect.New(datedetect.Options{Location: js.loc, Pattern: js.def.DatePattern})
	if err != nil {
		return nil, err
	}
	if !o.now.IsZero() {
		dd.SetNow(o.now)
	}
	mo := filter.MatcherOptions{Dates: dd, NoGroups: true, Matches: true, ReuseCaptures: true, Now: r.nowFn, NoNewlines: true}
	return filter.NewMatcher(js.f, mo), nil
}
