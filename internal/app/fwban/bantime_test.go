package fwban

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
	"github.com/banpipe/banpipe/pkg/event"
)

// TestKernelBantimeLimits: every kernel backend stores bantimes the same
// way: a ban up to 2,147,483 s (ipset's longest timeout) gets its timeout,
// rounded up; a longer one, up to 2^63 s, is stored without a timeout
// (permanent in the kernel, removed by its unban), never wrapped to a
// short one; and a ban whose until has passed (no bantime) is nothing to
// ban: refused on every backend, the kernel unchanged.
func TestKernelBantimeLimits(t *testing.T) {
	for _, backend := range kernelBackends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			p := netnstest.New(t)
			args := []string{"--backend", backend, "--ports", "22"}
			ban := func(ip string, bantime int64) string {
				return fmt.Sprintf(`{"action":"ban","jail":"sshd","ip":%q,"bantime":%d}`+"\n", ip, bantime)
			}
			in := ban("198.51.100.1", 1000000) + ban("198.51.100.2", 2147483) + ban("198.51.100.3", 2147484) +
				ban("198.51.100.4", 4294968) + ban("198.51.100.5", 1<<62) + ban("198.51.100.6", 9223372036854775807)
			mustFwban(t, p.Server, in, args...)
			list := mustFwban(t, p.Server, "", append(args, "list")...)
			expires := map[string]int64{}
			for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
				var e event.Event
				if err := event.Decode([]byte(l), &e); err != nil {
					t.Fatalf("list line %q: %v", l, err)
				}
				expires[e.IP.Addr().String()] = e.Bantime
			}
			want := map[string][2]int64{ // kernel seconds left: [min, max]; -1: no timeout (list says permanent)
				"198.51.100.1": {1000000 - 600, 1000000},
				"198.51.100.2": {2147483 - 600, 2147483},
				"198.51.100.3": {-1, -1}, "198.51.100.4": {-1, -1}, "198.51.100.5": {-1, -1}, "198.51.100.6": {-1, -1},
			}
			if backend == "iptables" {
				for ip := range want {
					want[ip] = [2]int64{-1, -1} // no timeouts at all
				}
			}
			for ip, w := range want {
				got, ok := expires[ip]
				if !ok || got < w[0] || got > w[1] {
					t.Errorf("%s: kernel timeout %d s (listed: %v), want %d..%d s\n%s", ip, got, ok, w[0], w[1], list)
				}
			}

			past := fmt.Sprintf(`{"action":"ban","jail":"sshd","ip":"203.0.113.9","until":%q}`+"\n", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
			out, _, code := fwbanIn(t, p.Server, past, args...)
			if code == 0 || !strings.Contains(out, `"applied":false`) || !strings.Contains(out, "ban already over") {
				t.Errorf("a ban whose until has passed: exit %d, %s; want refused (ban already over)", code, out)
			}
			if list := mustFwban(t, p.Server, "", append(args, "list")...); strings.Contains(list, "203.0.113.9") {
				t.Errorf("a ban already over is in the kernel:\n%s", list)
			}
		})
	}
}
