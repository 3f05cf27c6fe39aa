package fleet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/banpipe/banpipe/pkg/event"
)

// block is how long one XREAD waits for new entries.
const block = time.Second

// Subscribe returns the bans and unbans published by the other hosts, in the
// order they were published, until ctx is done or f is closed (then the
// channel is closed). It may be called once.
//
// At the start, and whenever Redis answers again after an outage, the
// subscriber catches up: it reads the stream from the last entry it read
// (kept in [Config.StateFile]); when it has no last entry or the stream was
// trimmed past it, it reads the running bans instead (their events, this
// host's own included, marked restored). Bans whose end has passed are never
// delivered, so a host applies only the bans still running; each ban carries
// its until so the host ends it by itself even if it misses the unban.
//
// Deliveries are at least once: after a restart without a state file, or a
// resync, a ban may come again; fwban applies a repeated ban as an update.
func (f *Fleet) Subscribe(ctx context.Context) <-chan *event.Event {
	ch := make(chan *event.Event, 256)
	f.mu.Lock()
	if f.subbed {
		f.mu.Unlock()
		close(ch)
		return ch
	}
	f.subbed = true
	f.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(ch)
		defer cancel()
		go func() {
			select {
			case <-f.ctx.Done():
				cancel()
			case <-ctx.Done():
			}
		}()
		f.subscribe(ctx, ch)
	}()
	return ch
}

func (f *Fleet) subscribe(ctx context.Context, ch chan<- *event.Event) {
	synced := false
	var said string
	// refused tells OnState once about a reply error (an ACL refusal, say)
	// and waits a little rather than spin
	refused := func(err error) {
		if msg := err.Error(); msg != said {
			said = msg
			f.notify(fmt.Errorf("fleet: subscribe: %v", err))
		}
		sleep(ctx, f.cfg.RetryMin)
	}
	for ctx.Err() == nil {
		if err := f.waitUp(ctx); err != nil {
			return
		}
		if !synced {
			if err := f.catchUp(ctx, ch); err != nil {
				if ctx.Err() == nil && !errors.Is(err, ErrUnavailable) && !isDown(err) {
					sleep(ctx, f.cfg.RetryMin) // a reply error, told to OnState by do
				}
				continue
			}
			synced = true
		}
		f.mu.Lock()
		last := f.lastID
		f.mu.Unlock()
		rctx, rcancel := context.WithTimeout(ctx, block+f.cfg.Timeout)
		res, err := f.client.XRead(rctx, &redis.XReadArgs{
			Streams: []string{f.keys.stream(), last},
			Count:   1000,
			Block:   block,
		}).Result()
		rcancel()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if isDown(err) {
				f.trip(err)
			} else {
				refused(err)
			}
			synced = false
			continue
		}
		for _, s := range res {
			if !f.deliver(ctx, ch, s.Messages, false) {
				return
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// catchUp delivers what was published while this host was not reading: the
// stream after the last entry read when the stream still holds that entry,
// else the running bans.
func (f *Fleet) catchUp(ctx context.Context, ch chan<- *event.Event) error {
	f.mu.Lock()
	last := f.lastID
	f.mu.Unlock()
	if last != "" {
		// The stream still holding the last entry read means nothing after
		// it was trimmed or lost (a Redis restart without its data, whose
		// new entries could even get smaller ids).
		var here []redis.XMessage
		err := f.do(ctx, func(ctx context.Context) error {
			var err error
			here, err = f.client.XRangeN(ctx, f.keys.stream(), last, last, 1).Result()
			return err
		})
		if err != nil {
			return err
		}
		if len(here) == 1 {
			return nil // XREAD from last gets everything after it
		}
	}
	// resync from the running bans, and go on from the stream's end
	var members []string
	var top []redis.XMessage
	err := f.do(ctx, func(ctx context.Context) error {
		pipe := f.client.TxPipeline()
		z := pipe.ZRangeByScore(ctx, f.keys.banz(), &redis.ZRangeBy{
			Min: "(" + strconv.FormatInt(time.Now().UnixMilli(), 10), Max: "+inf"})
		x := pipe.XRevRangeN(ctx, f.keys.stream(), "+", "-", 1)
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		members, top = z.Val(), x.Val()
		return nil
	})
	if err != nil {
		return err
	}
	var msgs []string
	for i := 0; i < len(members); i += 1000 {
		batch := members[i:min(i+1000, len(members))]
		err := f.do(ctx, func(ctx context.Context) error {
			pipe := f.client.Pipeline()
			cmds := make([]*redis.StringCmd, len(batch))
			for j, m := range batch {
				jail, id, _ := strings.Cut(m, " ")
				cmds[j] = pipe.HGet(ctx, f.keys.ban(jail, id), "e")
			}
			if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			for _, c := range cmds {
				if c.Err() == nil {
					msgs = append(msgs, c.Val())
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	now := time.Now()
	for _, m := range msgs {
		var ev event.Event
		if event.Decode([]byte(m), &ev) != nil || !running(&ev, now) || !f.safe(&ev, "the ban set") {
			continue
		}
		ev.Restored = true
		select {
		case ch <- &ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	id := "0-0"
	if len(top) > 0 {
		id = top[0].ID
	}
	f.setLastID(id)
	return nil
}

// deliver sends the events of msgs not published by this host, dropping
// bans already over, and records the last ID. It reports false when ctx is
// done.
func (f *Fleet) deliver(ctx context.Context, ch chan<- *event.Event, msgs []redis.XMessage, restored bool) bool {
	now := time.Now()
	for _, m := range msgs {
		by, _ := m.Values["by"].(string)
		e, _ := m.Values["e"].(string)
		if by != f.cfg.ID {
			var ev event.Event
			if event.Decode([]byte(e), &ev) == nil && (ev.Action == event.ActionUnban || running(&ev, now) && f.safe(&ev, by)) {
				ev.Restored = restored
				select {
				case ch <- &ev:
				case <-ctx.Done():
					return false
				}
			}
		}
		f.setLastID(m.ID)
	}
	// at most one write a second (Close writes the last): at worst a ban
	// is delivered again after a crash
	f.mu.Lock()
	f.dirty = true
	if time.Since(f.saved) >= time.Second {
		f.saveStateLocked() //nolint:errcheck // best effort, as above
	}
	f.mu.Unlock()
	f.kick() // the probe writes it within a second
	return true
}

// never are the addresses no ban from the fleet may cover, whatever the
// host that published it says.
var never = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::ffff:127.0.0.0/104"),
}

// safe reports whether ban ev may be delivered: not one covering loopback
// or the unspecified address (a /0 covers both). A refused ban is told to
// OnState. The receiving host's own ignore list is for its caller to apply.
func (f *Fleet) safe(ev *event.Event, from string) bool {
	if !ev.IP.IsValid() {
		return true
	}
	for _, p := range never {
		if ev.IP.Overlaps(p) {
			f.notify(fmt.Errorf("fleet: refused a ban of %s from %s: it covers %s", event.FormatPrefix(ev.IP), from, p))
			return false
		}
	}
	return true
}

// running reports whether ban event ev is still in force at now.
func running(ev *event.Event, now time.Time) bool {
	if ev.Action != event.ActionBan {
		return false
	}
	if ev.Bantime == -1 {
		return true
	}
	if !ev.Until.IsZero() {
		return ev.Until.After(now)
	}
	return ev.Bantime > 0 && ev.Time.Add(time.Duration(ev.Bantime)*time.Second).After(now)
}

func (f *Fleet) setLastID(id string) {
	f.mu.Lock()
	f.lastID = id
	f.mu.Unlock()
}
