package firewall

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-iptables/iptables"
)

// IPTablesConfig configures the iptables backend.
type IPTablesConfig struct {
	// Wait bounds the wait for the xtables lock of each command (--wait);
	// 0 means 10 seconds.
	Wait time.Duration
	// Retries is how many times a command that failed on the lock (exit
	// status 4) is tried again; 0 means 3.
	Retries int
	// Variant chooses the iptables commands: "" runs iptables and
	// ip6tables as found in PATH; "legacy" and "nft" run the
	// iptables-legacy and iptables-nft variants (their rule sets are
	// separate: the kernel applies both).
	Variant string
}

// CheckVariant reports whether v is a valid [IPTablesConfig] Variant.
func CheckVariant(v string) error {
	switch v {
	case "", "legacy", "nft":
		return nil
	}
	return fmt.Errorf("iptables variant %q: want legacy or nft", v)
}

// IPTables is the iptables backend (fail2ban's iptables-multiport and
// iptables-allports actions): a chain f2b-<jail> per jail and family, hooked
// from INPUT (or the jail's chain) by one rule that matches the jail's
// protocol and ports, holding one rule per banned address:
//
//	-N f2b-sshd
//	-A f2b-sshd -j RETURN
//	-I INPUT 1 -p tcp -m multiport --dports 22 -j f2b-sshd
//	-I f2b-sshd 1 -s 192.0.2.7/32 -j REJECT --reject-with icmp-port-unreachable
//
// Reads go through go-iptables; every batch of changes is one
// `iptables-restore --noflush` transaction (ip6tables-restore for IPv6), so a
// burst of bans costs one command. A batch that fails is split until the
// failing bans are found; the others are applied. With iptables-nft the
// tables last listed or written are kept and trusted while the nf_tables
// generation says no other program changed them (see realXT).
type IPTables struct {
	name string
	x    xtables
	mu   sync.Mutex
	// hooked records the jails whose hook rule was checked by this process,
	// by family and jail name.
	hooked map[string]bool
	prep   sync.WaitGroup // listings started by PrepareUnbans
}

// NewIPTables returns the iptables backend.
func NewIPTables(cfg IPTablesConfig) *IPTables {
	if cfg.Wait <= 0 {
		cfg.Wait = 10 * time.Second
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	return &IPTables{name: "iptables", x: &realXT{cfg: cfg}, hooked: map[string]bool{}}
}

// Name implements Backend.
func (b *IPTables) Name() string { return b.name }

// Check implements Backend: the iptables, ip6tables and *-restore commands
// must be there and able to read the filter table.
func (b *IPTables) Check(ctx context.Context) error { return b.x.check(ctx) }

// Close implements Backend: it waits for a listing PrepareUnbans started.
func (b *IPTables) Close() error {
	b.prep.Wait()
	return nil
}

// xtables is what the backend needs of iptables: the real commands, or the
// dry run's model.
type xtables interface {
	check(ctx context.Context) error
	// list returns the -S lines of chain ("" for the whole filter table);
	// ok is false when the chain does not exist.
	list(ctx context.Context, fam int, chain string) (lines []string, ok bool, err error)
	// exists runs iptables -C.
	exists(ctx context.Context, fam int, chain string, spec []string) (bool, error)
	// restore applies lines (iptables arguments, one command each) as one
	// transaction.
	restore(ctx context.Context, fam int, lines []string) error
}

func chainName(jail string) string { return "f2b-" + jail }

// hookSpec is the rule that sends the jail's traffic to its chain.
func (r *rule) hookSpec() []string {
	var s []string
	if r.protocol != "all" {
		s = append(s, "-p", r.protocol)
	}
	if len(r.ports) > 0 {
		s = append(s, "-m", "multiport", "--dports", strings.Join(r.ports, ","))
	}
	return append(s, "-j", chainName(r.jail))
}

// target is the verdict of a ban rule.
func (r *rule) target(fam int) []string {
	if !r.reject {
		return []string{"-j", "DROP"}
	}
	with := r.rejectV4
	if fam == 6 {
		with = r.rejectV6
	}
	t := []string{"-j", "REJECT", "--reject-with", with}
	if with == "tcp-reset" {
		t = append([]string{"-p", "tcp"}, t...)
	}
	return t
}

func prefixArg(p netip.Prefix) string { return p.Masked().String() }

// ruleLine cuts an -S line "-A chain rest" and returns the chain, the
// rest (the rule's arguments as printed) and the source prefix when the
// rule matches one. iptables -S prints the source match first ("-A chain
// -s 192.0.2.7/32 ..."): a negated source ("! -s"), or a "-s" further on
// (a comment's text), is no source of the rule.
func ruleLine(line string) (chain, rest string, src netip.Prefix) {
	op, tail, _ := strings.Cut(line, " ")
	if op != "-A" {
		return "", "", netip.Prefix{}
	}
	chain, rest, _ = strings.Cut(tail, " ")
	if a, ok := strings.CutPrefix(rest, "-s "); ok {
		a, _, _ = strings.Cut(a, " ")
		if p, err := netip.ParsePrefix(a); err == nil {
			src = p.Masked()
		} else if ip, err := netip.ParseAddr(a); err == nil {
			src = netip.PrefixFrom(ip, ip.BitLen())
		}
	}
	return chain, rest, src
}

// parseRuleLine is ruleLine with the rule's arguments split into words.
func parseRuleLine(line string) (chain string, args []string, src netip.Prefix) {
	chain, rest, src := ruleLine(line)
	if chain == "" {
		return "", nil, src
	}
	return chain, strings.Fields(rest), src
}

func jumpsTo(args []string, chain string) bool {
	for i := 0; i+1 < len(args); i++ {
		if (args[i] == "-j" || args[i] == "-g") && args[i+1] == chain {
			return true
		}
	}
	return false
}

// Ban implements Backend.
func (b *IPTables) Ban(ctx context.Context, jail JailSettings, bans []Ban) []error {
	return b.apply(ctx, jail, bans, true)
}

// Unban implements Backend.
func (b *IPTables) Unban(ctx context.Context, jail JailSettings, bans []Ban) []error {
	return b.apply(ctx, jail, bans, false)
}

func (b *IPTables) apply(ctx context.Context, jail JailSettings, bans []Ban, ban bool) []error {
	errs := make([]error, len(bans))
	r, err := parseRule(jail)
	if err != nil {
		return fill(errs, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, fam := range []int{4, 6} {
		var idx []int
		for i, x := range bans {
			if x.Prefix.IsValid() && family(x.Prefix) == fam {
				idx = append(idx, i)
			} else if !x.Prefix.IsValid() {
				errs[i] = errors.New("no address")
			}
		}
		if len(idx) == 0 {
			if ban {
				b.rehook(ctx, r, fam)
			}
			continue
		}
		if ban {
			b.banFamily(ctx, r, fam, bans, idx, errs)
		} else {
			b.unbanFamily(ctx, r, fam, bans, idx, errs)
		}
	}
	return errs
}

func fill(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}

func pick(errs []error, idx []int, err error) {
	for _, i := range idx {
		errs[i] = err
	}
}

func cmdName(fam int) string {
	if fam == 6 {
		return "ip6tables"
	}
	return "iptables"
}

// rehook gives the jail's chain of family fam, made by an earlier run, this
// run's hook (a restart with new ports moves the hooks of both families,
// not only that of the family a ban came for). A missing chain is made at
// its first ban.
func (b *IPTables) rehook(ctx context.Context, r *rule, fam int) {
	if b.hooked[fmt.Sprint(fam, "/", r.jail)] {
		return
	}
	if _, ok, err := b.x.list(ctx, fam, chainName(r.jail)); err == nil && ok {
		b.banFamily(ctx, r, fam, nil, nil, nil)
	}
}

func (b *IPTables) banFamily(ctx context.Context, r *rule, fam int, bans []Ban, idx []int, errs []error) {
	chain := chainName(r.jail)
	lines, ok, err := b.x.list(ctx, fam, chain)
	if err != nil {
		pick(errs, idx, err)
		return
	}
	var setup []string
	key := fmt.Sprint(fam, "/", r.jail)
	hook := r.hookSpec()
	if !ok {
		setup = append(setup, "-N "+chain, "-A "+chain+" -j RETURN")
		delete(b.hooked, key)
	}
	if !b.hooked[key] {
		have := false
		if ok {
			have, err = b.x.exists(ctx, fam, r.chain, hook)
			if err != nil {
				pick(errs, idx, err)
				return
			}
		}
		if !have {
			// Replace a hook with other ports or protocol (a restart with new
			// settings) rather than adding a second one.
			hl, hok, err := b.x.list(ctx, fam, r.chain)
			if err != nil {
				pick(errs, idx, err)
				return
			}
			if !hok {
				pick(errs, idx, fmt.Errorf("%s: no chain %s to hook %s from", cmdName(fam), r.chain, chain))
				return
			}
			for _, l := range hl {
				if c, args, _ := parseRuleLine(l); c == r.chain && jumpsTo(args, chain) {
					setup = append(setup, "-D "+r.chain+" "+strings.Join(args, " "))
				}
			}
			setup = append(setup, "-I "+r.chain+" 1 "+strings.Join(hook, " "))
		}
	}
	present := make(map[netip.Prefix]bool, len(lines)+len(idx))
	for _, l := range lines {
		if c, _, src := ruleLine(l); c == chain && src.IsValid() {
			present[src] = true
		}
	}
	target := strings.Join(r.target(fam), " ")
	var units []unit
	now := time.Now()
	for _, i := range idx {
		// no timeout here, but a ban already over is refused as on the
		// other backends
		if _, _, err := remaining(bans[i], r.bantime, now); err != nil {
			errs[i] = err
			continue
		}
		p := bans[i].Prefix.Masked()
		if present[p] {
			continue // in place: never a duplicate; iptables has no timeout to update
		}
		present[p] = true
		units = append(units, unit{owner: i, lines: []string{"-I " + chain + " 1 -s " + prefixArg(p) + " " + target}})
	}
	if len(setup) > 0 {
		all := append([]unit{{owner: -1, lines: setup}}, units...)
		if err := b.x.restore(ctx, fam, joinUnits(all)); err == nil {
			b.hooked[key] = true
			return
		}
		if err := b.x.restore(ctx, fam, setup); err != nil {
			pick(errs, idx, fmt.Errorf("create chain %s: %w", chain, err))
			return
		}
	}
	b.hooked[key] = true
	bisect(units, func(u []unit) error { return b.x.restore(ctx, fam, joinUnits(u)) }, errs)
}

func joinUnits(units []unit) []string {
	var lines []string
	for _, u := range units {
		lines = append(lines, u.lines...)
	}
	return lines
}

func (b *IPTables) unbanFamily(ctx context.Context, r *rule, fam int, bans []Ban, idx []int, errs []error) {
	chain := chainName(r.jail)
	lines, ok, err := b.x.list(ctx, fam, chain)
	if err != nil {
		pick(errs, idx, err)
		return
	}
	if !ok {
		return // nothing banned: unbanning an absent entry is no error
	}
	// One pass over the chain's rules, in order: those of an unbanned
	// source go (hits, in the chain's order), the others stay.
	type source struct {
		owner int  // the first unban of the source
		found bool // a rule of the source is in the chain
	}
	want := make(map[netip.Prefix]source, len(idx))
	for _, i := range idx {
		p := bans[i].Prefix.Masked()
		if _, dup := want[p]; !dup {
			want[p] = source{owner: i}
		}
	}
	type hit struct {
		owner int
		line  string // "-A chain args..."
	}
	hits := make([]hit, 0, min(len(idx), len(lines)))
	keep := make([]string, 0, max(len(lines)-len(idx), 2))
	owners := 0 // unbans with a rule to remove
	for _, l := range lines {
		c, _, src := ruleLine(l)
		if c != chain {
			continue
		}
		if s, ok := want[src]; ok && src.IsValid() {
			if !s.found {
				s.found = true
				want[src] = s
				owners++
			}
			hits = append(hits, hit{s.owner, l})
			continue
		}
		keep = append(keep, l)
	}
	if len(hits) == 0 {
		return
	}
	if owners >= rebuildAt {
		// Each -D searches the chain (in iptables-restore's copy of the
		// table): k deletions from a chain of n rules cost k*n, and a storm
		// of 50,000 unbans took minutes. Rebuild the chain instead, in one
		// transaction: flush it and append the rules that stay, in their
		// order (the -S listing read above, under b.mu). O(n) per batch.
		script := make([]string, 0, len(keep)+1)
		script = append(script, "-F "+chain)
		script = append(script, keep...)
		if err := b.x.restore(ctx, fam, script); err == nil {
			return
		}
		// A failure is reported per ban by the deletions below.
	}
	// One unit per unban, in the order of the unbans, with its rules in
	// the chain's order.
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Compare(a.owner, b.owner) })
	var units []unit
	for _, h := range hits {
		if len(units) == 0 || units[len(units)-1].owner != h.owner {
			units = append(units, unit{owner: h.owner})
		}
		u := &units[len(units)-1]
		u.lines = append(u.lines, "-D"+strings.TrimPrefix(h.line, "-A"))
	}
	bisect(units, func(u []unit) error { return b.x.restore(ctx, fam, joinUnits(u)) }, errs)
}

// CoalesceUnbans implements [UnbanCoalescer]: a batch of unbans lists the
// jail's chain and rebuilds it, whatever its size, so one batch of 50,000
// costs about what one of 10,000 does. The dry run (a model, printing its
// commands) keeps its batches as they come.
func (b *IPTables) CoalesceUnbans() bool {
	_, real := b.x.(*realXT)
	return real
}

// PrepareUnbans implements [UnbanCoalescer]: with iptables-nft, and unless
// the copy of p's family's table is valid already, a goroutine lists the
// table into the copy now (under the same lock and generation checks as
// every listing), so that the batch of unbans, applied once they stop
// coming, finds it valid instead of listing then. Legacy iptables keeps
// no copy: nothing to prepare.
func (b *IPTables) PrepareUnbans(ctx context.Context, p netip.Prefix) {
	x, ok := b.x.(*realXT)
	if !ok || !p.IsValid() {
		return
	}
	fam := family(p)
	b.prep.Add(1)
	go func() {
		defer b.prep.Done()
		x.prepare(ctx, fam)
	}()
}

// rebuildAt is the number of unbans in one batch from which the jail's
// chain is rebuilt rather than edited rule by rule.
const rebuildAt = 32

// List implements Backend: the source addresses of the rules in the
// f2b-<jail> chains.
func (b *IPTables) List(ctx context.Context, jail string) ([]Entry, error) {
	var out []Entry
	for _, fam := range []int{4, 6} {
		lines, _, err := b.x.list(ctx, fam, "")
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			c, _, src := ruleLine(l)
			j, ok := strings.CutPrefix(c, "f2b-")
			if !ok || !src.IsValid() || jail != "" && j != jail {
				continue
			}
			out = append(out, Entry{Jail: j, Prefix: src})
		}
	}
	return out, nil
}

// Flush implements Backend: it removes the hook rules and the chains of
// jail (of every f2b- chain when jail is "").
func (b *IPTables) Flush(ctx context.Context, jail string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, fam := range []int{4, 6} {
		lines, _, err := b.x.list(ctx, fam, "")
		if err != nil {
			return err
		}
		chains := map[string]bool{}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) == 2 && f[0] == "-N" && strings.HasPrefix(f[1], "f2b-") && (jail == "" || f[1] == chainName(jail)) {
				chains[f[1]] = true
			}
		}
		if len(chains) == 0 {
			continue
		}
		var script []string
		for _, l := range lines {
			c, args, _ := parseRuleLine(l)
			if c == "" || chains[c] {
				continue
			}
			for ch := range chains {
				if jumpsTo(args, ch) {
					script = append(script, "-D "+c+" "+strings.Join(args, " "))
				}
			}
		}
		names := make([]string, 0, len(chains))
		for ch := range chains {
			names = append(names, ch)
			delete(b.hooked, fmt.Sprint(fam, "/", strings.TrimPrefix(ch, "f2b-")))
		}
		sort.Strings(names)
		for _, ch := range names {
			script = append(script, "-F "+ch)
		}
		for _, ch := range names {
			script = append(script, "-X "+ch)
		}
		if err := b.x.restore(ctx, fam, script); err != nil {
			return err
		}
	}
	return nil
}

// realXT runs the commands.
type realXT struct {
	cfg  IPTablesConfig
	once sync.Once
	ipt  [2]*iptables.IPTables
	err  error

	// With iptables-nft, the tables as last listed or written by this
	// process are kept (model, one string per rule), valid while the
	// nf_tables generation (gen: nil with legacy iptables, or when it
	// cannot be read) is the one recorded: a listing of a chain of 50,000
	// rules costs about a second, reading the generation one netlink
	// message. Any change made by another program moves the generation
	// and the next list reads the kernel again.
	mu    sync.Mutex
	netns string // the network namespace of gen (/proc/thread-self/ns/net)
	gen   *nftGen
	model *modelXT
	at    uint32  // the generation the model is valid at
	valid [2]bool // the model's table of each family is valid at at
}

func (x *realXT) waitSeconds() int {
	s := int(x.cfg.Wait / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// bin is the iptables command of family fam.
func (x *realXT) bin(fam int) string {
	if x.cfg.Variant == "" {
		return cmdName(fam)
	}
	return cmdName(fam) + "-" + x.cfg.Variant
}

func (x *realXT) init() error {
	x.once.Do(func() {
		for i, p := range []iptables.Protocol{iptables.ProtocolIPv4, iptables.ProtocolIPv6} {
			bin := x.bin(4 + 2*i)
			path, err := exec.LookPath(bin)
			if err != nil {
				x.err = fmt.Errorf("%s not found in PATH (install the iptables package)", bin)
				return
			}
			ipt, err := iptables.New(iptables.IPFamily(p), iptables.Timeout(x.waitSeconds()), iptables.Path(path))
			if err != nil {
				x.err = fmt.Errorf("%s: %w", bin, err)
				return
			}
			x.ipt[i] = ipt
		}
		x.gen = openGen(x.bin(4), x.bin(6))
		// the namespace the generation is read in ("" if unknown: then
		// prepare does nothing)
		x.netns, _ = os.Readlink("/proc/thread-self/ns/net")
		x.model = newModelXT(nil)
	})
	return x.err
}

// openGen returns the nf_tables generation reader when the iptables
// commands are iptables-nft, nil otherwise.
func openGen(cmds ...string) *nftGen {
	for _, c := range cmds {
		out, err := exec.Command(c, "--version").Output()
		if err != nil || !bytes.Contains(out, []byte("nf_tables")) {
			return nil
		}
	}
	g, err := dialNftGen()
	if err != nil {
		return nil
	}
	if _, err := g.read(); err != nil {
		g.close()
		return nil
	}
	return g
}

// generation reads the nf_tables generation; ok is false without one.
func (x *realXT) generation() (uint32, bool) {
	if x.gen == nil {
		return 0, false
	}
	g, err := x.gen.read()
	return g, err == nil
}

func (x *realXT) get(fam int) (*iptables.IPTables, error) {
	if err := x.init(); err != nil {
		return nil, err
	}
	if fam == 6 {
		return x.ipt[1], nil
	}
	return x.ipt[0], nil
}

func (x *realXT) check(ctx context.Context) error {
	for _, c := range []string{x.bin(4), x.bin(4) + "-restore", x.bin(6), x.bin(6) + "-restore"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%s not found in PATH (install the iptables package)", c)
		}
	}
	if err := x.init(); err != nil {
		return err
	}
	for _, fam := range []int{4, 6} {
		// INPUT alone: listing the whole table costs seconds when a jail
		// holds 50,000 rules.
		err := x.retry(ctx, func() error {
			_, err := listTable(ctx, x.bin(fam), x.waitSeconds(), "INPUT")
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: list INPUT: %s", x.bin(fam), cleanErr(err))
		}
	}
	return nil
}

// retry runs f again while it fails on the xtables lock or a busy
// resource (exit status 4), at most Retries more times.
func (x *realXT) retry(ctx context.Context, f func() error) error {
	var err error
	for try := 0; ; try++ {
		err = f()
		var ie *iptables.Error
		var ee *exec.ExitError
		busy := errors.As(err, &ie) && ie.ExitStatus() == 4 || errors.As(err, &ee) && ee.ExitCode() == 4
		if !busy {
			return err
		}
		if try >= x.cfg.Retries {
			return &busyError{err: err, tries: try + 1, wait: x.waitSeconds()}
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try+1) * 200 * time.Millisecond):
		}
	}
}

// list reads the whole filter table (one command) and keeps chain's
// lines: iptables-nft 1.8.9 reports a missing chain with a message that
// go-iptables does not know ("chain ... is incompatible, use 'nft' tool"),
// so existence is decided by the table's own -N/-P lines.
// busyError is a command that still failed on the xtables lock (or
// another busy resource, exit status 4) after every retry.
type busyError struct {
	err   error
	tries int
	wait  int
}

func (e *busyError) Error() string {
	return fmt.Sprintf("%s (the xtables lock stayed busy: %d tries waiting up to %ds each)", cleanErr(e.err), e.tries, e.wait)
}

func (e *busyError) Unwrap() error { return e.err }

func (x *realXT) list(ctx context.Context, fam int, chain string) ([]string, bool, error) {
	if err := x.init(); err != nil {
		return nil, false, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.modelValid(fam) {
		return x.model.list(ctx, fam, chain)
	}
	lines, err := x.listKernel(ctx, fam)
	if err != nil {
		return nil, false, fmt.Errorf("%s: list %s: %s", x.bin(fam), chainOrTable(chain), cleanErr(err))
	}
	if chain == "" {
		return lines, true, nil
	}
	return chainLines(lines, chain)
}

// prepare lists the table of family fam into the model unless the model
// holds it at the current generation (see PrepareUnbans). It runs on a
// goroutine of its own, so on a thread that may be in another network
// namespace than the one the backend was made in (a caller that locked
// its thread into one, as tests do): then it does nothing, for its
// listing would be of the other namespace's tables.
func (x *realXT) prepare(ctx context.Context, fam int) {
	if x.init() != nil || x.gen == nil {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if ns, err := os.Readlink("/proc/thread-self/ns/net"); err != nil || ns != x.netns || ns == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.modelValid(fam) {
		x.listKernel(ctx, fam) // an error is the next list's to report
	}
}

// modelValid reports whether the model holds the table of family fam at
// the current nf_tables generation. x.mu is held.
func (x *realXT) modelValid(fam int) bool {
	g, ok := x.generation()
	return ok && x.valid[famIndex(fam)] && x.at == g
}

// listKernel lists the table of family fam; when no nf_tables
// transaction committed during the listing, the model holds it. x.mu is
// held.
func (x *realXT) listKernel(ctx context.Context, fam int) ([]string, error) {
	g0, genOK := x.generation()
	var lines []string
	err := x.retry(ctx, func() error {
		var err error
		lines, err = listTable(ctx, x.bin(fam), x.waitSeconds(), "")
		return err
	})
	if err != nil {
		return nil, err
	}
	if g1, ok := x.generation(); genOK && ok && g1 == g0 {
		// Nothing changed during the listing: the model holds it.
		if x.at != g0 {
			x.valid = [2]bool{}
			x.at = g0
		}
		x.model.load(fam, lines)
		x.valid[famIndex(fam)] = true
	}
	return lines, nil
}

// chainLines keeps the lines of chain from a whole table's -S lines.
func chainLines(table []string, chain string) ([]string, bool, error) {
	var out []string
	ok := false
	for _, l := range table {
		op, rest, _ := strings.Cut(l, " ")
		if c, _, _ := strings.Cut(rest, " "); c != chain {
			continue
		}
		switch op {
		case "-N", "-P":
			ok = true
			out = append(out, l)
		case "-A":
			if out == nil {
				out = make([]string, 0, len(table))
			}
			out = append(out, l)
		}
	}
	return out, ok, nil
}

func chainOrTable(c string) string {
	if c == "" {
		return "filter table"
	}
	return c
}

// cleanErr shortens go-iptables' "running [argv]: exit status N: msg".
func cleanErr(err error) string {
	var ie *iptables.Error
	if errors.As(err, &ie) {
		s := ie.Error()
		if i := strings.Index(s, "]: "); i >= 0 {
			s = s[i+3:]
		}
		return firstLine(s)
	}
	return err.Error()
}

// firstLine returns the first non-empty line of s, without the usage
// hint that iptables prints after parameter problems.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// listTable runs `iptables -t filter -S` (go-iptables lists only chain names
// for a whole table).
func listTable(ctx context.Context, cmd string, wait int, chain string) ([]string, error) {
	var stderr bytes.Buffer
	args := []string{"-t", "filter", "-S"}
	if chain != "" {
		args = append(args, chain)
	}
	c := exec.CommandContext(ctx, cmd, append(args, "--wait", strconv.Itoa(wait))...)
	c.Stderr = &stderr
	stdout, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	lines, rerr := readLines(stdout, 1<<20)
	if rerr != nil {
		io.Copy(io.Discard, stdout)
	}
	if err := c.Wait(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, firstLine(stderr.String()))
	}
	if rerr != nil {
		return nil, rerr
	}
	return lines, nil
}

// readLines returns the lines of r, without their line ends, refusing a
// line longer than limit bytes. The lines of each read share one string: a
// table of 50,000 rules is megabytes of text, and a string per line (or
// one buffer grown to hold it all) costs more than the listing's parse.
func readLines(r io.Reader, limit int) ([]string, error) {
	var lines []string
	buf := make([]byte, 64<<10)
	n := 0 // bytes of buf not yet cut into lines
	for {
		m, err := r.Read(buf[n:])
		n += m
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			for s := string(buf[:i]); ; {
				l, rest, more := strings.Cut(s, "\n")
				lines = append(lines, l)
				if !more {
					break
				}
				s = rest
			}
			n = copy(buf, buf[i+1:n])
		}
		switch {
		case err == io.EOF:
			if n > 0 {
				lines = append(lines, string(buf[:n]))
			}
			return lines, nil
		case err != nil:
			return nil, err
		case n > limit:
			return nil, fmt.Errorf("a line of more than %d bytes", limit)
		case n == len(buf):
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}

func (x *realXT) exists(ctx context.Context, fam int, chain string, spec []string) (bool, error) {
	ipt, err := x.get(fam)
	if err != nil {
		return false, err
	}
	var ok bool
	err = x.retry(ctx, func() error {
		var err error
		ok, err = ipt.Exists("filter", chain, spec...)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("%s: check rule in %s: %s", x.bin(fam), chain, cleanErr(err))
	}
	return ok, nil
}

// restoreError is a failed iptables-restore with its message.
type restoreError struct {
	cmd string
	msg string
	err error
}

func (e *restoreError) Error() string {
	if e.msg == "" {
		return e.cmd + ": " + e.err.Error()
	}
	return e.cmd + ": " + e.msg
}

func (e *restoreError) Unwrap() error { return e.err }

func (x *realXT) restore(ctx context.Context, fam int, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	var in bytes.Buffer
	in.WriteString("*filter\n")
	for _, l := range lines {
		in.WriteString(l)
		in.WriteByte('\n')
	}
	in.WriteString("COMMIT\n")
	script := in.Bytes()
	x.mu.Lock()
	defer x.mu.Unlock()
	g0, genOK := x.generation()
	err := x.restoreScript(ctx, fam, script)
	g1, ok := x.generation()
	fi := famIndex(fam)
	switch {
	case !genOK || !ok || x.at != g0:
		x.valid = [2]bool{}
	case err != nil && g1 == g0:
		// nothing committed (a failed transaction): the model stays
	case err == nil && g1 == g0+1:
		// our transaction alone: the model follows it
		if x.valid[fi] && x.model.restore(ctx, fam, lines) != nil {
			x.valid[fi] = false
		}
		x.at = g1
	default:
		x.valid = [2]bool{}
	}
	return err
}

func (x *realXT) restoreScript(ctx context.Context, fam int, script []byte) error {
	cmd := x.bin(fam) + "-restore"
	return x.retry(ctx, func() error {
		var stderr bytes.Buffer
		c := exec.CommandContext(ctx, cmd, "--noflush", "--wait", strconv.Itoa(x.waitSeconds()))
		c.Stdin, c.Stderr = bytes.NewReader(script), &stderr
		if err := c.Run(); err != nil {
			msg := firstLine(stderr.String())
			msg = strings.TrimPrefix(msg, cmd+": ")
			return &restoreError{cmd: cmd, msg: msg, err: err}
		}
		return nil
	})
}
