// Package fleettest starts a real redis-server for tests of fleet mode: on a
// free loopback port, in a temporary directory, without persistence. Tests
// skip with a message where redis-server is not installed.
package fleettest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a redis-server started by a test.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	args []string
	// Port is the loopback port the server listens on (kept across Restart).
	Port int

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
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed (apt-get install redis-server): skipping fleet test with a real Redis")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), args: extra}
	s.Port = FreePort(t)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL returns "redis://127.0.0.1:PORT/0".
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

func (s *Server) start() {
	s.t.Helper()
	args := append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--daemonize", "no",
		"--logfile", ""}, s.args...)
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
	s.t.Helper()
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
		s.t.Fatal(fmt.Errorf("fleettest: %v", err))
	}
	return p
}
