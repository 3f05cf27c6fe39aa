package firewall

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/nftables"
)

// NFTTable is the table of the nftables backend (family inet).
const NFTTable = "banpipe"

// NFTables is the nftables backend: a table of its own, inet banpipe, with
// a base chain on the input hook (priority filter - 1) that sends each
// jail's protocol and ports to the jail's chain by one rule, and per jail
// four sets with per-element timeouts:
//
//	table inet banpipe {
//		set f2b-sshd4 { type ipv4_addr; flags timeout; }
//		set f2b-sshd6 { type ipv6_addr; flags timeout; }
//		set f2b-sshd-net4 { type ipv4_addr; flags interval,timeout; }
//		set f2b-sshd-net6 { type ipv6_addr; flags interval,timeout; }
//		chain input { type filter hook input priority filter - 1; policy accept;
//			meta l4proto tcp th dport { 22 } jump f2b-sshd }
//		chain f2b-sshd { ip saddr @f2b-sshd4 reject with icmp type port-unreachable; ... }
//	}
//
// The table, sets, chains and rules are written with `nft -f -` (one
// transaction, at a jail's first ban). Elements of single addresses go over
// netlink with google/nftables, up to 500 bans per transaction (v0.3.0
// silently truncates longer element lists); prefixes, whose interval sets
// google/nftables handles poorly, go with `nft -f -`. A ban is applied as
// "add (short timeout), delete, add (its timeout)" in one transaction, so
// that a re-ban sets the new timeout on every kernel (older kernels do not
// update the timeout of an element added again) and an element's presence
// need not be known; an unban is "add, delete", which succeeds whether or
// not the element was there. A failed transaction is split until the
// failing bans are found. Reads use `nft -j`.
type NFTables struct {
	mu    sync.Mutex
	ready map[string]string // jail -> settings its chain was set up with
	conn  *nftables.Conn
	sets  map[string]*nftables.Set
}

// NewNFTables returns the nftables backend.
func NewNFTables() *NFTables {
	return &NFTables{ready: map[string]string{}, sets: map[string]*nftables.Set{}}
}

// Name implements Backend.
func (b *NFTables) Name() string { return "nftables" }

// Close implements Backend.
func (b *NFTables) Close() error {
	if b.conn != nil {
		return b.conn.CloseLasting()
	}
	return nil
}

// nftElem is an element of a ban or unban.
type nftElem struct {
	set     string
	prefix  netip.Prefix
	timeout time.Duration // 0: permanent
}

// nftTimeout is the kernel timeout for a ban with d left: whole seconds,
// rounded up, so that a ban never ends before its until; 0 (no timeout)
// past [MaxKernelTimeout], as on ipset.
func nftTimeout(d time.Duration) time.Duration {
	s, ok := kernelTimeout(d)
	if !ok {
		return 0
	}
	return time.Duration(s) * time.Second
}

// nftChunk bounds the elements per netlink transaction: google/nftables
// v0.3.0 silently truncates element lists past about 64 KiB of attributes
// and a batch must fit the socket buffer.
const nftChunk = 500

// elementsNL applies units of single addresses over netlink, as elements
// does with nft -f: one transaction per chunk.
func (b *NFTables) elementsNL(units []unit, elems []nftElem, ban bool) error {
	if b.conn == nil {
		c, err := nftables.New(nftables.AsLasting())
		if err != nil {
			return fmt.Errorf("nftables netlink: %w", err)
		}
		b.conn = c
	}
	table := &nftables.Table{Family: nftables.TableFamilyINet, Name: NFTTable}
	for start := 0; start < len(units); start += nftChunk {
		chunk := units[start:min(start+nftChunk, len(units))]
		type group struct{ tmp, keys, final []nftables.SetElement }
		groups := map[string]*group{}
		var order []string
		for _, u := range chunk {
			e := elems[u.owner]
			g := groups[e.set]
			if g == nil {
				g = &group{}
				groups[e.set] = g
				order = append(order, e.set)
			}
			key := e.prefix.Addr().AsSlice()
			g.tmp = append(g.tmp, nftables.SetElement{Key: key, Timeout: time.Second})
			g.keys = append(g.keys, nftables.SetElement{Key: key})
			g.final = append(g.final, nftables.SetElement{Key: key, Timeout: e.timeout})
		}
		sets := make([]*nftables.Set, len(order))
		for i, name := range order {
			s := b.sets[name]
			if s == nil {
				var err error
				if s, err = b.conn.GetSetByName(table, name); err != nil {
					return fmt.Errorf("nftables: set %s: %w", name, err)
				}
				b.sets[name] = s
			}
			sets[i] = s
		}
		var err error
		for i, name := range order {
			err = errors.Join(err, b.conn.SetAddElements(sets[i], groups[name].tmp))
		}
		for i, name := range order {
			err = errors.Join(err, b.conn.SetDeleteElements(sets[i], groups[name].keys))
		}
		if ban {
			for i, name := range order {
				err = errors.Join(err, b.conn.SetAddElements(sets[i], groups[name].final))
			}
		}
		if err == nil {
			err = b.conn.Flush()
		}
		if err != nil {
			clear(b.sets)
			return fmt.Errorf("nftables: %d elements: %w", len(chunk), err)
		}
	}
	return nil
}

// Check implements Backend.
func (b *NFTables) Check(ctx context.Context) error {
	if _, err := exec.LookPath("nft"); err != nil {
		return errors.New("nft not found in PATH (install the nftables package)")
	}
	if _, err := nft(ctx, nil, "list", "tables"); err != nil {
		return err
	}
	return nil
}

// nft runs nft with args, feeding it script on standard input when not nil.
// A failure is an *nftError.
func nft(ctx context.Context, script []byte, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	c := exec.CommandContext(ctx, "nft", args...)
	if script != nil {
		c.Stdin = bytes.NewReader(script)
	}
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		msg := nftMessage(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, &nftError{args: args, msg: msg}
	}
	return stdout.Bytes(), nil
}

// nftError is a failed nft command: its arguments and what its standard
// error says went wrong.
type nftError struct {
	args []string
	msg  string
}

func (e *nftError) Error() string { return "nft " + strings.Join(e.args, " ") + ": " + e.msg }

// nftMessage returns the line of nft's standard error that says what
// failed, from its "Error: " on (nft follows it with the offending command
// and a caret line).
func nftMessage(stderr string) string {
	msg := strings.TrimSpace(stderr)
	if i := strings.Index(msg, "Error: "); i >= 0 {
		msg = msg[i:]
	}
	if j := strings.IndexByte(msg, '\n'); j >= 0 {
		msg = msg[:j]
	}
	return msg
}

// nftNotFound reports whether err is nft saying that the table, chain or
// set it was asked about does not exist (listing, or deleting, something
// never made).
func nftNotFound(err error) bool {
	var e *nftError
	return errors.As(err, &e) && strings.Contains(e.msg, "No such file or directory")
}

func nftSet(jail string, fam int, net bool) string {
	s := "f2b-" + jail
	if net {
		s += "-net"
	}
	return s + strconv.Itoa(fam)
}

var nftReject = map[string]string{
	"icmp-port-unreachable": "port-unreachable", "icmp-host-unreachable": "host-unreachable",
	"icmp-net-unreachable": "net-unreachable", "icmp-admin-prohibited": "admin-prohibited",
	"icmp-host-prohibited": "host-prohibited", "icmp-net-prohibited": "net-prohibited",
	"icmp-proto-unreachable": "prot-unreachable",
	"icmp6-port-unreachable": "port-unreachable", "icmp6-addr-unreachable": "addr-unreachable",
	"icmp6-no-route": "no-route", "icmp6-adm-prohibited": "admin-prohibited",
}

// nftVerdict is the statement ending a ban rule of family fam.
func (r *rule) nftVerdict(fam int) string {
	switch {
	case !r.reject:
		return "drop"
	case r.rejectV4 == "tcp-reset":
		return "meta l4proto tcp reject with tcp reset"
	case fam == 6:
		return "reject with icmpv6 type " + nftReject[r.rejectV6]
	}
	return "reject with icmp type " + nftReject[r.rejectV4]
}

// nftHook is the match of the jail's hook rule.
func (r *rule) nftHook() string {
	var s []string
	if r.protocol != "all" {
		s = append(s, "meta l4proto "+r.protocol)
	}
	if len(r.ports) > 0 {
		ports := make([]string, len(r.ports))
		for i, p := range r.ports {
			ports[i] = strings.ReplaceAll(p, ":", "-")
		}
		s = append(s, "th dport { "+strings.Join(ports, ", ")+" }")
	}
	return strings.Join(append(s, "jump "+chainName(r.jail)), " ")
}

func (r *rule) nftHookChain() (string, string, error) {
	switch strings.ToUpper(r.chain) {
	case "INPUT":
		return "input", "input", nil
	case "FORWARD":
		return "forward", "forward", nil
	}
	return "", "", fmt.Errorf("jail %s: chain %q: the nftables backend hooks INPUT or FORWARD", r.jail, r.chain)
}

// setup creates the table, the jail's sets and chain, and its hook rule
// (replacing an older one), in one transaction.
func (b *NFTables) setup(ctx context.Context, r *rule) error {
	base, _, err := r.nftHookChain()
	if err != nil {
		return err
	}
	handles, err := b.hookHandles(ctx, base, chainName(r.jail))
	if err != nil {
		return err
	}
	script, err := setupScript(r, handles)
	if err != nil {
		return err
	}
	if _, err := nft(ctx, []byte(script), "-f", "-"); err != nil {
		return fmt.Errorf("set up jail %s: %w", r.jail, err)
	}
	return nil
}

// setupScript is the nft script of setup; handles are those of the jail's
// hook rules in place.
func setupScript(r *rule, handles []int) (string, error) {
	base, hook, err := r.nftHookChain()
	if err != nil {
		return "", err
	}
	t := "inet " + NFTTable
	ch := chainName(r.jail)
	var s strings.Builder
	fmt.Fprintf(&s, "add table %s\n", t)
	fmt.Fprintf(&s, "add chain %s %s { type filter hook %s priority filter - 1; policy accept; }\n", t, base, hook)
	for _, fam := range []int{4, 6} {
		typ := map[int]string{4: "ipv4_addr", 6: "ipv6_addr"}[fam]
		fmt.Fprintf(&s, "add set %s %s { type %s; flags timeout; }\n", t, nftSet(r.jail, fam, false), typ)
		fmt.Fprintf(&s, "add set %s %s { type %s; flags interval,timeout; }\n", t, nftSet(r.jail, fam, true), typ)
	}
	fmt.Fprintf(&s, "add chain %s %s\nflush chain %s %s\n", t, ch, t, ch)
	for _, fam := range []int{4, 6} {
		sel := map[int]string{4: "ip saddr", 6: "ip6 saddr"}[fam]
		for _, net := range []bool{false, true} {
			fmt.Fprintf(&s, "add rule %s %s %s @%s %s\n", t, ch, sel, nftSet(r.jail, fam, net), r.nftVerdict(fam))
		}
	}
	for _, h := range handles {
		fmt.Fprintf(&s, "delete rule %s %s handle %d\n", t, base, h)
	}
	fmt.Fprintf(&s, "add rule %s %s %s\n", t, base, r.nftHook())
	return s.String(), nil
}

// hookHandles returns the handles of the rules of base that jump to chain.
func (b *NFTables) hookHandles(ctx context.Context, base, chain string) ([]int, error) {
	out, err := nft(ctx, nil, "-a", "list", "chain", "inet", NFTTable, base)
	if err != nil {
		if nftNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var hs []int
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		jumps := false
		for i := 0; i+1 < len(f); i++ {
			if (f[i] == "jump" || f[i] == "goto") && f[i+1] == chain {
				jumps = true
			}
		}
		if n := len(f); jumps && n >= 3 && f[n-3] == "#" && f[n-2] == "handle" {
			if h, err := strconv.Atoi(f[n-1]); err == nil {
				hs = append(hs, h)
			}
		}
	}
	return hs, nil
}

// Ban implements Backend.
func (b *NFTables) Ban(ctx context.Context, jail JailSettings, bans []Ban) []error {
	return b.apply(ctx, jail, bans, true)
}

// Unban implements Backend.
func (b *NFTables) Unban(ctx context.Context, jail JailSettings, bans []Ban) []error {
	return b.apply(ctx, jail, bans, false)
}

func (b *NFTables) apply(ctx context.Context, jail JailSettings, bans []Ban, ban bool) []error {
	errs := make([]error, len(bans))
	r, err := parseRule(jail)
	if err != nil {
		return fill(errs, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	// Each unit holds one element line per operation: set, element, timeout
	// (for `nft -f`); elems holds the same for netlink, by owner.
	var units []unit
	elems := make([]nftElem, len(bans))
	for i, x := range bans {
		if !x.Prefix.IsValid() {
			errs[i] = errors.New("no address")
			continue
		}
		p := x.Prefix.Masked()
		set := nftSet(r.jail, family(p), !p.IsSingleIP())
		el := FormatPrefix(p)
		elems[i] = nftElem{set: set, prefix: p}
		if !ban {
			units = append(units, unit{owner: i, lines: []string{set, el + " timeout 1s", el}})
			continue
		}
		d, perm, err := remaining(x, r.bantime, now)
		if err != nil {
			errs[i] = err
			continue
		}
		final := el
		if !perm {
			elems[i].timeout = nftTimeout(d)
		}
		if elems[i].timeout > 0 {
			final += " timeout " + strconv.FormatInt(int64(elems[i].timeout/time.Second), 10) + "s"
		}
		units = append(units, unit{owner: i, lines: []string{set, el + " timeout 1s", el, final}})
	}
	if len(units) == 0 {
		return errs
	}
	key := r.nftHook() + "|" + r.nftVerdict(4) + "|" + r.chain
	if !ban {
		// Nothing to remove from a jail never set up in this firewall.
		if b.ready[r.jail] == "" {
			if ok, err := b.tableHasSet(ctx, nftSet(r.jail, 4, false)); err != nil {
				return fill(errs, err)
			} else if !ok {
				return errs
			}
		}
	} else if b.ready[r.jail] != key {
		if err := b.setup(ctx, r); err != nil {
			for _, u := range units {
				errs[u.owner] = err
			}
			return errs
		}
		b.ready[r.jail] = key
	}
	run := func(u []unit) error {
		// Addresses over netlink, prefixes (interval sets) with nft -f.
		var addrs, nets []unit
		for _, x := range u {
			if elems[x.owner].prefix.IsSingleIP() {
				addrs = append(addrs, x)
			} else {
				nets = append(nets, x)
			}
		}
		var err1, err2 error
		if len(addrs) > 0 {
			err1 = b.elementsNL(addrs, elems, ban)
		}
		if len(nets) > 0 {
			err2 = b.elements(ctx, nets, ban)
		}
		return errors.Join(err1, err2)
	}
	if err := run(units); err != nil && ban {
		// The table may have been removed behind our back: set it up again
		// once, then find the failing bans.
		clear(b.sets)
		if serr := b.setup(ctx, r); serr == nil {
			bisect(units, run, errs)
		} else {
			for _, u := range units {
				errs[u.owner] = serr
			}
		}
	} else if err != nil {
		bisect(units, run, errs)
	}
	return errs
}

func (b *NFTables) tableHasSet(ctx context.Context, set string) (bool, error) {
	_, err := nft(ctx, nil, "list", "set", "inet", NFTTable, set)
	if err == nil {
		return true, nil
	}
	if nftNotFound(err) {
		return false, nil
	}
	return false, err
}

// elements applies units in one nft transaction, grouped by set.
func (b *NFTables) elements(ctx context.Context, units []unit, ban bool) error {
	type group struct{ tmp, del, final []string }
	groups := map[string]*group{}
	var order []string
	for _, u := range units {
		g := groups[u.lines[0]]
		if g == nil {
			g = &group{}
			groups[u.lines[0]] = g
			order = append(order, u.lines[0])
		}
		g.tmp = append(g.tmp, u.lines[1])
		g.del = append(g.del, u.lines[2])
		if ban {
			g.final = append(g.final, u.lines[3])
		}
	}
	var s strings.Builder
	t := "inet " + NFTTable
	for _, set := range order {
		fmt.Fprintf(&s, "add element %s %s { %s }\n", t, set, strings.Join(groups[set].tmp, ", "))
	}
	for _, set := range order {
		fmt.Fprintf(&s, "delete element %s %s { %s }\n", t, set, strings.Join(groups[set].del, ", "))
	}
	for _, set := range order {
		if g := groups[set]; len(g.final) > 0 {
			fmt.Fprintf(&s, "add element %s %s { %s }\n", t, set, strings.Join(g.final, ", "))
		}
	}
	_, err := nft(ctx, []byte(s.String()), "-f", "-")
	return err
}

// nftJSON is the part of `nft -j list table` output that List reads.
type nftJSON struct {
	Nftables []struct {
		Set *struct {
			Name string            `json:"name"`
			Type string            `json:"type"`
			Elem []json.RawMessage `json:"elem"`
		} `json:"set"`
	} `json:"nftables"`
}

type nftPrefix struct {
	Prefix *struct {
		Addr string `json:"addr"`
		Len  int    `json:"len"`
	} `json:"prefix"`
}

// parseNFTElem reads an element: "192.0.2.7", {"prefix":...} or
// {"elem":{"val":..., "expires":N}}.
func parseNFTElem(raw json.RawMessage) (netip.Prefix, time.Duration, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, 0, err
		}
		return netip.PrefixFrom(a, a.BitLen()), 0, nil
	}
	var w struct {
		Elem *struct {
			Val     json.RawMessage `json:"val"`
			Expires int64           `json:"expires"`
		} `json:"elem"`
	}
	if err := json.Unmarshal(raw, &w); err == nil && w.Elem != nil {
		p, _, err := parseNFTElem(w.Elem.Val)
		return p, time.Duration(w.Elem.Expires) * time.Second, err
	}
	var p nftPrefix
	if err := json.Unmarshal(raw, &p); err != nil || p.Prefix == nil {
		return netip.Prefix{}, 0, fmt.Errorf("unknown element %s", raw)
	}
	a, err := netip.ParseAddr(p.Prefix.Addr)
	if err != nil {
		return netip.Prefix{}, 0, err
	}
	return netip.PrefixFrom(a, p.Prefix.Len), 0, nil
}

// List implements Backend.
func (b *NFTables) List(ctx context.Context, jail string) ([]Entry, error) {
	out, err := nft(ctx, nil, "-j", "list", "table", "inet", NFTTable)
	if err != nil {
		if nftNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var doc nftJSON
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("nft -j list table inet %s: %w", NFTTable, err)
	}
	var entries []Entry
	for _, o := range doc.Nftables {
		if o.Set == nil {
			continue
		}
		j, ok := strings.CutPrefix(o.Set.Name, "f2b-")
		if !ok || len(j) < 2 {
			continue
		}
		j = j[:len(j)-1]
		j = strings.TrimSuffix(j, "-net")
		if jail != "" && j != jail {
			continue
		}
		for _, raw := range o.Set.Elem {
			p, exp, err := parseNFTElem(raw)
			if err != nil {
				return nil, fmt.Errorf("nft set %s: %w", o.Set.Name, err)
			}
			entries = append(entries, Entry{Jail: j, Prefix: p, Expires: exp})
		}
	}
	return entries, nil
}

// Flush implements Backend: the whole table for "", else the jail's hook
// rule, chain and sets.
func (b *NFTables) Flush(ctx context.Context, jail string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.sets)
	if jail == "" {
		clear(b.ready)
		_, err := nft(ctx, nil, "delete", "table", "inet", NFTTable)
		if nftNotFound(err) {
			return nil
		}
		return err
	}
	if err := CheckJailName(jail); err != nil {
		return err
	}
	delete(b.ready, jail)
	ok, err := b.tableHasSet(ctx, nftSet(jail, 4, false))
	if err != nil || !ok {
		return err
	}
	t := "inet " + NFTTable
	ch := chainName(jail)
	var s strings.Builder
	for _, base := range []string{"input", "forward"} {
		hs, err := b.hookHandles(ctx, base, ch)
		if err != nil {
			return err
		}
		for _, h := range hs {
			fmt.Fprintf(&s, "delete rule %s %s handle %d\n", t, base, h)
		}
	}
	fmt.Fprintf(&s, "flush chain %s %s\ndelete chain %s %s\n", t, ch, t, ch)
	for _, fam := range []int{4, 6} {
		for _, net := range []bool{false, true} {
			fmt.Fprintf(&s, "delete set %s %s\n", t, nftSet(jail, fam, net))
		}
	}
	_, err = nft(ctx, []byte(s.String()), "-f", "-")
	return err
}
