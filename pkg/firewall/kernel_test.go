package firewall

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
)

const (
	portA = 2201
	portB = 2202
)

// kernelBackend builds a backend from scratch, as a fresh process would.
type kernelBackend struct {
	name string
	make func() Backend
}

var kernelBackends = []kernelBackend{
	{"iptables", func() Backend { return NewIPTables(IPTablesConfig{}) }},
	{"ipset", func() Backend { return NewIPSet(IPTablesConfig{}) }},
	{"nftables", func() Backend { return NewNFTables() }},
}

// in runs f inside ns and fails t on its error.
func in(t *testing.T, ns string, f func() error) {
	t.Helper()
	if err := netnstest.In(ns, f); err != nil {
		t.Fatal(err)
	}
}

// TestBackendsInNamespace constructs each backend in a fresh namespace
// and checks, on real connections: a ban blocks its port only, List shows
// it, a new process (a new backend value) restarted with other ports moves
// the hook to the new ports without losing the bans held, and Flush
// removes everything.
func TestBackendsInNamespace(t *testing.T) {
	for _, kb := range kernelBackends {
		t.Run(kb.name, func(t *testing.T) {
			t.Parallel()
			p := netnstest.New(t)
			p.Listen(t, portA)
			p.Listen(t, portB)
			ctx := context.Background()
			jailA := JailSettings{Name: "sshd", Ports: strconv.Itoa(portA)}
			until := time.Now().Add(600 * time.Second)
			bans := []Ban{
				{Jail: "sshd", Prefix: netip.PrefixFrom(netnstest.Client4, 32), Until: until},
				{Jail: "sshd", Prefix: netip.PrefixFrom(netnstest.Client6, 128), Until: until},
			}
			b := kb.make()
			in(t, p.Server, func() error {
				if err := b.Check(ctx); err != nil {
					return err
				}
				for i, err := range b.Ban(ctx, jailA, bans) {
					if err != nil {
						t.Errorf("ban %v: %v", bans[i].Prefix, err)
					}
				}
				return nil
			})
			for _, a := range []netip.Addr{netnstest.Client4, netnstest.Client6} {
				p.Expect(t, a, portA, netnstest.Refused)
				p.Expect(t, a, portB, netnstest.Connected)
			}
			p.Expect(t, netnstest.Client4b, portA, netnstest.Connected)
			var list []Entry
			in(t, p.Server, func() (err error) { list, err = b.List(ctx, "sshd"); return err })
			if got := entryPrefixes(list); got != "192.0.2.2/32 2001:db8::2/128" {
				t.Errorf("List: %s", got)
			}
			in(t, p.Server, b.Close)

			// A restart with other ports: a new backend, new settings.
			jailB := JailSettings{Name: "sshd", Ports: strconv.Itoa(portB)}
			b = kb.make()
			in(t, p.Server, func() error {
				for _, err := range b.Ban(ctx, jailB, []Ban{{Jail: "sshd", Prefix: netip.PrefixFrom(netnstest.Client4b, 32), Until: until}}) {
					if err != nil {
						t.Errorf("ban after restart: %v", err)
					}
				}
				return nil
			})
			for _, a := range []netip.Addr{netnstest.Client4, netnstest.Client4b, netnstest.Client6} {
				p.Expect(t, a, portB, netnstest.Refused)
				p.Expect(t, a, portA, netnstest.Connected)
			}
			if kb.name == "iptables" || kb.name == "ipset" {
				for _, c := range []string{"iptables", "ip6tables"} {
					rules := netnstest.Run(t, p.Server, c, "-S", "INPUT")
					if n := strings.Count(rules, "f2b-sshd"); n != 1 {
						t.Errorf("%s -S INPUT: %d hooks for the jail, want 1:\n%s", c, n, rules)
					}
				}
			}
			in(t, p.Server, func() error { return b.Flush(ctx, "") })
			p.Expect(t, netnstest.Client4, portB, netnstest.Connected)
			in(t, p.Server, func() (err error) { list, err = b.List(ctx, ""); return err })
			if len(list) != 0 {
				t.Errorf("List after Flush: %s", entryPrefixes(list))
			}
			in(t, p.Server, b.Close)
		})
	}
}

func entryPrefixes(es []Entry) string {
	var s []string
	for _, e := range es {
		s = append(s, e.Prefix.String())
	}
	return strings.Join(s, " ")
}

// TestNFTablesKernelTimeout: the kernel timeout of an nftables element,
// single address (netlink) or prefix (nft -f), never ends the ban before
// its until: the ban's time left, in whole seconds, rounded up.
func TestNFTablesKernelTimeout(t *testing.T) {
	p := netnstest.New(t)
	ctx := context.Background()
	b := NewNFTables()
	jail := JailSettings{Name: "sshd"}
	before := time.Now()
	until := before.Add(600*time.Second + 900*time.Millisecond)
	var after time.Time
	in(t, p.Server, func() error {
		for _, err := range b.Ban(ctx, jail, []Ban{
			{Jail: "sshd", Prefix: netip.MustParsePrefix("192.0.2.2/32"), Until: until},
			{Jail: "sshd", Prefix: netip.MustParsePrefix("198.51.100.0/24"), Until: until},
		}) {
			if err != nil {
				return err
			}
		}
		after = time.Now()
		return b.Close()
	})
	for _, set := range []string{"f2b-sshd4", "f2b-sshd-net4"} {
		out := netnstest.Run(t, p.Server, "nft", "-j", "list", "set", "inet", NFTTable, set)
		m := regexp.MustCompile(`"timeout":\s*(\d+)`).FindAllStringSubmatch(out, -1)
		if len(m) != 1 {
			t.Fatalf("set %s: want one element with a timeout:\n%s", set, out)
		}
		n, _ := strconv.Atoi(m[0][1])
		timeout := time.Duration(n) * time.Second
		// The element ends at apply time + timeout, apply time within
		// [before, after]: it must not end before until, and not a second
		// or more after.
		if after.Add(timeout).Before(until) || !before.Add(timeout).Before(until.Add(time.Second)) {
			t.Errorf("set %s: kernel timeout %v for a ban with %v to %v left", set, timeout, until.Sub(after), until.Sub(before))
		}
		var doc any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Errorf("nft -j: %v", err)
		}
	}
}

// TestIPTablesModelValidated: with iptables-nft, the iptables backend keeps
// the tables it listed and wrote, and trusts them only at the nf_tables
// generation it recorded. After its own batches the model is valid and
// lists exactly what the kernel lists; a rule deleted and a rule added by
// another program move the generation, so the next unban batch (a
// rebuild of the chain from the listing) reads the kernel again: the
// deleted ban does not come back and the other program's rule stays.
func TestIPTablesModelValidated(t *testing.T) {
	p := netnstest.New(t)
	ctx := context.Background()
	jail := JailSettings{Name: "sshd", Ports: strconv.Itoa(portA)}
	until := time.Now().Add(600 * time.Second)
	var bans []Ban
	for i := 1; i <= 60; i++ {
		bans = append(bans, Ban{Jail: "sshd", Prefix: netip.MustParsePrefix(fmt.Sprintf("192.0.2.%d/32", i)), Until: until})
	}
	b := NewIPTables(IPTablesConfig{})
	x := b.x.(*realXT)
	kernel := func() []string {
		return strings.Split(strings.TrimSpace(netnstest.Run(t, p.Server, "iptables", "-S", "f2b-sshd")), "\n")
	}
	in(t, p.Server, func() error { return b.Check(ctx) })
	if x.gen == nil {
		t.Skip("iptables is not iptables-nft: no generation, the backend lists every time")
	}
	in(t, p.Server, func() error {
		for _, half := range [][]Ban{bans[:30], bans[30:]} {
			for i, err := range b.Ban(ctx, jail, half) {
				if err != nil {
					t.Errorf("ban %v: %v", half[i].Prefix, err)
				}
			}
		}
		g, err := x.gen.read()
		if err != nil {
			return err
		}
		if !x.valid[0] || x.at != g {
			t.Errorf("after its own batches the model is not valid (valid %v at %d, generation %d)", x.valid, x.at, g)
		}
		model, _, _ := x.model.list(ctx, 4, "f2b-sshd")
		if got, want := model, kernel(); !slices.Equal(got, want) {
			t.Errorf("model:\n%s\nkernel:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return nil
	})
	// Another program deletes a ban and adds a rule of its own.
	netnstest.Run(t, p.Server, "iptables", "-D", "f2b-sshd", "-s", "192.0.2.50/32", "-j", "REJECT", "--reject-with", "icmp-port-unreachable")
	netnstest.Run(t, p.Server, "iptables", "-I", "f2b-sshd", "1", "-s", "198.51.100.99/32", "-j", "ACCEPT")
	in(t, p.Server, func() error {
		// 40 unbans: the rebuild path, from a listing.
		for i, err := range b.Unban(ctx, jail, bans[:40]) {
			if err != nil {
				t.Errorf("unban %v: %v", bans[i].Prefix, err)
			}
		}
		return nil
	})
	want := []string{"-N f2b-sshd", "-A f2b-sshd -s 198.51.100.99/32 -j ACCEPT"}
	for i := 60; i > 40; i-- {
		if i != 50 {
			want = append(want, fmt.Sprintf("-A f2b-sshd -s 192.0.2.%d/32 -j REJECT --reject-with icmp-port-unreachable", i))
		}
	}
	want = append(want, "-A f2b-sshd -j RETURN")
	if got := kernel(); !slices.Equal(got, want) {
		t.Errorf("after the unbans the kernel holds:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestIPTablesPrepare: PrepareUnbans lists a family's table into the
// validated copy ahead of an unban batch, only in the network namespace
// the backend was made in. Called by a thread locked into a test
// namespace, its goroutine runs on another thread (in the host's
// namespace): it must not list there. prepare called on the namespace's
// own thread loads the copy, which then lists what the kernel lists.
func TestIPTablesPrepare(t *testing.T) {
	p := netnstest.New(t)
	ctx := context.Background()
	jail := JailSettings{Name: "sshd", Ports: strconv.Itoa(portA)}
	var bans []Ban
	for i := 1; i <= 40; i++ {
		bans = append(bans, Ban{Jail: "sshd", Prefix: netip.MustParsePrefix(fmt.Sprintf("192.0.2.%d/32", i)), Until: time.Now().Add(time.Hour)})
	}
	in(t, p.Server, func() error {
		for _, err := range NewIPTables(IPTablesConfig{}).Ban(ctx, jail, bans) {
			if err != nil {
				return err
			}
		}
		return nil
	})
	b := NewIPTables(IPTablesConfig{}) // a new process: no copy yet
	x := b.x.(*realXT)
	in(t, p.Server, func() error { return b.Check(ctx) })
	if x.gen == nil {
		t.Skip("iptables is not iptables-nft: no copy to prepare")
	}
	in(t, p.Server, func() error {
		b.PrepareUnbans(ctx, bans[0].Prefix)
		b.prep.Wait()
		return nil
	})
	if x.valid[0] || x.valid[1] {
		t.Fatalf("PrepareUnbans from a thread of another namespace loaded a copy (valid %v)", x.valid)
	}
	in(t, p.Server, func() error {
		x.prepare(ctx, 4)
		if !x.modelValid(4) {
			t.Errorf("after prepare in the namespace the copy is not valid (valid %v)", x.valid)
		}
		return nil
	})
	model, _, _ := x.model.list(ctx, 4, "f2b-sshd")
	kernel := strings.Split(strings.TrimSpace(netnstest.Run(t, p.Server, "iptables", "-S", "f2b-sshd")), "\n")
	if !slices.Equal(model, kernel) || len(kernel) != 42 {
		t.Errorf("prepared copy:\n%s\nkernel:\n%s", strings.Join(model, "\n"), strings.Join(kernel, "\n"))
	}
}
