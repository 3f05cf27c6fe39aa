package logmatch_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/banpipe/banpipe/internal/netnstest"
)

// dnsServer is a tiny authoritative DNS server on 127.0.0.1:53 of a
// network namespace: many.example has 2,000 AAAA records,
// one.example one A record, never.example never answers, every other
// name does not exist.
type dnsServer struct {
	mu      sync.Mutex
	queries map[string]int // by name
}

func (d *dnsServer) answer(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	// the question: labels up to a zero byte, then type and class
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		n := int(q[i])
		if i+1+n > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+n]))
		i += 1 + n
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	question := q[12 : i+5]
	name := strings.ToLower(strings.Join(labels, "."))
	d.mu.Lock()
	d.queries[name]++
	d.mu.Unlock()
	var rrs [][]byte
	rcode := byte(0)
	switch {
	case name == "never.example":
		return nil
	case name == "many.example" && qtype == 28:
		for n := 1; n <= 2000; n++ {
			a := netip.MustParseAddr(fmt.Sprintf("2001:db8:7::%x", n)).As16()
			rrs = append(rrs, rr(28, a[:]))
		}
	case name == "one.example" && qtype == 1:
		a := netip.MustParseAddr("198.51.100.20").As4()
		rrs = append(rrs, rr(1, a[:]))
	case name == "many.example" || name == "one.example":
	default:
		rcode = 3 // NXDOMAIN
	}
	h := make([]byte, 12)
	copy(h, q[:2])
	h[2] = 0x84 | q[2]&0x01 // response, authoritative, RD copied
	h[3] = rcode
	binary.BigEndian.PutUint16(h[4:], 1)
	binary.BigEndian.PutUint16(h[6:], uint16(len(rrs)))
	out := append(h, question...)
	for _, r := range rrs {
		out = append(out, r...)
	}
	return out
}

// rr is a record for the question's name (a pointer to offset 12).
func rr(typ uint16, data []byte) []byte {
	b := []byte{0xc0, 12, byte(typ >> 8), byte(typ), 0, 1, 0, 0, 0, 60, 0, byte(len(data))}
	return append(b, data...)
}

func (d *dnsServer) serveUDP(c net.PacketConn) {
	buf := make([]byte, 4096)
	for {
		n, addr, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		resp := d.answer(buf[:n])
		if resp == nil {
			continue
		}
		if len(resp) > 512 {
			// truncated: the client asks again over TCP
			qlen := n
			resp = append(resp[:0:0], resp[:12]...)
			resp[2] |= 0x02
			binary.BigEndian.PutUint16(resp[6:], 0)
			resp = append(resp, buf[12:qlen]...)
		}
		c.WriteTo(resp, addr)
	}
}

func (d *dnsServer) serveTCP(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			for {
				var n uint16
				if err := binary.Read(c, binary.BigEndian, &n); err != nil {
					return
				}
				q := make([]byte, n)
				if _, err := io.ReadFull(c, q); err != nil {
					return
				}
				resp := d.answer(q)
				if resp == nil {
					continue
				}
				c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(resp))))
				c.Write(resp)
			}
		}()
	}
}

// TestDNSBounded runs the logmatch binary (usedns=warn, the default) in a
// network namespace whose resolver is a DNS server of the test: a name
// with 2,000 addresses gives 16 failures per line (the cap) and one
// warning; a name whose server never answers and a name that does not
// exist give no failure, one warning each per look-up (negative caching:
// three lines, one look-up) and are counted in --stats; the lines after
// them are reported.
func TestDNSBounded(t *testing.T) {
	p := netnstest.New(t)
	ns := p.Server
	dir := filepath.Join("/etc/netns", ns)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("nameserver 127.0.0.1\noptions timeout:5 attempts:3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &dnsServer{queries: map[string]int{}}
	var udp net.PacketConn
	var tcp net.Listener
	err := netnstest.In(ns, func() error {
		var err error
		if udp, err = net.ListenPacket("udp", "127.0.0.1:53"); err != nil {
			return err
		}
		tcp, err = net.Listen("tcp", "127.0.0.1:53")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close(); tcp.Close() })
	go d.serveUDP(udp)
	go d.serveTCP(tcp)

	bin := filepath.Join(t.TempDir(), "logmatch")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/banpipe/banpipe/cmd/logmatch").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var log strings.Builder
	line := func(host string) {
		fmt.Fprintf(&log, "Nov 21 10:04:05 h app[1]: denied %s\n", host)
	}
	for range 4 {
		line("many.example")
	}
	for range 3 {
		line("never.example")
	}
	line("192.0.2.7")
	for range 3 {
		line("nosuch.example")
	}
	line("one.example")
	// The names that answer must answer within the deadline on a loaded
	// machine too: a generous --dns-timeout (never.example still gets
	// none); the default's value is checked below.
	cmd := netnstest.Command(t.Context(), ns, bin, "-e", "denied <HOST>$", "--jail", "app", "--now", "2026-11-22T00:00:00Z", "--stats", "--dns-timeout", "3s")
	cmd.Stdin = strings.NewReader(log.String())
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("logmatch: %v\n%s", err, stderr.String())
	}
	out, errs := stdout.String(), stderr.String()
	count := func(s, sub string) int { return strings.Count(s, sub) }
	if n := count(out, `"host":"many.example"`); n != 4*16 {
		t.Errorf("%d failures for many.example, want 64 (4 lines, 16 addresses each)\nstderr:\n%s", n, errs)
	}
	for _, want := range []string{`"host":"192.0.2.7"`, `"host":"one.example","ip":"198.51.100.20"`} {
		if count(out, want) != 1 {
			t.Errorf("stdout lacks %s:\n%s", want, out)
		}
	}
	if count(out, "never.example")+count(out, "nosuch.example") != 0 {
		t.Errorf("failures for names without an address:\n%s", out)
	}
	checks := []struct {
		what string
		want int
	}{
		{"dns: many.example: 2000 addresses, kept the first 16", 1},
		{"dns: never.example: no answer within 3s: its failures are dropped (cached for 5m0s)", 1},
		{"dns: nosuch.example: ", 1},
		{"dns dropped 6", 1},
	}
	for _, c := range checks {
		if n := count(errs, c.what); n != c.want {
			t.Errorf("stderr holds %q %d times, want %d:\n%s", c.what, n, c.want, errs)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.queries["many.example"] == 0 || d.queries["never.example"] == 0 {
		t.Errorf("the test's DNS server was not asked: %v", d.queries)
	}
}
