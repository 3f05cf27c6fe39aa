// Package fleettest starts a real redis-server for tests of fleet mode: on a
// free loopback port, in a temporary directory, without persistence. Tests
// skip with a message where redis-server is not installed.
package fleettest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
)

// fataler is what a Server needs of a test or a script.
type fataler interface {
	Fatalf(format string, args ...any)
}

// Server is a redis-server started by a test.
type Server struct {
	t    fataler
	bin  string
	dir  string
	args []string
	// Port is the loopback port the server listens on (kept across Restart).
	Port int

	tls  bool   // serves TLS only
	conf string // a sentinel's configuration file

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *bytes.Buffer
}

// Start starts redis-server with extra arguments (e.g. "--requirepass",
// "secret") and stops it when the test ends. It skips the test when
// redis-server is missing.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := testenv.RequireCommand(t, "redis-server")
	s := &Server{t: t, bin: bin, dir: t.TempDir(), args: extra}
	s.Port = FreePort(t)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	return freePort(t)
}

func freePort(t fataler) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fleettest: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL returns "redis://127.0.0.1:PORT/0", or "rediss://..." for a TLS server.
func (s *Server) URL() string {
	if s.tls {
		return "rediss://" + s.Addr() + "/0"
	}
	return "redis://" + s.Addr() + "/0"
}

// StartTLS starts a redis-server that serves TLS only, with a certificate
// for 127.0.0.1 signed by a fresh CA, and returns it with the CA's PEM file.
func StartTLS(t testing.TB, extra ...string) (*Server, string) {
	t.Helper()
	bin := testenv.RequireCommand(t, "redis-server")
	dir := t.TempDir()
	ca, cert, key := makeCerts(t)
	caFile := filepath.Join(dir, "ca.pem")
	for name, data := range map[string][]byte{"ca.pem": ca, "cert.pem": cert, "key.pem": key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{t: t, bin: bin, dir: dir, tls: true, args: append([]string{
		"--tls-cert-file", filepath.Join(dir, "cert.pem"), "--tls-key-file", filepath.Join(dir, "key.pem"),
		"--tls-ca-cert-file", caFile, "--tls-auth-clients", "no"}, extra...)}
	s.Port = FreePort(t)
	s.start()
	t.Cleanup(s.Stop)
	return s, caFile
}

// StartSentinel starts a Sentinel (redis-server --sentinel) that monitors
// master under the name "mymaster" with a quorum of 1, and declares it down
// after 500 ms. With a master from [StartTLS], the sentinel serves TLS only,
// with the master's certificate, and talks TLS to the master.
func StartSentinel(t testing.TB, master *Server) *Server {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds mymaster 500\n"+
		"sentinel failover-timeout mymaster 5000\n", master.Port)
	if master.tls {
		text += fmt.Sprintf("tls-cert-file %[1]s/cert.pem\ntls-key-file %[1]s/key.pem\n"+
			"tls-ca-cert-file %[1]s/ca.pem\ntls-auth-clients no\ntls-replication yes\n", master.dir)
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: master.bin, dir: dir, conf: conf, tls: master.tls}
	s.Port = FreePort(t)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func makeCerts(t testing.TB) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fleettest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func (s *Server) start() {
	port := []string{"--port", strconv.Itoa(s.Port)}
	if s.tls {
		port = []string{"--port", "0", "--tls-port", strconv.Itoa(s.Port)}
	}
	args := append(append(port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--daemonize", "no",
		"--logfile", ""), s.args...)
	if s.conf != "" {
		args = append(append([]string{s.conf, "--sentinel"}, port...), "--bind", "127.0.0.1",
			"--dir", s.dir, "--daemonize", "no", "--logfile", "")
	}
	cmd := exec.Command(s.bin, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done, s.log = cmd, done, &log
	s.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err == nil && s.tls {
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // readiness probe only
			tc.SetDeadline(time.Now().Add(time.Second))
			err = tc.Handshake()
			c = tc
			if err != nil {
				c.Close()
			}
		}
		if err == nil {
			_, err = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			// +PONG, or -NOAUTH with a password: either way it serves
			if err == nil && n > 0 {
				return
			}
		}
		select {
		case <-done:
			s.t.Fatalf("redis-server exited at start: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not answer on %s: %s", s.Addr(), log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(sig)
	}
}

// Freeze stops the server with SIGSTOP: connections stay open, nothing answers.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server with SIGCONT.
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

// Kill kills the server with SIGKILL and waits for it to exit; its data is lost.
func (s *Server) Kill() {
	s.signal(syscall.SIGCONT)
	s.signal(syscall.SIGKILL)
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Restart starts a killed server again on the same port.
func (s *Server) Restart() {
	s.start()
}

// Stop kills the server; it is called when the test ends.
func (s *Server) Stop() { s.Kill() }

// Pid returns the server's process id.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}

// Dir returns the server's working directory.
func (s *Server) Dir() string { return s.dir }

// WriteFile writes a file in the server's directory and returns its path.
func (s *Server) WriteFile(name string, data []byte) string {
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		s.t.Fatalf("fleettest: %v", err)
	}
	return p
}
