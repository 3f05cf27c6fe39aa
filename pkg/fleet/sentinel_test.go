package fleet_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/banpipe/banpipe/internal/fleettest"
	"github.com/banpipe/banpipe/pkg/fleet"
)

// Through Sentinel: the fleet follows a failover from a killed master to its
// replica, and keeps the shared state the replica had.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("failover takes seconds")
	}
	master := fleettest.Start(t, "--repl-diskless-sync-delay", "0")
	fleettest.Start(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	sentinel := fleettest.StartSentinel(t, master)
	url := "redis+sentinel://127.0.0.1:" + strconv.Itoa(sentinel.Port) + "/mymaster/0"
	ctx := context.Background()
	a := dial(t, url, "web1")
	w := fleet.Window{MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: time.Hour}
	for i := range 2 {
		d, err := a.Failure(ctx, "sshd", "192.0.2.60", t0, w)
		if err != nil || d.Failures != i+1 {
			t.Fatalf("through sentinel: %+v, %v", d, err)
		}
	}
	// let the replica catch up, then kill the master
	deadline := time.Now().Add(30 * time.Second)
	for !replicated(t, master) {
		if time.Now().After(deadline) {
			t.Fatal("replica never caught up")
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
	master.Kill()
	deadline = time.Now().Add(30 * time.Second)
	var d fleet.Decision
	var err error
	for {
		d, err = a.Failure(ctx, "sshd", "192.0.2.60", t0, w)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failover within 30 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not synchronisation
	}
	if d.Failures != 3 {
		t.Errorf("after failover: %+v, want the third failure on the promoted replica", d)
	}
}

// replicated reports whether the master's replica has acknowledged every
// write so far.
func replicated(t *testing.T, master *fleettest.Server) bool {
	c := redis.NewClient(&redis.Options{Addr: master.Addr()})
	defer c.Close()
	n, err := c.Do(context.Background(), "WAIT", 1, 500).Int()
	return err == nil && n == 1
}

// rediss+sentinel://: TLS to the sentinel and to the master it names.
func TestSentinelTLS(t *testing.T) {
	master, ca := fleettest.StartTLS(t)
	sentinel := fleettest.StartSentinel(t, master)
	url := "rediss+sentinel://127.0.0.1:" + strconv.Itoa(sentinel.Port) + "/mymaster/0"
	a := dial(t, url, "web1", func(c *fleet.Config) { c.CAFile = ca })
	b := dial(t, url, "web2", func(c *fleet.Config) { c.CAFile = ca })
	for i, f := range []*fleet.Fleet{a, b} {
		d, err := f.Failure(context.Background(), "sshd", "192.0.2.61", t0, sshd)
		if err != nil || d.Failures != i+1 {
			t.Fatalf("rediss+sentinel: %+v, %v", d, err)
		}
	}
}
