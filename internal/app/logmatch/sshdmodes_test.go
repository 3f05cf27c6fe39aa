package logmatch_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/app/logmatch"
	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/event"
)

// TestBuiltinSSHDModesAgainstFail2ban runs the built-in sshd filter
// through logmatch and fail2ban's own sshd filter through fail2ban-regex
// over the same generated auth.log, in each mode, and compares the
// failures one by one (address and time): a jail that swaps fail2ban's
// filter for ours keeps its counts (issue 13). In particular "Disconnecting
// authenticating user U HOST port N: Too many authentication failures",
// which OpenSSH writes after "maximum authentication attempts exceeded",
// is not counted a second time.
func TestBuiltinSSHDModesAgainstFail2ban(t *testing.T) {
	f2r := testenv.RequireCommand(t, "fail2ban-regex")
	testenv.RequireFile(t, f2bFilters+"/sshd.conf", "fail2ban")
	if testing.Short() {
		t.Skip("-short")
	}
	var log bytes.Buffer
	start := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Hour)
	if _, err := authgen.Generate(&log, authgen.Options{Lines: 20000, Seed: 13, Start: start}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log.Bytes(), []byte(": Too many authentication failures [preauth]")) {
		t.Fatal("the generated log has no 'Too many authentication failures' disconnect: the comparison would miss it")
	}
	path := filepath.Join(t.TempDir(), "auth.log")
	if err := os.WriteFile(path, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"normal", "ddos", "extra", "aggressive"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(f2r, "--raw", "-o", "row", path, f2bFilters+"/sshd.conf[mode="+mode+"]")
			cmd.Env = append(os.Environ(), "TZ=UTC")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("fail2ban-regex: %v", err)
			}
			var want []string
			for _, l := range strings.Split(string(out), "\n") {
				m := rowRE.FindStringSubmatch(strings.TrimSpace(l))
				if m == nil {
					continue
				}
				sec, _ := strconv.ParseFloat(m[2], 64)
				want = append(want, m[1]+" "+time.Unix(int64(sec), 0).UTC().Format(time.RFC3339))
			}
			var stdout, stderr bytes.Buffer
			code := logmatch.Main(context.Background(), []string{"logmatch", "-f", "sshd[mode=" + mode + "]", "--usedns", "raw", "--logtimezone", "UTC", path}, nil, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("logmatch: exit %d: %s", code, stderr.String())
			}
			var got []string
			for _, l := range bytes.Split(stdout.Bytes(), []byte("\n")) {
				if len(l) == 0 {
					continue
				}
				var e event.Event
				if err := event.Decode(l, &e); err != nil {
					t.Fatal(err)
				}
				got = append(got, e.Host+" "+e.Time.UTC().Truncate(time.Second).Format(time.RFC3339))
			}
			if len(want) < 500 {
				t.Fatalf("fail2ban-regex found only %d failures; the comparison would be weak", len(want))
			}
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("failure %d differs:\nbuilt-in sshd (logmatch)  %s\nfail2ban's (fail2ban-regex) %s\n(%d vs %d failures)", i+1, got[i], want[i], len(got), len(want))
				}
			}
			if len(got) != len(want) {
				t.Fatalf("built-in sshd found %d failures, fail2ban's %d", len(got), len(want))
			}
			t.Logf("mode=%s: %d failures agree", mode, len(got))
		})
	}
}
