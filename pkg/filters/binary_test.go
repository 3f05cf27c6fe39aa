package filters_test

import (
	"bytes"
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
	"github.com/banpipe/banpipe/pkg/filters"
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
	tally := f2bsample.ReplayWith(t, "testdata", filters.Names(), func(c *f2bsample.Combination) ([][]f2bsample.Got, error) {
		return runLogmatch(bin, c)
	})
	tally.Log(t, "built-in filters through logmatch")
	if tally.Cases < 10*len(filters.Names()) || tally.Agree != tally.Cases {
		t.Errorf("%d of %d cases agree, want all", tally.Agree, tally.Cases)
	}
}

// runLogmatch runs logmatch -f NAME[options] over the lines of c.
func runLogmatch(bin string, c *f2bsample.Combination) ([][]f2bsample.Got, error) {
	spec := c.Filter
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
	cmd := exec.Command(bin, "-f", spec, "--now", f2bsample.Now.In(f2bsample.Zone()).Format(time.RFC3339), "--usedns", "raw")
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
			return nil, fmt.Errorf("logmatch -f %s: bad event %s: %v", spec, l, err)
		}
		i := int(e.Lineno) - 1
		if i < 0 || i >= len(got) {
			return nil, fmt.Errorf("logmatch -f %s: event with lineno %d", spec, e.Lineno)
		}
		if e.Filter != c.Filter {
			return nil, fmt.Errorf("logmatch -f %s: event of filter %q", spec, e.Filter)
		}
		users := e.Users
		if len(users) == 0 && e.Captures["user"] != "" {
			users = []string{e.Captures["user"]}
		}
		got[i] = append(got[i], f2bsample.Got{Host: e.Host, IP: e.IP, Time: e.Time, Groups: e.Captures, Users: users, Attempts: e.Attempts, Partial: true})
	}
	return got, nil
}
