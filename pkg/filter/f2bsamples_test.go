package filter_test

import (
	"testing"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/internal/testenv"
)

// Debian's fail2ban package: its filters, its sample logs and its test
// filters.
const (
	f2bFilters = "/etc/fail2ban/filter.d"
	f2bLogs    = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"
	f2bTestCfg = "/usr/lib/python3/dist-packages/fail2ban/tests/config/filter.d"
)

// TestFail2banSamples replays fail2ban's own sample-log test (the
// semantics of its tests/samplestestcase.py) over Debian's fail2ban
// filters through the engine.
func TestFail2banSamples(t *testing.T) {
	for _, p := range []string{f2bFilters, f2bLogs} {
		testenv.RequireFile(t, p, "fail2ban")
	}
	if testing.Short() {
		t.Skip("-short: sample replay skipped")
	}
	names := f2bsample.Names(f2bLogs, f2bFilters)
	var tally f2bsample.Tally
	tl := f2bsample.Replay(t, f2bLogs, names, f2bsample.DirLoader(nil, f2bFilters), 0)
	tally.Cases, tally.Agree = tl.Cases, tl.Agree

	// The zzz-* test filters include common.conf through a relative path
	// that climbs out of Debian's tree; stage them where it lands on the
	// stock common.conf.
	zdir, znames, err := f2bsample.StageTestFilters(t.TempDir(), f2bTestCfg, f2bFilters)
	if err != nil {
		t.Fatal(err)
	}
	tz := f2bsample.Replay(t, f2bLogs, znames, f2bsample.DirLoader(nil, zdir), 0)
	tally.Cases += tz.Cases
	tally.Agree += tz.Agree
	ratio := float64(tally.Agree) / float64(max(tally.Cases, 1))
	t.Logf("total: %d of %d annotated cases agree (%.2f%%)", tally.Agree, tally.Cases, 100*ratio)
	if tally.Cases < 1600 {
		t.Errorf("only %d annotated cases read, want about 1,627", tally.Cases)
	}
	if ratio < 0.995 {
		t.Errorf("agreement %.2f%% is below 99.5%%", 100*ratio)
	}
}
