package bancount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/internal/metrics"
	"github.com/banpipe/banpipe/internal/safefile"
	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/fleet"
	"github.com/banpipe/banpipe/pkg/store"
)

// server is a running bancount filter.
type server struct {
	mu      sync.Mutex // guards en, st writes and the order of output
	en      *bans.Engine
	st      *store.Store // nil with --state none
	fleet   *fleet.Fleet // nil without --fleet
	ln      net.Listener // the control socket; nil without one
	w       *event.Writer
	log     *banLog
	cfg     *config
	stderr  io.Writer
	started time.Time
	bad     int64

	// readOnly is set when the state could not be written at start
	// (roCause): the bans were restored, and the first event that needs
	// the journal stops bancount.
	readOnly, roCause error
	noCompact         bool // the state could not be compacted at start
	// fatal is the journal failure that stopped the output (guarded by mu).
	fatal  error
	cancel context.CancelFunc // ends serve (a fatal error)
	closed sync.Once
	future int64 // events clamped to the clock (--clock log)
}

// maxFutureWarnings bounds the stderr lines about future-dated events (an
// attacker may write many); all are counted in the jail's "future" total.
const maxFutureWarnings = 100

func moreFuture(n int64) string {
	if n == maxFutureWarnings {
		return " (further ones are counted in status only)"
	}
	return ""
}

// run is bancount's filter: open the state and the outputs, serve stdin
// until its end or a signal, shut down. Whatever open acquired is released
// by the one deferred Close.
func run(ctx context.Context, c *cli.Context, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	exp, err := metrics.New(c.String("metrics"), c.String("metrics-file"))
	if err != nil {
		return clirun.Usagef("%v", err)
	}
	s, err := open(ctx, cfg, stdout, stderr)
	if err != nil {
		exp.Close()
		return err
	}
	defer s.Close()
	s.cancel = cancel
	if reg := exp.Registry(); reg != nil {
		reg.Collect(descs, collector{s}.collect)
	}
	exp.Announce(stderr, "bancount")
	err = s.shutdown(s.serve(ctx, stdin))
	if cerr := exp.Close(); cerr != nil && err == nil {
		err = clirun.Failure(cerr)
	}
	return err
}

// open builds the server: configuration, ban log, state, fleet, engine,
// the restore of the state's bans and the control socket. On error what
// it opened is closed.
func open(ctx context.Context, cfg *config, stdout, stderr io.Writer) (_ *server, err error) {
	warn := func(msg string) { warnf(stderr, "%s", msg) }
	if err := cfg.build(warn); err != nil {
		return nil, clirun.Config(err)
	}
	if err := cfg.startable(warn); err != nil {
		return nil, clirun.Config(err)
	}
	s := &server{cfg: cfg, stderr: stderr, started: time.Now()}
	s.w = event.NewWriter(aheadWriter{s: s, out: stdout})
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if cfg.logTarget != "" {
		l, err := openBanLog(cfg.logTarget)
		if err != nil {
			return nil, clirun.Config(err)
		}
		s.log = l
	}
	bcfg := bans.Config{
		Jail:       cfg.engineJail,
		Live:       !cfg.clockLog,
		MaxTracked: cfg.maxTracked,
		Emit:       s.emit,
		OnIgnore: func(jail, id, src string) {
			if s.log != nil {
				s.log.ignore(s.en.Now(), jail, id, src)
			}
		},
		OnRefuse: func(jail, id string, err error) {
			warnf(stderr, "%s: %v", jail, err)
		},
		OnFuture: func(jail string, t time.Time, lineno int64) {
			s.future++
			if s.future <= maxFutureWarnings {
				warnf(stderr, "stdin:%d: %s: event time %s is ahead of the clock: counted at the newest event time (--clock log)%s",
					lineno, jail, t.UTC().Format(time.RFC3339), moreFuture(s.future))
			}
		},
	}
	if cfg.state != "none" && cfg.state != "" {
		st, err := store.Open(cfg.state)
		switch {
		case err == nil:
			s.st = st
			bcfg.Journal = st
		case cannotWrite(err):
			s.roCause = err
		default:
			return nil, stateError(err)
		}
	}
	if cfg.fleet.url != "" {
		f, err := s.dialFleet(ctx)
		if err != nil {
			return nil, clirun.Config(err)
		}
		s.fleet = f
		bcfg.Shared = aheadShared{s: s, Shared: s.seam(f)}
	}
	s.en = bans.New(bcfg)
	if err := s.load(bcfg); err != nil {
		return nil, err
	}
	s.en.Start()
	s.mu.Lock()
	before := s.w.Count()
	s.en.Restore()
	err = s.flushLocked()
	restored := s.w.Count() - before
	if err == nil && s.st != nil {
		if cerr := s.st.Compact(s.en.Snapshot); cannotWrite(cerr) {
			// The journal of the last run still holds the state: go on
			// with it; a write that fails later stops bancount.
			s.readOnlyNote(cerr, restored)
			s.noCompact = true
		} else {
			err = cerr
		}
	}
	if err == nil && s.roCause != nil {
		s.readOnlyNote(s.roCause, restored)
		s.noCompact = true
		s.readOnly = s.roCause // from now on, every event needs the journal
	}
	s.mu.Unlock()
	if err != nil {
		return nil, clirun.Failure(err)
	}

	if cfg.socket != "" && cfg.socket != "none" {
		ln, err := listenControl(cfg.socket)
		switch {
		case err == nil:
			s.ln = ln
		case cfg.socketSet:
			return nil, clirun.Failure(err)
		default:
			// The default socket is a convenience: a bancount run by a
			// user, or a second one, goes on without it.
			warnf(stderr, "%v; going on without a control socket (give --socket PATH)", err)
		}
	}
	return s, nil
}

// load replays the state into the engine. When the state cannot be
// written (a full disk, a read-only file system), it is read without
// being changed: the bans are restored and bancount is read-only.
func (s *server) load(bcfg bans.Config) error {
	skipped := func(file string, line int, err error) {
		warnf(s.stderr, "%s:%d: %v (record skipped)", file, line, err)
	}
	if s.st != nil {
		ls, err := s.st.Load(s.en.Apply, skipped)
		if err == nil {
			if ls.Truncated > 0 {
				warnf(s.stderr, "%s.journal: cut %d bytes of a torn last record", s.cfg.state, ls.Truncated)
			}
			return nil
		}
		if !cannotWrite(err) {
			return stateError(err)
		}
		// Start again on a fresh engine, reading only.
		s.st.Close()
		s.st = nil
		s.roCause = err
		bcfg.Journal = nil
		s.en = bans.New(bcfg)
	}
	if s.roCause != nil {
		if _, err := store.Read(s.cfg.state, s.en.Apply, skipped); err != nil {
			return stateError(err)
		}
	}
	return nil
}

func (s *server) readOnlyNote(err error, restored int64) {
	warnf(s.stderr, "%v: restored %d bans read-only; bancount stops at the first decision it cannot write to the journal (free space in %s and restart it)",
		err, restored, filepath.Dir(s.cfg.state))
}

// stateError gives a state that cannot be used its hint.
func stateError(err error) error {
	hint := "give --state PATH (or --state none to keep nothing)"
	switch {
	case errors.Is(err, store.ErrLocked):
		hint = "one bancount per state: stop the other one or give --state another path"
	case errors.Is(err, store.ErrEmptySnapshot):
		hint = "restore the snapshot from a backup, or move it aside to start with the journal's bans only"
	case errors.Is(err, safefile.ErrSymlink):
		hint = "remove the link: bancount writes its state only to files of its own, never through a link"
	case errors.Is(err, safefile.ErrUnsafeDir):
		hint = "keep the state in a directory only root (or bancount's user) can write, e.g. /var/lib/banpipe"
	}
	return clirun.WithHint(clirun.Failure(err), hint)
}

// cannotWrite reports whether err says the disk cannot take more data.
func cannotWrite(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EROFS)
}

// serve runs the control socket, the timers and the fleet, and counts the
// failures of stdin until its end, a signal or a journal failure.
func (s *server) serve(ctx context.Context, stdin io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.ln != nil {
		go s.serveControl(ctx, s.ln)
	}
	go s.timers(ctx)
	var fleetDone chan struct{}
	if s.fleet != nil {
		fleetDone = make(chan struct{})
		go func() {
			defer close(fleetDone)
			s.announce(ctx, s.fleet)
			s.followFleet(ctx, s.fleet)
		}()
	}
	// Read in a goroutine so that a signal ends the run at once.
	done := make(chan error, 1)
	go func() { done <- s.read(stdin) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
	}
	cancel()
	if fleetDone != nil {
		<-fleetDone
	}
	return err
}

// shutdown writes what is pending, compacts the state and reports the
// first error: the journal failure that stopped the run, else err, else
// one of the final writes.
func (s *server) shutdown(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fatal != nil {
		return s.fatalError()
	}
	if !s.cfg.clockLog {
		var stale int64
		for _, js := range s.en.Status("", 0) {
			stale += js.Stats.Stale
		}
		if stale > 0 {
			warnf(s.stderr, "%d failures older than findtime were not counted (live clock); --clock log replays old logs", stale)
		}
	}
	ferr := s.flushLocked()
	if s.fleet != nil {
		// queued events stay in the fleet's state file for the next start
		if cerr := s.fleet.Close(); cerr != nil {
			warnf(s.stderr, "fleet: %v", cerr)
		}
		s.fleet = nil
	}
	if s.st != nil {
		if !s.noCompact {
			if cerr := s.st.Compact(s.en.Snapshot); ferr == nil {
				ferr = cerr
			}
		}
		if cerr := s.st.Close(); ferr == nil {
			ferr = cerr
		}
		s.st = nil
	}
	if s.fatal != nil {
		return s.fatalError()
	}
	if err == nil {
		err = ferr
	}
	if err != nil {
		return clirun.Failure(err)
	}
	return nil
}

func (s *server) fatalError() error {
	return clirun.WithHint(clirun.Failure(fmt.Errorf("%w; stopped: no event leaves bancount before the journal holds it", s.fatal)),
		fmt.Sprintf("free space in %s (or fix the error above) and start bancount again: it restores every ban it sent", filepath.Dir(s.cfg.state)))
}

// Close releases what open acquired; it is safe after shutdown and twice.
func (s *server) Close() {
	s.closed.Do(func() {
		if s.ln != nil {
			s.ln.Close()
		}
		if s.fleet != nil {
			s.fleet.Close()
		}
		if s.st != nil {
			s.st.Close()
		}
		if s.log != nil {
			s.log.Close()
		}
	})
}

// journalError is a failure to write the journal: bancount stops.
type journalError struct{ err error }

func (e *journalError) Error() string { return e.err.Error() }
func (e *journalError) Unwrap() error { return e.err }

// aheadWriter is bancount's standard output, written ahead by the
// journal: before any byte of an event leaves, the journal records made
// before it are written to the journal file (Store.Flush: one write(2),
// fsync within 50 ms). A failed journal write fails this write, so the
// event stays in the buffer and never leaves.
type aheadWriter struct {
	s   *server
	out io.Writer
}

func (a aheadWriter) Write(p []byte) (int, error) {
	if err := a.s.journalReady(); err != nil {
		return 0, err
	}
	return a.out.Write(p)
}

// journalReady writes the journal's buffer; it is called with s.mu held
// (every output happens under it).
func (s *server) journalReady() error {
	if s.readOnly != nil {
		return &journalError{s.readOnly}
	}
	if s.st != nil {
		if err := s.st.Flush(); err != nil {
			return &journalError{err}
		}
	}
	return nil
}

// aheadShared tells the fleet about a decision only once the journal
// holds it, like standard output.
type aheadShared struct {
	s *server
	bans.Shared
}

func (a aheadShared) Publish(ctx context.Context, ev *event.Event) error {
	if err := a.s.journalReady(); err != nil {
		a.s.failLocked(err)
		return err
	}
	return a.Shared.Publish(ctx, ev)
}

// failLocked stops the run after a journal failure (with s.mu held).
func (s *server) failLocked(err error) {
	var je *journalError
	if s.fatal == nil && errors.As(err, &je) {
		s.fatal = je.err
		if s.cancel != nil {
			s.cancel()
		}
	}
}

// read counts the failures of stdin until its end.
func (s *server) read(stdin io.Reader) error {
	r := event.NewReader(stdin, "stdin")
	r.DropCaptures()
	r.HostOnlyWithoutIP() // Host only when it is not the address (an <F-ID> id)
	r.OnIdle(func() {
		s.mu.Lock()
		s.flushLocked()
		s.mu.Unlock()
	})
	var ev event.Event
	var n int
	for {
		err := r.Read(&ev)
		if err == io.EOF {
			return nil
		}
		var le *event.LineError
		if errors.As(err, &le) {
			s.mu.Lock()
			s.bad++
			s.mu.Unlock()
			warnf(s.stderr, "%v", le)
			continue
		}
		if err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
		if !ev.IsFailure() {
			s.mu.Lock()
			s.bad++
			s.mu.Unlock()
			warnf(s.stderr, "stdin:%d: not a failure event (action %q)", r.Line(), ev.Action)
			continue
		}
		if err := s.cfg.broken[ev.Jail]; err != nil {
			// A jail that could not start: its events are refused, never
			// counted with other settings.
			s.mu.Lock()
			s.bad++
			s.mu.Unlock()
			warnf(s.stderr, "stdin:%d: %v (jail %s skipped: event refused)", r.Line(), err, ev.Jail)
			continue
		}
		s.mu.Lock()
		s.en.Failure(&ev)
		n++
		// A large journal is compacted in the background: only the
		// serialisation of the state holds the stream. (Checked every 256
		// events, a record being far below compact-at/256; at every event
		// for the tiny --compact-at of the tests.)
		if s.st != nil && (n&255 == 0 || s.cfg.compactAt < 1<<20) && s.st.JournalSize() > s.cfg.compactAt {
			if err := s.st.CompactAsync(s.en.Snapshot); err != nil {
				s.mu.Unlock()
				return err
			}
		}
		s.mu.Unlock()
	}
}

// flushLocked writes the journal to the kernel, then the events to stdout
// (aheadWriter): downstream never sees a decision the state does not hold.
func (s *server) flushLocked() error {
	err := s.w.Flush()
	s.failLocked(err)
	return err
}

func (s *server) emit(ev *event.Event) {
	if err := s.w.Write(ev); err != nil {
		s.failLocked(err)
	}
	if s.log != nil {
		if s.en.Extending() {
			s.log.extend(ev)
		} else {
			s.log.event(ev)
		}
	}
}

// timers ends bans on the wall clock (live clock) and reopens the ban log
// after SIGHUP or when logrotate moved it.
func (s *server) timers(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if s.log != nil {
				s.log.reopen(true)
			}
		case <-tick.C:
			if s.log != nil {
				s.log.reopen(false)
			}
			if s.cfg.clockLog {
				continue
			}
			s.mu.Lock()
			if s.st != nil || s.w != nil {
				before := s.w.Count()
				s.en.Tick()
				if s.w.Count() != before {
					s.flushLocked()
				}
			}
			s.mu.Unlock()
		}
	}
}
