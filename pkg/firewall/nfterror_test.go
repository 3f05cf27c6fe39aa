package firewall

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

// nftStderr are standard errors of nft v1.0.6 (Debian 12), captured in a
// fresh network namespace.
var nftStderr = []struct {
	name, stderr, msg string
	notFound          bool
}{
	{"list absent table", "Error: No such file or directory\nlist table inet banpipe\n                ^^^^^^^\n",
		"Error: No such file or directory", true},
	{"list absent set", "Error: No such file or directory\nlist set inet banpipe f2b-sshd4\n              ^^^^^^^\n",
		"Error: No such file or directory", true},
	{"list absent set of a present table", "Error: No such file or directory\nlist set inet banpipe f2b-sshd4\n                      ^^^^^^^^^\n",
		"Error: No such file or directory", true},
	{"delete absent table", "Error: Could not process rule: No such file or directory\ndelete table inet banpipe\n                  ^^^^^^^\n",
		"Error: Could not process rule: No such file or directory", true},
	{"syntax error", "Error: syntax error, unexpected string\nlist tablez\n     ^^^^^^\n",
		"Error: syntax error, unexpected string", false},
	{"not root", "Operation not permitted (you must be root)\nnetlink: Error: cache initialization failed: Operation not permitted\n",
		"Error: cache initialization failed: Operation not permitted", false},
	{"bad address in a script", "/dev/stdin:3:30-40: Error: Could not resolve hostname: Name or service not known\nadd element inet banpipe s { 192.0.2.300 }\n                             ^^^^^^^^^^^\n",
		"Error: Could not resolve hostname: Name or service not known", false},
	{"timeout on a set without", "/dev/stdin:3:30-38: Error: Could not process rule: Invalid argument\nadd element inet banpipe s { 192.0.2.3 timeout 5s }\n                             ^^^^^^^^^\n",
		"Error: Could not process rule: Invalid argument", false},
	{"no Error: prefix", "something odd\nsecond line\n", "something odd", false},
}

// TestNFTErrors classifies real nft standard errors with the one helper
// every caller uses.
func TestNFTErrors(t *testing.T) {
	for _, c := range nftStderr {
		msg := nftMessage(c.stderr)
		if msg != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, msg, c.msg)
		}
		err := fmt.Errorf("wrapped: %w", &nftError{args: []string{"list", "tables"}, msg: msg})
		if got := nftNotFound(err); got != c.notFound {
			t.Errorf("%s: nftNotFound = %v, want %v", c.name, got, c.notFound)
		}
	}
	if nftNotFound(nil) || nftNotFound(errors.New("Error: No such file or directory")) {
		t.Error("nftNotFound accepts an error that nft did not return")
	}
}

// TestNFTTimeout: the kernel timeout is whole seconds, never shorter than
// the time left (a ban must not end before its until).
func TestNFTTimeout(t *testing.T) {
	for _, c := range []struct{ d, want time.Duration }{
		{time.Second, time.Second},
		{time.Nanosecond, time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{600*time.Second + 1, 601 * time.Second},
		{600 * time.Second, 600 * time.Second},
		{599999 * time.Millisecond, 600 * time.Second},
		// past the kernel's longest timeout (ipset's, for both): none, the
		// unban removes it; no overflow at the largest durations
		{MaxKernelTimeout * time.Second, MaxKernelTimeout * time.Second},
		{MaxKernelTimeout*time.Second + 1, 0},
		{time.Duration(math.MaxInt64), 0},
		{time.Duration(math.MaxInt64/int64(time.Second)) * time.Second, 0},
	} {
		if got := nftTimeout(c.d); got != c.want {
			t.Errorf("nftTimeout(%v) = %v, want %v", c.d, got, c.want)
		}
	}
}
