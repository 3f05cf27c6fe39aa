package builtin_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// TestSamplesBinary replays every sample log through the real logmatch
// binary, naming the built-in filter as a jail would
// (-f 'postfix[mode=aggressive]'): one run per option combination, the
// lines on standard input, --now at the samples' "now" and TZ their zone.
// Every case must agree.
func TestSamplesBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: binary replay skipped")
	}
	bin := filepath.Join(t.TempDir(), "logmatch")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/banpipe/banpipe/cmd/logmatch").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tally := f2bsample.ReplayWith(t, "testdata", builtin.Names(), func(c *f2bsample.Combination) ([][]f2bsample.Got, error) {
		return f2bsample.RunBinary(bin, c.Filter, c)
	})
	tally.Log(t, "built-in filters through logmatch")
	if tally.Cases < 10*len(builtin.Names()) || tally.Agree != tally.Cases {
		t.Errorf("%d of %d cases agree, want all", tally.Agree, tally.Cases)
	}
}
