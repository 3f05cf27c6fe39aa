// Package netnstest gives firewall tests a scratch network: two network
// namespaces joined by a veth pair, created for one test and removed in its
// Cleanup. Nothing touches the host's own network or tables.
//
// The "server" side (where the firewall under test runs) has 192.0.2.1/24 and
// 2001:db8::1/64; the "client" side (the attacker) has 192.0.2.2 and
// 2001:db8::2 plus a second address per family, 192.0.2.3 and 2001:db8::3,
// to show that another address still connects. IPv6 addresses are added
// without duplicate address detection so that they are usable at once.
//
// [New] skips the test, with a message saying why, when namespaces cannot be
// created (not root, no `ip` command, no CLONE_NEWNET permission).
package netnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/banpipe/banpipe/internal/testenv"
)

// Addresses of the pair.
var (
	Server4  = netip.MustParseAddr("192.0.2.1")
	Server6  = netip.MustParseAddr("2001:db8::1")
	Client4  = netip.MustParseAddr("192.0.2.2")
	Client6  = netip.MustParseAddr("2001:db8::2")
	Client4b = netip.MustParseAddr("192.0.2.3")
	Client6b = netip.MustParseAddr("2001:db8::3")
)

// Pair is two namespaces joined by a veth pair.
type Pair struct {
	Server string // namespace name of the server side
	Client string // namespace name of the client side
}

var seq atomic.Int64

const (
	macServer = "02:62:70:00:00:01"
	macClient = "02:62:70:00:00:02"
)

// New creates a Pair for t and removes it in t.Cleanup. It skips t when a
// namespace cannot be created.
func New(t testing.TB) *Pair {
	t.Helper()
	testenv.RequireNetns(t)
	n := seq.Add(1)
	p := &Pair{
		Server: fmt.Sprintf("bp%d-%d-s", os.Getpid(), n),
		Client: fmt.Sprintf("bp%d-%d-c", os.Getpid(), n),
	}
	if out, err := exec.Command("ip", "netns", "add", p.Server).CombinedOutput(); err != nil {
		testenv.Missing(t, "netnstest: cannot create a network namespace: ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { p.remove(t) })
	vs, vc := fmt.Sprintf("bpv%ds", n), fmt.Sprintf("bpv%dc", n)
	if out, err := exec.Command("ip", "netns", "add", p.Client).CombinedOutput(); err != nil {
		t.Fatalf("netnstest: ip netns add %s: %v: %s", p.Client, err, strings.TrimSpace(string(out)))
	}
	// No duplicate address detection, not even for link-local addresses:
	// a tentative link-local address delays neighbour discovery by a second.
	for _, ns := range []string{p.Server, p.Client} {
		Run(t, ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0")
	}
	steps := [][]string{
		{"link", "add", vs, "netns", p.Server, "address", macServer, "type", "veth",
			"peer", "name", vc, "netns", p.Client, "address", macClient},
		{"-n", p.Server, "link", "set", "lo", "up"},
		{"-n", p.Client, "link", "set", "lo", "up"},
		{"-n", p.Server, "addr", "add", "192.0.2.1/24", "dev", vs},
		{"-n", p.Server, "-6", "addr", "add", "2001:db8::1/64", "dev", vs, "nodad"},
		{"-n", p.Client, "addr", "add", "192.0.2.2/24", "dev", vc},
		{"-n", p.Client, "addr", "add", "192.0.2.3/24", "dev", vc},
		{"-n", p.Client, "-6", "addr", "add", "2001:db8::2/64", "dev", vc, "nodad"},
		{"-n", p.Client, "-6", "addr", "add", "2001:db8::3/64", "dev", vc, "nodad"},
		{"-n", p.Server, "link", "set", vs, "up"},
		{"-n", p.Client, "link", "set", vc, "up"},
		// Static neighbours: no neighbour discovery delays the first packet.
		{"-n", p.Client, "neigh", "replace", "192.0.2.1", "lladdr", macServer, "dev", vc, "nud", "permanent"},
		{"-n", p.Client, "neigh", "replace", "2001:db8::1", "lladdr", macServer, "dev", vc, "nud", "permanent"},
	}
	for _, a := range []netip.Addr{Client4, Client4b, Client6, Client6b} {
		steps = append(steps, []string{"-n", p.Server, "neigh", "replace", a.String(), "lladdr", macClient, "dev", vs, "nud", "permanent"})
	}
	for _, s := range steps {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			t.Fatalf("netnstest: ip %s: %v: %s", strings.Join(s, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return p
}

func (p *Pair) remove(t testing.TB) {
	for _, ns := range []string{p.Client, p.Server} {
		if _, err := os.Stat("/run/netns/" + ns); err != nil {
			continue
		}
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("netnstest: ip netns del %s: %v: %s", ns, err, strings.TrimSpace(string(out)))
		}
	}
}

// Command returns a command that runs name with args inside namespace ns
// (through `ip netns exec`).
func Command(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// Run runs name with args inside ns and returns its combined output; it
// fails t when the command fails.
func Run(t testing.TB, ns, name string, args ...string) string {
	t.Helper()
	out, err := Command(context.Background(), ns, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("netnstest: in %s: %s %s: %v\n%s", ns, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// In runs f on a locked OS thread that has entered namespace ns. Sockets
// created by f belong to ns for their whole life, so f may return them.
// The thread is discarded afterwards, never reused by other goroutines.
func In(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		// The goroutine exits without UnlockOSThread: the runtime then
		// terminates the thread, whose namespace was changed.
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", ns, err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter namespace %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// Listen starts a TCP listener on the server side at port (on every
// address of both families) that accepts connections and closes them at
// once; it is closed in t.Cleanup.
func (p *Pair) Listen(t testing.TB, port int) {
	t.Helper()
	var ln net.Listener
	err := In(p.Server, func() error {
		var err error
		ln, err = net.Listen("tcp", fmt.Sprintf("[::]:%d", port))
		return err
	})
	if err != nil {
		t.Fatalf("netnstest: listen on port %d: %v", port, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
}

// Outcome is how a connection attempt ended.
type Outcome string

// Outcomes of [Pair.Dial].
const (
	Connected Outcome = "connected"
	Refused   Outcome = "refused"   // an ICMP unreachable or a TCP reset (REJECT)
	TimedOut  Outcome = "timed out" // no answer (DROP)
)

// Dial connects from src (a client-side address) to the server's address of
// the same family at port, waiting at most timeout, and reports how it ended.
// Any other failure is returned as an error.
func (p *Pair) Dial(src netip.Addr, port int, timeout time.Duration) (Outcome, error) {
	dst := Server4
	if src.Is6() {
		dst = Server6
	}
	var out Outcome
	err := In(p.Client, func() error {
		d := net.Dialer{Timeout: timeout, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))}
		c, err := d.Dial("tcp", netip.AddrPortFrom(dst, uint16(port)).String())
		switch {
		case err == nil:
			c.Close()
			out = Connected
		case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
			out = Refused
		case errors.Is(err, os.ErrDeadlineExceeded):
			out = TimedOut
		default:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				out = TimedOut
				return nil
			}
			return err
		}
		return nil
	})
	return out, err
}

// Expect fails t unless a connection from src to port ends as want. An
// answer (Connected, Refused) is waited for up to 15 s, generous for a
// loaded machine: it returns as soon as the answer comes (on a veth pair the
// ICMPv6 error answering the first SYN can reach the client while its
// connect call still holds the socket lock, and Linux then keeps it as a
// soft error; the refusal comes with the SYN sent again after 1 s). No
// answer (TimedOut, a DROP) is concluded after 1 s of silence.
func (p *Pair) Expect(t testing.TB, src netip.Addr, port int, want Outcome) {
	t.Helper()
	timeout := 15 * time.Second
	if want == TimedOut {
		timeout = time.Second
	}
	got, err := p.Dial(src, port, timeout)
	if err != nil {
		t.Fatalf("dial from %s to port %d: %v", src, port, err)
	}
	if got != want {
		t.Errorf("connection from %s to port %d: %s, want %s", src, port, got, want)
	}
}
