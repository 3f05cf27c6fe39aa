package fleet_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/banpipe/banpipe/internal/fleettest"
	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/fleet"
)

// BenchmarkSharedWindow measures shared-window decisions per second from 4
// hosts (4 Fleet clients, one call in flight each) against one local
// redis-server. Addresses cycle over 20000, so about one in five calls
// decides a ban with maxretry 5.
func BenchmarkSharedWindow(b *testing.B) {
	srv := fleettest.Start(b)
	const hosts = 4
	fs := make([]*fleet.Fleet, hosts)
	for i := range fs {
		fs[i] = dial(b, srv.URL(), fmt.Sprintf("web%d", i+1), func(c *fleet.Config) { c.Timeout = time.Second })
	}
	ips := make([]string, 20000)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
	}
	w := fleet.Window{MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: 10 * time.Minute}
	now := time.Now()
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := h; i < b.N; i += hosts {
				if _, err := fs[h].Failure(context.Background(), "sshd", ips[i%len(ips)], now, w); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "decisions/s")
	// Redis's own CPU time per decision (the script's cost)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if strings.HasPrefix(line, "cmdstat_evalsha:") {
			for _, kv := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "cmdstat_evalsha:")), ",") {
				if v, ok := strings.CutPrefix(kv, "usec_per_call="); ok {
					us, _ := strconv.ParseFloat(v, 64)
					b.ReportMetric(us, "redis-µs/decision")
				}
			}
		}
	}
}

// BenchmarkFanOut measures the time from Publish on one host until two other
// hosts' subscriptions deliver the ban (both), with bans 2 ms apart.
func BenchmarkFanOut(b *testing.B) {
	srv := fleettest.Start(b)
	pub := dial(b, srv.URL(), "web1", func(c *fleet.Config) { c.Timeout = time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	subs := []<-chan *event.Event{
		dial(b, srv.URL(), "web2").Subscribe(ctx),
		dial(b, srv.URL(), "web3").Subscribe(ctx),
	}
	time.Sleep(100 * time.Millisecond)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		ip := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		ev := &event.Event{Action: event.ActionBan, Time: time.Now(), Jail: "sshd",
			IP: netip.PrefixFrom(ip, 32), Bantime: 600, Until: time.Now().Add(10 * time.Minute), Failures: 5, Bancount: 1}
		start := time.Now()
		if err := pub.Publish(ctx, ev); err != nil {
			b.Fatal(err)
		}
		for _, ch := range subs {
			for got := <-ch; got.IP != ev.IP; got = <-ch {
			}
		}
		lat = append(lat, time.Since(start))
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
