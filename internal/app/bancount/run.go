package bancount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
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
	w       *event.Writer
	log     *banLog
	cfg     *config
	stderr  io.Writer
	started time.Time
	bad     int64
}

func run(ctx context.Context, c *cli.Context, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	warn := func(msg string) { warnf(stderr, "%s", msg) }
	if err := cfg.build(warn); err != nil {
		return clirun.Config(err)
	}
	s := &server{cfg: cfg, stderr: stderr, w: event.NewWriter(stdout), started: time.Now()}
	if cfg.logTarget != "" {
		l, err := openBanLog(cfg.logTarget)
		if err != nil {
			return clirun.Config(err)
		}
		s.log = l
		defer l.Close()
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
	}
	if cfg.state != "none" && cfg.state != "" {
		st, err := store.Open(cfg.state)
		if err != nil {
			hint := "give --state PATH (or --state none to keep nothing)"
			if errors.Is(err, store.ErrLocked) {
				hint = "one bancount per state: stop the other one or give --state another path"
			}
			err = clirun.Failure(err)
			if hint != "" {
				err = clirun.WithHint(err, hint)
			}
			return err
		}
		s.st = st
		bcfg.Journal = st
	}
	if cfg.fleet.url != "" {
		f, err := s.dialFleet(ctx)
		if err != nil {
			s.close()
			return clirun.Config(err)
		}
		s.fleet = f
		bcfg.Shared = s.seam(f)
	}
	s.en = bans.New(bcfg)
	if s.st != nil {
		ls, err := s.st.Load(s.en.Apply, func(file string, line int, err error) {
			warnf(stderr, "%s:%d: %v (record skipped)", file, line, err)
		})
		if err != nil {
			s.st.Close()
			return clirun.Failure(err)
		}
		if ls.Truncated > 0 {
			warnf(stderr, "%s.journal: cut %d bytes of a torn last record", cfg.state, ls.Truncated)
		}
	}
	s.en.Start()
	s.mu.Lock()
	s.en.Restore()
	err := s.flushLocked()
	if err == nil && s.st != nil {
		err = s.st.Compact(s.en.Snapshot)
	}
	s.mu.Unlock()
	if err != nil {
		s.close()
		return clirun.Failure(err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.socket != "" && cfg.socket != "none" {
		ln, err := listenControl(cfg.socket)
		switch {
		case err == nil:
			defer ln.Close()
			go s.serveControl(ctx, ln)
		case cfg.socketSet:
			s.close()
			return clirun.Failure(err)
		default:
			// The default socket is a convenience: a bancount run by a
			// user, or a second one, goes on without it.
			warnf(stderr, "%v; going on without a control socket (give --socket PATH)", err)
		}
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
	select {
	case err = <-done:
	case <-ctx.Done():
	}
	cancel()
	if fleetDone != nil {
		<-fleetDone
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !cfg.clockLog {
		var stale int64
		for _, js := range s.en.Status("", 0) {
			stale += js.Stats.Stale
		}
		if stale > 0 {
			warnf(stderr, "%d failures older than findtime were not counted (live clock); --clock log replays old logs", stale)
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
		if cerr := s.st.Compact(s.en.Snapshot); ferr == nil {
			ferr = cerr
		}
		if cerr := s.st.Close(); ferr == nil {
			ferr = cerr
		}
		s.st = nil
	}
	if err == nil {
		err = ferr
	}
	if err != nil {
		return clirun.Failure(err)
	}
	return nil
}

func (s *server) close() {
	if s.fleet != nil {
		s.fleet.Close()
	}
	if s.st != nil {
		s.st.Close()
	}
}

// read counts the failures of stdin until its end.
func (s *server) read(stdin io.Reader) error {
	r := event.NewReader(stdin, "stdin")
	r.DropCaptures()
	r.HostOnlyWithoutIP() // the engine names a failure with an address by the address
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

// flushLocked writes the journal to the kernel, then the events to stdout:
// downstream never sees a decision the state does not hold.
func (s *server) flushLocked() error {
	if s.st != nil {
		if err := s.st.Flush(); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

func (s *server) emit(ev *event.Event) {
	s.w.Write(ev)
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
