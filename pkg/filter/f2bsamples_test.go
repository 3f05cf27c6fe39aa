package filter_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/f2bsample"
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
		if _, err := os.Stat(p); err != nil {
			t.Skipf("fail2ban is not installed (%s missing): sample replay skipped", p)
		}
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
	tmp := t.TempDir()
	zdir := filepath.Join(tmp, "1/2/3/4/5/6/filter.d")
	cdir := filepath.Join(tmp, "config/filter.d")
	for _, d := range []string{zdir, cdir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, filepath.Join(f2bFilters, "common.conf"), filepath.Join(cdir, "common.conf"))
	var znames []string
	ents, _ := os.ReadDir(f2bTestCfg)
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".conf"); ok && strings.HasPrefix(n, "zzz-") {
			copyFile(t, filepath.Join(f2bTestCfg, e.Name()), filepath.Join(zdir, e.Name()))
			znames = append(znames, n)
		}
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

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
