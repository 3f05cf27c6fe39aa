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
	tally := f2bsample.Replay(t, f2bLogs, names, f2bsample.DirLoader(nil, f2bFilters))

	// The zzz-* test filters include common.conf through a relative path
	// that climbs out of Debian's tree; stage them where it lands on the
	// stock common.conf.
	zdir, znames, err := f2bsample.StageTestFilters(t.TempDir(), f2bTestCfg, f2bFilters)
	if err != nil {
		t.Fatal(err)
	}
	tally.Add(f2bsample.Replay(t, f2bLogs, znames, f2bsample.DirLoader(nil, zdir)))
	tally.Judge(t, "fail2ban's samples", Fail2banSampleCases, AcceptedDeviations)
}

// Fail2banSampleCases is the number of annotated (line, filter option
// combination) cases in Debian's fail2ban 1.0.2 sample logs: the README's
// "1,627 of 1,627".
const Fail2banSampleCases = 1627

// AcceptedDeviations are the sample cases where we knowingly differ from
// fail2ban's annotations (none today). An unannotated line that matches
// counts as a deviation.
var AcceptedDeviations = []f2bsample.Deviation{}
