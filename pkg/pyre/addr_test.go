package pyre_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/filter"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
	"github.com/banpipe/banpipe/pkg/pyre"
)

// checkWalkAddr compares walkAddr with the tree walk of the address
// alternation at every position of b (and its "\n", and past it).
func checkWalkAddr(t *testing.T, b []byte) (ways int) {
	t.Helper()
	for pos := 0; pos <= len(b)+1; pos++ {
		fast, tree := pyre.WalkAddr(b, pos)
		if fast != tree {
			t.Fatalf("%q at %d: walkAddr ends at %d, the tree walk at %d (-1: no way)", b, pos, fast, tree)
		}
		if fast >= 0 {
			ways++
		}
	}
	return ways
}

// TestWalkAddrOnServiceLogs: at every position of every line of every
// service's generated log, walkAddr (the hand-written walk of fail2ban's
// address alternation) takes the way the tree walk takes, or none where
// it finds none; the lines are also read with their letters swapped for
// hex digits and colons ("a" -> ":"), and with a byte outside ASCII in
// place of each digit run's end.
func TestWalkAddrOnServiceLogs(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 300
	}
	ways, lines := 0, 0
	for _, svc := range authgen.Services() {
		log, err := authgen.Lines(authgen.Options{Service: svc, Lines: n, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range log {
			ways += checkWalkAddr(t, l)
			ways += checkWalkAddr(t, bytes.Map(func(r rune) rune {
				switch r {
				case 'a', 'p', 'o':
					return ':'
				case 'r', 's':
					return 'f'
				case '.':
					return ':'
				}
				return r
			}, l))
			hi := bytes.Clone(l)
			for i := 1; i < len(hi); i++ {
				if hi[i-1] >= '0' && hi[i-1] <= '9' && (hi[i] < '0' || hi[i] > '9') {
					hi[i] = 0xc3
				}
			}
			ways += checkWalkAddr(t, hi)
			lines++
		}
	}
	if ways == 0 {
		t.Fatal("no address found: nothing was compared")
	}
	t.Logf("%d lines (3 forms each), %d ways found, each the tree walk's", lines, ways)
}

// FuzzWalkAddr: walkAddr takes the tree walk's way at every position.
func FuzzWalkAddr(f *testing.F) {
	for _, s := range []string{
		"198.51.100.114 port 22", "::ffff:192.0.2.1]", "::fffff:1.2.3.4", "::ffffff:1.2.3", ":fff:1.2.3.4",
		"2001:db8:69a9:c903::b4 port 1", "[2001:db8::1]:22", "::", ":::", "1:2:3:4:5:6:7:8:9", "ffff:", "a:b:",
		"1.2.3.4\x80", "12\xc3.3.4.5", "1234.5.6.7", "1.2.3", "::1", "fe80::1%eth0", "1:\xc3", "abcd1:2", "1::2::3", "::fffffff:1.2.3.4", "::fff:1.2.3.4", "::ffff\x80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 200 {
			return
		}
		checkWalkAddr(t, []byte(s))
	})
}

// TestAddrNodes: every failregex with an address of the built-in sshd
// filter in every mode, whose sure-match walker exists, walks its address
// with walkAddr (the shortcut is not lost to a change of the tag's
// pattern).
func TestAddrNodes(t *testing.T) {
	found := 0
	for _, mode := range authgen.FilterModes("sshd") {
		def, err := filter.Load("filter.d/sshd.conf", map[string]string{"mode": mode}, &filter.LoadOptions{FS: builtin.FS})
		if err != nil {
			t.Fatal(err)
		}
		f, err := filter.Compile(*def, filter.Options{UseDNS: "no"})
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range f.FailRegexes() {
			re := pyre.MustCompile(r.Expanded, pyre.Options{})
			if !re.HasSureMatch() || !strings.Contains(r.Expanded, "(?P<ip6>") {
				continue
			}
			if pyre.AddrNodes(re) == 0 {
				t.Errorf("sshd[mode=%s] failregex %d: no address node in its walker: %s", mode, k+1, r.Expanded)
			}
			found++
		}
	}
	if found == 0 {
		t.Fatal("no failregex with an address and a walker")
	}
}
