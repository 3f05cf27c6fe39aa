// Package firewall applies bans to the kernel firewall. Each backend
// implements [Backend]; fwban routes every ban and unban event to the
// backend of its jail:
//
//   - [IPTables]: a chain f2b-<jail> per jail (and family), hooked from
//     INPUT, one rule per banned address; batches go in as one
//     iptables-restore --noflush transaction.
//   - [IPSet]: kernel sets f2b-<jail>, f2b-<jail>6 (hash:ip) and
//     f2b-<jail>-net, f2b-<jail>-net6 (hash:net) with per-entry timeouts,
//     matched by one iptables rule per set.
//   - [NFTables]: the table inet banpipe, four sets with per-element
//     timeouts per jail and one hook rule per jail.
//   - [NewDryRun]: the iptables backend's decisions, written as shell
//     commands instead of run.
//   - package action: fail2ban action.d commands.
//
// Every backend creates a jail's objects at its first ban, never adds a
// duplicate for a ban already in place (a re-ban updates the kernel
// timeout where there is one), treats the unban of an absent entry as
// done, and reports one error per ban of a batch. Jail names are limited
// to [MaxJailName] letters, digits, '_', '-' and '.', and ports, protocol,
// chain and blocktype are checked, so that nothing else reaches a rule.
//
// Backends apply what they are given: fwban checks every ban with
// ignore.Guard first (loopback, the unspecified address, every address,
// the ignore list, the machine's own addresses and the SSH client, alone or
// inside a prefix).
package firewall

import (
	"context"
	"net/netip"
	"time"
)

// Ban is one ban or unban to apply.
type Ban struct {
	Jail     string
	Prefix   netip.Prefix  // the address (full-length prefix) or subnet
	Bantime  time.Duration // <0: permanent; 0: unknown
	Until    time.Time     // zero: permanent or unknown
	Time     time.Time     // when the decision was taken
	Failures int
	Bancount int
	Restored bool
	// Captures are the failure's <F-*> captures and other string fields of
	// the event (for action.d tags such as <F-USER>).
	Captures map[string]string
	// Matches are the log lines of the failures that led to the ban (the
	// event's matches field), for action.d's <matches>.
	Matches []string
}

// JailSettings is what a backend needs to know of a jail.
type JailSettings struct {
	Name      string
	Ports     string // "ssh" or "22,2222" or "" for all ports
	Protocol  string // "tcp" (default), "udp", "all"
	Chain     string // hook chain, "INPUT" by default
	Blocktype string // "REJECT" (default, fail2ban's icmp-port-unreachable), "DROP"
	// Bantime is the ban length for bans that carry neither bantime nor
	// until (0: DefaultBantime; <0: permanent).
	Bantime time.Duration
	// Options holds the jail's other settings (from a jail configuration) for
	// backends that interpolate them, such as action.d.
	Options map[string]string
}

// Entry is one ban the firewall holds.
type Entry struct {
	Jail    string
	Prefix  netip.Prefix
	Expires time.Duration // time left in the kernel; 0: none or unknown
}

// Backend applies bans to one firewall.
type Backend interface {
	// Name is the backend's name as given to --backend.
	Name() string
	// Check verifies at start that the tools and kernel features the backend
	// needs are there, with a clear error otherwise.
	Check(ctx context.Context) error
	// Ban applies the bans of one jail as one batch (created on the jail's
	// first ban); errs[i] is the result of bans[i]. A ban already in place is
	// updated (its timeout), never duplicated.
	Ban(ctx context.Context, jail JailSettings, bans []Ban) (errs []error)
	// Unban removes the bans; removing an absent entry is no error.
	Unban(ctx context.Context, jail JailSettings, bans []Ban) (errs []error)
	// List returns the bans held for jail ("" for every jail).
	List(ctx context.Context, jail string) ([]Entry, error)
	// Flush removes everything the backend made for jail ("" for all).
	Flush(ctx context.Context, jail string) error
	// Close releases resources; the firewall state stays.
	Close() error
}

// UnbanCoalescer is implemented by a Backend whose Unban of one batch costs
// about the size of the jail, not of the batch (the iptables backend lists
// the jail's chain and rebuilds it): its callers gain by letting unbans,
// which are not urgent, gather into few large batches. Bans never wait.
type UnbanCoalescer interface {
	CoalesceUnbans() bool
	// PrepareUnbans is called when the first unban of p's family (IPv4 or
	// IPv6) starts to wait: the backend may start, in the background,
	// reading what the batch will need (the iptables backend with
	// iptables-nft lists the table once into its validated copy while the
	// unbans still come). It returns at once.
	PrepareUnbans(ctx context.Context, p netip.Prefix)
}
