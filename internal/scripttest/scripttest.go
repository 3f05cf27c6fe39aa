// Package scripttest runs banpipe's command-line scripts (testscript txtar
// files): every script can exec logmatch, bancount, fwban and banreport, which run the
// real Main functions in a subprocess.
package scripttest

import (
	"context"
	"flag"
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/banpipe/banpipe/internal/app/bancount"
	"github.com/banpipe/banpipe/internal/app/banreport"
	"github.com/banpipe/banpipe/internal/app/fwban"
	"github.com/banpipe/banpipe/internal/app/logmatch"
	"github.com/banpipe/banpipe/internal/clirun"
	"github.com/banpipe/banpipe/internal/testenv"
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
		"banreport": run(func(ctx context.Context, a []string, i, o, e *os.File) int {
			return banreport.Main(ctx, a, i, o, e)
		}),
	}
}

// Params returns the testscript parameters for the scripts in dir. Conditions
// are [testenv.ScriptCondition]'s ([root], [netns], [fail2ban], [redis],
// [cmd:NAME]; under CI=true one that does not hold fails the script) and
// testscript's own ([exec:NAME], [short], ...).
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
		Condition: testenv.ScriptCondition,
	}
}
