package logmatch_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/internal/testenv"
)

const (
	f2bFilters = "/etc/fail2ban/filter.d"
	f2bLogs    = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"
	f2bTestCfg = "/usr/lib/python3/dist-packages/fail2ban/tests/config/filter.d"
)

// TestFail2banSamplesBinary replays fail2ban's sample-log test through the
// real logmatch binary: one run per filter option combination, the lines
// on standard input, --now at the samples' "now", TZ the samples' POSIX
// rule, host names not resolved (--usedns raw, as fail2ban's test).
func TestFail2banSamplesBinary(t *testing.T) {
	for _, p := range []string{f2bFilters, f2bLogs} {
		testenv.RequireFile(t, p, "fail2ban")
	}
	if testing.Short() {
		t.Skip("-short: sample replay skipped")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "logmatch")
	build := exec.Command("go", "build", "-o", bin, "github.com/banpipe/banpipe/cmd/logmatch")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(dir string) f2bsample.Runner {
		return func(c *f2bsample.Combination) ([][]f2bsample.Got, error) {
			return f2bsample.RunBinary(bin, filepath.Join(dir, c.Filter+".conf"), c)
		}
	}
	tally := f2bsample.ReplayWith(t, f2bLogs, f2bsample.Names(f2bLogs, f2bFilters), run(f2bFilters))
	zdir, znames, err := f2bsample.StageTestFilters(filepath.Join(tmp, "z"), f2bTestCfg, f2bFilters)
	if err != nil {
		t.Fatal(err)
	}
	tally.Add(f2bsample.ReplayWith(t, f2bLogs, znames, run(zdir)))
	// The same exact figure and accepted deviations as the engine's replay
	// (pkg/filter's TestFail2banSamples).
	tally.Judge(t, "fail2ban's samples through logmatch", fail2banSampleCases, nil)
}

// fail2banSampleCases: see pkg/filter's Fail2banSampleCases (the README's
// 1,627 of 1,627); no deviation is accepted.
const fail2banSampleCases = 1627
