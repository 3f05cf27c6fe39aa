package bans

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
)

// Config configures an [Engine].
type Config struct {
	// Jail returns the settings of a jail by name; it is called once per
	// name. Nil gives every jail [DefaultSettings].
	Jail func(name string) *Jail
	// Live makes "now" the wall clock (Clock); otherwise "now" is the newest
	// event time seen (--clock log).
	Live bool
	// Clock is the wall clock for live mode; nil means time.Now.
	Clock func() time.Time
	// Rand returns a number in [0, 1) for bantime.rndtime; nil means
	// math/rand/v2.Float64.
	Rand func() float64
	// MaxTracked caps the failure windows kept, over all jails; the least
	// recently failing id is evicted first. 0 means 1,000,000.
	MaxTracked int
	// Journal receives every change of state; nil discards them.
	Journal Journal
	// Shared, when set, is the fleet-wide window (see [Shared]).
	Shared Shared
	// Emit receives the ban and unban events; it must not keep e.
	Emit func(e *event.Event)
	// OnIgnore is told about every ignored failure (for the ban log).
	OnIgnore func(jail, id, source string)
	// OnRefuse is told about every ban the jail's guard refused (a prefix
	// holding an ignored address, the machine's own address, the admin's
	// SSH client...): such a prefix is not banned, its addresses are
	// counted and banned one by one. A prefix is told once per run.
	OnRefuse func(jail, id string, err error)
	// FutureSkew is how far ahead of the wall clock an event time may be
	// with the log clock (not Live): a later event does not move "now", it
	// is counted at now and told to OnFuture. 0 means [DefaultFutureSkew].
	FutureSkew time.Duration
	// OnFuture is told about every event clamped by FutureSkew.
	OnFuture func(jail string, t time.Time, lineno int64)
}

// DefaultFutureSkew is the default [Config.FutureSkew]: an event dated up
// to a minute ahead of the wall clock (the clocks of log writers drift)
// moves the log clock; a later one is counted at "now".
const DefaultFutureSkew = time.Minute

// Stats are a jail's counters since the engine started.
type Stats struct {
	Failures   int64 `json:"failures"`   // failures counted into windows
	Ignored    int64 `json:"ignored"`    // failures of ignored ids
	Stale      int64 `json:"stale"`      // failures older than findtime (live clock)
	Duplicates int64 `json:"duplicates"` // failures already counted by an earlier run
	Bans       int64 `json:"bans"`       // bans made
	Extended   int64 `json:"extended"`   // running bans extended
	Unbans     int64 `json:"unbans"`     // bans ended
	Expired    int64 `json:"expired"`    // ban candidates whose ban would already have ended
	Fleet      int64 `json:"fleet"`      // bans and unbans adopted from other hosts (fleet mode)
	Refused    int64 `json:"refused"`    // bans refused by the guard: other hosts' bans, prefixes covering what must stay reachable
	Future     int64 `json:"future"`     // failures dated after the wall clock (+ skew) with the log clock, counted at now
	Escalated  int64 `json:"escalated"`  // prefix bans made by escalation
}

// BanInfo describes a ban.
type BanInfo struct {
	Jail     string       `json:"jail"`
	ID       string       `json:"id"`
	IP       netip.Prefix `json:"-"`
	Start    time.Time    `json:"start"`
	End      time.Time    `json:"until,omitzero"` // zero: permanent
	Bantime  int64        `json:"bantime"`
	Count    int          `json:"bancount"`
	Failures int          `json:"failures"`
}

// Engine decides bans from failures with fail2ban's rules. It is not safe
// for concurrent use: callers serialise access.
type Engine struct {
	cfg   Config
	jails map[string]*jail

	now        int64 // Unix ns; 0 before the first event in log mode
	loc        *time.Location
	first      int64 // purge anchor
	nextPurge  int64
	seq        int64
	queue      []touch // tickets in the order of their last failure (stale entries skipped)
	qhead      int
	tseq       uint64
	ntickets   int
	evictions  int64
	expiry     banHeap
	history    map[string][]*histRow
	replaying  bool
	remote     bool
	extending  bool
	rec        Record
	ev         event.Event
	maxTracked int
	lastJail   *jail // the jail of the last lookup (events of one jail come in runs)
	wallSeen   int64 // the wall clock last read by the future clamp (log clock)
	// inside indexes the bans by the prefix they escalate to (jails with
	// escalation only).
	inside map[netip.Prefix]map[*ban]struct{}
}

type jail struct {
	name     string
	cfg      *Jail
	tickets  map[string]*ticket     // windows of ids that are not addresses
	atickets map[netip.Addr]*ticket // windows of IPv6 addresses (no string compare on the hot path)
	v4       map[uint32]*ticket     // windows of IPv4 addresses (a small key: fewer cache misses)
	ptickets map[netip.Addr]*ticket // windows of counted prefixes (--ipv4-prefix, --ipv6-prefix), by first address
	first    map[*ticket]netip.Addr // address windows opened by an <F-ID> that names another address: the ban's ip
	refused  map[netip.Prefix]bool  // prefixes the guard refused (told once)
	bans     map[string]*ban
	st       Stats

	w    int64     // newest failure time seen
	keys []MarkKey // failures seen at w (duplicates possible)
	// w0/keys0: the watermark of the earlier runs, frozen at Start.
	has0  bool
	w0    int64
	keys0 map[MarkKey]struct{}
}

type ticket struct {
	j           *jail
	id          string
	addr        netip.Addr // valid when id is an address
	first, last int64
	retry       int64
	fails       int64
	stamp       uint64   // the queue entry that is current; 0 once dropped
	ban         *ban     // the id's ban when last looked up (check gone before use)
	matches     []string // the window's last log lines (at most MaxMatches)
}

// touch is an entry of the engine's queue of windows by last failure.
type touch struct {
	t     *ticket
	stamp uint64
	last  int64 // the window's last failure when queued
}

type ban struct {
	j       *jail
	id      string
	ip      netip.Prefix
	start   int64
	end     int64 // 0: permanent
	bantime int64
	count   int
	fails   int
	seq     int64
	idx     int
	hend    int64    // the end the expiry heap orders by; an extension only moves end
	gone    bool     // removed from the jail's bans (a window may still point to it)
	matches []string // the log lines of the window that made (or last extended) it
	byHost  bool     // id is a host text (an <F-ID>) and ip its address
}

type histRow struct {
	jail    string
	count   int
	time    int64 // Unix seconds
	bantime int64
}

const maxMarkKeys = 10000

// New returns an engine.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = randFloat
	}
	e := &Engine{cfg: cfg, jails: make(map[string]*jail), history: make(map[string][]*histRow),
		loc: time.Local, maxTracked: cfg.MaxTracked}
	if e.maxTracked <= 0 {
		e.maxTracked = 1_000_000
	}
	return e
}

func (e *Engine) jail(name string) *jail {
	if j := e.lastJail; j != nil && j.name == name {
		return j
	}
	if j := e.jails[name]; j != nil {
		e.lastJail = j
		return j
	}
	var jc *Jail
	if e.cfg.Jail != nil {
		jc = e.cfg.Jail(name)
	}
	if jc == nil {
		jc = &Jail{Settings: DefaultSettings()}
	}
	if jc.Settings.MaxRetry <= 0 {
		jc.Settings.MaxRetry = 1
	}
	j := &jail{name: name, cfg: jc, tickets: make(map[string]*ticket),
		atickets: make(map[netip.Addr]*ticket), v4: make(map[uint32]*ticket), bans: make(map[string]*ban),
		ptickets: make(map[netip.Addr]*ticket)}
	e.jails[name] = j
	return j
}

// Start freezes the dedupe watermarks loaded from the state: failures of a
// jail older than its newest failure of the earlier runs, or equal to it
// with an id and line already seen, count as duplicates. Call it after the
// state is loaded and before the first failure.
func (e *Engine) Start() {
	for _, j := range e.jails {
		if j.w == 0 {
			continue
		}
		j.has0, j.w0 = true, j.w
		j.keys0 = make(map[MarkKey]struct{}, len(j.keys))
		for _, k := range j.keys {
			j.keys0[k] = struct{}{}
		}
	}
}

func (j *jail) dup(t int64, id string, lineno int64) bool {
	if !j.has0 || t > j.w0 {
		return false
	}
	if t < j.w0 {
		return true
	}
	_, ok := j.keys0[MarkKey{id, lineno}]
	return ok
}

func (j *jail) observe(t int64, id string, lineno int64) {
	switch {
	case t > j.w:
		j.w = t
		j.keys = append(j.keys[:0], MarkKey{id, lineno})
	case t == j.w && len(j.keys) < maxMarkKeys:
		j.keys = append(j.keys, MarkKey{id, lineno})
	}
}

// Now returns the engine's current time.
func (e *Engine) Now() time.Time {
	if e.cfg.Live {
		return e.cfg.Clock()
	}
	if e.now == 0 {
		return time.Time{}
	}
	return time.Unix(0, e.now).In(e.loc)
}

func (e *Engine) nowTime() time.Time { return time.Unix(0, e.now).In(e.loc) }

// setNow advances the clock: live, to the wall clock; by log, to t when
// newer.
func (e *Engine) setNow(t int64, loc *time.Location) {
	if e.cfg.Live {
		c := e.cfg.Clock()
		e.now = c.UnixNano()
		e.loc = c.Location()
	} else if t > e.now {
		e.now = t
		if loc != nil {
			e.loc = loc
		}
	}
	if e.first == 0 && e.now != 0 {
		e.first = e.now
		e.nextPurge = e.now + int64(time.Hour)
		if !e.replaying {
			e.journal(Record{Kind: RecHeader, Now: e.now, First: e.first, Next: e.nextPurge, Seq: e.seq})
		}
	}
}

// Tick advances a live clock to the wall clock and ends expired bans. With
// the log clock it ends bans that expired by the newest event time.
func (e *Engine) Tick() {
	e.setNow(0, nil)
	e.tick()
}

func (e *Engine) tick() {
	if e.now == 0 {
		return
	}
	if e.now >= e.nextPurge && e.nextPurge != 0 {
		e.purge()
	}
	e.expire()
	// Reclaim stale windows from the oldest end of the list.
	for q := e.front(); q != nil; q = e.front() {
		t := q.t
		ft := int64(t.j.cfg.Settings.FindTime)
		if q.last >= e.now-ft {
			break
		}
		e.pop()
		if t.last < e.now-ft {
			e.dropTicket(t)
		} else {
			e.queue = append(e.queue, touch{t, t.stamp, t.last})
		}
	}
}

// expire ends the bans whose end is before now, in order of end.
func (e *Engine) expire() {
	for len(e.expiry) > 0 && e.now > e.expiry[0].hend {
		b := e.expiry[0]
		switch {
		case b.end == b.hend:
			heap.Pop(&e.expiry)
			e.unban(b, "expired")
		case b.end == 0:
			heap.Pop(&e.expiry) // made permanent
		default:
			b.hend = b.end // extended: wait for the new end
			heap.Fix(&e.expiry, 0)
		}
	}
}

// purge forgets old history rows as fail2ban's hourly database purge does.
func (e *Engine) purge() {
	const hour, day = int64(time.Hour), int64(24 * time.Hour)
	p := e.first + (e.now-e.first)/hour*hour
	e.nextPurge = p + hour
	limit := (p - day) / int64(time.Second)
	for id, rows := range e.history {
		keep := rows[:0]
		for _, r := range rows {
			if r.time < limit && r.bantime != -1 && r.time+3*r.bantime < limit {
				continue
			}
			keep = append(keep, r)
		}
		if len(keep) == 0 {
			delete(e.history, id)
		} else {
			e.history[id] = keep
		}
	}
}

// journal reports a change; the record is reused, so journals must not
// keep the pointer.
func (e *Engine) journal(r Record) {
	if e.cfg.Journal != nil && !e.replaying {
		e.rec = r
		e.cfg.Journal.Append(&e.rec)
	}
}

func (e *Engine) emit(ev *event.Event) {
	if e.replaying {
		return
	}
	if e.cfg.Emit != nil {
		e.cfg.Emit(ev)
	}
	if e.cfg.Shared != nil && !ev.Restored && !e.remote {
		e.cfg.Shared.Publish(context.Background(), ev)
	}
}

// Extending reports, during Emit, whether the ban being emitted extends a
// running ban (an update) rather than starting one.
func (e *Engine) Extending() bool { return e.extending }

// Remote runs f (calls of [Engine.Ban] or [Engine.Unban] for decisions
// that came from the fleet) without publishing its events again.
func (e *Engine) Remote(f func()) {
	e.remote = true
	defer func() { e.remote = false }()
	f()
}

// failureID returns the id of a failure and its address.
func (e *Engine) failureID(ev *event.Event) (id string, addr netip.Addr, hasAddr bool, ip netip.Prefix) {
	if ev.HostID() {
		// an <F-ID>: counted under its text; its ban carries the address
		a, ok := ev.Addr()
		return ev.Host, a, ok, ev.IP
	}
	if ev.IP.IsValid() {
		ip = ev.IP
		if a, ok := ev.Addr(); ok {
			addr, hasAddr = a, true
		}
		return event.FormatPrefix(ip), addr, hasAddr, ip
	}
	return ev.Host, netip.Addr{}, false, ip
}

// Failure counts one failure event and emits the bans it causes.
func (e *Engine) Failure(ev *event.Event) {
	j := e.jail(ev.Jail)
	t := ev.Time.UnixNano()
	if !e.cfg.Live {
		t = e.clamp(j, t, ev.Lineno)
	}
	e.setNow(t, ev.Time.Location())
	e.tick()
	var id string
	var addr netip.Addr
	var hasAddr bool
	var ip netip.Prefix
	var tk *ticket
	hostID := ev.Host != "" && ev.HostID()
	var first netip.Addr // with an <F-ID> that is an address: the failure's own address
	if hostID {
		if p, err := event.ParseIP(ev.Host); err == nil && p.IsSingleIP() {
			// fail2ban's id is then that address: the failure shares its
			// window, and the ban carries the address of the window's
			// first failure (its ticket's ip)
			first, _ = ev.Addr()
			hostID = false
			ev = &event.Event{Time: ev.Time, Jail: ev.Jail, IP: p, Lineno: ev.Lineno}
		}
	}
	if a, ok := ev.Addr(); ok && !hostID {
		// Look the id up without allocating when the window exists.
		addr, hasAddr, ip = a, true, ev.IP
		if p, wide := j.cfg.Settings.countPrefix(a); wide && e.prefixAllowed(j, p) {
			ip = p
			if tk = j.pget(p); tk != nil {
				id = tk.id
			} else {
				id = p.String()
			}
		} else if tk = j.aget(a); tk != nil {
			id = tk.id
		} else {
			id = a.String()
		}
	} else {
		id, addr, hasAddr, ip = e.failureID(ev)
		if hostID || !ip.IsValid() {
			tk = j.tickets[id]
		} else {
			tk = j.get(id)
		}
		if ip.IsValid() && !ip.IsSingleIP() && !hostID && !e.prefixAllowed(j, ip) {
			// a prefix from the event (<SUBNET>, <CIDR>) that covers what
			// must stay reachable: told once, never counted
			j.st.Ignored++
			e.journal(Record{Kind: RecSeen, Jail: j.name, ID: id, Seen: t, Lineno: ev.Lineno})
			return
		}
	}
	if j.dup(t, id, ev.Lineno) {
		j.st.Duplicates++
		return
	}
	j.observe(t, id, ev.Lineno)
	seen, lineno := t, ev.Lineno

	if hasAddr && (addr.IsLoopback() || addr.IsUnspecified()) {
		e.ignored(j, id, seen, lineno, "loopback")
		return
	}
	if j.cfg.Ignore != nil {
		if ok, src := j.cfg.Ignore.Ignored(id, addr, hasAddr); ok {
			e.ignored(j, id, seen, lineno, src)
			return
		}
	}
	s := &j.cfg.Settings
	findtime := int64(s.FindTime)
	if e.cfg.Live && t < e.now-findtime {
		j.st.Stale++
		e.journal(Record{Kind: RecSeen, Jail: j.name, ID: id, Seen: seen, Lineno: lineno})
		return
	}
	// An event more than 60 s away from now counts as happening now.
	if d := (t - e.now) / int64(time.Second); d < -60 || d > 60 {
		t = e.now
	}
	j.st.Failures++

	if e.cfg.Shared != nil {
		// one shared decision per failure, keyed by the id: a counted
		// prefix shares its window across the fleet as an address does
		ban, n, err := e.cfg.Shared.Failure(context.Background(), j.name, id, time.Unix(0, t), 1, s.MaxRetry, s.FindTime)
		if err == nil {
			if ban {
				e.decide(j, nil, id, ip, t, n, seen, lineno, keepMatches(nil, ev.Matches, s.MaxMatches))
			} else {
				e.journal(Record{Kind: RecSeen, Jail: j.name, ID: id, Seen: seen, Lineno: lineno})
			}
			return
		}
	}

	switch {
	case tk == nil:
		tk = &ticket{j: j, id: id, first: t, last: t, retry: 1, fails: 1}
		switch {
		case hostID:
			tk.addr = addr // the first failure's address goes with the ban, as fail2ban's ticket keeps it
		case ip.IsValid() && !ip.IsSingleIP() && hasAddr:
			tk.addr = ip.Addr() // a counted prefix: put keys it by its first address
		case hasAddr:
			tk.addr = addr
			if first.IsValid() && first != addr {
				j.setFirst(tk, first)
			}
		}
		e.put(tk)
		e.ntickets++
		e.enqueue(tk)
	case tk.retry == 0 || tk.last < e.now-findtime:
		// A window that ended in a ban, or went stale: start it again in
		// place (no map churn).
		tk.first, tk.last, tk.retry, tk.fails = t, t, 1, 1
		tk.matches = tk.matches[:0]
		if hostID {
			tk.addr = addr // a new ticket in fail2ban: its first address
		} else if j.first != nil {
			delete(j.first, tk)
			if first.IsValid() && first != addr {
				j.setFirst(tk, first)
			}
		}
	default:
		if t > tk.last {
			if tk.first < t-findtime {
				r := float64(tk.retry) / (float64(t-tk.first) / 1e9) * s.FindTime.Seconds()
				tk.retry = int64(math.RoundToEven(r))
				tk.first = t - findtime
			}
			tk.last = t
		}
		tk.retry++
		tk.fails++
	}
	if len(ev.Matches) > 0 && s.MaxMatches > 0 {
		tk.matches = keepMatches(tk.matches, ev.Matches, s.MaxMatches)
	}
	candidate := tk.retry >= int64(s.MaxRetry)
	if !candidate && s.Increment.Enabled {
		// A known offender's failure weighs more: 2, 3, 5, 9, ...
		if r := e.row(j.name, id); r != nil && t > r.time*int64(time.Second) {
			k := min(int64(1)<<min(r.count, 20)/2+1, int64(s.MaxRetry))
			if k > 1 {
				tk.retry += k - 1
				tk.fails++
				candidate = tk.retry >= int64(s.MaxRetry)
			}
		}
	}
	if !candidate {
		e.journal(Record{Kind: RecTicket, Jail: j.name, ID: id, Seen: seen, Lineno: lineno,
			First: tk.first, Last: tk.last, Retry: tk.retry, Fails: tk.fails})
		e.evict()
		return
	}
	last, fails, matches := tk.last, int(tk.fails), tk.matches
	tk.retry, tk.fails = 0, 0 // spent: the next failure starts a new window
	tk.matches = nil          // the ban keeps them
	if hostID && tk.addr.IsValid() {
		ip = netip.PrefixFrom(tk.addr, tk.addr.BitLen())
	}
	if a, ok := j.first[tk]; ok {
		ip = netip.PrefixFrom(a, a.BitLen())
	}
	e.decide(j, tk, id, ip, last, fails, seen, lineno, matches)
}

// keepMatches appends add to kept and keeps the last max lines, reusing
// kept's array.
func keepMatches(kept, add []string, max int) []string {
	if max <= 0 || len(add) == 0 {
		return kept
	}
	if len(add) >= max {
		return append(kept[:0], add[len(add)-max:]...)
	}
	if over := len(kept) + len(add) - max; over > 0 {
		n := copy(kept, kept[over:])
		kept = kept[:n]
	}
	return append(kept, add...)
}

func (e *Engine) ignored(j *jail, id string, seen, lineno int64, src string) {
	j.st.Ignored++
	e.journal(Record{Kind: RecSeen, Jail: j.name, ID: id, Seen: seen, Lineno: lineno})
	if e.cfg.OnIgnore != nil {
		e.cfg.OnIgnore(j.name, id, src)
	}
}

func (e *Engine) evict() {
	for e.ntickets > e.maxTracked {
		t := e.oldest()
		if t.retry > 0 {
			// A window being counted is lost; a spent one (its id was
			// banned) is only memory.
			e.evictions++
		}
		e.journal(Record{Kind: RecDrop, Jail: t.j.name, ID: t.id})
		e.unlinkTicket(t)
	}
}

func (e *Engine) dropTicket(t *ticket) { e.unlinkTicket(t) }

// get returns the window of id, or nil.
func (j *jail) get(id string) *ticket {
	if a, err := netip.ParseAddr(id); err == nil && a.Zone() == "" {
		return j.aget(a.Unmap())
	}
	if p, err := netip.ParsePrefix(id); err == nil {
		if tk := j.ptickets[p.Masked().Addr()]; tk != nil && tk.id == id {
			return tk
		}
	}
	return j.tickets[id]
}

// pget returns the window of counted prefix p, or nil.
func (j *jail) pget(p netip.Prefix) *ticket {
	tk := j.ptickets[p.Addr()]
	if tk != nil && !prefixText(tk.id, p) {
		// a window of another length (the prefix length changed between
		// runs) that starts at the same address: not this prefix's
		return nil
	}
	return tk
}

// prefixText reports whether s is the text of p (no allocation).
func prefixText(s string, p netip.Prefix) bool {
	var buf [64]byte
	var b []byte
	if p.IsSingleIP() {
		b = p.Addr().AppendTo(buf[:0])
	} else {
		b = p.AppendTo(buf[:0])
	}
	return string(b) == s
}

// setFirst remembers the address a ban of t carries when it is not t's
// own (an <F-ID> naming another address opened the window).
func (j *jail) setFirst(t *ticket, a netip.Addr) {
	if j.first == nil {
		j.first = make(map[*ticket]netip.Addr)
	}
	j.first[t] = a
}

// isPrefix reports whether t is the window of a counted prefix.
func (t *ticket) isPrefix() bool {
	return t.addr.IsValid() && strings.IndexByte(t.id, '/') >= 0
}

// byHost reports whether t is the window of a host id (an <F-ID>) whose
// addr is the address of its first failure (fail2ban bans that one).
func (t *ticket) byHost() bool {
	return t.addr.IsValid() && !t.isPrefix() && !prefixText(t.id, netip.PrefixFrom(t.addr, t.addr.BitLen()))
}

// aget returns the window of address a.
func (j *jail) aget(a netip.Addr) *ticket {
	if a.Is4() {
		return j.v4[v4key(a)]
	}
	return j.atickets[a]
}

func v4key(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func (e *Engine) put(t *ticket) {
	j := t.j
	switch {
	case t.byHost():
		j.tickets[t.id] = t
	case t.isPrefix():
		if old := j.ptickets[t.addr]; old != nil && old != t {
			// another length's window at the same address (the prefix
			// length changed between runs): forgotten
			e.journal(Record{Kind: RecDrop, Jail: j.name, ID: old.id})
			e.unlinkTicket(old)
		}
		j.ptickets[t.addr] = t
	case t.addr.Is4():
		j.v4[v4key(t.addr)] = t
	case t.addr.IsValid():
		j.atickets[t.addr] = t
	default:
		j.tickets[t.id] = t
	}
}

func (e *Engine) unlinkTicket(t *ticket) {
	switch {
	case t.byHost():
		delete(t.j.tickets, t.id)
	case t.isPrefix():
		if j := t.j; j.ptickets[t.addr] == t {
			delete(j.ptickets, t.addr)
		}
	case t.addr.Is4():
		delete(t.j.v4, v4key(t.addr))
	case t.addr.IsValid():
		delete(t.j.atickets, t.addr)
	default:
		delete(t.j.tickets, t.id)
	}
	t.stamp = 0
	if t.j.first != nil {
		delete(t.j.first, t)
	}
	e.ntickets--
}

// enqueue adds a new window to the queue of windows by last failure. Only
// new windows are appended; a window failing again keeps its place, and is
// moved to the back when it reaches the front (see oldest), so the hot path
// touches no queue memory.
func (e *Engine) enqueue(t *ticket) {
	e.tseq++
	t.stamp = e.tseq
	e.queue = append(e.queue, touch{t, e.tseq, t.last})
}

// front returns the first valid queue entry, dropping entries of windows
// that are gone.
func (e *Engine) front() *touch {
	for e.qhead < len(e.queue) {
		q := &e.queue[e.qhead]
		if q.t.stamp == q.stamp {
			return q
		}
		e.pop()
	}
	return nil
}

func (e *Engine) pop() {
	e.queue[e.qhead] = touch{}
	e.qhead++
	if e.qhead == len(e.queue) {
		e.queue, e.qhead = e.queue[:0], 0
	} else if e.qhead > 4096 && e.qhead > len(e.queue)/2 {
		n := copy(e.queue, e.queue[e.qhead:])
		clear(e.queue[n:])
		e.queue, e.qhead = e.queue[:n], 0
	}
}

// oldest returns the window whose last failure is the oldest, or nil;
// windows that failed again since they were queued go to the back on the
// way.
func (e *Engine) oldest() *ticket {
	for q := e.front(); q != nil; q = e.front() {
		t := q.t
		if t.last <= q.last || t.retry == 0 {
			return t
		}
		e.pop()
		e.queue = append(e.queue, touch{t, t.stamp, t.last})
	}
	return nil
}

// row returns the history row of id in jail.
func (e *Engine) row(jail, id string) *histRow {
	for _, r := range e.history[id] {
		if r.jail == jail {
			return r
		}
	}
	return nil
}

// pastBans returns the ban count that the increment uses: the jail's row,
// or with overalljails the sum over every jail.
func (e *Engine) pastBans(j *jail, id string) int {
	if !j.cfg.Settings.Increment.OverallJails {
		if r := e.row(j.name, id); r != nil {
			return r.count
		}
		return 0
	}
	n := 0
	for _, r := range e.history[id] {
		n += r.count
	}
	return n
}

// decide applies a ban candidate whose last failure was at last; tk is its
// window when there is one (it remembers the id's ban: no lookup by id
// when the ban is extended).
func (e *Engine) decide(j *jail, tk *ticket, id string, ip netip.Prefix, last int64, fails int, seen, lineno int64, matches []string) {
	s := &j.cfg.Settings
	perm := s.BanTime < 0
	base := int64(s.BanTime)
	if !perm && last+base < e.now {
		j.st.Expired++
		e.journal(Record{Kind: RecDrop, Jail: j.name, ID: id, Seen: seen, Lineno: lineno})
		return
	}
	var b *ban
	if tk != nil && tk.ban != nil && !tk.ban.gone {
		b = tk.ban
	} else {
		b = j.bans[id]
		if tk != nil {
			tk.ban = b
		}
	}
	if b != nil {
		switch {
		case b.end == 0:
			e.journal(Record{Kind: RecDrop, Jail: j.name, ID: id, Seen: seen, Lineno: lineno})
			return
		case perm:
			b.end, b.bantime = 0, -1
		case last+base > b.end:
			b.end = last + base
			b.bantime = (b.end - b.start) / int64(time.Second)
		default:
			e.journal(Record{Kind: RecDrop, Jail: j.name, ID: id, Seen: seen, Lineno: lineno})
			return
		}
		b.fails = fails
		if len(matches) > 0 {
			b.matches = matches
		}
		j.st.Extended++
		e.journalBan(b, true, seen, lineno)
		e.extending = true
		e.emitBan(b, false)
		e.extending = false
		return
	}
	byHost := ip.IsValid() && !prefixText(id, ip)
	if ip.IsValid() {
		if err := j.guard(ip); err != nil {
			// what must stay reachable is never banned, whatever counted
			// it (an event's prefix, an <F-ID>'s address, ignoreself off)
			e.refused(j, ip, err)
			e.journal(Record{Kind: RecDrop, Jail: j.name, ID: id, Seen: seen, Lineno: lineno})
			return
		}
		if !byHost && j.covered(ip) {
			// inside a running prefix ban of the jail: nothing to add
			e.journal(Record{Kind: RecDrop, Jail: j.name, ID: id, Seen: seen, Lineno: lineno})
			return
		}
	}
	b = e.newBan(j, tk, id, ip, byHost, last, s.BanTime, fails, seen, lineno, matches)
	e.escalate(b)
}

// newBan makes, records and emits a ban of id (ip: its address or prefix)
// starting at start with base ban time base (scaled by the increment).
func (e *Engine) newBan(j *jail, tk *ticket, id string, ip netip.Prefix, byHost bool, start int64, base time.Duration, fails int, seen, lineno int64, matches []string) *ban {
	s := &j.cfg.Settings
	count, bt := 1, int64(-1)
	if base >= 0 {
		sec := base.Seconds()
		if in := &s.Increment; in.Enabled && base > 0 {
			if c := e.pastBans(j, id); c > 0 {
				count = c + 1
				sec = s.banTimeFor(sec, c)
				if in.RndTime > 0 {
					sec += e.cfg.Rand() * in.RndTime.Seconds()
				}
			}
		}
		bt = int64(sec)
	}
	e.seq++
	b := &ban{j: j, id: id, ip: ip, start: start, bantime: bt, count: count, fails: fails, seq: e.seq, idx: -1, byHost: byHost, matches: matches}
	if tk != nil {
		tk.ban = b
	}
	if bt >= 0 {
		b.end = start + bt*int64(time.Second)
	}
	e.addBan(b)
	j.st.Bans++
	e.journalBan(b, false, seen, lineno)
	e.emitBan(b, false)
	return b
}

func (e *Engine) addBan(b *ban) {
	b.j.bans[b.id] = b
	if b.end != 0 {
		b.hend = b.end
		heap.Push(&e.expiry, b)
	}
	e.index(b)
	e.writeRow(b.j.name, b.id, b.count, b.start, b.bantime)
}

// writeRow records a ban in the history unless that would move it back.
func (e *Engine) writeRow(jail, id string, count int, start, bantime int64) {
	sec := int64(math.RoundToEven(float64(start) / 1e9))
	rows := e.history[id]
	for _, r := range rows {
		if r.jail == jail {
			if sec < r.time {
				return
			}
			r.count, r.time, r.bantime = count, sec, bantime
			return
		}
	}
	e.history[id] = append(rows, &histRow{jail: jail, count: count, time: sec, bantime: bantime})
}

func (e *Engine) journalBan(b *ban, extend bool, seen, lineno int64) {
	if e.cfg.Journal == nil || e.replaying {
		return
	}
	e.rec = Record{Kind: RecBan, Jail: b.j.name, ID: b.id, Seen: seen, Lineno: lineno, Start: b.start,
		End: b.end, Bantime: b.bantime, Count: int64(b.count), Fails: int64(b.fails), Seq: b.seq, Extend: extend}
	if b.ip.IsValid() {
		e.rec.IP = b.id // the id of an address is its text (no formatting per ban)
		if b.byHost {
			e.rec.IP = fmtPrefix(b.ip)
		}
	}
	e.cfg.Journal.Append(&e.rec)
}

func (e *Engine) emitBan(b *ban, restored bool) {
	ev := &e.ev
	*ev = event.Event{Action: event.ActionBan, Time: e.nowTime(), Jail: b.j.name, Failures: b.fails,
		Bantime: b.bantime, Bancount: b.count, Restored: restored}
	if !restored {
		ev.Matches = b.matches
	}
	if b.ip.IsValid() {
		ev.IP = b.ip
	}
	if !b.ip.IsValid() || b.byHost {
		ev.Host = b.id
	}
	if b.end != 0 {
		ev.Until = time.Unix(0, b.end).In(e.loc)
	}
	e.emit(ev)
}

// delBan removes b from its jail's bans.
func (j *jail) delBan(b *ban) {
	delete(j.bans, b.id)
	b.gone = true
}

func (e *Engine) unban(b *ban, reason string) {
	b.j.delBan(b)
	e.unindex(b)
	if b.idx >= 0 {
		heap.Remove(&e.expiry, b.idx)
	}
	b.j.st.Unbans++
	e.journal(Record{Kind: RecUnban, Jail: b.j.name, ID: b.id, Reason: reason})
	ev := &e.ev
	*ev = event.Event{Action: event.ActionUnban, Time: e.nowTime(), Jail: b.j.name, Reason: reason}
	if b.ip.IsValid() {
		ev.IP = b.ip
	}
	if !b.ip.IsValid() || b.byHost {
		ev.Host = b.id
	}
	e.emit(ev)
}

// Restore emits the bans loaded from the state: those still running with
// "restored":true, the expired ones as unbans. Call it after loading.
func (e *Engine) Restore() {
	e.setNow(0, nil)
	e.expire()
	for _, b := range e.sortedBans("") {
		e.emitBan(b, true)
	}
}

func (e *Engine) sortedBans(jail string) []*ban {
	var bs []*ban
	for _, j := range e.jails {
		if jail != "" && j.name != jail {
			continue
		}
		for _, b := range j.bans {
			bs = append(bs, b)
		}
	}
	sort.Slice(bs, func(a, c int) bool { return bs[a].seq < bs[c].seq })
	return bs
}

// Adopt applies a ban or unban decided on another host of the fleet (read
// from [Shared.Subscribe]) and emits it, without publishing it again. A ban
// keeps its until, bantime, bancount and failures, and forgets the id's
// local window; a ban already held here with an end no earlier (or
// permanent) changes nothing, one held with an earlier end is extended;
// a ban whose end has passed is ignored. An unban ends the id's ban here
// and forgets its window. Adopt reports whether anything changed.
func (e *Engine) Adopt(ev *event.Event) bool {
	if ev.Jail == "" || (!ev.IP.IsValid() && ev.Host == "") {
		return false
	}
	j := e.jail(ev.Jail)
	e.setNow(0, nil)
	e.tick()
	now := e.now
	if now == 0 {
		// the log clock before any event: the wall clock tells whether
		// the ban still runs, without moving the log's time
		now = e.cfg.Clock().UnixNano()
	}
	id := ev.ID()
	e.remote = true
	defer func() { e.remote = false }()
	switch ev.Action {
	case event.ActionUnban:
		changed := false
		if tk := j.get(id); tk != nil {
			e.journal(Record{Kind: RecDrop, Jail: j.name, ID: id})
			e.unlinkTicket(tk)
			changed = true
		}
		if b := j.bans[id]; b != nil {
			reason := ev.Reason
			if reason == "" {
				reason = "manual"
			}
			e.unban(b, reason)
			j.st.Fleet++
			changed = true
		}
		return changed
	case event.ActionBan:
	default:
		return false
	}
	if err := j.refuse(id, ev.IP); err != nil {
		// Another host's ignore list, own addresses and admin are not
		// this one's: never ban what this host would not.
		j.st.Refused++
		if e.cfg.OnRefuse != nil {
			e.cfg.OnRefuse(j.name, id, fmt.Errorf("a ban from the fleet: %w", err))
		}
		return false
	}
	var end, bantime int64
	switch {
	case ev.Bantime == -1:
		bantime = -1
	case !ev.Until.IsZero():
		end = ev.Until.UnixNano()
		bantime = max(ev.Bantime, 0)
	case ev.Bantime > 0:
		end = ev.Time.Add(time.Duration(ev.Bantime) * time.Second).UnixNano()
		bantime = ev.Bantime
	default:
		return false
	}
	if end != 0 && end <= now {
		return false
	}
	if tk := j.get(id); tk != nil {
		e.journal(Record{Kind: RecDrop, Jail: j.name, ID: id})
		e.unlinkTicket(tk)
	}
	if b := j.bans[id]; b != nil {
		if b.end == 0 || (end != 0 && b.end >= end) {
			return false
		}
		b.end, b.bantime = end, bantime
		if end != 0 {
			b.bantime = (end - b.start) / int64(time.Second)
		}
		b.count, b.fails = max(b.count, ev.Bancount), max(b.fails, ev.Failures)
		j.st.Fleet++
		e.journalBan(b, true, 0, 0)
		e.extending = true
		e.emitBan(b, ev.Restored)
		e.extending = false
		return true
	}
	start := now
	if end != 0 {
		start = min(end-bantime*int64(time.Second), now)
		bantime = (end - start) / int64(time.Second)
	}
	e.seq++
	b := &ban{j: j, id: id, ip: ev.IP, start: start, end: end, bantime: bantime,
		count: max(ev.Bancount, 1), fails: ev.Failures, seq: e.seq, idx: -1,
		byHost: ev.IP.IsValid() && !prefixText(id, ev.IP)}
	e.addBan(b)
	j.st.Fleet++
	e.journalBan(b, false, 0, 0)
	e.emitBan(b, ev.Restored)
	// no escalation here: the host that decided the last ban escalates
	// and publishes the prefix ban and the unbans, adopted in turn
	return true
}

// Errors of the control operations.
var (
	ErrBanned    = errors.New("already banned")
	ErrNotBanned = errors.New("not banned")
	ErrIgnored   = errors.New("on the ignore list")
)

// refuse says why id (with its address or prefix ip, when it has one) must
// not be banned in j: the jail's guard (every address, loopback, the
// unspecified address, the machine's own addresses, the admin's SSH client
// and the ignore list, alone or inside a prefix), or the ignore list for
// the id itself. Manual bans and bans adopted from other hosts of a fleet
// go through it, as failures go through the ignore list.
func (j *jail) refuse(id string, ip netip.Prefix) error {
	if ip.IsValid() {
		if err := j.guard(ip); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
	}
	if j.cfg.Ignore != nil && (!ip.IsValid() || ip.IsSingleIP()) {
		var a netip.Addr
		if ip.IsValid() {
			a = ip.Addr()
		}
		if ok, src := j.cfg.Ignore.Ignored(id, a, a.IsValid()); ok {
			return fmt.Errorf("%s: %w (%s)", id, ErrIgnored, src)
		}
	}
	return nil
}

// Ban bans id (an address, a prefix or a host id) in jail by hand, as
// fail2ban-client's banip does: the ban starts now with the jail's ban time
// (and its increment). Loopback, unspecified and ignored addresses, and
// prefixes that cover them, are refused.
func (e *Engine) Ban(jailName, id string) (BanInfo, error) {
	j := e.jail(jailName)
	e.setNow(0, nil)
	if e.now == 0 {
		e.now = e.cfg.Clock().UnixNano()
	}
	e.tick()
	var ip netip.Prefix
	if p, err := event.ParseIP(id); err == nil {
		ip = p
		id = event.FormatPrefix(p)
	}
	if err := j.refuse(id, ip); err != nil {
		return BanInfo{}, err
	}
	if j.bans[id] != nil {
		return BanInfo{}, fmt.Errorf("%s in %s: %w", id, jailName, ErrBanned)
	}
	if tk := j.get(id); tk != nil {
		e.unlinkTicket(tk)
	}
	e.decide(j, nil, id, ip, e.now, j.cfg.Settings.MaxRetry, 0, 0, nil)
	b := j.bans[id]
	if b == nil {
		return BanInfo{}, fmt.Errorf("%s: not banned", id)
	}
	return e.info(b), nil
}

// Unban ends the ban of id in jail (every jail when jail is ""), and
// forgets its failure window, so it is banned again only after maxretry
// new failures. It returns the bans ended.
func (e *Engine) Unban(jailName, id string) ([]BanInfo, error) {
	if p, err := event.ParseIP(id); err == nil {
		id = event.FormatPrefix(p)
	}
	e.setNow(0, nil)
	var out []BanInfo
	for _, j := range e.jailList(jailName) {
		if tk := j.get(id); tk != nil {
			e.journal(Record{Kind: RecDrop, Jail: j.name, ID: id})
			e.unlinkTicket(tk)
		}
		if b := j.bans[id]; b != nil {
			out = append(out, e.info(b))
			e.unban(b, "manual")
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", id, ErrNotBanned)
	}
	return out, nil
}

// UnbanAll ends every ban of jail (every jail when jail is "").
func (e *Engine) UnbanAll(jailName string) []BanInfo {
	e.setNow(0, nil)
	var out []BanInfo
	for _, b := range e.sortedBans(jailName) {
		out = append(out, e.info(b))
		if tk := b.j.get(b.id); tk != nil {
			e.journal(Record{Kind: RecDrop, Jail: b.j.name, ID: b.id})
			e.unlinkTicket(tk)
		}
		e.unban(b, "manual")
	}
	return out
}

func (e *Engine) jailList(name string) []*jail {
	if name != "" {
		return []*jail{e.jail(name)}
	}
	js := make([]*jail, 0, len(e.jails))
	for _, j := range e.jails {
		js = append(js, j)
	}
	sort.Slice(js, func(a, b int) bool { return js[a].name < js[b].name })
	return js
}

func (e *Engine) info(b *ban) BanInfo {
	bi := BanInfo{Jail: b.j.name, ID: b.id, IP: b.ip, Start: time.Unix(0, b.start).In(e.loc),
		Bantime: b.bantime, Count: b.count, Failures: b.fails}
	if b.end != 0 {
		bi.End = time.Unix(0, b.end).In(e.loc)
	}
	return bi
}

// WindowInfo describes a failure window being counted.
type WindowInfo struct {
	ID       string    `json:"id"`
	Retry    int64     `json:"retry"`
	Failures int64     `json:"failures"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// JailStatus is one jail's state.
type JailStatus struct {
	Name     string       `json:"jail"`
	Settings Settings     `json:"-"`
	Stats    Stats        `json:"totals"`
	Counting int          `json:"counting"` // failure windows alive
	Windows  []WindowInfo `json:"windows,omitempty"`
	Banned   []BanInfo    `json:"banned"`
}

// Status returns the state of jail (every jail when jail is ""), with at
// most maxWindows failure windows each (the most recent).
func (e *Engine) Status(jailName string, maxWindows int) []JailStatus {
	e.setNow(0, nil)
	var out []JailStatus
	for _, j := range e.jailList(jailName) {
		js := JailStatus{Name: j.name, Settings: j.cfg.Settings, Stats: j.st, Banned: []BanInfo{}}
		ft := int64(j.cfg.Settings.FindTime)
		// Count the live windows and keep the maxWindows most recent (a
		// small sorted slice: status stays O(n) under the lock).
		var top []*ticket
		consider := func(t *ticket) {
			if t.retry == 0 || t.last < e.now-ft {
				return
			}
			js.Counting++
			if maxWindows <= 0 {
				return
			}
			if len(top) == maxWindows && t.last <= top[len(top)-1].last {
				return
			}
			i := sort.Search(len(top), func(i int) bool { return top[i].last < t.last })
			if len(top) < maxWindows {
				top = append(top, nil)
			}
			copy(top[i+1:], top[i:])
			top[i] = t
		}
		for _, t := range j.tickets {
			consider(t)
		}
		for _, t := range j.atickets {
			consider(t)
		}
		for _, t := range j.v4 {
			consider(t)
		}
		for _, t := range j.ptickets {
			consider(t)
		}
		for _, t := range top {
			js.Windows = append(js.Windows, WindowInfo{ID: t.id, Retry: t.retry, Failures: t.fails,
				First: time.Unix(0, t.first).In(e.loc), Last: time.Unix(0, t.last).In(e.loc)})
		}
		for _, b := range e.sortedBans(j.name) {
			js.Banned = append(js.Banned, e.info(b))
		}
		out = append(out, js)
	}
	return out
}

// Evictions returns how many failure windows the cap evicted.
func (e *Engine) Evictions() int64 { return e.evictions }

// Tracked returns the number of failure windows held.
func (e *Engine) Tracked() int { return e.ntickets }

// NextExpiry returns when the next ban ends, if any ban has an end.
func (e *Engine) NextExpiry() (time.Time, bool) {
	if len(e.expiry) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, e.expiry[0].hend), true
}

type banHeap []*ban

func (h banHeap) Len() int { return len(h) }
func (h banHeap) Less(a, b int) bool {
	if h[a].hend != h[b].hend {
		return h[a].hend < h[b].hend
	}
	return h[a].seq < h[b].seq
}
func (h banHeap) Swap(a, b int) {
	h[a], h[b] = h[b], h[a]
	h[a].idx, h[b].idx = a, b
}
func (h *banHeap) Push(x any) {
	b := x.(*ban)
	b.idx = len(*h)
	*h = append(*h, b)
}
func (h *banHeap) Pop() any {
	old := *h
	b := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	b.idx = -1
	return b
}

// JailTotals are a jail's counters and the number of its bans running.
type JailTotals struct {
	Name   string
	Stats  Stats
	Banned int
}

// Totals returns every jail's totals, sorted by name: cheap (no list of
// bans or windows), for metrics scraped while the engine runs.
func (e *Engine) Totals() []JailTotals {
	out := make([]JailTotals, 0, len(e.jails))
	for _, j := range e.jailList("") {
		out = append(out, JailTotals{Name: j.name, Stats: j.st, Banned: len(j.bans)})
	}
	return out
}
