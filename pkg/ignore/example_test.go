package ignore_test

import (
	"fmt"
	"net/netip"

	"github.com/banpipe/banpipe/pkg/ignore"
)

func ExampleList_Ignored() {
	l, err := ignore.New([]string{"192.0.2.0/24, 2001:db8::/32"}, ignore.Options{})
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"::ffff:192.0.2.7", "198.51.100.1", "127.0.0.1"} {
		a := netip.MustParseAddr(s)
		ok, rule := l.Ignored(s, a, true)
		fmt.Printf("%s: %v %q\n", s, ok, rule)
	}
	// Output:
	// ::ffff:192.0.2.7: true "ip"
	// 198.51.100.1: false ""
	// 127.0.0.1: true "loopback"
}
