package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// MaxJailName is the longest jail name the kernel backends accept: the
// names they derive from it (the chain f2b-<jail>, the sets f2b-<jail>6 and
// f2b-<jail>-net6) must fit the kernel's limits (28 characters for an
// iptables chain, 31 for an ipset).
const MaxJailName = 22

// DefaultBantime is the ban length used for a ban that carries neither
// bantime nor until, when the jail gives none either (fail2ban's default).
const DefaultBantime = 10 * time.Minute

// CheckJailName reports whether name can name a jail's firewall objects: 1
// to MaxJailName letters, digits, '_', '-' or '.', starting with a letter or
// digit. Nothing else reaches a rule or a set name.
func CheckJailName(name string) error {
	if name == "" {
		return errors.New("empty jail name")
	}
	if len(name) > MaxJailName {
		return fmt.Errorf("jail name %q longer than %d characters", name, MaxJailName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isAlnum(c) || (i > 0 && (c == '_' || c == '-' || c == '.')) {
			continue
		}
		return fmt.Errorf("jail name %q: only letters, digits, '_', '-' and '.' are allowed", name)
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// rule is a jail's settings checked and split into what the backends put
// in their rules.
type rule struct {
	jail      string
	protocol  string   // tcp, udp, ... or "all"
	ports     []string // empty: all ports; "22", "ssh", "1000:2000"
	chain     string   // hook chain (iptables)
	reject    bool     // REJECT (else DROP)
	rejectV4  string   // --reject-with for IPv4
	rejectV6  string   // --reject-with for IPv6
	bantime   time.Duration
	blocktype string
}

var multiportProtocols = map[string]bool{"tcp": true, "udp": true, "udplite": true, "sctp": true, "dccp": true}

// reject types: IPv4 name -> IPv6 name.
var rejectTypes = map[string]string{
	"icmp-port-unreachable":  "icmp6-port-unreachable",
	"icmp-host-unreachable":  "icmp6-addr-unreachable",
	"icmp-net-unreachable":   "icmp6-no-route",
	"icmp-admin-prohibited":  "icmp6-adm-prohibited",
	"icmp-host-prohibited":   "icmp6-adm-prohibited",
	"icmp-net-prohibited":    "icmp6-adm-prohibited",
	"icmp-proto-unreachable": "icmp6-port-unreachable",
	"tcp-reset":              "tcp-reset",
}

// parseRule checks jail's settings.
func parseRule(j JailSettings) (*rule, error) {
	if err := CheckJailName(j.Name); err != nil {
		return nil, err
	}
	r := &rule{jail: j.Name, protocol: strings.ToLower(strings.TrimSpace(j.Protocol)), chain: strings.TrimSpace(j.Chain), bantime: j.Bantime}
	if r.protocol == "" {
		r.protocol = "tcp"
	}
	if r.protocol != "all" && !multiportProtocols[r.protocol] && r.protocol != "icmp" {
		return nil, fmt.Errorf("jail %s: protocol %q: want tcp, udp, udplite, sctp, dccp, icmp or all", j.Name, j.Protocol)
	}
	if r.chain == "" {
		r.chain = "INPUT"
	}
	if len(r.chain) > 28 || strings.IndexFunc(r.chain, func(c rune) bool { return c > 127 || !isAlnum(byte(c)) && c != '_' && c != '-' }) >= 0 {
		return nil, fmt.Errorf("jail %s: chain %q: want up to 28 letters, digits, '_' or '-'", j.Name, j.Chain)
	}
	ports, err := parsePorts(j.Ports)
	if err != nil {
		return nil, fmt.Errorf("jail %s: port %q: %v", j.Name, j.Ports, err)
	}
	if len(ports) > 0 && !multiportProtocols[r.protocol] {
		return nil, fmt.Errorf("jail %s: ports need protocol tcp, udp, udplite, sctp or dccp, not %q (or use all ports)", j.Name, r.protocol)
	}
	r.ports = ports
	r.blocktype = strings.TrimSpace(j.Blocktype)
	f := strings.Fields(r.blocktype)
	switch {
	case len(f) == 0 || len(f) == 1 && strings.EqualFold(f[0], "REJECT"):
		r.reject, r.rejectV4, r.rejectV6 = true, "icmp-port-unreachable", "icmp6-port-unreachable"
		r.blocktype = "REJECT"
	case len(f) == 1 && strings.EqualFold(f[0], "DROP"):
		r.blocktype = "DROP"
	case len(f) == 3 && strings.EqualFold(f[0], "REJECT") && f[1] == "--reject-with":
		r.reject = true
		t := strings.ToLower(f[2])
		if v6, ok := rejectTypes[t]; ok {
			r.rejectV4, r.rejectV6 = t, v6
		} else {
			for v4, v6 := range rejectTypes {
				if v6 == t {
					r.rejectV4, r.rejectV6 = v4, v6
				}
			}
		}
		if r.rejectV4 == "" {
			return nil, fmt.Errorf("jail %s: blocktype %q: unknown reject type %q", j.Name, j.Blocktype, f[2])
		}
		if r.rejectV4 == "icmp-port-unreachable" {
			r.rejectV6 = "icmp6-port-unreachable"
		}
	default:
		return nil, fmt.Errorf("jail %s: blocktype %q: want REJECT, DROP or REJECT --reject-with TYPE", j.Name, j.Blocktype)
	}
	return r, nil
}

// parsePorts splits a fail2ban port list ("ssh", "22,2222", "1000:2000").
// An empty list, "all", "any" or "0:65535" means every port.
func parsePorts(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "all", "any", "0:65535", "1:65535":
		return nil, nil
	}
	var ports []string
	n := 0
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, errors.New("empty port")
		}
		parts := strings.Split(p, ":")
		if len(parts) > 2 {
			return nil, fmt.Errorf("bad range %q", p)
		}
		for _, q := range parts {
			if q == "" || !isAlnum(q[0]) || strings.IndexFunc(q, func(c rune) bool { return c > 127 || !isAlnum(byte(c)) && c != '_' && c != '-' }) >= 0 {
				return nil, fmt.Errorf("bad port %q", q)
			}
		}
		n += len(parts)
		ports = append(ports, p)
	}
	if n > 15 {
		return nil, errors.New("more than 15 ports (a range counts as two)")
	}
	return ports, nil
}

// remaining returns how long b stays banned from now: permanent, or a
// positive duration: until its end, or its bantime when its end has passed
// (a replay of old logs decides in log time) or is not given; an error when
// it has only an end, and that has passed: a ban already over is nothing to
// ban, on every backend (iptables, which has no timeouts, included).
func remaining(b Ban, def time.Duration, now time.Time) (d time.Duration, permanent bool, err error) {
	switch {
	case b.Bantime < 0:
		return 0, true, nil
	case !b.Until.IsZero() && b.Until.After(now):
		return b.Until.Sub(now), false, nil
	case !b.Until.IsZero() && b.Bantime <= 0:
		return 0, false, fmt.Errorf("ban already over (until %s)", b.Until.Format(time.RFC3339))
	case b.Bantime > 0:
		return b.Bantime, false, nil
	case def < 0:
		return 0, true, nil
	case def > 0:
		return def, false, nil
	}
	return DefaultBantime, false, nil
}

// MaxKernelTimeout is the longest kernel timeout a ban gets, in seconds
// (ipset's limit, 24.8 days), on ipset and nftables alike: a longer ban is
// stored without a timeout (permanent in the kernel, as every ban is on
// iptables) and removed by its unban event.
const MaxKernelTimeout = 2147483

// kernelTimeout is the kernel timeout of a ban with d left: whole seconds,
// rounded up (a ban never ends before its until) without overflow for any
// d; ok is false when d is longer than MaxKernelTimeout (no timeout).
func kernelTimeout(d time.Duration) (secs int64, ok bool) {
	secs = int64(d / time.Second)
	if d%time.Second != 0 {
		secs++
	}
	if secs > MaxKernelTimeout {
		return 0, false
	}
	return max(secs, 1), true
}

// family is 4 or 6.
func family(p netip.Prefix) int {
	if p.Addr().Is4() {
		return 4
	}
	return 6
}

// unit is a part of a batch owned by one ban: the lines that apply it.
type unit struct {
	owner int
	lines []string
}

// bisect applies units with run. When run fails, it applies each half
// separately, down to single units, whose error is the ban's. It gives up
// splitting after a bounded number of runs and gives the last error to every
// unit left.
func bisect(units []unit, run func([]unit) error, errs []error) {
	budget := 64
	var do func(u []unit)
	do = func(u []unit) {
		if len(u) == 0 {
			return
		}
		budget--
		err := run(u)
		if err == nil {
			return
		}
		if len(u) == 1 || budget <= 0 {
			for _, x := range u {
				errs[x.owner] = err
			}
			return
		}
		do(u[:len(u)/2])
		do(u[len(u)/2:])
	}
	do(units)
}

// CheckSettings reports whether the kernel backends accept j: its name,
// protocol, chain, ports and blocktype (what fwban --check verifies
// before any ban).
func CheckSettings(j JailSettings) error {
	_, err := parseRule(j)
	return err
}
