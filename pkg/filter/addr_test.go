package filter

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/pkg/event"
)

// checkParseIP4 fails when parseIP4 takes s and event.ParseIP (the way
// parseAddr read every address before) gives another prefix or none.
func checkParseIP4(t testing.TB, s string) bool {
	a, ok := parseIP4(s)
	if !ok {
		return false // (parseAddr asks event.ParseIP)
	}
	want, err := event.ParseIP(s)
	if err != nil || netip.PrefixFrom(a, 32) != want {
		t.Fatalf("parseIP4(%q) = %v, event.ParseIP %v %v", s, a, want, err)
	}
	return true
}

// TestParseIP4: parseIP4 reads what event.ParseIP reads, the same way:
// every field of one to four digits (leading zeros, above 255) and a few
// other texts in each of the four places, every field count from 0 to 5,
// and every dotted run of digits in every service's generated log. It
// takes the plain addresses (1.2.3.4, 255.0.10.199).
func TestParseIP4(t *testing.T) {
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
			if checkParseIP4(t, strings.Join(q, ".")) {
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
			checkParseIP4(t, strings.Join(q, "."))
			checkParseIP4(t, strings.Join(q, ".")+".")
			checkParseIP4(t, "."+strings.Join(q, "."))
		}
	}
	if want := 4 * 256; took != want {
		t.Errorf("parseIP4 took %d of the one-field changes, want %d (0-255 in each place)", took, want)
	}
	logs := 0
	for _, svc := range authgen.Services() {
		lines, err := authgen.Lines(authgen.Options{Lines: 3000, Seed: 1, Service: svc})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			for _, w := range strings.FieldsFunc(string(l), func(r rune) bool { return r != '.' && (r < '0' || r > '9') }) {
				if checkParseIP4(t, w) {
					logs++
				}
			}
		}
	}
	if logs == 0 {
		t.Fatal("no address in the service logs: the test exercises nothing")
	}
}

// FuzzParseIP4: parseIP4 reads any text it takes as event.ParseIP does.
func FuzzParseIP4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "255.255.255.255", "0.0.0.0", "01.2.3.4", "1.2.3.256", "1.2.3", "1.2.3.4.5", "1..3.4", "::ffff:1.2.3.4", "1.2.3.4/24", "1.2.3.4%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkParseIP4(t, s)
	})
}
