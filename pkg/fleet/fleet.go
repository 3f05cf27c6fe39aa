// Package fleet shares bancount's failure windows and bans between hosts
// through Redis (or Valkey), so that an attacker who spreads attempts over
// several hosts is counted once, and a ban decided on one host is emitted by
// every host.
//
// bancount calls [Fleet.Failure] for every failure it reads: one round trip
// runs a Lua script that applies fail2ban's ticket rules to the fleet-wide
// ticket of (jail, id) and decides the ban atomically, so exactly one caller
// fleet-wide gets Ban=true per ban. A host that decided a ban (or took a
// manual ban or unban) calls [Fleet.Publish]; every other host reads it from
// [Fleet.Subscribe] and emits it.
//
// # URL
//
//	redis://[user:password@]host:port[/db]                   plain TCP
//	rediss://[user:password@]host:port[/db]                  TLS
//	redis+sentinel://[user:password@]host:port[,host:port...]/master[/db]
//	rediss+sentinel://...                                    Sentinel, TLS to the data nodes and sentinels
//
// The port defaults to 6379 (26379 for sentinels) and db to 0. The user and
// password in the URL authenticate to the Redis data node (with Sentinel: to
// the master and replicas, not to the sentinels). [Config.PasswordFile] gives
// the password from a file instead (its first line); giving both is an error.
// Query parameters are refused: every setting is a [Config] field.
//
// # Keys
//
// Every key starts with [Config.Prefix] (default "banpipe:"). K below is
// "{JAIL ID}", a hash tag keeping one id's keys together.
//
//	t:K    hash F, L (ms), r, f: the fleet-wide fail2ban ticket; expires findtime after its last failure
//	b:K    hash u (end in ms, -1 permanent), e (the ban event as JSON, once published), and for a decided
//	       ban l (lease end, server ms), f, r, L (the decision); expires at the ban's end
//	n:K    hash c (bans so far), t (last ban's ticket time, ms): the increment history; expires after Config.Forget
//	banz   sorted set of "JAIL ID" scored by the ban's end (ms; +inf permanent): the running bans, for catch-up
//	bans   stream, capped near 100000 entries: fields by (the publishing host's id) and e (the event JSON)
//	cfg:JAIL  hash of host id to the jail's settings on that host (see Fleet.Announce)
//
// A jail name may not contain a space (the ban set separates jail and id by
// the first space).
//
// # Time
//
// Tickets are kept in event time, as on one host, so hosts need synchronised
// clocks (NTP), or [Config.MaxSkew] for live input. Key expiry is relative: a
// ban ending at U decided for an event at T lives U-T in Redis.
//
// # When Redis is unreachable
//
// Every call is bounded by [Config.Timeout]. After a call fails for want of
// Redis, a circuit breaker opens: calls fail at once with an error wrapping
// [ErrUnavailable], without waiting, while a background probe retries with
// backoff from [Config.RetryMin] up to [Config.RetryMax]. The caller decides
// from its local window meanwhile. [Fleet.Publish] never fails for want of
// Redis: it queues the event (in memory and, with [Config.StateFile], on
// disk) and publishes the queue in order once Redis answers again; a queued
// ban whose end has passed is dropped, and one that the fleet already holds
// with a later end is not published again.
package fleet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is wrapped by the errors of calls made while Redis is
// unreachable.
var ErrUnavailable = errors.New("redis unavailable")

// Config is the configuration of a [Fleet]. Only URL is required.
type Config struct {
	// URL is the Redis URL; see the package documentation.
	URL string
	// PasswordFile, when set, holds the password on its first line.
	PasswordFile string
	// CAFile, when set, holds the PEM certificates that verify the server
	// of a TLS URL (default: the system's roots).
	CAFile string
	// TLS, when set, is the TLS configuration used for a TLS URL; it
	// overrides CAFile.
	TLS *tls.Config
	// ID is this host's id, written with everything it publishes; its own
	// events are not delivered back to it. Default: the hostname. Every host
	// of a fleet needs a distinct id.
	ID string
	// Timeout bounds every call to Redis. Default 100 ms.
	Timeout time.Duration
	// Prefix starts every key. Default "banpipe:".
	Prefix string
	// StateFile, when set, keeps the last stream entry read (so a restarted
	// host catches up on what it missed) and the events queued while Redis
	// was unreachable. Without it a host catches up from the set of running
	// bans and loses its queue when it stops.
	StateFile string
	// RetryMin and RetryMax bound the backoff between probes while Redis is
	// unreachable. Defaults 250 ms and 5 s.
	RetryMin, RetryMax time.Duration
	// Forget is how long a ban count is remembered after the last ban of an
	// id, for the increment (fail2ban's dbpurgeage). Default 24 h.
	Forget time.Duration
	// Lease is how long a ban decided by [Fleet.Failure] waits for its
	// host's [Fleet.Publish] before the decision is offered to the next
	// failure of the id. Default 2 s.
	Lease time.Duration
	// MaxSkew, when positive, makes Redis's clock the fleet's: a failure
	// whose time is further than MaxSkew from Redis's TIME counts at Redis's
	// time, so a host with a wrong clock still counts in everyone's window.
	// Set it (e.g. 60 s) only for live input; log replays keep it 0.
	MaxSkew time.Duration
	// StreamLen caps the ban stream (approximately). Default 100000.
	StreamLen int64
	// OutboxLen caps the events queued while Redis is unreachable; the
	// oldest are dropped beyond it. Default 65536.
	OutboxLen int
	// OnState, when set, is told in order, from a goroutine of its own (so
	// it may take the caller's locks): an error wrapping [ErrUnavailable]
	// when Redis becomes unreachable, nil when it answers again, and other
	// errors as warnings (the state file cannot be written, a queued event
	// was refused by Redis and dropped).
	OnState func(err error)
}

// Fleet is a connection to the fleet's Redis. Its methods are safe for
// concurrent use.
type Fleet struct {
	cfg    Config
	client *redis.Client
	keys   keyspace

	mu      sync.Mutex
	down    bool          // the breaker is open
	downErr error         // why
	upCh    chan struct{} // closed when the breaker closes
	outbox  []queued
	dropped int64
	lastID  string
	subbed  bool
	warned  string    // the last reply error told to OnState
	dirty   bool      // the state file is behind
	saved   time.Time // when it was last written

	flushMu sync.Mutex // serialises publishing of the outbox
	wake    chan struct{}
	notes   chan error // for OnState
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Dial checks cfg and connects to Redis. It fails only for a bad
// configuration (URL, password file, CA file, state file) or when Redis
// answers and refuses the connection (a wrong password): when Redis does not
// answer, Dial returns a Fleet whose breaker is open, which keeps trying in
// the background.
func Dial(ctx context.Context, cfg Config) (*Fleet, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 100 * time.Millisecond
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "banpipe:"
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 250 * time.Millisecond
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(5*time.Second, cfg.RetryMin)
	}
	if cfg.Forget <= 0 {
		cfg.Forget = 24 * time.Hour
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Second
	}
	if cfg.StreamLen <= 0 {
		cfg.StreamLen = 100000
	}
	if cfg.OutboxLen <= 0 {
		cfg.OutboxLen = 65536
	}
	if cfg.ID == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			return nil, fmt.Errorf("fleet id: no hostname (%v): give an id", err)
		}
		cfg.ID = h
	}
	client, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	f := &Fleet{
		cfg:    cfg,
		client: client,
		keys:   keyspace{prefix: cfg.Prefix},
		upCh:   make(chan struct{}),
		wake:   make(chan struct{}, 1),
		notes:  make(chan error, 64),
	}
	close(f.upCh)
	if err := f.loadState(); err != nil {
		client.Close()
		return nil, err
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.wg.Add(2)
	go f.probe()
	go f.notifier()
	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	err = client.Ping(pctx).Err()
	cancel()
	switch {
	case err != nil && (!isDown(err) || errors.As(err, new(*tls.CertificateVerificationError))):
		// Redis answered and refused (a wrong password, an unknown user),
		// or its certificate does not verify: neither mends by waiting
		f.Close()
		return nil, fmt.Errorf("fleet: %s: %v", Redact(cfg.URL), err)
	case err != nil:
		f.trip(err)
	case len(f.outbox) > 0:
		f.kick()
	}
	return f, nil
}

// ID returns the host id this Fleet publishes under.
func (f *Fleet) ID() string { return f.cfg.ID }

// Up reports whether Redis answered the last call (the breaker is closed).
func (f *Fleet) Up() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.down
}

// Pending returns how many published events are queued for Redis, and how
// many were dropped because the queue was full.
func (f *Fleet) Pending() (queued int, dropped int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.outbox), f.dropped
}

// Close stops the background work, saves the state file and closes the
// connections. Events still queued stay in the state file, when there is one.
func (f *Fleet) Close() error {
	f.cancel()
	err := f.client.Close()
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if serr := f.saveStateLocked(); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, redis.ErrClosed) {
		err = nil
	}
	return err
}

// newClient builds the go-redis client for cfg.URL.
func newClient(cfg Config) (*redis.Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("fleet url: %v", redactURLError(err))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("fleet url %s: query parameters are not supported", Redact(cfg.URL))
	}
	user := u.User.Username()
	pass, hasPass := u.User.Password()
	if cfg.PasswordFile != "" {
		if hasPass {
			return nil, fmt.Errorf("fleet url %s: a password in the URL and a password file: give one", Redact(cfg.URL))
		}
		b, err := os.ReadFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("fleet password file: %v", err)
		}
		pass, _, _ = strings.Cut(string(b), "\n")
		pass = strings.TrimSuffix(pass, "\r")
		if pass == "" {
			return nil, fmt.Errorf("fleet password file %s: empty first line", cfg.PasswordFile)
		}
	}
	var useTLS, sentinel bool
	switch u.Scheme {
	case "redis":
	case "rediss":
		useTLS = true
	case "redis+sentinel":
		sentinel = true
	case "rediss+sentinel":
		sentinel, useTLS = true, true
	default:
		return nil, fmt.Errorf("fleet url %s: scheme must be redis, rediss, redis+sentinel or rediss+sentinel", Redact(cfg.URL))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("fleet url %s: no host", Redact(cfg.URL))
	}
	path := strings.Trim(u.Path, "/")
	var parts []string
	if path != "" {
		parts = strings.Split(path, "/")
	}
	var master string
	if sentinel {
		if len(parts) == 0 || parts[0] == "" {
			return nil, fmt.Errorf("fleet url %s: no master name (redis+sentinel://HOST:PORT,.../MASTER/DB)", Redact(cfg.URL))
		}
		master, parts = parts[0], parts[1:]
	}
	db := 0
	switch len(parts) {
	case 0:
	case 1:
		db, err = strconv.Atoi(parts[0])
		if err != nil || db < 0 {
			return nil, fmt.Errorf("fleet url %s: invalid database number %q", Redact(cfg.URL), parts[0])
		}
	default:
		return nil, fmt.Errorf("fleet url %s: invalid path %q", Redact(cfg.URL), u.Path)
	}
	defPort := "6379"
	if sentinel {
		defPort = "26379"
	}
	var addrs []string
	for _, h := range strings.Split(u.Host, ",") {
		if h == "" {
			return nil, fmt.Errorf("fleet url %s: empty host", Redact(cfg.URL))
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = strings.Trim(h, "[]"), defPort
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return nil, fmt.Errorf("fleet url %s: invalid port %q", Redact(cfg.URL), port)
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	if !sentinel && len(addrs) > 1 {
		return nil, fmt.Errorf("fleet url %s: several hosts need redis+sentinel://", Redact(cfg.URL))
	}
	var tc *tls.Config
	if useTLS {
		tc = cfg.TLS
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
			if cfg.CAFile != "" {
				pem, err := os.ReadFile(cfg.CAFile)
				if err != nil {
					return nil, fmt.Errorf("fleet ca file: %v", err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("fleet ca file %s: no PEM certificate", cfg.CAFile)
				}
				tc.RootCAs = pool
			}
			if !sentinel {
				host, _, _ := net.SplitHostPort(addrs[0])
				tc.ServerName = host
			}
		}
	}
	redis.SetLogger(quietLogger{})
	o := &redis.UniversalOptions{
		MasterName:            master,
		Addrs:                 addrs,
		Username:              user,
		Password:              pass,
		DB:                    db,
		TLSConfig:             tc,
		DialTimeout:           cfg.Timeout,
		ReadTimeout:           cfg.Timeout,
		WriteTimeout:          cfg.Timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
		DisableIdentity:       true,
		Protocol:              2,
	}
	if sentinel {
		return redis.NewFailoverClient(o.Failover()), nil
	}
	return redis.NewClient(o.Simple()), nil
}

// Redact returns rawURL with its password replaced by "xxxxx", for messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// quietLogger silences go-redis's own logging (it would write to stderr
// next to bancount's messages); the breaker reports through Config.OnState.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// keyspace builds the keys.
type keyspace struct{ prefix string }

func (k keyspace) tag(jail, id string) string { return "{" + jail + " " + id + "}" }

func (k keyspace) ticket(jail, id string) string { return k.prefix + "t:" + k.tag(jail, id) }
func (k keyspace) ban(jail, id string) string    { return k.prefix + "b:" + k.tag(jail, id) }
func (k keyspace) count(jail, id string) string  { return k.prefix + "n:" + k.tag(jail, id) }
func (k keyspace) banz() string                  { return k.prefix + "banz" }
func (k keyspace) stream() string                { return k.prefix + "bans" }

// checkJail refuses names the key layout cannot hold.
func checkJail(jail, id string) error {
	if jail == "" || strings.ContainsAny(jail, " \n") {
		return fmt.Errorf("jail %q: must be non-empty, without spaces", jail)
	}
	if id == "" {
		return errors.New("empty id")
	}
	return nil
}

// do runs fn with the timeout when the breaker is closed, and opens the
// breaker when fn fails for want of Redis.
func (f *Fleet) do(ctx context.Context, fn func(ctx context.Context) error) error {
	f.mu.Lock()
	if f.down {
		err := f.downErr
		f.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	err := fn(ctx)
	if err != nil && !isDown(err) && !errors.Is(err, redis.Nil) {
		f.warnOnce(err)
	}
	if err != nil && isDown(err) {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return err // the caller gave up; Redis may be fine
		}
		f.trip(err)
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return err
}

// isDown tells errors that say Redis is unreachable from replies of Redis.
func isDown(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	var re redis.Error
	if errors.As(err, &re) {
		// LOADING, MASTERDOWN, READONLY after a failover: wait for it.
		return redis.HasErrorPrefix(err, "LOADING") || redis.HasErrorPrefix(err, "MASTERDOWN") ||
			redis.HasErrorPrefix(err, "READONLY") || redis.HasErrorPrefix(err, "TRYAGAIN")
	}
	return true
}

// trip opens the breaker.
func (f *Fleet) trip(err error) {
	f.mu.Lock()
	was := f.down
	if !was {
		f.down = true
		f.upCh = make(chan struct{})
	}
	f.downErr = err
	f.mu.Unlock()
	if !was {
		f.notify(fmt.Errorf("%w: %v", ErrUnavailable, err))
		f.kick()
	}
}

// warnOnce tells OnState about a reply error (an ACL refusal, a script
// error), once per distinct message, so that a host silently deciding
// locally because Redis refuses it gets noticed.
func (f *Fleet) warnOnce(err error) {
	f.mu.Lock()
	msg := err.Error()
	seen := msg == f.warned
	f.warned = msg
	f.mu.Unlock()
	if !seen {
		f.notify(fmt.Errorf("fleet: redis refused: %v", err))
	}
}

// notify hands a state change to the OnState goroutine.
func (f *Fleet) notify(err error) {
	if f.cfg.OnState == nil {
		return
	}
	select {
	case f.notes <- err:
	default: // the callback is stuck; drop rather than block a call
	}
}

// notifier runs OnState in order.
func (f *Fleet) notifier() {
	defer f.wg.Done()
	for {
		select {
		case err := <-f.notes:
			f.cfg.OnState(err)
		case <-f.ctx.Done():
			return
		}
	}
}

// kick wakes the probe goroutine.
func (f *Fleet) kick() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// waitUp waits until the breaker is closed.
func (f *Fleet) waitUp(ctx context.Context) error {
	f.mu.Lock()
	ch := f.upCh
	f.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// probe runs in the background: while the breaker is open it pings Redis
// with backoff and closes the breaker when Redis answers; whenever the
// breaker is closed and events are queued, it publishes them.
func (f *Fleet) probe() {
	defer f.wg.Done()
	backoff := f.cfg.RetryMin
	for {
		f.mu.Lock()
		down, queued := f.down, len(f.outbox) > 0
		f.mu.Unlock()
		if down {
			f.mu.Lock()
			if f.dirty {
				f.saveQueueLocked()
			}
			f.mu.Unlock()
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(backoff):
			}
			ctx, cancel := context.WithTimeout(f.ctx, f.cfg.Timeout)
			err := f.client.Ping(ctx).Err()
			cancel()
			if err != nil {
				f.mu.Lock()
				f.downErr = err
				f.mu.Unlock()
				backoff = min(2*backoff, f.cfg.RetryMax)
				continue
			}
			backoff = f.cfg.RetryMin
			f.mu.Lock()
			f.down = false
			close(f.upCh)
			f.mu.Unlock()
			f.notify(nil)
			continue
		}
		if queued {
			f.flush(f.ctx)
			f.mu.Lock()
			again := len(f.outbox) > 0 && !f.down
			f.mu.Unlock()
			if again {
				continue
			}
		}
		// write a state file left behind by the once-a-second limit
		var later <-chan time.Time
		f.mu.Lock()
		if f.dirty {
			if time.Since(f.saved) >= time.Second {
				f.saveQueueLocked()
			} else {
				later = time.After(time.Second - time.Since(f.saved))
			}
		}
		f.mu.Unlock()
		select {
		case <-f.ctx.Done():
			return
		case <-f.wake:
		case <-later:
		}
	}
}
