package bans

import (
	"context"

	"math"
	"net/netip"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/ignore"
)

// Settings are one jail's decision settings.
type Settings struct {
	MaxRetry  int           // failures that ban; fail2ban's default is 5
	FindTime  time.Duration // the rate window; default 10m
	BanTime   time.Duration // ban length; negative is permanent; default 10m
	Increment Increment     // bantime.increment and its options
	// MaxMatches is fail2ban's maxmatches: the log lines (the failures'
	// matches fields) a window keeps, the last ones, and puts on its ban;
	// 0 keeps none. fail2ban's jail.conf default is maxretry.
	MaxMatches int
	// IPv4Prefix and IPv6Prefix count the failures of every address inside
	// one prefix of that length as one id and ban the prefix (jail options
	// ipv4prefix, ipv6prefix). 0, or the full length (32, 128), counts each
	// address alone, as fail2ban does.
	IPv4Prefix, IPv6Prefix int
	Escalate               Escalate // prefix bans when several addresses of a prefix are banned
}

// Escalate bans a prefix when Count distinct addresses (or counted
// prefixes) inside it are banned at once in the jail, or with
// bantime.overalljails in any jail that escalates to the same prefix
// length. The prefix ban replaces the jail's bans inside it (they are
// unbanned after it). Zero Count disables it.
type Escalate struct {
	IPv4Prefix int           // escalate.ipv4prefix, e.g. 24; 0: IPv4 addresses never escalate
	IPv6Prefix int           // escalate.ipv6prefix, e.g. 48; 0: IPv6 addresses never escalate
	Count      int           // escalate.count: distinct bans inside the prefix that ban it
	BanTime    time.Duration // escalate.bantime: the prefix ban's length (before the increment); negative is permanent; 0 means the jail's bantime
}

// countPrefix returns the prefix that the failures of a count under, and
// whether it is wider than the address.
func (s *Settings) countPrefix(a netip.Addr) (netip.Prefix, bool) {
	n := s.IPv6Prefix
	if a.Is4() {
		n = s.IPv4Prefix
	}
	if n <= 0 || n >= a.BitLen() {
		return netip.Prefix{}, false
	}
	p, _ := a.Prefix(n)
	return p, true
}

// countsUnder reports whether p has the length the jail counts its
// family's failures under.
func (s *Settings) countsUnder(p netip.Prefix) bool {
	n := s.IPv6Prefix
	if p.Addr().Is4() {
		n = s.IPv4Prefix
	}
	return n > 0 && n == p.Bits()
}

// escalatePrefix returns the prefix a ban of p escalates to, if any.
func (s *Settings) escalatePrefix(p netip.Prefix) (netip.Prefix, bool) {
	if s.Escalate.Count <= 0 || !p.IsValid() {
		return netip.Prefix{}, false
	}
	n := s.Escalate.IPv6Prefix
	if p.Addr().Is4() {
		n = s.Escalate.IPv4Prefix
	}
	if n <= 0 || n >= p.Bits() {
		return netip.Prefix{}, false
	}
	q, _ := p.Addr().Prefix(n)
	return q, true
}

// Increment holds fail2ban's bantime.* options.
type Increment struct {
	Enabled bool    // bantime.increment
	Factor  float64 // bantime.factor; 0 means 1
	// Formula computes a repeat offender's ban time from the base ban time
	// (seconds), the past ban count and the factor (bantime.formula). Nil
	// means fail2ban's default: banTime * 2^min(count, 20) * factor, never
	// below banTime.
	Formula      func(banTime float64, count int, factor float64) float64
	Multipliers  []float64     // bantime.multipliers; overrides Formula
	MaxTime      time.Duration // bantime.maxtime; 0 means no limit
	RndTime      time.Duration // bantime.rndtime; 0 means none
	OverallJails bool          // bantime.overalljails
}

// DefaultSettings returns fail2ban's defaults: maxretry 5, findtime 10m,
// bantime 10m, maxmatches 5, no increment.
func DefaultSettings() Settings {
	return Settings{MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: 10 * time.Minute, MaxMatches: 5}
}

// Permanent reports whether the ban time means a permanent ban.
func (s *Settings) Permanent() bool { return s.BanTime < 0 }

// banTimeFor returns the ban time in seconds for an id with c past bans
// (c == 0: first ban) and base ban time b (seconds), before rndtime.
func (s *Settings) banTimeFor(b float64, c int) float64 {
	in := &s.Increment
	if !in.Enabled || b <= 0 || c <= 0 {
		return b
	}
	f := in.Factor
	if f == 0 {
		f = 1
	}
	var t float64
	switch {
	case len(in.Multipliers) > 0:
		m := in.Multipliers[min(c, len(in.Multipliers)-1)]
		t = b * f * m
	case in.Formula != nil:
		t = math.Max(b, in.Formula(b, c, f))
	default:
		t = math.Max(b, b*float64(int64(1)<<min(c, 20))*f)
	}
	if in.MaxTime > 0 {
		t = math.Min(t, in.MaxTime.Seconds())
	}
	return t
}

// Ignorer decides whether a failure id is on a jail's ignore list. addr is
// the id's address when it has one. The source names the rule that matched
// ("ip", "dns", "self", "command", ...), for the ban log.
type Ignorer interface {
	Ignored(id string, addr netip.Addr, hasAddr bool) (ignored bool, source string)
}

// Jail is what the engine needs to know about a jail.
type Jail struct {
	Settings Settings
	Ignore   Ignorer // nil: only loopback is ignored
	// Guard refuses bans that would cover what must stay reachable (see
	// ignore.Guard): every ban the engine makes, manual and adopted bans
	// included, is checked with it. Nil checks the fixed rules only
	// (loopback, unspecified, every address).
	Guard *ignore.Guard
}

// Shared is the seam for fleet mode (pkg/fleet adapts to it): a window
// shared by several hosts. When an [Engine] has one, every counted failure
// is reported to it instead of the local window, and its answer decides
// the ban; on error the engine falls back to its local window. Bans and
// unbans decided here are published; the caller reads the other hosts'
// decisions from Subscribe and applies them with [Engine.Ban] and
// [Engine.Unban]. Nil without --fleet.
type Shared interface {
	// Failure adds a failure of id in jail at t with the given weight and
	// reports whether the shared window reached maxretry, and the failures
	// it holds.
	Failure(ctx context.Context, jail, id string, t time.Time, weight, maxretry int, findtime time.Duration) (ban bool, failures int, err error)
	// Publish tells the other hosts about a ban or unban decided here.
	Publish(ctx context.Context, ev *event.Event) error
	// Subscribe returns the other hosts' decisions until ctx ends.
	Subscribe(ctx context.Context) <-chan *event.Event
}
