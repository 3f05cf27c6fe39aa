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
	stock := f2bsample.ReplayWith(t, f2bLogs, f2bsample.Names(f2bLogs, f2bFilters), run(f2bFilters))
	stock.Log(t, "stock filters")
	zdir, znames, err := f2bsample.StageTestFilters(filepath.Join(tmp, "z"), f2bTestCfg, f2bFilters)
	if err != nil {
		t.Fatal(err)
	}
	z := f2bsample.ReplayWith(t, f2bLogs, znames, run(zdir))
	z.Log(t, "zzz test filters")
	cases, agree := stock.Cases+z.Cases, stock.Agree+z.Agree
	ratio := float64(agree) / float64(max(cases, 1))
	t.Logf("total: %d of %d annotated cases agree (%.2f%%)", agree, cases, 100*ratio)
	if cases < 1600 {
		t.Errorf("only %d annotated cases read, want about 1,627", cases)
	}
	if ratio < 0.995 {
		t.Errorf("agreement %.2f%% is below 99.5%%", 100*ratio)
	}
}
