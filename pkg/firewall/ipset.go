package firewall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// IPSet is the ipset backend (fail2ban's iptables-ipset actions): bans are
// entries of kernel sets that expire by themselves, even while banpipe is
// down, and one iptables rule per set sends matching packets to the
// jail's verdict:
//
//	ipset create f2b-sshd hash:ip timeout 600
//	iptables -I INPUT 1 -p tcp -m multiport --dports 22 -m set --match-set f2b-sshd src -j REJECT --reject-with icmp-port-unreachable
//	ipset add f2b-sshd 192.0.2.7 timeout 3600 -exist
//
// The sets of a jail are f2b-<jail> and f2b-<jail>6 (hash:ip, addresses),
// and f2b-<jail>-net and f2b-<jail>-net6 (hash:net, prefixes), each created
// with its rule at its first ban. A permanent ban has timeout 0 (as does a
// ban longer than the kernel's longest timeout, [MaxKernelTimeout]: its
// unban event removes it). Sets and entries are changed over netlink (vishvananda/netlink;
// a burst of adds is written as many messages per system call); a re-ban
// updates the entry's timeout; deleting a missing entry is no error.
type IPSet struct {
	x      xtables
	h      *netlink.Handle // one netlink socket for every request
	herr   error
	once   sync.Once
	mu     sync.Mutex
	hooked map[string]bool // set name -> hook rule checked by this process
}

// NewIPSet returns the ipset backend.
func NewIPSet(cfg IPTablesConfig) *IPSet {
	nt := NewIPTables(cfg)
	return &IPSet{x: nt.x, hooked: map[string]bool{}}
}

// Name implements Backend.
func (b *IPSet) Name() string { return "ipset" }

// Close implements Backend.
func (b *IPSet) Close() error {
	if b.h != nil {
		b.h.Close()
	}
	return nil
}

// handle returns the netlink handle, opened at first use.
func (b *IPSet) handle() (*netlink.Handle, error) {
	b.once.Do(func() {
		b.h, b.herr = netlink.NewHandle(unix.NETLINK_NETFILTER)
		if b.herr != nil {
			b.herr = fmt.Errorf("ipset: open netlink socket: %w", b.herr)
		}
	})
	return b.h, b.herr
}

// Check implements Backend: the kernel must answer the ipset protocol and
// iptables must work.
func (b *IPSet) Check(ctx context.Context) error {
	h, err := b.handle()
	if err != nil {
		return err
	}
	if _, _, err := h.IpsetProtocol(); err != nil {
		return fmt.Errorf("ipset: the kernel does not answer the ipset protocol (module ip_set): %v", err)
	}
	return b.x.check(ctx)
}

func setName(jail string, fam int, net bool) string {
	s := "f2b-" + jail
	if net {
		s += "-net"
	}
	if fam == 6 {
		s += "6"
	}
	return s
}

// ipsetHookSpec is the rule matching set.
func (r *rule) ipsetHookSpec(set string, fam int) []string {
	var s []string
	if r.protocol != "all" {
		s = append(s, "-p", r.protocol)
	}
	if len(r.ports) > 0 {
		s = append(s, "-m", "multiport", "--dports", strings.Join(r.ports, ","))
	}
	s = append(s, "-m", "set", "--match-set", set, "src")
	t := r.target(fam)
	if t[0] == "-p" {
		if r.protocol == "tcp" {
			t = t[2:]
		} else {
			s = append([]string{"-p", "tcp"}, s...)
			t = t[2:]
		}
	}
	return append(s, t...)
}

func isIPSetErr(err error, code int) bool {
	var e nl.IPSetError
	return errors.As(err, &e) && int(e) == code
}

// ensureSet creates set (with its hook rule) when it is missing.
func (b *IPSet) ensureSet(ctx context.Context, r *rule, set string, fam int, net bool) error {
	typ := "hash:ip"
	if net {
		typ = "hash:net"
	}
	f := uint8(unix.AF_INET)
	if fam == 6 {
		f = unix.AF_INET6
	}
	def := uint32(600)
	h, err := b.handle()
	if err != nil {
		return err
	}
	opts := netlink.IpsetCreateOptions{Timeout: &def, Family: f, MaxElements: 1 << 20}
	err = h.IpsetCreate(set, typ, opts)
	switch {
	case err == nil:
		delete(b.hooked, set)
	case isIPSetErr(err, nl.IPSET_ERR_EXIST_SETNAME2) || errors.Is(err, syscall.EEXIST):
		// There already: it must be of our kind, or nothing is added.
		replaced, err := b.checkSet(h, set, typ, f, fam, opts)
		if err != nil {
			return err
		}
		if replaced {
			delete(b.hooked, set)
		}
	default:
		return fmt.Errorf("ipset create %s %s family inet%s timeout 600: %w", set, typ, map[int]string{4: "", 6: "6"}[fam], err)
	}
	return b.hookSet(ctx, r, set, fam)
}

// hookSet makes sure the jail's hook rule for set, with the jail's current
// ports and protocol, is in place, replacing one with other settings.
func (b *IPSet) hookSet(ctx context.Context, r *rule, set string, fam int) error {
	if b.hooked[set] {
		return nil
	}
	hook := r.ipsetHookSpec(set, fam)
	have, err := b.x.exists(ctx, fam, r.chain, hook)
	if err != nil {
		return err
	}
	if !have {
		lines, ok, err := b.x.list(ctx, fam, r.chain)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: no chain %s to hook set %s from", cmdName(fam), r.chain, set)
		}
		var script []string
		for _, l := range lines {
			if c, args, _ := parseRuleLine(l); c == r.chain && matchesSet(args, set) {
				script = append(script, "-D "+c+" "+strings.Join(args, " "))
			}
		}
		script = append(script, "-I "+r.chain+" 1 "+strings.Join(hook, " "))
		if err := b.x.restore(ctx, fam, script); err != nil {
			return fmt.Errorf("hook set %s: %w", set, err)
		}
	}
	b.hooked[set] = true
	return nil
}

// checkSet makes sure the existing set is of type typ, family f, with
// timeout support: an add to a set of another kind would fail (or,
// without timeouts, make a ban that never ends). A set of another kind
// that no rule uses is replaced (a leftover, e.g. of an older fail2ban);
// one in use is an error that says how to fix it. It reports whether the
// set was replaced.
func (b *IPSet) checkSet(h *netlink.Handle, set, typ string, f uint8, fam int, opts netlink.IpsetCreateOptions) (bool, error) {
	res, err := h.IpsetList(set)
	if err != nil {
		return false, fmt.Errorf("ipset list %s: %w", set, err)
	}
	if res.TypeName == typ && res.Family == f && res.Timeout != nil {
		return false, nil
	}
	have := res.TypeName + " family " + familyName(res.Family)
	if res.Timeout == nil {
		have += " without timeout"
	}
	want := fmt.Sprintf("%s family %s with timeout", typ, familyName(f))
	if res.References > 0 {
		return false, fmt.Errorf("ipset: set %s exists as %s, used by %d rule(s); fwban needs %s (nothing was banned); "+
			"fix: remove the rules that use it (%s-save | grep -- '--match-set %s '), then: ipset destroy %s",
			set, have, res.References, want, cmdName(fam), set, set)
	}
	if err := h.IpsetDestroy(set); err != nil {
		return false, fmt.Errorf("ipset: set %s exists as %s; fwban needs %s: ipset destroy %s: %w", set, have, want, set, err)
	}
	if err := h.IpsetCreate(set, typ, opts); err != nil {
		return false, fmt.Errorf("ipset create %s %s family %s timeout 600 (replacing a set of another kind): %w", set, typ, familyName(f), err)
	}
	return true, nil
}

func familyName(f uint8) string {
	switch f {
	case unix.AF_INET:
		return "inet"
	case unix.AF_INET6:
		return "inet6"
	}
	return strconv.Itoa(int(f))
}

func matchesSet(args []string, set string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--match-set" && args[i+1] == set {
			return true
		}
	}
	return false
}

func entryFor(p netip.Prefix) *netlink.IPSetEntry {
	e := &netlink.IPSetEntry{IP: net.IP(p.Addr().AsSlice())}
	if !p.IsSingleIP() {
		e.CIDR = uint8(p.Bits())
	}
	return e
}

// Ban implements Backend.
func (b *IPSet) Ban(ctx context.Context, jail JailSettings, bans []Ban) []error {
	errs := make([]error, len(bans))
	r, err := parseRule(jail)
	if err != nil {
		return fill(errs, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	ready := map[string]error{}
	var adds []ipsetAdd
	for i, x := range bans {
		if !x.Prefix.IsValid() {
			errs[i] = errors.New("no address")
			continue
		}
		p := x.Prefix.Masked()
		fam, isNet := family(p), !p.IsSingleIP()
		set := setName(r.jail, fam, isNet)
		serr, seen := ready[set]
		if !seen {
			serr = b.ensureSet(ctx, r, set, fam, isNet)
			ready[set] = serr
		}
		if serr != nil {
			errs[i] = serr
			continue
		}
		d, perm, err := remaining(x, r.bantime, now)
		if err != nil {
			errs[i] = err
			continue
		}
		var to uint32
		if !perm {
			if s, ok := kernelTimeout(d); ok {
				to = uint32(s)
			}
		}
		e := entryFor(p)
		adds = append(adds, ipsetAdd{owner: i, set: set, ip: e.IP, cidr: e.CIDR, timeout: to})
	}
	// The jail's other sets, made by an earlier run, get this run's hook
	// too (a restart with new ports moves every hook, not only those of
	// the sets this batch touches).
	for _, fam := range []int{4, 6} {
		for _, isNet := range []bool{false, true} {
			set := setName(r.jail, fam, isNet)
			if _, seen := ready[set]; seen || b.hooked[set] {
				continue
			}
			h, err := b.handle()
			if err != nil {
				return fill(errs, err)
			}
			if _, err := h.IpsetList(set); err != nil {
				b.hooked[set] = true // absent: hooked when made
				continue
			}
			if err := b.hookSet(ctx, r, set, fam); err != nil {
				return fill(errs, err)
			}
		}
	}
	if len(adds) > 8 {
		if err := ipsetAddMany(adds, errs); err == nil {
			return errs
		}
		// The socket failed: add one by one, each with its own answer.
	}
	for _, a := range adds {
		e := &netlink.IPSetEntry{IP: a.ip, CIDR: a.cidr, Timeout: &a.timeout, Replace: true}
		if err := b.h.IpsetAdd(a.set, e); err != nil {
			errs[a.owner] = fmt.Errorf("ipset add %s %s: %w", a.set, ipsetShow(a), ipsetErr(err))
		} else {
			errs[a.owner] = nil
		}
	}
	return errs
}

// FormatPrefix formats p as a bare address when it is a single address.
func FormatPrefix(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// Unban implements Backend.
func (b *IPSet) Unban(ctx context.Context, jail JailSettings, bans []Ban) []error {
	errs := make([]error, len(bans))
	if err := CheckJailName(jail.Name); err != nil {
		return fill(errs, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	h, err := b.handle()
	if err != nil {
		return fill(errs, err)
	}
	for i, x := range bans {
		if !x.Prefix.IsValid() {
			errs[i] = errors.New("no address")
			continue
		}
		p := x.Prefix.Masked()
		set := setName(jail.Name, family(p), !p.IsSingleIP())
		err := h.IpsetDel(set, entryFor(p))
		// A missing entry gives IPSET_ERR_EXIST, a missing set ENOENT: both
		// mean the address is not banned.
		if err != nil && !isIPSetErr(err, nl.IPSET_ERR_EXIST) && !errors.Is(err, syscall.ENOENT) {
			errs[i] = fmt.Errorf("ipset del %s %s: %w", set, FormatPrefix(p), err)
		}
	}
	return errs
}

// ourSets returns banpipe's sets (of jail, or all when jail is "") with
// the jail they belong to.
func (b *IPSet) ourSets(jail string) ([]netlink.IPSetResult, []string, error) {
	h, err := b.handle()
	if err != nil {
		return nil, nil, err
	}
	all, err := h.IpsetListAll()
	for try := 0; errors.Is(err, nl.ErrDumpInterrupted) && try < 3; try++ {
		all, err = h.IpsetListAll() // the sets changed during the dump
	}
	if err != nil {
		return nil, nil, fmt.Errorf("ipset list: %w", err)
	}
	// IpsetListAll returns one result per netlink message: a large set
	// spans several, and only the first carries the set's type and family.
	var merged []netlink.IPSetResult
	at := map[string]int{}
	for _, s := range all {
		i, ok := at[s.SetName]
		if !ok {
			at[s.SetName] = len(merged)
			merged = append(merged, s)
			continue
		}
		m := &merged[i]
		m.Entries = append(m.Entries, s.Entries...)
		if m.TypeName == "" {
			m.TypeName, m.Family = s.TypeName, s.Family
		}
	}
	var sets []netlink.IPSetResult
	var jails []string
	for _, s := range merged {
		name, ok := strings.CutPrefix(s.SetName, "f2b-")
		if !ok || s.TypeName != "hash:ip" && s.TypeName != "hash:net" {
			continue
		}
		if s.Family == unix.AF_INET6 {
			name, ok = strings.CutSuffix(name, "6")
			if !ok {
				continue
			}
		}
		if s.TypeName == "hash:net" {
			if name, ok = strings.CutSuffix(name, "-net"); !ok {
				continue
			}
		}
		if jail != "" && name != jail {
			continue
		}
		sets, jails = append(sets, s), append(jails, name)
	}
	return sets, jails, nil
}

// List implements Backend.
func (b *IPSet) List(ctx context.Context, jail string) ([]Entry, error) {
	sets, jails, err := b.ourSets(jail)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for i, s := range sets {
		for _, e := range s.Entries {
			a, ok := netip.AddrFromSlice(e.IP)
			if !ok {
				continue
			}
			a = a.Unmap()
			bits := a.BitLen()
			if s.TypeName == "hash:net" && e.CIDR != 0 {
				bits = int(e.CIDR)
			}
			en := Entry{Jail: jails[i], Prefix: netip.PrefixFrom(a, bits)}
			if e.Timeout != nil {
				en.Expires = time.Duration(*e.Timeout) * time.Second
			}
			out = append(out, en)
		}
	}
	return out, nil
}

// Flush implements Backend: it removes the hook rules and destroys the
// sets of jail ("" for all).
func (b *IPSet) Flush(ctx context.Context, jail string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	sets, _, err := b.ourSets(jail)
	if err != nil {
		return err
	}
	if len(sets) == 0 {
		return nil
	}
	for _, fam := range []int{4, 6} {
		lines, _, err := b.x.list(ctx, fam, "")
		if err != nil {
			return err
		}
		var script []string
		for _, l := range lines {
			c, args, _ := parseRuleLine(l)
			for _, s := range sets {
				if c != "" && matchesSet(args, s.SetName) {
					script = append(script, "-D "+c+" "+strings.Join(args, " "))
					break
				}
			}
		}
		if err := b.x.restore(ctx, fam, script); err != nil {
			return err
		}
	}
	for _, s := range sets {
		delete(b.hooked, s.SetName)
		if err := b.h.IpsetDestroy(s.SetName); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("ipset destroy %s: %w", s.SetName, err)
		}
	}
	return nil
}
