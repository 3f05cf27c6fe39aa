// Package event defines the JSON Lines events that banpipe's three programs
// exchange, with a streaming [Reader] and a buffered [Writer].
//
// Every event is one JSON object on one line. There are four kinds, told
// apart by the "action" field and the "applied" field.
//
// # Failure (written by logmatch, read by bancount)
//
//		{"time":"2026-11-21T10:04:05+01:00","jail":"sshd","filter":"sshd","host":"192.0.2.7","ip":"192.0.2.7","lineno":42,"attempts":1,"user":"root"}
//
//	  - action: absent.
//	  - time (string, RFC 3339 with offset, required): when the failure happened;
//	    fractional seconds appear when the log line had them.
//	  - jail (string, required): the jail the failure counts toward.
//	  - filter (string): the filter that matched; absent when unknown.
//	  - host (string): the failure id as captured (an address, a host name or an
//	    <F-ID> value). Required unless ip is given.
//	  - ip (string): the normalised address, when host is or resolved to one;
//	    absent otherwise. IPv4-mapped IPv6 addresses are written as IPv4.
//	  - lineno (number): the 1-based input line on which the failure was decided;
//	    absent when zero. When logmatch reads a jail's own sources (--config,
//	    --follow) it is the line's number within its file, or a journal
//	    record's sequence number (its cursor's i=), the same when the line is
//	    read again after a restart (bancount's dedupe key).
//	  - attempts (number): the log lines merged into this failure; absent when 0.
//	  - users (array of strings): the distinct users of a multi-line failure, when
//	    there were several.
//	  - matches (array of strings): the log text of the failure, one string per
//	    line (a multi-line failure: all its lines, at most [MaxMatchLines], the
//	    last ones), each cut to at most [MaxMatchLen] bytes (at a UTF-8
//	    boundary), without line ends. Optional: absent when the producer does
//	    not keep the text. Actions see it as fail2ban's <matches>.
//	  - resolved (bool): true when ip was found by a DNS look-up of host (with
//	    usedns); absent otherwise. Such a failure counts under its address, as
//	    fail2ban counts it; a failure whose host differs from its ip without it
//	    (an <F-ID>) counts under its host text (see [Event.ID]).
//	  - any other string field: an <F-NAME> capture of the filter, its name
//	    lower-cased ("user", "port", ...), present when non-empty.
//
// # Ban and unban (written by bancount, read by fwban)
//
//		{"action":"ban","time":"...","jail":"sshd","ip":"192.0.2.7","failures":5,"bantime":3600,"until":"...","bancount":1}
//		{"action":"unban","time":"...","jail":"sshd","ip":"192.0.2.7"}
//
//	  - action (string, required): "ban" or "unban".
//	  - time (string, RFC 3339): when the decision was taken; may be absent in
//	    hand-written events.
//	  - jail (string, required).
//	  - ip (string): an address or a CIDR prefix (a subnet ban). Required unless
//	    host is given: a ban of a non-address id carries host and no ip.
//	  - host (string): the id when it is not an address (an <F-ID>, a host
//	    name); such a ban also carries ip when the id's address is known, and
//	    fwban applies the ban to that ip.
//	  - failures (number): failures that led to the ban.
//	  - bantime (number): the ban's length in seconds; -1 is permanent.
//	  - until (string, RFC 3339): when the ban ends; absent for permanent bans
//	    and unbans. A ban of an address already banned updates its end.
//	  - bancount (number): how many times this id has been banned (1 the first time).
//	  - restored (bool): true for bans re-emitted from persistent state at start.
//	  - reason (string): why an unban happened ("expired", "manual", ...), when known.
//	  - matches (array of strings, on bans): the log lines of the failures that
//	    led to the ban, oldest first: the last maxmatches lines of the window (a
//	    jail option, default maxretry, as fail2ban's), absent when none were
//	    kept (maxmatches 0, a ban restored from the state or adopted from the
//	    fleet). fwban gives them to actions as <matches>, <ipmatches> and
//	    <ipjailmatches>.
//
// # Result (written by fwban)
//
// The event fwban read, every field kept as it was, plus:
//
//   - applied (bool): whether the firewall now reflects the event.
//   - error (string): why it was not applied; absent when applied is true.
//
// # Reading
//
// [Reader] reads one event per line. A bad line (not JSON, a field of the wrong
// type, a missing required field, an invalid address, a line over [MaxLine]
// bytes) is returned as a *[LineError] carrying the line number; the caller
// reports and counts it, and reading goes on with the next line.
package event

import (
	"net/netip"
	"time"
	"unicode/utf8"
)

// Actions.
const (
	ActionBan   = "ban"
	ActionUnban = "unban"
)

// MaxLine is the longest event line, in bytes, that a [Reader] accepts.
const MaxLine = 1 << 20

// Bounds of the matches field as written by banpipe's programs: a line of
// log text is cut to MaxMatchLen bytes, a multi-line failure keeps its last
// MaxMatchLines lines. (A ban holds at most the jail's maxmatches lines.)
const (
	MaxMatchLen   = 1024
	MaxMatchLines = 32
)

// Event is one line of the stream. Which fields are set depends on its kind;
// see the package documentation.
type Event struct {
	Action string    // "" for a failure, ActionBan or ActionUnban
	Time   time.Time // zero when absent
	Jail   string
	Filter string
	Host   string
	// IP is the address or prefix; a single address is a full-length prefix.
	// The zero Prefix means absent.
	IP       netip.Prefix
	Lineno   int64
	Attempts int
	Users    []string
	// Matches is the matched log text, one string per line (the matches
	// field); nil when absent.
	Matches []string
	// Captures holds the <F-NAME> captures of a failure (lower-cased names),
	// and any other unknown string field of an event.
	Captures map[string]string
	// Fields, when not empty, are written in place of Captures, in their
	// order: a producer that knows its capture names (logmatch: a filter's
	// are fixed) keeps them sorted by name and saves a map and a sort per
	// event. Names are lower-cased and distinct; an empty value or the name
	// of a known field is skipped, as in Captures. Readers fill Captures,
	// never Fields.
	Fields []Field

	Failures int
	Bantime  int64     // seconds; -1 permanent
	Until    time.Time // zero when absent
	Bancount int
	Restored bool
	Reason   string
	// Resolved marks a failure whose IP came from a DNS look-up of Host.
	Resolved bool

	// Applied and Error are set on fwban's results. Applied is nil when absent.
	Applied *bool
	Error   string

	// Raw is the line the event was read from, without its newline; nil for
	// events made in the program.
	Raw []byte
}

// Field is one string field of an event: an <F-NAME> capture.
type Field struct {
	Name, Value string
}

// IsFailure reports whether e is a failure event.
func (e *Event) IsFailure() bool { return e.Action == "" }

// Addr returns the single address of e, if its ip is one address.
func (e *Event) Addr() (netip.Addr, bool) {
	if !e.IP.IsValid() || !e.IP.IsSingleIP() {
		return netip.Addr{}, false
	}
	return e.IP.Addr(), true
}

// ID is the identity that bans and counts key on, as fail2ban decides it:
// the host text when it differs from the ip (an <F-ID>; not a host name
// that was resolved to the ip, see Resolved), else the ip (prefixes in CIDR
// form), else the host.
func (e *Event) ID() string {
	if e.HostID() {
		return e.Host
	}
	if e.IP.IsValid() {
		return FormatPrefix(e.IP)
	}
	return e.Host
}

// HostID reports whether the event's id is its host text although it has
// an ip: the host differs from the ip and was not resolved to it.
func (e *Event) HostID() bool {
	return e.Host != "" && e.IP.IsValid() && !e.Resolved && !hostIsIP([]byte(e.Host), e.IP)
}

// FormatPrefix formats p as an address when it is a single address and in
// CIDR notation otherwise.
func FormatPrefix(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// ParseIP parses an address or a CIDR prefix as used in the ip field. It
// unmaps IPv4-mapped IPv6 addresses, masks prefixes, and rejects zones and
// addresses with leading zeros, as fail2ban does.
func ParseIP(s string) (netip.Prefix, error) {
	// most addresses of failures are plain dotted quads: read without
	// netip's parser, its search for a '/' and the unmapping
	if a, ok := parseIPv4(s); ok {
		return netip.PrefixFrom(a, 32), nil
	}
	return parseIP(s)
}

// parseIP is ParseIP without the dotted-quad fast path: the decoder's
// path for what that path declined on the bytes, and the tests' reference
// for it.
func parseIP(s string) (netip.Prefix, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return netip.Prefix{}, err
			}
			a := p.Addr()
			bits := p.Bits()
			if a.Is4In6() && bits >= 96 {
				a, bits = a.Unmap(), bits-96
			}
			return netip.PrefixFrom(a, bits).Masked(), nil
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errZone
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errZone = constError("address with a zone")

// CutMatch returns s cut to at most [MaxMatchLen] bytes at a UTF-8
// boundary, for the matches field.
func CutMatch(s string) string {
	if len(s) <= MaxMatchLen {
		return s
	}
	n := MaxMatchLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
