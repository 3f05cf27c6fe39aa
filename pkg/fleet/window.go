package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Window is a jail's counting settings, as each host configures them.
type Window struct {
	MaxRetry int
	FindTime time.Duration
	// BanTime is the jail's base bantime (negative: permanent). A ban decided
	// by [Fleet.Failure] holds the id for BanTime from the ticket's last
	// failure until [Fleet.Publish] gives its real end; a ban candidate of an
	// id already banned extends the ban to last failure + BanTime when that is
	// later (fail2ban's silent extension, made visible).
	BanTime time.Duration
	// Increment weighs the failures of a known offender by its fleet-wide ban
	// count c, as fail2ban's bantime.increment does: each failure later than
	// the id's last ban counts min(2^c/2+1, MaxRetry).
	Increment bool
	// Weight, when above 1, is a minimum weight for this failure, for a
	// caller that knows the id's history from elsewhere.
	Weight int
}

// Decision is the fleet's answer to one failure.
type Decision struct {
	// Ban is true for the one call fleet-wide that decided a new ban. The
	// caller emits the ban, with its own bantime computed from Bancount, and
	// publishes it.
	Ban bool
	// Extend is true for the one call that extended a running ban to Until
	// (or made it permanent): the caller emits and publishes the ban with the
	// new end.
	Extend bool
	// Banned is true when the id is under a running ban fleet-wide (also when
	// Ban or Extend is set).
	Banned bool
	// Failures and Retry are the ticket's failure count and its weighted,
	// rescaled retry count after this failure (fail2ban's f and r); on a ban
	// they are those that led to it.
	Failures, Retry int
	// Bancount is the id's fleet-wide ban count in this jail, including a
	// ban this call decided.
	Bancount int
	// Last is the ticket's last failure time: a ban starts there.
	Last time.Time
	// Until is the running ban's end as the fleet knows it (the provisional
	// end last failure + BanTime right after a decision); zero when Permanent
	// or not banned.
	Until     time.Time
	Permanent bool
}

// failureScript applies fail2ban's ticket rules to the fleet-wide ticket and
// decides the ban. Times are in ms.
//
// KEYS: ticket, ban, count.
// ARGV: t, findtime, maxretry, increment (0/1), weight, bantime (-1 permanent), forget, lease,
// max skew (0 off).
// Returns {kind, failures, retry, bancount, last, until}, kind 0 counted,
// 1 banned now, 2 ban extended, 3 running ban (candidate, no change);
// until -1 permanent, 0 not banned.
var failureScript = redis.NewScript(`
local t = tonumber(ARGV[1])
local find = tonumber(ARGV[2])
local maxretry = tonumber(ARGV[3])
local incr = ARGV[4] == '1'
local weight = tonumber(ARGV[5])
local bantime = tonumber(ARGV[6])
local forget = tonumber(ARGV[7])
local lease = tonumber(ARGV[8])

local n = redis.call('HMGET', KEYS[3], 'c', 't')
local c = tonumber(n[1]) or 0
local tob = tonumber(n[2])

local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
local skew = tonumber(ARGV[9])
if skew > 0 and math.abs(t - now) > skew then t = now end
local b = redis.call('HMGET', KEYS[2], 'u', 'e', 'l', 'f', 'r', 'L')
if b[1] and not b[2] and tonumber(b[3] or 0) < now and (tonumber(b[1]) == -1 or tonumber(b[1]) > t) then
	-- a ban decided but not published within the lease (its host lost the
	-- reply or stopped): offer the decision again
	redis.call('HSET', KEYS[2], 'l', now + lease)
	return {1, tonumber(b[4]) or 0, tonumber(b[5]) or 0, c, tonumber(b[6]) or t, tonumber(b[1])}
end

local F, L, r, f
local tk = redis.call('HMGET', KEYS[1], 'F', 'L', 'r', 'f')
if tk[1] and tonumber(tk[2]) >= t - find then
	F, L, r, f = tonumber(tk[1]), tonumber(tk[2]), tonumber(tk[3]), tonumber(tk[4])
	if t > L then
		if F < t - find then
			-- fail2ban's rate estimate, in seconds, rounded half to even
			local x = r / ((t - F) / 1000) * (find / 1000)
			local fl = math.floor(x)
			local d = x - fl
			if d > 0.5 or (d == 0.5 and fl % 2 == 1) then fl = fl + 1 end
			r = fl
			F = t - find
		end
		L = t
	end
	r = r + 1
	f = f + 1
else
	F, L, r, f = t, t, 1, 1
end

local k = 1
if incr and c > 0 and (tob == nil or t > tob) then
	k = math.floor(2 ^ math.min(c, 20) / 2) + 1
end
if weight > k then k = weight end
if k > maxretry then k = maxretry end
if k > 1 then
	r = r + k - 1
	f = f + 1
end

local cur = tonumber(b[1])
local running = cur ~= nil and (cur == -1 or cur > t)
if not running then cur = 0 end

if r < maxretry then
	redis.call('HSET', KEYS[1], 'F', F, 'L', L, 'r', r, 'f', f)
	redis.call('PEXPIRE', KEYS[1], math.max(L + find - t, 0) + 1000)
	return {0, f, r, c, L, cur}
end

redis.call('DEL', KEYS[1])
local u = -1
if bantime >= 0 then u = L + bantime end
if running then
	if cur ~= -1 and (u == -1 or u > cur) then
		redis.call('HSET', KEYS[2], 'u', u)
		if u == -1 then
			redis.call('PERSIST', KEYS[2])
		else
			redis.call('PEXPIRE', KEYS[2], u - t + 1000)
		end
		return {2, f, r, c, L, u}
	end
	return {3, f, r, c, L, cur}
end
c = c + 1
redis.call('HSET', KEYS[3], 'c', c, 't', L)
local nttl = redis.call('PTTL', KEYS[3])
if nttl >= 0 and nttl < forget or not n[1] then redis.call('PEXPIRE', KEYS[3], forget) end
redis.call('DEL', KEYS[2])
if u == -1 or u > t then
	redis.call('HSET', KEYS[2], 'u', u, 'l', now + lease, 'f', f, 'r', r, 'L', L)
	if u ~= -1 then redis.call('PEXPIRE', KEYS[2], u - t + 1000) end
end
return {1, f, r, c, L, u}
`)

// Failure counts a failure of id in jail at time t toward the fleet-wide
// ticket, in one round trip, and returns the fleet's decision. Exactly one
// call fleet-wide gets Ban (or Extend) true for each ban (or extension),
// with one exception that keeps a ban from being lost: when the host told to
// ban does not publish it within [Config.Lease] (its call timed out after
// Redis ran it, or it stopped), the next failure of the id on any host is
// told to ban instead.
//
// The caller applies its own rules first (ignore lists, an event older than
// 60 s taken as now) and keeps counting in its local window too: when
// Failure returns an error (wrapping [ErrUnavailable] while Redis is
// unreachable), the caller decides from its local window.
func (f *Fleet) Failure(ctx context.Context, jail, id string, t time.Time, w Window) (Decision, error) {
	if err := checkJail(jail, id); err != nil {
		return Decision{}, err
	}
	if w.MaxRetry < 1 || w.FindTime <= 0 {
		return Decision{}, fmt.Errorf("jail %s: maxretry %d and findtime %v must be positive", jail, w.MaxRetry, w.FindTime)
	}
	bantime := w.BanTime.Milliseconds()
	if w.BanTime < 0 {
		bantime = -1
	}
	incr := 0
	if w.Increment {
		incr = 1
	}
	keys := []string{f.keys.ticket(jail, id), f.keys.ban(jail, id), f.keys.count(jail, id)}
	var res []int64
	err := f.do(ctx, func(ctx context.Context) error {
		var err error
		res, err = failureScript.Run(ctx, f.client, keys,
			t.UnixMilli(), w.FindTime.Milliseconds(), w.MaxRetry, incr, max(w.Weight, 1), bantime,
			f.cfg.Forget.Milliseconds(), f.cfg.Lease.Milliseconds(), f.cfg.MaxSkew.Milliseconds()).Int64Slice()
		return err
	})
	if err != nil {
		return Decision{}, fmt.Errorf("fleet: failure %s %s: %w", jail, id, err)
	}
	if len(res) != 6 {
		return Decision{}, fmt.Errorf("fleet: failure %s %s: unexpected reply %v", jail, id, res)
	}
	d := Decision{
		Failures: int(res[1]),
		Retry:    int(res[2]),
		Bancount: int(res[3]),
		Last:     time.UnixMilli(res[4]),
	}
	switch res[0] {
	case 1:
		d.Ban = true
	case 2:
		d.Extend = true
	}
	switch u := res[5]; {
	case u == -1:
		d.Banned, d.Permanent = true, true
	case u > 0:
		d.Banned, d.Until = true, time.UnixMilli(u)
	}
	return d, nil
}
