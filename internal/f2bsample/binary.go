package f2bsample

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/banpipe/banpipe/pkg/event"
)

// RunBinary runs the logmatch binary bin with `-f FILTER[options]` over the
// lines of c, as fail2ban's sample test would (its "now" and zone), and
// returns the failures of each line. filter is a name or a .conf path; for a
// name, every event must carry it as its filter.
func RunBinary(bin, filter string, c *Combination) ([][]Got, error) {
	spec := filter
	if len(c.Options) > 0 {
		keys := make([]string, 0, len(c.Options))
		for k := range c.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%q", k, c.Options[k])
		}
		spec += "[" + strings.Join(parts, ", ") + "]"
	}
	var in bytes.Buffer
	for _, l := range c.Lines {
		in.WriteString(l.Text)
		in.WriteByte('\n')
	}
	cmd := exec.Command(bin, "-f", spec, "--now", Now.In(Zone()).Format(time.RFC3339), "--usedns", "raw")
	cmd.Env = append(os.Environ(), "TZ=CET-01CEST-02,M3.5.0,M10.5.0")
	cmd.Stdin = &in
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("logmatch -f %s: %v: %s", spec, err, errb.String())
	}
	byName := filepath.Base(filter) == filter && !strings.HasSuffix(filter, ".conf")
	got := make([][]Got, len(c.Lines))
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
		if byName && e.Filter != filter {
			return nil, fmt.Errorf("logmatch -f %s: event of filter %q", spec, e.Filter)
		}
		users := e.Users
		if len(users) == 0 && e.Captures["user"] != "" {
			users = []string{e.Captures["user"]}
		}
		got[i] = append(got[i], Got{Host: e.Host, IP: e.IP, Time: e.Time, Groups: e.Captures, Users: users, Attempts: e.Attempts, Partial: true})
	}
	return got, nil
}
