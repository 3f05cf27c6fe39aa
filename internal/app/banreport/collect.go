package banreport

import (
	"net/netip"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
)

// Bounds of the collector's memory, whatever the size of the input.
const (
	sketchSize   = 10000   // counters per top list (Space-Saving)
	maxJails     = 64      // jails counted by name; the rest are "(other jails)"
	maxSeries    = 12      // jails drawn over time; the rest are "(other)"
	maxRunning   = 1 << 18 // running bans remembered to tell extensions from new bans
	repeatTable  = 1000    // ids kept for the repeat offenders
	otherJails   = "(other jails)"
	otherSeries  = "(other)"
	offenceSlots = 5 // bans by offence number: 1st, 2nd, 3rd, 4th, 5th and later
)

// Ban lengths, the upper bounds (seconds, exclusive) of the histogram classes.
const nLengths = 5

var banLengths = [nLengths]struct {
	upTo  int64
	label string
}{{600, "under 10 min"}, {3600, "10 min to 1 h"}, {86400, "1 h to 1 day"}, {7 * 86400, "1 day to 1 week"}, {1 << 62, "1 week or more"}}

// id is what a failure or ban blames: an address or prefix, or a host name
// or other id when there is no address.
type id struct {
	ip   netip.Prefix
	host string
}

func (k id) String() string {
	if k.ip.IsValid() {
		return event.FormatPrefix(k.ip)
	}
	return k.host
}

func compareID(a, b id) int {
	if a.ip.IsValid() != b.ip.IsValid() {
		if a.ip.IsValid() {
			return -1
		}
		return 1
	}
	if c := a.ip.Addr().Compare(b.ip.Addr()); c != 0 {
		return c
	}
	if a.ip.Bits() != b.ip.Bits() {
		return a.ip.Bits() - b.ip.Bits()
	}
	switch {
	case a.host < b.host:
		return -1
	case a.host > b.host:
		return 1
	}
	return 0
}

func compareString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type jailCount struct {
	failures, bans, extensions, restored, unbans, fwErrors int64
}

type runKey struct {
	jail string
	id   id
}

type running struct {
	bancount int
	until    int64 // unix seconds; 0 for permanent or unknown
}

type offender struct {
	jail string    // jail of the latest ban
	last time.Time // time of the latest ban
	bans int64     // ban events since the id entered the table
}

// collector aggregates events in bounded memory.
type collector struct {
	loc          *time.Location
	first, last  time.Time
	events       int64
	failures     int64
	bans         int64 // new bans (not extensions, not restored)
	extensions   int64 // ban events that moved the end of a running ban
	restored     int64
	unbans       int64
	fwErrors     int64 // fwban results with "applied":false
	undated      int64 // events without a time
	jails        map[string]*jailCount
	seriesNames  map[string]bool
	timeline     *timeline
	addrs        *topK[id]           // failures per id
	nets         *topK[netip.Prefix] // failures per /24 or /64
	users        *topK[string]       // failures per user name
	banned       *topK[id]           // new bans per id
	offenders    *topMax[id, offender]
	running      map[runKey]running
	distinctAddr *distinct
	distinctUser *distinct
	hours        [24]int64
	lengths      [nLengths + 2]int64     // then permanent, then unknown
	offences     [offenceSlots + 1]int64 // 1st..5th+, then unknown
	withUser     int64
}

func newCollector(loc *time.Location) *collector {
	return &collector{
		loc:          loc,
		jails:        make(map[string]*jailCount),
		seriesNames:  make(map[string]bool),
		timeline:     newTimeline(),
		addrs:        newTopK[id](sketchSize),
		nets:         newTopK[netip.Prefix](sketchSize),
		users:        newTopK[string](sketchSize),
		banned:       newTopK[id](sketchSize),
		offenders:    newTopMax[id, offender](repeatTable),
		running:      make(map[runKey]running),
		distinctAddr: newDistinct(),
		distinctUser: newDistinct(),
	}
}

func (c *collector) jail(name string) *jailCount {
	j := c.jails[name]
	if j == nil {
		if len(c.jails) >= maxJails {
			name = otherJails
			if j = c.jails[name]; j != nil {
				return j
			}
		}
		j = &jailCount{}
		c.jails[name] = j
	}
	return j
}

// seriesName is the name jail is drawn under over time.
func (c *collector) seriesName(jail string) string {
	if c.seriesNames[jail] {
		return jail
	}
	if len(c.seriesNames) < maxSeries {
		c.seriesNames[jail] = true
		return jail
	}
	return otherSeries
}

// network is the /24 of an IPv4 address or the /64 of an IPv6 one (a
// shorter prefix stays as it is).
func network(p netip.Prefix) netip.Prefix {
	bits := 24
	if p.Addr().Is6() {
		bits = 64
	}
	if p.Bits() <= bits {
		return p
	}
	n, _ := p.Addr().Prefix(bits)
	return n
}

// add counts e.
func (c *collector) add(e *event.Event) {
	c.events++
	if !e.Time.IsZero() {
		if c.first.IsZero() || e.Time.Before(c.first) {
			c.first = e.Time
		}
		if e.Time.After(c.last) {
			c.last = e.Time
		}
	} else {
		c.undated++
	}
	j := c.jail(e.Jail)
	if e.Applied != nil && !*e.Applied {
		c.fwErrors++
		j.fwErrors++
	}
	k := id{ip: e.IP, host: e.Host}
	if k.ip.IsValid() {
		k.host = ""
	}
	switch e.Action {
	case "":
		c.failure(e, j, k)
	case event.ActionBan:
		c.ban(e, j, k)
	case event.ActionUnban:
		c.unbans++
		j.unbans++
		delete(c.running, runKey{e.Jail, k})
	}
}

func (c *collector) failure(e *event.Event, j *jailCount, k id) {
	c.failures++
	j.failures++
	c.addrs.add(k, 1)
	if k.ip.IsValid() {
		c.nets.add(network(k.ip), 1)
		c.distinctAddr.add(hashPrefix(k.ip))
	} else {
		c.distinctAddr.add(hashString(k.host))
	}
	// user is the name tried in this failure; users (the distinct names of
	// a multi-line failure, or those an address tried so far) count only
	// when there is no user.
	if u := e.Captures["user"]; u != "" {
		c.user(u)
		c.withUser++
	} else if len(e.Users) > 0 {
		for _, u := range e.Users {
			c.user(u)
		}
		c.withUser++
	}
	if !e.Time.IsZero() {
		c.timeline.add(c.seriesName(e.Jail), e.Time, false)
		lt := e.Time.In(c.loc)
		c.hours[lt.Hour()]++
	}
}

func (c *collector) ban(e *event.Event, j *jailCount, k id) {
	rk := runKey{e.Jail, k}
	var until int64
	if !e.Until.IsZero() {
		until = e.Until.Unix()
	}
	prev, isRunning := c.running[rk]
	if isRunning && prev.bancount == e.Bancount && (prev.until == 0 || e.Time.IsZero() || e.Time.Unix() <= prev.until) {
		// The same ban, its end moved (or re-applied): not a new ban.
		c.running[rk] = running{e.Bancount, until}
		if e.Restored {
			c.restored++
			j.restored++
		} else {
			c.extensions++
			j.extensions++
		}
		return
	}
	if len(c.running) >= maxRunning && !isRunning {
		c.sweep(e.Time)
	}
	c.running[rk] = running{e.Bancount, until}
	if e.Restored {
		// Re-emitted from bancount's state at its start: counted when it was made.
		c.restored++
		j.restored++
		return
	}
	c.bans++
	j.bans++
	c.banned.add(k, 1)
	switch {
	case e.Bantime < 0:
		c.lengths[len(banLengths)]++
	case e.Bantime == 0:
		c.lengths[len(banLengths)+1]++
	default:
		for i, b := range banLengths {
			if e.Bantime < b.upTo {
				c.lengths[i]++
				break
			}
		}
	}
	switch {
	case e.Bancount <= 0:
		c.offences[offenceSlots]++
	case e.Bancount >= offenceSlots:
		c.offences[offenceSlots-1]++
	default:
		c.offences[e.Bancount-1]++
	}
	if o := c.offenders.offer(k, int64(max(e.Bancount, 1))); o != nil {
		o.extra.bans++
		if !e.Time.Before(o.extra.last) {
			o.extra.jail, o.extra.last = e.Jail, e.Time
		}
	}
	if !e.Time.IsZero() {
		c.timeline.add(c.seriesName(e.Jail), e.Time, true)
	}
}

func (c *collector) user(u string) {
	c.users.add(u, 1)
	c.distinctUser.add(hashString(u))
}

// sweep forgets running bans that ended before now, and all of them if that
// is not enough: a later extension of a forgotten ban counts as a new ban.
func (c *collector) sweep(now time.Time) {
	for k, r := range c.running {
		if r.until != 0 && !now.IsZero() && r.until < now.Unix() {
			delete(c.running, k)
		}
	}
	if len(c.running) >= maxRunning {
		clear(c.running)
	}
}
