package logmatch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/lines"
)

// Batch scans on every core (--jobs). One goroutine reads the file in
// batches of lines; N workers match each batch on their own Matcher
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
const (
	batchLines = 1024
	batchBytes = 256 << 10
)

type batch struct {
	data  []byte
	ends  []int   // end of each line in data
	nums  []int64 // the file's line number of each line
	cut   []bool  // the line was longer than maxLine
	hints []filter.Hint
	done  chan struct{}
	err   error // a read error after the batch's lines
}

func (b *batch) line(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.data[start:b.ends[i]]
}

// readFileParallel is readFile for a named file on jobs cores.
func (r *runner) readFileParallel(o *options, js *jailSpec, name string, jobs int) error {
	fh, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, errors.Unwrap(err))
	}
	defer fh.Close()
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
	work := make(chan *batch, jobs)
	order := make(chan *batch, 2*jobs)
	free := make(chan *batch, 2*jobs+2)
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
				for i := range b.ends {
					b.hints[i] = pm.Probe(b.line(i))
				}
				close(b.done)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(work)
		lr := lines.NewReader(fh, maxLine)
		for {
			var b *batch
			select {
			case b = <-free:
			case <-stop:
				return
			}
			b.data, b.ends, b.nums, b.cut, b.err = b.data[:0], b.ends[:0], b.nums[:0], b.cut[:0], nil
			b.done = make(chan struct{})
			for len(b.ends) < batchLines && len(b.data) < batchBytes {
				line, truncated, err := lr.Next()
				if err != nil {
					if err != io.EOF {
						b.err = fmt.Errorf("%s: read: %w", name, err)
					}
					break
				}
				b.data = append(b.data, line...)
				b.ends = append(b.ends, len(b.data))
				b.nums = append(b.nums, lr.Line())
				b.cut = append(b.cut, truncated)
			}
			last := b.err != nil || len(b.ends) < batchLines && len(b.data) < batchBytes
			b.hints = slices.Grow(b.hints[:0], len(b.ends))[:len(b.ends)]
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
	for b := range order {
		<-b.done
		for i := range b.ends {
			if err := r.ctx.Err(); err != nil {
				return nil
			}
			r.lineno++
			if b.cut[i] {
				r.longLine(r.source, b.nums[i])
			} else {
				r.processHint(b.line(i), b.nums[i], b.hints[i])
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
	mo := filter.MatcherOptions{Dates: dd, NoGroups: true, Matches: true, Now: r.nowFn}
	return filter.NewMatcher(js.f, mo), nil
}
