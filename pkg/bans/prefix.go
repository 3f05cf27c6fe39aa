package bans

import (
	"fmt"
	"net/netip"
	"time"
)

// maxRefusedTold bounds the prefixes a jail remembers having told
// OnRefuse about (then the set starts again).
const maxRefusedTold = 4096

// guard checks a ban of p in j with the jail's guard (the fixed rules
// when it has none).
func (j *jail) guard(p netip.Prefix) error { return j.cfg.Guard.Check(p) }

// prefixAllowed reports whether the jail's guard lets p be banned; a
// refusal is counted and told once.
func (e *Engine) prefixAllowed(j *jail, p netip.Prefix) bool {
	err := j.guard(p)
	if err == nil {
		return true
	}
	e.refused(j, p, err)
	return false
}

// refused counts and tells (once per prefix) a ban the guard refused.
func (e *Engine) refused(j *jail, p netip.Prefix, err error) {
	if j.refused[p] {
		return
	}
	if j.refused == nil || len(j.refused) >= maxRefusedTold {
		j.refused = make(map[netip.Prefix]bool)
	}
	j.refused[p] = true
	j.st.Refused++
	if e.cfg.OnRefuse != nil && !e.replaying {
		e.cfg.OnRefuse(j.name, fmtPrefix(p), err)
	}
}

func fmtPrefix(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// clamp returns the time a failure at t counts at with the log clock: t,
// unless t is later than the wall clock plus the skew; then the failure
// counts at "now" (the wall clock before any event) and is reported.
func (e *Engine) clamp(j *jail, t, lineno int64) int64 {
	skew := e.cfg.FutureSkew
	if skew <= 0 {
		skew = DefaultFutureSkew
	}
	if t <= e.wallSeen+int64(skew) {
		return t
	}
	e.wallSeen = e.cfg.Clock().UnixNano()
	if t <= e.wallSeen+int64(skew) {
		return t
	}
	j.st.Future++
	if e.cfg.OnFuture != nil {
		e.cfg.OnFuture(j.name, time.Unix(0, t), lineno)
	}
	if e.now != 0 {
		return e.now
	}
	return e.wallSeen
}

// index adds b to the escalation index when its jail escalates.
func (e *Engine) index(b *ban) {
	p, ok := b.j.cfg.Settings.escalatePrefix(b.ip)
	if !ok {
		return
	}
	if e.inside == nil {
		e.inside = make(map[netip.Prefix]map[*ban]struct{})
	}
	m := e.inside[p]
	if m == nil {
		m = make(map[*ban]struct{})
		e.inside[p] = m
	}
	m[b] = struct{}{}
}

func (e *Engine) unindex(b *ban) {
	p, ok := b.j.cfg.Settings.escalatePrefix(b.ip)
	if !ok {
		return
	}
	if m := e.inside[p]; m != nil {
		delete(m, b)
		if len(m) == 0 {
			delete(e.inside, p)
		}
	}
}

// covered reports whether a running ban of j covers ip with a wider
// prefix it escalated to (then a ban of ip adds nothing).
func (j *jail) covered(ip netip.Prefix) bool {
	p, ok := j.cfg.Settings.escalatePrefix(ip)
	if !ok {
		return false
	}
	b := j.bans[p.String()]
	return b != nil && !b.gone
}

// escalate bans the prefix that b escalates to when enough distinct bans
// run inside it (in b's jail, or with overalljails in every jail that
// escalates to the same prefix), then unbans the jail's bans inside it.
// A prefix the guard refuses is told once and its addresses stay banned
// one by one.
func (e *Engine) escalate(b *ban) {
	j := b.j
	s := &j.cfg.Settings
	p, ok := s.escalatePrefix(b.ip)
	if !ok || e.replaying {
		return
	}
	pid := p.String()
	if pb := j.bans[pid]; pb != nil {
		return
	}
	overall := s.Increment.OverallJails
	distinct := make(map[netip.Prefix]struct{}, s.Escalate.Count)
	fails := 0
	for o := range e.inside[p] {
		if o.j != j && !overall {
			continue
		}
		if _, dup := distinct[o.ip]; !dup {
			distinct[o.ip] = struct{}{}
			if o.j == j {
				fails += o.fails
			}
		}
	}
	if len(distinct) < s.Escalate.Count {
		return
	}
	if err := j.guard(p); err != nil {
		e.refused(j, p, fmt.Errorf("escalation to %s: %w", pid, err))
		return
	}
	base := s.Escalate.BanTime
	if base == 0 {
		base = s.BanTime
	}
	j.st.Escalated++
	e.newBan(j, nil, pid, p, false, e.now, base, max(fails, len(distinct)), 0, 0, nil)
	// the jail's bans inside the prefix are replaced by it
	var gone []*ban
	for o := range e.inside[p] {
		if o.j == j {
			gone = append(gone, o)
		}
	}
	sortBans(gone)
	for _, o := range gone {
		e.unban(o, "escalated")
	}
}

func sortBans(bs []*ban) {
	for i := 1; i < len(bs); i++ {
		for k := i; k > 0 && bs[k].seq < bs[k-1].seq; k-- {
			bs[k], bs[k-1] = bs[k-1], bs[k]
		}
	}
}
