// Package scripttest runs banpipe's command-line scripts (testscript txtar
// files): every script can exec logmatch, bancount and fwban, which run the
// real Main functions in a subprocess.
package scripttest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/banpipe/banpipe/internal/app/bancount"
	"github.com/banpipe/banpipe/internal/app/fwban"
	"github.com/banpipe/banpipe/internal/app/logmatch"
	"github.com/banpipe/banpipe/internal/clirun"
)

// Update rewrites the golden sections of scripts (go test -update).
var Update = flag.Bool("update", false, "update testscript golden files")

// Commands returns the programs the scripts can exec.
func Commands() map[string]func() {
	run := func(main func(context.Context, []string, *os.File, *os.File, *os.File) int) func() {
		return func() {
			ctx, cancel := clirun.SignalContext()
			code := main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
			cancel()
			os.Exit(code)
		}
	}
	return map[string]func(){
		"logmatch": run(func(ctx context.Context, a []string, i, o, e *os.File) int { return logmatch.Main(ctx, a, i, o, e) }),
		"bancount": run(func(ctx context.Context, a []string, i, o, e *os.File) int { return bancount.Main(ctx, a, i, o, e) }),
		"fwban":    run(func(ctx context.Context, a []string, i, o, e *os.File) int { return fwban.Main(ctx, a, i, o, e) }),
	}
}

// Params returns the testscript parameters for the scripts in dir. Conditions:
// [root] (running as root), [netns] (root and `ip netns add` works),
// [exec:NAME] (built in), [fail2ban] (Debian's fail2ban is installed).
func Params(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		UpdateScripts:       *Update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("TZ", "UTC")
			env.Setenv("BANPIPE_TEST", "1")
			// Race-built subprocesses otherwise sleep 1 s at exit.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "netns":
				return CanNetns(), nil
			case "fail2ban":
				_, err := os.Stat(Fail2banLogs)
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	}
}

// Fail2banLogs is where Debian's fail2ban package keeps its sample logs.
const Fail2banLogs = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"

// CanNetns reports whether this process can create network namespaces.
func CanNetns() bool {
	if os.Geteuid() != 0 {
		return false
	}
	name := fmt.Sprintf("bp-probe-%d", os.Getpid())
	if err := exec.Command("ip", "netns", "add", name).Run(); err != nil {
		return false
	}
	out, _ := exec.Command("ip", "netns", "del", name).CombinedOutput()
	return !strings.Contains(string(out), "rror")
}
