package fwban

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/internal/metrics"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/firewall"
)

// item is what the reading goroutine hands to the applier: an event, a
// bad line, the end of the input, or a pause of the input (idle).
type item struct {
	ev   *event.Event
	line int64
	at   time.Time // when it was read (metrics: latency to the kernel)
	err  error
	idle bool
}

// stream is the default action: apply the events of standard input.
func stream(c *cli.Context) error {
	if err := clirun.CheckArgs(c); err != nil {
		return err
	}
	if c.NArg() > 0 {
		return clirun.WithHint(clirun.Usagef("unexpected argument %q", c.Args().First()),
			"fwban reads events on standard input; subcommands are list, ban, unban and flush")
	}
	o, err := readOptions(c)
	if err != nil {
		return err
	}
	if c.Bool("check") || c.Bool("dump") {
		return checkCmd(c, o, c.Bool("dump"), c.Bool("no-kernel-check"))
	}
	if c.Bool("no-kernel-check") {
		return clirun.Usagef("--no-kernel-check goes with --check or --dump")
	}
	exp, err := metrics.New(c.String("metrics"), c.String("metrics-file"))
	if err != nil {
		return clirun.Usagef("%v", err)
	}
	s, err := openStream(c.Context, o, c.App.Reader, c.App.Writer, c.App.ErrWriter)
	if err != nil {
		exp.Close()
		return err
	}
	defer s.Close()
	s.fw.setMetrics(newMetrics(exp.Registry()))
	exp.Announce(c.App.ErrWriter, name)
	s.serve(c.Context)
	err = s.shutdown(c.Context)
	if merr := exp.Close(); merr != nil && err == nil {
		err = clirun.Failure(merr)
	}
	return err
}

// streamer applies a stream of events: [openStream] makes the firewall
// set and starts reading, serve applies batches until the input ends or
// the context is done, shutdown applies what is left and reports.
type streamer struct {
	o      *options
	fw     *firewallSet
	w      *event.Writer
	a      *applier
	stderr io.Writer
	items  chan []item

	readErr error // reading stdin or writing stdout failed
	bad     int   // bad input lines
	closed  bool
	cerr    error // the firewall set's Close
}

// openStream makes the firewall set (checking the backends) and starts
// the goroutine reading events from in.
func openStream(ctx context.Context, o *options, in io.Reader, out, stderr io.Writer) (*streamer, error) {
	fw, err := newFirewallSet(ctx, o, stderr, false)
	if err != nil {
		return nil, err
	}
	w := event.NewWriter(out)
	a := &applier{fw: fw, w: w, stderr: stderr, batch: o.batch, laterMax: o.unbanBatch, linger: o.unbanLinger}
	s := &streamer{o: o, fw: fw, w: w, a: a, stderr: stderr,
		items: make(chan []item, 64)}
	r := event.NewReader(in, "stdin")
	r.KeepRaw()
	// Items go in slices of up to itemBatch, sent when full, when the
	// input pauses (before a read that may block: nothing waits in a
	// slice while fwban waits for input) and at the end: one channel
	// operation per event cost more than decoding it.
	batch := make([]item, 0, itemBatch)
	send := func() {
		s.items <- batch
		batch = make([]item, 0, itemBatch)
	}
	r.OnIdle(func() {
		batch = append(batch, item{idle: true})
		send()
	})
	go func() {
		for {
			ev := new(event.Event)
			err := r.Read(ev)
			var le *event.LineError
			switch {
			case err == nil:
				batch = append(batch, item{ev: ev, line: r.Line(), at: time.Now()})
			case errors.As(err, &le):
				batch = append(batch, item{err: err, line: le.Line})
			default:
				batch = append(batch, item{err: err})
				send()
				close(s.items)
				return
			}
			if len(batch) == itemBatch {
				send()
			}
		}
	}()
	return s, nil
}

// itemBatch is the most items the reading goroutine hands over at once.
const itemBatch = 256

// serve applies the events until the input ends, writing fails or ctx is
// done. Everything read before the input pauses (up to --batch events) is
// applied as one batch; results are flushed at each pause. Unbans of a
// jail whose backend gains by large batches (iptables) wait in a.later
// until unbans pause (see [applier.due]).
func (s *streamer) serve(ctx context.Context) {
	idle := false
	// handle takes the items of one hand-over; it reports false at the
	// end of the input.
	handle := func(items []item, ok bool) bool {
		if !ok {
			return false
		}
		for _, it := range items {
			switch {
			case it.idle:
				idle = true
			case it.ev != nil:
				s.a.add(ctx, pending{ev: it.ev, line: it.line, at: it.at})
			case errors.Is(it.err, io.EOF):
			case it.line > 0:
				s.bad++
				clirun.Warn(s.stderr, name, "%v", it.err)
			default:
				s.readErr = fmt.Errorf("read stdin: %w", it.err)
			}
		}
		return true
	}
	// linger fires when the unbans waiting in s.a.later may be due; nil
	// (never ready) while none wait.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var linger <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-linger:
			linger = nil
			if len(s.a.later) == 0 {
				continue
			}
			if wait := s.a.due(time.Now()); wait > 0 {
				timer.Reset(wait)
				linger = timer.C
				continue
			}
			s.a.applyAll(ctx)
			if err := s.w.Flush(); err != nil {
				s.readErr = err
				return
			}
			continue
		case items, ok := <-s.items:
			if !handle(items, ok) {
				return
			}
		}
		// Take everything the reader queued meanwhile (while the last batch
		// was being applied) before applying: a burst becomes one batch.
	drain:
		for {
			select {
			case items, ok := <-s.items:
				if !handle(items, ok) {
					return
				}
			default:
				break drain
			}
		}
		if idle {
			idle = false
			s.a.apply(ctx)
			if err := s.w.Flush(); err != nil {
				s.readErr = err
				return
			}
		}
		if len(s.a.later) > 0 && linger == nil {
			timer.Reset(max(s.a.due(time.Now()), 0))
			linger = timer.C
		}
	}
}

// shutdown applies the events still pending (also after ctx is done: they
// were read), flushes the results, closes the firewall set and returns
// the exit error: a failure to read or write, to close, bad input lines or
// events not applied because of firewall errors.
func (s *streamer) shutdown(ctx context.Context) error {
	s.a.applyAll(context.WithoutCancel(ctx))
	werr := s.w.Flush()
	cerr := s.Close()
	switch {
	case s.readErr != nil:
		return clirun.Failure(s.readErr)
	case werr != nil:
		return clirun.Failure(fmt.Errorf("write stdout: %w", werr))
	case cerr != nil:
		return clirun.Failure(cerr)
	case s.bad > 0 || s.a.failed > 0:
		if s.bad > 0 {
			clirun.Warn(s.stderr, name, "%d bad input lines skipped", s.bad)
		}
		if s.a.failed > 0 {
			clirun.Warn(s.stderr, name, "%d events not applied because of firewall errors", s.a.failed)
		}
		return clirun.Silent{Code: clirun.ExitFailure}
	}
	return nil
}

// Close releases the firewall set (once: shutdown closes it to report the
// error, the deferred Close of stream after an early return).
func (s *streamer) Close() error {
	if !s.closed {
		s.closed = true
		s.cerr = s.fw.Close()
	}
	return s.cerr
}

type pending struct {
	ev   *event.Event
	line int64
	at   time.Time
}

// applier applies batches of events.
type applier struct {
	fw      *firewallSet
	w       *event.Writer
	stderr  io.Writer
	batch   int // --batch: pending is applied when it holds that many
	pending []pending
	failed  int // events not applied because of a firewall error
	// notApplied counts every event not applied (refusals included).
	notApplied int

	// later holds, in input order, the unbans of jails whose backend is a
	// firewall.UnbanCoalescer (iptables: each batch of unbans lists and
	// rebuilds the jail's chain, so a storm applied in batches of --batch
	// cost O(n) per batch, O(n²/batch) in all). They wait until unbans
	// pause for linger, or the first of them waited 25 × linger, or
	// laterMax wait (--unban-batch: the bound of their memory), or a ban
	// of one of their addresses comes, or the input ends; then they go in
	// one batch per jail. For each jail and address, the events in pending
	// come before those in later, so applying pending then later keeps
	// each address's order; bans never wait behind later.
	later      []pending
	laterKeys  map[laterKey]bool // the addresses in later; nil until a ban needs it (see waiting)
	laterFirst time.Time         // when the first of later was read
	laterLast  time.Time         // when the last of later was read
	laterMax   int
	linger     time.Duration
	prepared   map[prepKey]bool // the jails and families PrepareUnbans was called for, since later was empty
}

// prepKey is a jail and a family (IPv4 or not).
type prepKey struct {
	jail string
	v4   bool
}

// laterKey is an address (a masked prefix) of a jail.
type laterKey struct {
	jail string
	ip   netip.Prefix
}

// coalescer returns the backend of e's jail when it gathers its unbans in
// later, nil otherwise.
func (a *applier) coalescer(e *event.Event) firewall.UnbanCoalescer {
	if a.linger <= 0 || !e.IP.IsValid() {
		return nil
	}
	r := a.fw.route(e.Jail)
	if r.err != nil {
		return nil
	}
	if c, ok := r.backend.(firewall.UnbanCoalescer); ok && c.CoalesceUnbans() {
		return c
	}
	return nil
}

// add queues an event read at p.at: an unban of a coalescing jail in
// later, everything else in pending (applied at --batch events or at the
// next pause of the input). A ban of an address whose unban waits in later
// first applies everything queued, so that it lands after the unban. The
// first waiting unban of each jail and family lets the backend prepare
// the batch (PrepareUnbans) while the others come.
func (a *applier) add(ctx context.Context, p pending) {
	e := p.ev
	var c firewall.UnbanCoalescer
	if e.Action == event.ActionUnban {
		c = a.coalescer(e)
	}
	switch {
	case c != nil:
		if len(a.later) == 0 {
			a.laterFirst = p.at
			clear(a.prepared)
		}
		a.laterLast = p.at
		a.later = append(a.later, p)
		if a.laterKeys != nil {
			a.laterKeys[laterKey{e.Jail, e.IP.Masked()}] = true
		}
		if k := (prepKey{e.Jail, e.IP.Addr().Is4()}); !a.prepared[k] {
			if a.prepared == nil {
				a.prepared = map[prepKey]bool{}
			}
			a.prepared[k] = true
			c.PrepareUnbans(ctx, e.IP)
		}
		if len(a.later) >= a.laterMax {
			a.applyAll(ctx)
		}
		return
	case e.Action == event.ActionBan && len(a.later) > 0 && e.IP.IsValid() && a.waiting(laterKey{e.Jail, e.IP.Masked()}):
		a.applyAll(ctx)
	}
	a.pending = append(a.pending, p)
	if len(a.pending) >= a.batch {
		a.apply(ctx)
	}
}

// waiting reports whether an unban of k waits in later. The set of their
// addresses is made at the first ban read while unbans wait, and then
// kept up to date: a storm of unbans alone builds none.
func (a *applier) waiting(k laterKey) bool {
	if a.laterKeys == nil {
		a.laterKeys = make(map[laterKey]bool, len(a.later))
		for _, p := range a.later {
			a.laterKeys[laterKey{p.ev.Jail, p.ev.IP.Masked()}] = true
		}
	}
	return a.laterKeys[k]
}

// due returns how long the unbans in later may still wait at now: until
// unbans paused for linger, at most 25 × linger after the first.
func (a *applier) due(now time.Time) time.Duration {
	return min(a.laterLast.Add(a.linger).Sub(now), a.laterFirst.Add(25*a.linger).Sub(now))
}

// applyAll applies pending, then the unbans waiting in later.
func (a *applier) applyAll(ctx context.Context) {
	a.apply(ctx)
	if len(a.later) == 0 {
		return
	}
	a.pending, a.later = a.later, a.pending[:0]
	a.laterKeys = nil
	a.apply(ctx)
}

type result struct {
	done     bool
	err      error
	firewall bool // the error came from the firewall
	partial  bool // applied, but some actions failed (err names them)
}

// apply applies the pending events: per jail, in input order, runs of
// consecutive bans (or unbans) of distinct addresses go to the backend as
// one batch. Results are written in input order.
func (a *applier) apply(ctx context.Context) {
	if len(a.pending) == 0 {
		return
	}
	res := make([]result, len(a.pending))
	now := time.Now()
	byJail := map[string][]int{}
	var jails []string
	for i, p := range a.pending {
		e := p.ev
		switch {
		case e.Action != event.ActionBan && e.Action != event.ActionUnban:
			res[i] = result{done: true, err: errors.New("not a ban or unban event")}
			continue
		case !e.IP.IsValid():
			res[i] = result{done: true, err: errors.New("no address")}
			continue
		}
		r := a.fw.route(e.Jail)
		if r.err != nil {
			res[i] = result{done: true, err: r.err}
			continue
		}
		if e.Action == event.ActionBan {
			if err := r.guard.Check(e.IP); err != nil {
				res[i] = result{done: true, err: err}
				continue
			}
			// A ban restored from state that has ended meanwhile is stale.
			// (A replay's bans, with --clock log, end in the past too: they
			// are applied, for their bantime, until their unban events.)
			if e.Restored && e.Bantime >= 0 && !e.Until.IsZero() && !e.Until.After(now) {
				res[i] = result{done: true, err: fmt.Errorf("ban already over (until %s)", e.Until.Format(time.RFC3339))}
				continue
			}
		}
		if _, ok := byJail[e.Jail]; !ok {
			jails = append(jails, e.Jail)
		}
		byJail[e.Jail] = append(byJail[e.Jail], i)
	}
	for _, j := range jails {
		r := a.fw.route(j)
		idx := byJail[j]
		for len(idx) > 0 {
			act := a.pending[idx[0]].ev.Action
			// An unban twice in one run is no conflict on a coalescing
			// backend (iptables: the second finds nothing to remove): a
			// storm with repeats stays one batch.
			dupOK := false
			if c, ok := r.backend.(firewall.UnbanCoalescer); ok && act == event.ActionUnban {
				dupOK = c.CoalesceUnbans()
			}
			var seen map[netip.Prefix]bool
			if !dupOK {
				seen = map[netip.Prefix]bool{}
			}
			n := 0
			for n < len(idx) {
				e := a.pending[idx[n]].ev
				if e.Action != act || seen[e.IP] {
					break
				}
				if seen != nil {
					seen[e.IP] = true
				}
				n++
			}
			run := idx[:n]
			idx = idx[n:]
			bans := make([]firewall.Ban, len(run))
			for k, i := range run {
				bans[k] = banOf(a.pending[i].ev)
			}
			r.touched = r.touched || act == event.ActionBan
			var errs []error
			if act == event.ActionBan {
				errs = r.backend.Ban(ctx, r.settings, bans)
			} else {
				errs = r.backend.Unban(ctx, r.settings, bans)
			}
			for k, i := range run {
				var err error
				if k < len(errs) {
					err = errs[k]
				}
				var pe *firewall.PartialError
				res[i] = result{done: true, err: err, firewall: err != nil, partial: errors.As(err, &pe)}
				if m := r.met; m != nil {
					if err != nil {
						m.failed.Inc()
					} else {
						m.applied.Inc()
					}
					m.latency.Observe(time.Since(a.pending[i].at).Seconds())
				}
			}
		}
	}
	for i, p := range a.pending {
		r := res[i]
		if r.partial {
			clirun.Warn(a.stderr, name, "stdin:%d: %s %s in jail %s: applied, but: %s", p.line, p.ev.Action,
				oneLine(p.ev.ID()), oneLine(p.ev.Jail), oneLine(r.err.Error()))
			a.w.WriteResult(p.ev, true, r.err.Error())
			continue
		}
		if r.err != nil {
			a.notApplied++
			if r.firewall {
				a.failed++
				// The jail and the error (a command's standard error may
				// echo a capture) come from the input: one line, no
				// control characters, so that no forged line reaches the log.
				clirun.Warn(a.stderr, name, "stdin:%d: %s %s in jail %s: %s", p.line, p.ev.Action,
					oneLine(p.ev.ID()), oneLine(p.ev.Jail), oneLine(r.err.Error()))
			}
			a.w.WriteResult(p.ev, false, r.err.Error())
			continue
		}
		a.w.WriteResult(p.ev, true, "")
	}
	clear(a.pending)
	a.pending = a.pending[:0]
}

// maxWarning bounds the text of one input-derived value in a warning.
const maxWarning = 2048

// oneLine returns s with newlines and other control characters escaped
// (\n, \x1b, ...) and invalid UTF-8 escaped, cut to maxWarning bytes.
func oneLine(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean && len(s) <= maxWarning {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= maxWarning {
			b.WriteString("...")
			break
		}
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\n':
			b.WriteString("\\n")
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
