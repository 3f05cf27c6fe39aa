package logmatch_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/f2bsample"
	"github.com/banpipe/banpipe/pkg/event"
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
		if _, err := os.Stat(p); err != nil {
			t.Skipf("fail2ban is not installed (%s missing): sample replay skipped", p)
		}
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
			return runBinary(bin, filepath.Join(dir, c.Filter+".conf"), c)
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

func runBinary(bin, conf string, c *f2bsample.Combination) ([][]f2bsample.Got, error) {
	spec := conf
	if len(c.Options) > 0 {
		var keys []string
		for k := range c.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%q", k, c.Options[k]))
		}
		spec += "[" + strings.Join(parts, ", ") + "]"
	}
	var in bytes.Buffer
	for _, l := range c.Lines {
		in.WriteString(l.Text)
		in.WriteByte('\n')
	}
	now := f2bsample.Now.In(f2bsample.Zone()).Format(time.RFC3339)
	cmd := exec.Command(bin, "-f", spec, "--now", now, "--usedns", "raw")
	cmd.Env = append(os.Environ(), "TZ=CET-01CEST-02,M3.5.0,M10.5.0")
	cmd.Stdin = &in
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("logmatch -f %s: %v: %s", spec, err, errb.String())
	}
	got := make([][]f2bsample.Got, len(c.Lines))
	for _, l := range bytes.Split(out.Bytes(), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var e event.Event
		if err := event.Decode(l, &e); err != nil {
			return nil, fmt.Errorf("bad event %s: %v", l, err)
		}
		var raw map[string]any
		_ = json.Unmarshal(l, &raw)
		i := int(e.Lineno) - 1
		if i < 0 || i >= len(got) {
			return nil, fmt.Errorf("event with lineno %d", e.Lineno)
		}
		users := e.Users
		if len(users) == 0 && e.Captures["user"] != "" {
			users = []string{e.Captures["user"]}
		}
		groups := map[string]string{}
		for k, v := range e.Captures {
			groups[k] = v
		}
		got[i] = append(got[i], f2bsample.Got{Host: e.Host, IP: e.IP, Time: e.Time, Groups: groups, Users: users, Attempts: e.Attempts, Partial: true})
	}
	return got, nil
}
