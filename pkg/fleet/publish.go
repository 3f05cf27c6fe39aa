package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/banpipe/banpipe/pkg/event"
)

// publishScript records a ban or an unban and appends it to the stream.
//
// KEYS: ban, banz, stream, count.
// ARGV: action, until (ms, -1 permanent), event JSON, "JAIL ID", host id,
// now (ms), replay (0/1), stream length, bancount, bantime (s, -1
// permanent), forget (ms).
// With replay (a queued event), a ban is skipped when the fleet already holds
// a published ban of the id ending no earlier. A ban raises the id's
// fleet-wide ban count to its bancount (a ban decided locally or by hand
// counts too), and keeps the count for 3 bantimes after the ban's start plus
// forget, as fail2ban's purge does (forever for a permanent ban). Returns 1
// when published, 0 when skipped.
var publishScript = redis.NewScript(`
local now = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
if ARGV[1] == 'ban' then
	local u = tonumber(ARGV[2])
	if u ~= -1 and u <= now then return 0 end
	if ARGV[7] == '1' then
		local cur = redis.call('HMGET', KEYS[1], 'u', 'e')
		local cu = tonumber(cur[1])
		if cur[2] and cu and (cu == -1 or (u ~= -1 and cu >= u)) then return 0 end
	end
	redis.call('HSET', KEYS[1], 'u', u, 'e', ARGV[3])
	local bc, bt, forget = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
	local start = now
	if u ~= -1 and bt > 0 then start = u - bt * 1000 end
	local n = redis.call('HMGET', KEYS[4], 'c', 't')
	if bc > (tonumber(n[1]) or 0) then redis.call('HSET', KEYS[4], 'c', bc) end
	if start > (tonumber(n[2]) or 0) then redis.call('HSET', KEYS[4], 't', start) end
	local ttl = redis.call('PTTL', KEYS[4])
	if bt == -1 then
		redis.call('PERSIST', KEYS[4])
	elseif ttl ~= -1 or not n[1] then
		-- (no expiry on a key that existed: kept by a permanent ban)
		local keep = start + 3 * math.max(bt, 0) * 1000 + forget - now
		if keep > ttl then redis.call('PEXPIRE', KEYS[4], keep) end
	end
	if u == -1 then
		redis.call('PERSIST', KEYS[1])
		redis.call('ZADD', KEYS[2], '+inf', ARGV[4])
	else
		redis.call('PEXPIRE', KEYS[1], u - now + 1000)
		redis.call('ZADD', KEYS[2], u, ARGV[4])
	end
else
	redis.call('DEL', KEYS[1])
	redis.call('ZREM', KEYS[2], ARGV[4])
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'by', ARGV[5], 'e', ARGV[3])
return 1
`)

// errExpired marks an unban that is not published.
var errExpired = errors.New("expired")

// queued is an event waiting in the outbox.
type queued struct {
	Jail  string `json:"jail"`
	ID    string `json:"id"`
	Ban   bool   `json:"ban"`
	Until int64  `json:"until"` // ms, -1 permanent
	JSON  string `json:"e"`
	// Bancount and Bantime (seconds, -1 permanent) of a ban.
	Bancount int   `json:"bancount,omitempty"`
	Bantime  int64 `json:"bantime,omitempty"`
}

// Publish sends a ban or unban decided on this host (by [Fleet.Failure], a
// local decision, or a manual one) to every host. A ban's end is its Until,
// else Time+Bantime; Bantime -1 is permanent. An unban removes the ban
// fleet-wide. An unban with reason "expired" is not published: every host
// ends a ban at its until by itself, and a host whose clock runs ahead must
// not end a ban another host has just extended.
//
// While Redis is unreachable, or while earlier events are still queued,
// Publish queues ev and returns nil: the queue is published in order when
// Redis answers again. Publish returns an error only for an event it cannot
// publish at all (not a ban or unban, a ban without an end, a bad jail).
func (f *Fleet) Publish(ctx context.Context, ev *event.Event) error {
	q, err := f.prepare(ev)
	if err == errExpired {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fleet: publish: %w", err)
	}
	f.mu.Lock()
	if f.down || len(f.outbox) > 0 {
		f.enqueueLocked(q)
		f.mu.Unlock()
		f.kick()
		return nil
	}
	f.mu.Unlock()
	f.flushMu.Lock()
	_, err = f.send(ctx, q, false)
	f.flushMu.Unlock()
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			f.mu.Lock()
			// ahead of anything queued meanwhile: it was published first
			f.outbox = append([]queued{q}, f.outbox...)
			f.trimLocked()
			f.dirty = true
			f.mu.Unlock()
			f.kick()
			return nil
		}
		return fmt.Errorf("fleet: publish %s %s: %w", q.Jail, q.ID, err)
	}
	return nil
}

func (f *Fleet) prepare(ev *event.Event) (queued, error) {
	q := queued{Jail: ev.Jail, ID: ev.ID()}
	if err := checkJail(q.Jail, q.ID); err != nil {
		return q, err
	}
	switch ev.Action {
	case event.ActionBan:
		q.Ban, q.Bancount, q.Bantime = true, ev.Bancount, ev.Bantime
		switch {
		case ev.Bantime == -1:
			q.Until = -1
		case !ev.Until.IsZero():
			q.Until = ev.Until.UnixMilli()
		case ev.Bantime > 0 && !ev.Time.IsZero():
			q.Until = ev.Time.Add(time.Duration(ev.Bantime) * time.Second).UnixMilli()
		default:
			return q, fmt.Errorf("ban of %s in %s: no until, no bantime", q.ID, q.Jail)
		}
	case event.ActionUnban:
		if ev.Reason == "expired" {
			return q, errExpired
		}
	default:
		return q, fmt.Errorf("not a ban or an unban: action %q", ev.Action)
	}
	e := *ev
	e.Raw, e.Applied, e.Error, e.Restored = nil, nil, "", false
	q.JSON = string(event.Append(nil, &e))
	return q, nil
}

func (f *Fleet) enqueueLocked(q queued) {
	f.outbox = append(f.outbox, q)
	f.trimLocked()
	f.dirty = true
	// at most one write a second: a ban storm during an outage must not
	// rewrite a growing file for every ban; the probe saves the rest
	if time.Since(f.saved) >= time.Second {
		f.saveQueueLocked()
	}
}

// saveQueueLocked saves the state file and reports a failure to save.
func (f *Fleet) saveQueueLocked() {
	if err := f.saveStateLocked(); err != nil {
		// the queue is still in memory; say why it is not on disk
		f.notify(fmt.Errorf("fleet state file: %v", err))
	}
}

func (f *Fleet) trimLocked() {
	if over := len(f.outbox) - f.cfg.OutboxLen; over > 0 {
		f.outbox = append(f.outbox[:0], f.outbox[over:]...)
		f.dropped += int64(over)
	}
}

// send publishes one event. It reports whether the script published it.
func (f *Fleet) send(ctx context.Context, q queued, replay bool) (bool, error) {
	keys := []string{f.keys.ban(q.Jail, q.ID), f.keys.banz(), f.keys.stream(), f.keys.count(q.Jail, q.ID)}
	action, rep := "unban", 0
	if q.Ban {
		action = "ban"
	}
	if replay {
		rep = 1
	}
	var n int64
	err := f.do(ctx, func(ctx context.Context) error {
		var err error
		n, err = publishScript.Run(ctx, f.client, keys, action, q.Until, q.JSON, q.Jail+" "+q.ID,
			f.cfg.ID, time.Now().UnixMilli(), rep, f.cfg.StreamLen, max(q.Bancount, 1), q.Bantime,
			f.cfg.Forget.Milliseconds()).Int64()
		return err
	})
	return n == 1, err
}

// flush publishes the outbox in order until it is empty or Redis fails.
func (f *Fleet) flush(ctx context.Context) {
	f.flushMu.Lock()
	defer f.flushMu.Unlock()
	for {
		f.mu.Lock()
		if len(f.outbox) == 0 || f.down {
			f.saveStateLocked() //nolint:errcheck // best effort; retried at the next change
			f.mu.Unlock()
			return
		}
		q := f.outbox[0]
		f.mu.Unlock()
		_, err := f.send(ctx, q, true)
		if errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
			return
		}
		if err != nil {
			// a reply error: this event can never be published; drop it
			f.notify(fmt.Errorf("queued %s of %s in %s dropped: %v", map[bool]string{true: "ban", false: "unban"}[q.Ban], q.ID, q.Jail, err))
		}
		f.mu.Lock()
		if len(f.outbox) > 0 {
			f.outbox = f.outbox[1:]
		}
		f.mu.Unlock()
	}
}

// state is the content of the state file.
type state struct {
	LastID string   `json:"last_id,omitempty"`
	Outbox []queued `json:"outbox,omitempty"`
}

func (f *Fleet) loadState() error {
	if f.cfg.StateFile == "" {
		return nil
	}
	b, err := os.ReadFile(f.cfg.StateFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fleet state file: %v", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("fleet state file %s: %v", f.cfg.StateFile, err)
	}
	f.lastID, f.outbox = s.LastID, s.Outbox
	return nil
}

// saveStateLocked writes the state file (atomically) when there is one.
func (f *Fleet) saveStateLocked() error {
	if f.cfg.StateFile == "" {
		return nil
	}
	f.dirty, f.saved = false, time.Now()
	b, err := json.Marshal(state{LastID: f.lastID, Outbox: f.outbox})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.cfg.StateFile), ".fleet-state-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.cfg.StateFile)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
