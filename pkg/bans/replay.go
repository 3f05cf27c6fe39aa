package bans

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"

	"github.com/banpipe/banpipe/pkg/event"
)

func randFloat() float64 { return rand.Float64() }

// Apply replays one record of a snapshot or journal into the engine; it
// emits nothing and journals nothing. It returns an error for a record that
// cannot be part of a valid state.
func (e *Engine) Apply(r *Record) error {
	e.replaying = true
	defer func() { e.replaying = false }()
	if r.Kind != RecHeader && r.Jail == "" {
		return fmt.Errorf("record %q without jail", r.Kind)
	}
	if r.Seen < 0 || r.Start < 0 || r.End < 0 || r.First < 0 || r.Last < 0 {
		return fmt.Errorf("record %q with a negative time", r.Kind)
	}
	if r.Seen > 0 && !e.cfg.Live && r.Seen > e.now {
		e.now = r.Seen
	}
	switch r.Kind {
	case RecHeader:
		if r.Now > e.now && !e.cfg.Live {
			e.now = r.Now
		}
		e.first, e.nextPurge = r.First, r.Next
		e.seq = max(e.seq, r.Seq)
		return nil
	case RecMark:
		j := e.jail(r.Jail)
		if r.Seen > j.w {
			j.w = r.Seen
			j.keys = j.keys[:0]
		}
		for _, k := range r.Keys {
			if len(j.keys) < maxMarkKeys {
				j.keys = append(j.keys, k)
			}
		}
		return nil
	case RecHistory:
		if r.ID == "" || r.Count < 1 {
			return fmt.Errorf("history record without id or count")
		}
		e.writeRow(r.Jail, r.ID, int(r.Count), r.Time*1e9, r.Bantime)
		return nil
	}
	if r.ID == "" {
		return fmt.Errorf("record %q without id", r.Kind)
	}
	j := e.jail(r.Jail)
	if r.Seen > 0 {
		j.observe(r.Seen, r.ID, r.Lineno)
	}
	switch r.Kind {
	case RecSeen:
	case RecTicket:
		if r.Retry < 1 || r.Fails < 1 || r.Last < r.First {
			return fmt.Errorf("ticket record with retry %d, failures %d", r.Retry, r.Fails)
		}
		tk := j.get(r.ID)
		fresh := tk == nil
		if fresh {
			tk = &ticket{j: j, id: r.ID}
			if a, err := netip.ParseAddr(r.ID); err == nil && a.Zone() == "" {
				tk.addr = a.Unmap()
				tk.id = tk.addr.String()
			} else if p, err := netip.ParsePrefix(r.ID); err == nil && p == p.Masked() && !p.IsSingleIP() &&
				j.cfg.Settings.countsUnder(p) {
				tk.addr = p.Addr() // a counted prefix
			}
			e.put(tk)
			e.ntickets++
		}
		tk.first, tk.last, tk.retry, tk.fails = r.First, r.Last, r.Retry, r.Fails
		if fresh {
			e.enqueue(tk)
		}
		for e.ntickets > e.maxTracked {
			e.unlinkTicket(e.oldest())
		}
	case RecDrop:
		if tk := j.get(r.ID); tk != nil {
			e.unlinkTicket(tk)
		}
	case RecBan:
		if tk := j.get(r.ID); tk != nil {
			e.unlinkTicket(tk)
		}
		if r.Bantime < -1 || r.Count < 1 || (r.End != 0 && r.End < r.Start) || (r.End == 0) != (r.Bantime == -1) {
			return fmt.Errorf("ban record with bantime %d, count %d", r.Bantime, r.Count)
		}
		b := j.bans[r.ID]
		if b == nil {
			b = &ban{j: j, id: r.ID, idx: -1}
			if r.IP != "" {
				p, err := event.ParseIP(r.IP)
				if err != nil {
					return fmt.Errorf("ban record: invalid ip %q", r.IP)
				}
				b.ip = p
				b.byHost = !prefixText(r.ID, p)
			}
			j.bans[r.ID] = b
			e.index(b)
		}
		b.start, b.end, b.bantime, b.count, b.fails = r.Start, r.End, r.Bantime, int(r.Count), int(r.Fails)
		b.seq = r.Seq
		e.seq = max(e.seq, r.Seq)
		switch {
		case b.end == 0 && b.idx >= 0:
			heap.Remove(&e.expiry, b.idx)
		case b.end != 0 && b.idx >= 0:
			b.hend = b.end
			heap.Fix(&e.expiry, b.idx)
		case b.end != 0:
			b.hend = b.end
			heap.Push(&e.expiry, b)
		}
		if !r.Extend {
			e.writeRow(j.name, r.ID, b.count, b.start, b.bantime)
		}
	case RecUnban:
		if b := j.bans[r.ID]; b != nil {
			j.delBan(b)
			e.unindex(b)
			if b.idx >= 0 {
				heap.Remove(&e.expiry, b.idx)
			}
		}
	default:
		return fmt.Errorf("unknown record kind %q", r.Kind)
	}
	return nil
}

// Snapshot writes the whole state as records to emit, in an order that
// Apply rebuilds it from: header, watermarks, history, windows (oldest
// first), bans.
func (e *Engine) Snapshot(emit func(r *Record) error) error {
	r := &Record{Kind: RecHeader, Now: e.now, First: e.first, Next: e.nextPurge, Seq: e.seq}
	if e.cfg.Live {
		r.Now = 0
	}
	if err := emit(r); err != nil {
		return err
	}
	for _, j := range e.jailList("") {
		if j.w == 0 {
			continue
		}
		r := &Record{Kind: RecMark, Jail: j.name, Seen: j.w}
		seen := make(map[MarkKey]bool, len(j.keys))
		for _, k := range j.keys {
			if !seen[k] {
				seen[k] = true
				r.Keys = append(r.Keys, k)
			}
		}
		sort.Slice(r.Keys, func(a, b int) bool {
			if r.Keys[a].ID != r.Keys[b].ID {
				return r.Keys[a].ID < r.Keys[b].ID
			}
			return r.Keys[a].Lineno < r.Keys[b].Lineno
		})
		if err := emit(r); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(e.history))
	for id := range e.history {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, h := range e.history[id] {
			if err := emit(&Record{Kind: RecHistory, Jail: h.jail, ID: id, Count: int64(h.count), Time: h.time, Bantime: h.bantime}); err != nil {
				return err
			}
		}
	}
	rec := &Record{}
	for _, q := range e.queue[e.qhead:] {
		t := q.t
		if q.stamp != t.stamp || t.retry == 0 {
			continue // an older entry, or a window spent in a ban
		}
		*rec = Record{Kind: RecTicket, Jail: t.j.name, ID: t.id, First: t.first, Last: t.last, Retry: t.retry, Fails: t.fails}
		if err := emit(rec); err != nil {
			return err
		}
	}
	for _, b := range e.sortedBans("") {
		*rec = Record{Kind: RecBan, Jail: b.j.name, ID: b.id, Start: b.start, End: b.end, Bantime: b.bantime,
			Count: int64(b.count), Fails: int64(b.fails), Seq: b.seq, Extend: true}
		if b.ip.IsValid() {
			rec.IP = event.FormatPrefix(b.ip)
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
	return nil
}
