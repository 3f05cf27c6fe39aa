package bancount

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/store"
)

// The control protocol: the client sends one JSON request line, the server
// answers with one JSON reply line and closes the connection. Only root and
// the user running bancount may connect (the socket is mode 0600 and the
// peer's credentials are checked).

type request struct {
	Cmd     string `json:"cmd"` // status, ban, unban
	Jail    string `json:"jail,omitempty"`
	ID      string `json:"id,omitempty"`
	All     bool   `json:"all,omitempty"`
	Windows int    `json:"windows,omitempty"`
	// Guard lists the addresses the client is connected from (its
	// SSH_CONNECTION and SSH_CLIENT): a manual ban that covers one of them
	// is refused, so an admin does not lock themselves out.
	Guard []string `json:"guard,omitempty"`
}

// sshPeers returns the client addresses of the caller's SSH session.
func sshPeers() []string {
	var out []string
	for _, v := range []string{"SSH_CONNECTION", "SSH_CLIENT"} {
		if f := strings.Fields(os.Getenv(v)); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return out
}

type reply struct {
	Error  string         `json:"error,omitempty"`
	Status *statusReply   `json:"status,omitempty"`
	Bans   []bans.BanInfo `json:"bans,omitempty"`
}

type statusReply struct {
	Now        time.Time    `json:"now"`
	Started    time.Time    `json:"started,omitzero"` // zero: read from a state file
	Clock      string       `json:"clock"`
	Tracked    int          `json:"tracked"`
	MaxTracked int          `json:"max_tracked,omitempty"`
	Evictions  int64        `json:"evictions"`
	Malformed  int64        `json:"malformed"`
	Fleet      *fleetStatus `json:"fleet,omitempty"`
	Jails      []jailReply  `json:"jails"`
}

type jailReply struct {
	Jail     string            `json:"jail"`
	MaxRetry int               `json:"maxretry"`
	FindTime int64             `json:"findtime"`
	BanTime  int64             `json:"bantime"`
	Totals   bans.Stats        `json:"totals"`
	Counting int               `json:"counting"`
	Windows  []bans.WindowInfo `json:"windows"`
	Banned   []banReply        `json:"banned"`
}

type banReply struct {
	bans.BanInfo
	Left int64 `json:"left"` // seconds; -1 permanent
}

func listenControl(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("control socket %s: exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket %s: in use by another bancount", path)
		}
		os.Remove(path) // a stale socket of a bancount that died
	}
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return ln, nil
}

func (s *server) serveControl(ctx context.Context, ln net.Listener) {
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go s.handleConn(c)
	}
}

func peerAllowed(c net.Conn) bool {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	var cred *syscall.Ucred
	raw.Control(func(fd uintptr) {
		cred, err = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	return err == nil && cred != nil && (cred.Uid == 0 || int(cred.Uid) == os.Geteuid())
}

func (s *server) handleConn(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	enc := json.NewEncoder(c)
	if !peerAllowed(c) {
		enc.Encode(reply{Error: "permission denied: root only"})
		return
	}
	line, err := bufio.NewReader(io.LimitReader(c, 64<<10)).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		enc.Encode(reply{Error: "bad request: " + err.Error()})
		return
	}
	enc.Encode(s.handle(&req))
}

func (s *server) handle(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch req.Cmd {
	case "status":
		return reply{Status: s.status(req.Jail, req.Windows)}
	case "ban":
		if req.Jail == "" || req.ID == "" {
			return reply{Error: "ban needs a jail and an id"}
		}
		if p, err := event.ParseIP(req.ID); err == nil {
			for _, g := range req.Guard {
				if a, err := event.ParseIP(g); err == nil && p.Overlaps(a) {
					return reply{Error: fmt.Sprintf("%s: refusing to ban your own connection from %s (SSH_CONNECTION)",
						event.FormatPrefix(p), event.FormatPrefix(a))}
				}
			}
		}
		b, err := s.en.Ban(req.Jail, req.ID)
		s.flushLocked()
		if err != nil {
			return reply{Error: err.Error()}
		}
		return reply{Bans: []bans.BanInfo{b}}
	case "unban":
		var out []bans.BanInfo
		var err error
		if req.All {
			out = s.en.UnbanAll(req.Jail)
		} else {
			out, err = s.en.Unban(req.Jail, req.ID)
		}
		s.flushLocked()
		if err != nil {
			return reply{Error: err.Error()}
		}
		return reply{Bans: out}
	}
	return reply{Error: fmt.Sprintf("unknown command %q", req.Cmd)}
}

func (s *server) status(jail string, windows int) *statusReply {
	now := s.en.Now()
	if now.IsZero() {
		now = time.Now()
	}
	clock := "live"
	if s.cfg.clockLog {
		clock = "log"
	}
	r := &statusReply{Now: now, Started: s.started, Clock: clock, Tracked: s.en.Tracked(),
		MaxTracked: s.cfg.maxTracked, Evictions: s.en.Evictions(), Malformed: s.bad, Fleet: s.fleetStatus(), Jails: []jailReply{}}
	for _, js := range s.en.Status(jail, windows) {
		st := &js.Settings
		jr := jailReply{Jail: js.Name, MaxRetry: st.MaxRetry, FindTime: int64(st.FindTime / time.Second),
			BanTime: int64(st.BanTime / time.Second), Totals: js.Stats, Counting: js.Counting,
			Windows: js.Windows, Banned: []banReply{}}
		if st.BanTime < 0 {
			jr.BanTime = -1
		}
		if jr.Windows == nil {
			jr.Windows = []bans.WindowInfo{}
		}
		for _, b := range js.Banned {
			left := int64(-1)
			if !b.End.IsZero() {
				left = max(0, int64(b.End.Sub(now)/time.Second))
			}
			jr.Banned = append(jr.Banned, banReply{BanInfo: b, Left: left})
		}
		r.Jails = append(r.Jails, jr)
	}
	return r
}

// call sends req to the bancount listening on socket.
func call(socket string, req request) (*reply, error) {
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return nil, clirun.WithHint(clirun.Failure(fmt.Errorf("cannot reach bancount at %s: %w", socket, unwrapOp(err))),
			"is bancount running? give its socket with --socket")
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, clirun.Failure(err)
	}
	var rep reply
	if err := json.NewDecoder(c).Decode(&rep); err != nil {
		return nil, clirun.Failure(fmt.Errorf("bancount at %s: %w", socket, err))
	}
	if rep.Error != "" {
		return &rep, clirun.Failure(errors.New(rep.Error))
	}
	return &rep, nil
}

func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func clientCall(c *cli.Context, req request) error {
	rep, err := call(c.String("socket"), req)
	if err != nil {
		return err
	}
	w := c.App.Writer
	for _, b := range rep.Bans {
		switch req.Cmd {
		case "ban":
			until := "permanently"
			if !b.End.IsZero() {
				until = "until " + b.End.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "banned %s in %s %s (bantime %ds, bancount %d)\n", b.ID, b.Jail, until, b.Bantime, b.Count)
		default:
			fmt.Fprintf(w, "unbanned %s in %s\n", b.ID, b.Jail)
		}
	}
	return nil
}

// offlineStatus reads a state file into a fresh engine and describes it.
func offlineStatus(c *cli.Context, jail string) (*statusReply, error) {
	path := c.String("state")
	var live bool
	switch c.String("clock") {
	case "live":
		live = true
	case "log":
	default:
		return nil, clirun.Usagef("--clock: %q is not live or log", c.String("clock"))
	}
	en := bans.New(bans.Config{Live: live})
	if _, err := os.Stat(path); err != nil {
		return nil, clirun.Failure(fmt.Errorf("state %s: %w", path, err))
	}
	if _, err := store.Read(path, en.Apply, nil); err != nil {
		return nil, clirun.Failure(err)
	}
	s := &server{en: en, cfg: &config{clockLog: !live}}
	s.started = time.Time{}
	return s.status(jail, c.Int("windows")), nil
}

func clientStatus(c *cli.Context, jail string) error {
	var st *statusReply
	if c.String("state") != "" {
		var err error
		if st, err = offlineStatus(c, jail); err != nil {
			return err
		}
	} else {
		rep, err := call(c.String("socket"), request{Cmd: "status", Jail: jail, Windows: c.Int("windows")})
		if err != nil {
			return err
		}
		st = rep.Status
	}
	w := c.App.Writer
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	up := "not running (read from the state)"
	if !st.Started.IsZero() {
		up = "up since " + st.Started.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "bancount: clock %s, now %s, %s\n", st.Clock, st.Now.Format(time.RFC3339), up)
	if st.MaxTracked > 0 {
		fmt.Fprintf(w, "tracking %d ids (max %d, %d evicted), %d malformed lines\n", st.Tracked, st.MaxTracked, st.Evictions, st.Malformed)
	}
	if f := st.Fleet; f != nil {
		conn := "connected"
		if !f.Connected {
			conn = "disconnected (deciding from the local window)"
		}
		fmt.Fprintf(w, "fleet: %s as %s, %s, %d events waiting to be published (%d dropped)\n", f.URL, f.ID, conn, f.Outbox, f.Dropped)
	}
	for _, j := range st.Jails {
		if st.Started.IsZero() {
			fmt.Fprintf(w, "\n[%s]\n", j.Jail) // the state holds no settings
		} else {
			fmt.Fprintf(w, "\n[%s] maxretry %d, findtime %ds, bantime %ds\n", j.Jail, j.MaxRetry, j.FindTime, j.BanTime)
		}
		if st.Fleet != nil {
			fmt.Fprintf(w, "  failures being counted here: %d ids (the shared windows are in Redis; these are the local ones, used while it is unreachable)\n", j.Counting)
		} else {
			fmt.Fprintf(w, "  failures being counted: %d ids\n", j.Counting)
		}
		for _, win := range j.Windows {
			fmt.Fprintf(w, "    %-40s %d failures (weight %d), last %s\n", win.ID, win.Failures, win.Retry, win.Last.Format(time.RFC3339))
		}
		fmt.Fprintf(w, "  banned: %d\n", len(j.Banned))
		for _, b := range j.Banned {
			left := "permanent"
			if b.Left >= 0 {
				left = fmt.Sprintf("until %s, %s left", b.End.Format(time.RFC3339), time.Duration(b.Left)*time.Second)
			}
			fmt.Fprintf(w, "    %-40s %s, bancount %d, failures %d\n", b.ID, left, b.Count, b.Failures)
		}
		t := j.Totals
		if st.Started.IsZero() {
			continue
		}
		fmt.Fprintf(w, "  since start: %d failures, %d ignored, %d stale, %d duplicates, %d bans, %d extended, %d unbans",
			t.Failures, t.Ignored, t.Stale, t.Duplicates, t.Bans, t.Extended, t.Unbans)
		if st.Fleet != nil {
			fmt.Fprintf(w, ", %d from the fleet", t.Fleet)
		}
		fmt.Fprintln(w)
	}
	return nil
}
