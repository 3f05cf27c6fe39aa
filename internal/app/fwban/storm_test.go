package fwban

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/netnstest"
)

// TestIPTablesUnbanRebuild: a batch of many unbans rebuilds the jail's
// chain in one iptables-restore (rather than one -D each, quadratic): the
// bans that stay keep their rules and their order, the chain still ends
// in RETURN, a kept ban still blocks, and bans and unbans that follow in
// the same process leave the kernel exactly as listed.
func TestIPTablesUnbanRebuild(t *testing.T) {
	p := netnstest.New(t)
	p.Listen(t, portBlocked)
	args := []string{"--backend", "iptables", "--ports", fmt.Sprint(portBlocked)}
	var addrs []netip.Addr
	for i := 1; i <= 100; i++ {
		addrs = append(addrs, netip.MustParseAddr(fmt.Sprintf("203.0.113.%d", i)), netip.MustParseAddr(fmt.Sprintf("2001:db8:5::%x", i)))
	}
	addrs = append(addrs, netnstest.Client4, netnstest.Client6)
	mustFwban(t, p.Server, banEvents("ban", 600, addrs...), args...)
	before := map[int][]string{4: chainRules(t, p.Server, "iptables"), 6: chainRules(t, p.Server, "ip6tables")}

	// Unban 60 of each family (at least the rebuild threshold).
	gone := addrs[:120]
	mustFwban(t, p.Server, banEvents("unban", 0, gone...), args...)
	for fam, cmd := range map[int]string{4: "iptables", 6: "ip6tables"} {
		got := chainRules(t, p.Server, cmd)
		want := slices.DeleteFunc(slices.Clone(before[fam]), func(l string) bool {
			for _, a := range gone {
				if strings.Contains(l, " -s "+a.String()+"/") {
					return true
				}
			}
			return false
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s -S f2b-sshd after the unbans:\n%s\nwant:\n%s", cmd, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if got[len(got)-1] != "-A f2b-sshd -j RETURN" {
			t.Errorf("%s: chain does not end in RETURN: %q", cmd, got[len(got)-1])
		}
	}
	p.Expect(t, netnstest.Client4, portBlocked, netnstest.Refused)
	p.Expect(t, netnstest.Client6, portBlocked, netnstest.Refused)

	// One process: bans, a rebuilding unban batch, more bans; whatever the
	// batches, the kernel holds the listed set.
	var in strings.Builder
	var fresh []netip.Addr
	for i := 1; i <= 50; i++ {
		fresh = append(fresh, netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", i)))
	}
	in.WriteString(banEvents("ban", 600, fresh...))
	in.WriteString(banEvents("unban", 0, fresh[:40]...))
	in.WriteString(banEvents("unban", 0, addrs[120:160]...))
	in.WriteString(banEvents("ban", 600, fresh[:5]...))
	mustFwban(t, p.Server, in.String(), args...)
	want := map[string]bool{}
	for _, a := range slices.Concat(addrs[160:], fresh[40:], fresh[:5]) {
		want[netip.PrefixFrom(a, a.BitLen()).String()] = true
	}
	got := map[string]bool{}
	for _, cmd := range []string{"iptables", "ip6tables"} {
		for _, l := range chainRules(t, p.Server, cmd) {
			if _, src, ok := strings.Cut(l, " -s "); ok {
				got[strings.Fields(src)[0]] = true
			}
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("kernel holds %d bans, want %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	p.Expect(t, netnstest.Client4, portBlocked, netnstest.Refused)
}

// chainRules returns the -A lines of f2b-sshd as the kernel lists them.
func chainRules(t *testing.T, ns, cmd string) []string {
	t.Helper()
	var rules []string
	for _, l := range strings.Split(netnstest.Run(t, ns, cmd, "-S", "f2b-sshd"), "\n") {
		if strings.HasPrefix(l, "-A ") {
			rules = append(rules, l)
		}
	}
	return rules
}

// fwbanProc is a running fwban in a namespace, fed and read line by line.
type fwbanProc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	results *bufio.Scanner
	stderr  *bytes.Buffer
}

func startFwban(t testing.TB, ns string, args ...string) *fwbanProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	f := &fwbanProc{cmd: netnstest.Command(ctx, ns, exe, args...), stderr: new(bytes.Buffer)}
	f.cmd.Env = append(os.Environ(), childEnv...)
	f.stdin, _ = f.cmd.StdinPipe()
	stdout, _ := f.cmd.StdoutPipe()
	f.cmd.Stderr = f.stderr
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.cmd.Process.Kill(); f.cmd.Wait() })
	f.results = bufio.NewScanner(stdout)
	return f
}

// next reads n results and returns them as action+" "+ip, failing t on
// one not applied.
func (f *fwbanProc) next(t testing.TB, n int) []string {
	t.Helper()
	var got []string
	for range n {
		if !f.results.Scan() {
			t.Fatalf("fwban ended after %d of %d results: %v; stderr:\n%s", len(got), n, f.results.Err(), f.stderr)
		}
		var r struct {
			Action, IP string
			Applied    bool
		}
		if err := json.Unmarshal(f.results.Bytes(), &r); err != nil || !r.Applied {
			t.Fatalf("result %s (%v); stderr:\n%s", f.results.Text(), err, f.stderr)
		}
		got = append(got, r.Action+" "+r.IP)
	}
	return got
}

// results returns the action+" "+ip of the events in (banEvents' output).
func results(in string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(in), "\n") {
		var e struct{ Action, IP string }
		json.Unmarshal([]byte(l), &e)
		out = append(out, e.Action+" "+e.IP)
	}
	return out
}

// kernelBans returns the sources of the f2b-sshd rules of both families.
func kernelBans(t *testing.T, ns string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for _, cmd := range []string{"iptables", "ip6tables"} {
		for _, l := range chainRules(t, ns, cmd) {
			if _, src, ok := strings.Cut(l, " -s "); ok {
				p := netip.MustParsePrefix(strings.Fields(src)[0])
				if p.IsSingleIP() {
					got[p.Addr().String()] = true
				} else {
					got[p.String()] = true
				}
			}
		}
	}
	return got
}

func addrSet(addrs ...[]netip.Addr) map[string]bool {
	m := map[string]bool{}
	for _, as := range addrs {
		for _, a := range as {
			m[a.String()] = true
		}
	}
	return m
}

// TestIPTablesUnbanCoalesce: on iptables, unbans wait for a pause of the
// unbans (--unban-linger) and go as one batch, while bans that come
// meanwhile are applied at once; a ban of an address whose unban waits
// lands after it; the input's end, --unban-batch and the linger each
// apply the waiting unbans. Whatever the split, the kernel ends holding
// exactly the bans expected.
func TestIPTablesUnbanCoalesce(t *testing.T) {
	p := netnstest.New(t)
	p.Listen(t, portBlocked)
	args := []string{"--backend", "iptables", "--ports", fmt.Sprint(portBlocked)}
	var old []netip.Addr
	for i := 1; i <= 90; i++ {
		old = append(old, netip.MustParseAddr(fmt.Sprintf("203.0.113.%d", i)), netip.MustParseAddr(fmt.Sprintf("2001:db8:7::%x", i)))
	}
	mustFwban(t, p.Server, banEvents("ban", 600, old...), args...)
	if got, want := kernelBans(t, p.Server), addrSet(old); !maps.Equal(got, want) {
		t.Fatalf("after the bans the kernel holds %v, want %v", got, want)
	}

	// A linger longer than the test: the unbans wait for the end of the
	// input, a conflicting ban or --unban-batch.
	f := startFwban(t, p.Server, append(args, "--unban-linger", "1h")...)
	fresh := netip.MustParseAddr("198.51.100.9")
	// Part 1 of the storm, then (a pause: we wait for its result) a ban:
	// the ban's result comes first, its rule is in place, the client is
	// refused, and the unbans still wait.
	io.WriteString(f.stdin, banEvents("unban", 0, old[:60]...))
	io.WriteString(f.stdin, banEvents("ban", 600, fresh, netnstest.Client4))
	if got, want := f.next(t, 2), results(banEvents("ban", 600, fresh, netnstest.Client4)); !slices.Equal(got, want) {
		t.Fatalf("results %v, want the bans %v first", got, want)
	}
	p.Expect(t, netnstest.Client4, portBlocked, netnstest.Refused)
	if got, want := kernelBans(t, p.Server), addrSet(old, []netip.Addr{fresh, netnstest.Client4}); !maps.Equal(got, want) {
		t.Fatalf("with the unbans waiting the kernel holds %v, want %v", got, want)
	}
	// Part 2, an unban of fresh and a ban of fresh again: the ban must
	// follow its unban, so every waiting unban goes first, then the ban.
	in := banEvents("unban", 0, old[60:120]...) + banEvents("unban", 0, fresh) + banEvents("ban", 600, fresh)
	io.WriteString(f.stdin, in)
	want := results(banEvents("unban", 0, old[:60]...) + in)
	if got := f.next(t, len(want)); !slices.Equal(got, want) {
		t.Fatalf("results\n%v\nwant\n%v", got, want)
	}
	if got, want := kernelBans(t, p.Server), addrSet(old[120:], []netip.Addr{fresh, netnstest.Client4}); !maps.Equal(got, want) {
		t.Fatalf("after the conflicting ban the kernel holds %v, want %v", got, want)
	}
	// Part 3 (with a repeat) waits until the input ends.
	in = banEvents("unban", 0, old[120:150]...) + banEvents("unban", 0, old[120])
	io.WriteString(f.stdin, in)
	f.stdin.Close()
	if got, want := f.next(t, 31), results(in); !slices.Equal(got, want) {
		t.Fatalf("results\n%v\nwant\n%v", got, want)
	}
	if err := f.cmd.Wait(); err != nil {
		t.Fatalf("fwban: %v; stderr:\n%s", err, f.stderr)
	}
	if got, want := kernelBans(t, p.Server), addrSet(old[150:], []netip.Addr{fresh, netnstest.Client4}); !maps.Equal(got, want) {
		t.Fatalf("at the end the kernel holds %v, want %v", got, want)
	}
	p.Expect(t, netnstest.Client4, portBlocked, netnstest.Refused)

	// --unban-batch 10: 25 unbans give two batches of 10 before the input
	// ends; a short linger applies the rest with the input still open.
	f = startFwban(t, p.Server, append(args, "--unban-linger", "1h", "--unban-batch", "10")...)
	in = banEvents("unban", 0, old[150:175]...)
	io.WriteString(f.stdin, in)
	if got, want := f.next(t, 20), results(in)[:20]; !slices.Equal(got, want) {
		t.Fatalf("results\n%v\nwant\n%v", got, want)
	}
	f.stdin.Close()
	f.next(t, 5)
	f.cmd.Wait()
	f = startFwban(t, p.Server, append(args, "--unban-linger", "10ms")...)
	in = banEvents("unban", 0, old[175:]...) + banEvents("unban", 0, netnstest.Client4)
	io.WriteString(f.stdin, in)
	if got, want := f.next(t, 6), results(in); !slices.Equal(got, want) {
		t.Fatalf("results\n%v\nwant\n%v", got, want)
	}
	if got, want := kernelBans(t, p.Server), addrSet([]netip.Addr{fresh}); !maps.Equal(got, want) {
		t.Fatalf("after the lingered unbans (input still open) the kernel holds %v, want %v", got, want)
	}
	p.Expect(t, netnstest.Client4, portBlocked, netnstest.Connected)
	f.stdin.Close()
	if err := f.cmd.Wait(); err != nil {
		t.Fatalf("fwban: %v; stderr:\n%s", err, f.stderr)
	}
}

// TestIPTablesUnbanPrepared: while unbans wait (a linger longer than the
// test, the input still open), fwban lists the IPv6 table once ahead of
// the batch (PrepareUnbans: ip6tables, wrapped to log its arguments, is
// run with -S before any result). A change another program makes after
// that listing moves the nf_tables generation, so the batch applied at
// the end of the input lists the table again: the other program's rule
// stays and the ban it deleted does not come back.
func TestIPTablesUnbanPrepared(t *testing.T) {
	p := netnstest.New(t)
	args := []string{"--backend", "iptables", "--ports", fmt.Sprint(portBlocked)}
	var addrs []netip.Addr
	for i := 1; i <= 60; i++ {
		addrs = append(addrs, netip.MustParseAddr(fmt.Sprintf("2001:db8:9::%x", i)))
	}
	mustFwban(t, p.Server, banEvents("ban", 600, addrs...), args...)
	before := chainRules(t, p.Server, "ip6tables")

	real, err := exec.LookPath("ip6tables")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> '%s'\nexec '%s' \"$@\"\n", log, real)
	if err := os.WriteFile(filepath.Join(dir, "ip6tables"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	listings := func() int {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), "-t filter -S --wait")
	}

	f := startFwban(t, p.Server, append(args, "--unban-linger", "1h")...)
	io.WriteString(f.stdin, banEvents("unban", 0, addrs[:40]...))
	for deadline := time.Now().Add(60 * time.Second); listings() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no listing of the IPv6 table while the unbans wait; ip6tables was run with:\n%s", readFile(log))
		}
	}
	if got := chainRules(t, p.Server, real); !slices.Equal(got, before) {
		t.Fatalf("while the unbans wait the kernel holds:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
	}
	// Another program deletes a ban that stays and adds a rule of its own.
	gone := "-s " + addrs[50].String() + "/128"
	var del []string
	for _, l := range before {
		if strings.Contains(l, gone+" ") {
			del = strings.Fields(strings.Replace(l, "-A", "-D", 1))
		}
	}
	netnstest.Run(t, p.Server, real, del...)
	netnstest.Run(t, p.Server, real, "-I", "f2b-sshd", "1", "-s", "2001:db8:9::ffff/128", "-j", "ACCEPT")

	f.stdin.Close()
	if got, want := f.next(t, 40), results(banEvents("unban", 0, addrs[:40]...)); !slices.Equal(got, want) {
		t.Fatalf("results\n%v\nwant\n%v", got, want)
	}
	if err := f.cmd.Wait(); err != nil {
		t.Fatalf("fwban: %v; stderr:\n%s", err, f.stderr)
	}
	if n := listings(); n != 2 {
		t.Errorf("the IPv6 table was listed %d times, want 2 (ahead of the batch, and again after the other program's change)", n)
	}
	want := []string{"-A f2b-sshd -s 2001:db8:9::ffff/128 -j ACCEPT"}
	for _, l := range before {
		keep := !strings.Contains(l, gone+" ")
		for _, a := range addrs[:40] {
			if strings.Contains(l, "-s "+a.String()+"/128 ") {
				keep = false
			}
		}
		if keep {
			want = append(want, l)
		}
	}
	if got := chainRules(t, p.Server, real); !slices.Equal(got, want) {
		t.Errorf("after the batch ip6tables -S f2b-sshd:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}
