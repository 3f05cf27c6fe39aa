// Package testenv decides what a test does when a tool it needs is missing:
// outside CI it skips, naming the tool; under CI (CI=true, set by the CI
// runner) it fails, so that a broken `ip netns`, `import fail2ban` or a
// missing redis-server cannot silently turn a part of the suite off.
//
// Every test that needs root, network namespaces, fail2ban, redis-server,
// chromium or another program goes through this package instead of calling
// t.Skip itself. Skips for other reasons (-short) stay plain t.Skip.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// CI reports whether the tests run under CI: the CI environment variable
// is a true boolean ("true", "1").
func CI() bool {
	b, _ := strconv.ParseBool(os.Getenv("CI"))
	return b
}

// Missing stops t because something it needs is missing: it skips t outside
// CI and fails it under CI. The message names what is missing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true: a missing tool fails the test instead of skipping it)", msg)
	}
	t.Skipf("%s (skipped outside CI; fails under CI=true)", msg)
}

// RequireRoot stops t (see [Missing]) unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "testenv: not root (run the tests as root)")
	}
}

// RequireCommand stops t (see [Missing]) unless the program name is in PATH,
// and returns its path.
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "testenv: %s is not installed (%v)", name, err)
	}
	return p
}

// RequireFile stops t (see [Missing]) unless path exists; what says which
// package provides it, e.g. "fail2ban".
func RequireFile(t testing.TB, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "testenv: %s is not installed (%v)", what, err)
	}
}

// RequireNetns stops t (see [Missing]) unless the test runs as root, iproute2
// is installed and `ip netns add` works.
func RequireNetns(t testing.TB) {
	t.Helper()
	if err := NetnsErr(); err != nil {
		Missing(t, "testenv: cannot create network namespaces: %v", err)
	}
}

var netns = sync.OnceValue(func() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("not root: network namespaces need CAP_SYS_ADMIN (run the tests as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("the ip command (iproute2) is not installed")
	}
	name := fmt.Sprintf("bp-probe-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
})

// NetnsErr returns why network namespaces cannot be created, or nil. The
// probe runs once per process.
func NetnsErr() error { return netns() }

// Python interpreters tried, in order, by RequirePython.
var pythons = []string{"python3", "/usr/bin/python3"}

var pyModules sync.Map // module -> pyResult

type pyResult struct {
	path string
	err  error
}

// PythonWith returns a python3 that can import module, or an error saying
// why none can. Results are cached per module.
func PythonWith(module string) (string, error) {
	if r, ok := pyModules.Load(module); ok {
		return r.(pyResult).path, r.(pyResult).err
	}
	r := pyResult{err: fmt.Errorf("no python3 found")}
	for _, py := range pythons {
		p, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		out, err := exec.Command(p, "-c", "import "+module).CombinedOutput()
		if err == nil {
			r = pyResult{path: p}
			break
		}
		r.err = fmt.Errorf("%s cannot import %s: %v: %s", p, module, err, strings.TrimSpace(string(out)))
	}
	pyModules.Store(module, r)
	return r.path, r.err
}

// RequirePython stops t (see [Missing]) unless a python3 can import module
// (e.g. "fail2ban" or "fail2ban.client.jailsreader"), and returns its path.
func RequirePython(t testing.TB, module string) string {
	t.Helper()
	p, err := PythonWith(module)
	if err != nil {
		Missing(t, "testenv: python module %s is not installed: %v", module, err)
	}
	return p
}

// Fail2banLogs is where Debian's fail2ban package keeps its sample logs.
const Fail2banLogs = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"

// Chromium names tried, in order, by RequireChromium.
var chromiums = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// RequireChromium stops t (see [Missing]) unless a Chromium browser is
// installed, and returns its path.
func RequireChromium(t testing.TB) string {
	t.Helper()
	for _, c := range chromiums {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	Missing(t, "testenv: chromium is not installed (tried %s)", strings.Join(chromiums, ", "))
	return ""
}

// Condition turns a testscript condition about the environment into the
// answer testscript expects: under CI a condition that does not hold is an
// error (the script fails) rather than false (the script skips or takes
// the other branch). why says what is missing.
func Condition(name string, have bool, why error) (bool, error) {
	if !have && CI() {
		if why == nil {
			why = fmt.Errorf("not available")
		}
		return false, fmt.Errorf("condition [%s]: %v (CI=true: a missing tool fails the script)", name, why)
	}
	return have, nil
}

// ScriptCondition is a testscript Params.Condition for the environment
// conditions shared by banpipe's scripts: [root], [netns], [fail2ban]
// (Debian's fail2ban with its sample logs), [redis] (redis-server and
// redis-cli) and [cmd:NAME] (NAME in PATH). Under CI a condition that does
// not hold fails the script (see [Condition]).
func ScriptCondition(cond string) (bool, error) {
	var why error
	switch {
	case cond == "root":
		if os.Geteuid() != 0 {
			why = fmt.Errorf("not root")
		}
	case cond == "netns":
		why = NetnsErr()
	case cond == "fail2ban":
		if _, why = os.Stat(Fail2banLogs); why == nil {
			_, why = PythonWith("fail2ban")
		}
	case cond == "redis":
		if _, why = exec.LookPath("redis-server"); why == nil {
			_, why = exec.LookPath("redis-cli")
		}
	case strings.HasPrefix(cond, "cmd:"):
		_, why = exec.LookPath(strings.TrimPrefix(cond, "cmd:"))
	default:
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	return Condition(cond, why == nil, why)
}
