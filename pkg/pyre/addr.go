package pyre

import "sync"

// fail2ban's address: the alternation of an IPv4 address (after an
// optional "::ffff:") and an IPv6 address that its <HOST>, <ADDR> and
// <SUBNET> tags put between "\[?" and "\]?" (pkg/filter's tagAddr). Nearly
// every failregex has it, and on a forget-only sshd line ("Accepted
// publickey for u from ADDR ...") the sure-match walker spent two thirds
// of its time in it: the tree walk visits about fifteen nodes for
// "198.51.100.114". A walker node of exactly this shape (sameShape with
// the tree of addrPattern) is marked sAddr and walked by walkAddr, the
// same one way written out by hand. TestWalkAddrOnServiceLogs and
// FuzzWalkAddr compare the two at every position of the service logs'
// lines and of fuzzed texts; ExactMatch reads an sAddr as the sAlt it is.

// addrPattern is the alternation; its groups' names do not matter (the
// walker keeps no groups).
const addrPattern = `(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))`

var (
	addrOnce sync.Once
	addrTree *snode // the walker of addrPattern (an sAlt)
)

// noAddr, set by tests, walks sAddr nodes as the sAlt they are.
var noAddr bool

// The sets walkAddr reads.
var (
	addrDigits = csetOf("0123456789")
	addrHex    = csetOf("0123456789abcdefABCDEF")
	addrHexCol = csetOf("0123456789abcdefABCDEF:")
	addrF      = csetOf("f")
	addrColon  = csetOf(":")
)

func csetOf(s string) cset {
	var c cset
	for _, r := range s {
		c.add(r)
	}
	return c
}

// markAddr marks the nodes under s (s included) that have addrTree's
// shape as sAddr.
func markAddr(s *snode) {
	addrOnce.Do(func() {
		n, _, err := parse(addrPattern)
		if err != nil {
			panic("pyre: addrPattern: " + err.Error())
		}
		addrTree = sureOf(n)
		addrTree.setFirst()
	})
	if s.op == sAlt && sameShape(s, addrTree) {
		s.op = sAddr
		return
	}
	for _, sub := range s.subs {
		markAddr(sub)
	}
}

// sameShape reports whether a and b are the same walker tree: the same
// kinds, sets, literals, bounds and widths all the way down (must and
// first follow from those).
func sameShape(a, b *snode) bool {
	if a.op != b.op || a.set != b.set || string(a.lit) != string(b.lit) || a.min != b.min || a.max != b.max ||
		a.lazy != b.lazy || a.w != b.w || len(a.subs) != len(b.subs) {
		return false
	}
	for i := range a.subs {
		if !sameShape(a.subs[i], b.subs[i]) {
			return false
		}
	}
	return true
}

// litAt is the walk of a literal: the position after lit at pos.
func litAt(t sureText, pos int, lit string) (int, bool) {
	if len(t)-pos < len(lit) || pos < 0 || string(t[pos:pos+len(lit)]) != lit {
		return 0, false
	}
	return pos + len(lit), true
}

// addrRun is setRun for a set without "\n" and a bound hi >= 0: the
// run of set's characters at pos, at most hi, fails when it has fewer than
// lo or stops before hi at a byte outside ASCII (don't know).
func addrRun(set *cset, lo, hi int, t sureText, pos int) (int, bool) {
	n := 0
	for ; n < hi && pos+n < len(t); n++ {
		c := t[pos+n]
		if c >= 0x80 {
			return 0, false
		}
		if !set.hasASCII(c) {
			break
		}
	}
	if n < lo {
		return 0, false
	}
	return pos + n, true
}

// in reports whether the character at pos is in c (snode.cannot's test,
// negated).
func (c *cset) in(t sureText, pos int) bool { return c.has(rune(t.at(pos))) }

// walkAddr is walk of addrTree at pos: its first alternative (IPv4) when
// that takes a way, else its second (IPv6) where that can start.
func walkAddr(t sureText, pos int) (int, bool) {
	if p, ok := walkIP4(t, pos); ok {
		return p, true
	}
	if !addrHexCol.in(t, pos) {
		return 0, false
	}
	return walkIP6(t, pos)
}

// walkIP4 walks (?:::f{4,6}:)?(?:\d{1,3}\.){3}\d{1,3}.
func walkIP4(t sureText, pos int) (int, bool) {
	// the optional "::ffff:" (a repeat of at most one: its body once,
	// when that can start and takes a way)
	if addrColon.in(t, pos) {
		if p, ok := litAt(t, pos, "::"); ok {
			if p, ok = addrRun(&addrF, 4, 6, t, p); ok {
				if p, ok = litAt(t, p, ":"); ok {
					pos = p
				}
			}
		}
	}
	// (?:\d{1,3}\.){3}: it must start with a digit; then up to three
	// times its body, each taking at least two characters
	if !addrDigits.in(t, pos) {
		return 0, false
	}
	n := 0
	for n < 3 && addrDigits.in(t, pos) {
		p, ok := addrRun(&addrDigits, 1, 3, t, pos)
		if ok {
			p, ok = litAt(t, p, ".")
		}
		if !ok {
			break
		}
		pos = p
		n++
	}
	if n < 3 {
		return 0, false
	}
	return addrRun(&addrDigits, 1, 3, t, pos)
}

// walkIP6 walks
// (?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):).
func walkIP6(t sureText, pos int) (int, bool) {
	n := 0
	for n < 7 && addrHexCol.in(t, pos) {
		var p int
		ok := false
		if addrHex.in(t, pos) {
			// [0-9a-fA-F]{1,4}::?
			if p, ok = addrRun(&addrHex, 1, 4, t, pos); ok {
				if p, ok = litAt(t, p, ":"); ok {
					p, ok = addrRun(&addrColon, 0, 1, t, p)
				}
			}
		}
		if !ok && addrColon.in(t, pos) {
			p, ok = litAt(t, pos, "::")
		}
		if !ok {
			break
		}
		pos = p // (each way takes at least two characters)
		n++
	}
	if n < 1 {
		return 0, false
	}
	if addrHex.in(t, pos) {
		if p, ok := addrRun(&addrHex, 1, 4, t, pos); ok {
			return p, true
		}
	}
	// (?<=:): the look-behind's set at pos-1 must end at pos
	if pos-1 >= 0 && addrColon.in(t, pos-1) {
		return litAt(t, pos, ":")
	}
	return 0, false
}
