package event

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
)

// TestParseIPExact pins what ParseIP's documentation promises: an address
// is a full-length prefix, host bits of a prefix are masked, and an
// IPv4-mapped address or prefix becomes IPv4, also in a decoded event.
func TestParseIPExact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{"2001:db8::7", "2001:db8::7/128"},
		{"203.0.113.77/24", "203.0.113.0/24"},
		{"2001:db8:1:2::3/64", "2001:db8:1:2::/64"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.7/128", "192.0.2.7/32"},
		{"::ffff:203.0.113.77/120", "203.0.113.0/24"},
		{"::ffff:198.51.100.0/112", "198.51.0.0/16"},
	} {
		want := netip.MustParsePrefix(c.want)
		got, err := ParseIP(c.in)
		if err != nil || got != want {
			t.Errorf("ParseIP(%q) = %v, %v; want %v", c.in, got, err, want)
		}
		var e Event
		if err := Decode([]byte(`{"action":"ban","jail":"j","ip":"`+c.in+`"}`), &e); err != nil || e.IP != want || e.ID() != FormatPrefix(want) {
			t.Errorf("Decode ip %q: IP %v ID %q, %v; want %v", c.in, e.IP, e.ID(), err, want)
		}
	}
	for _, bad := range []string{"192.0.2.7/33", "fe80::1%eth0", "192.0.2", ""} {
		if p, err := ParseIP(bad); err == nil {
			t.Errorf("ParseIP(%q) = %v, want an error", bad, p)
		}
	}
}

// checkParseIPv4 fails when parseIPv4 takes s and the general parser
// (parseIP, which ParseIP asks for anything else) gives another prefix
// or none; it reports whether parseIPv4 took s.
func checkParseIPv4(t testing.TB, s string) bool {
	a, ok := parseIPv4(s)
	if b, okb := parseIPv4([]byte(s)); b != a || okb != ok {
		t.Fatalf("parseIPv4(%q): %v %v as a string, %v %v as bytes", s, a, ok, b, okb)
	}
	if !ok {
		return false // (ParseIP asks parseIP)
	}
	want, err := parseIP(s)
	if err != nil || netip.PrefixFrom(a, 32) != want {
		t.Fatalf("parseIPv4(%q) = %v, the general parser %v %v", s, a, want, err)
	}
	return true
}

// TestParseIPv4: ParseIP's dotted-quad fast path reads what the general
// parser reads, the same way: every field of one to four digits (leading
// zeros, above 255) and a few other texts in each of the four places,
// every field count from 0 to 5, and every dotted run of digits in every
// service's generated log. It takes the plain addresses (1.2.3.4,
// 255.0.10.199).
func TestParseIPv4(t *testing.T) {
	var fields []string
	for n := 1; n <= 4; n++ {
		lim := 1
		for range n {
			lim *= 10
		}
		for v := range lim {
			s := strings.Repeat("0", n) + strconv.Itoa(v)
			fields = append(fields, s[len(s)-n:])
		}
	}
	fields = append(fields, "", "a", "1a", " 1", "1 ", "+1", "-1", "0x1", "1:", "١")
	took := 0
	for k := range 4 {
		for _, f := range fields {
			q := []string{"198", "51", "100", "7"}
			q[k] = f
			if checkParseIPv4(t, strings.Join(q, ".")) {
				took++
			}
		}
	}
	for n := range 6 {
		for _, f := range []string{"0", "1", "255", "256", "01"} {
			q := make([]string, n)
			for i := range q {
				q[i] = f
			}
			checkParseIPv4(t, strings.Join(q, "."))
			checkParseIPv4(t, strings.Join(q, ".")+".")
			checkParseIPv4(t, "."+strings.Join(q, "."))
		}
	}
	if want := 4 * 256; took != want {
		t.Errorf("parseIPv4 took %d of the one-field changes, want %d (0-255 in each place)", took, want)
	}
	logs := 0
	for _, svc := range authgen.Services() {
		lines, err := authgen.Lines(authgen.Options{Lines: 3000, Seed: 1, Service: svc})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			for _, w := range strings.FieldsFunc(string(l), func(r rune) bool { return r != '.' && (r < '0' || r > '9') }) {
				if checkParseIPv4(t, w) {
					logs++
				}
			}
		}
	}
	if logs == 0 {
		t.Fatal("no address in the service logs: the test exercises nothing")
	}
}

// FuzzParseIPv4: parseIPv4 reads any text it takes as the general parser
// does.
func FuzzParseIPv4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "255.255.255.255", "0.0.0.0", "01.2.3.4", "1.2.3.256", "1.2.3", "1.2.3.4.5", "1..3.4", "::ffff:1.2.3.4", "1.2.3.4/24", "1.2.3.4%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkParseIPv4(t, s)
	})
}
