package logmatch_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/app/logmatch"
	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/testenv"
	"github.com/banpipe/banpipe/pkg/event"
)

var rowRE = regexp.MustCompile(`^\['([^']*)',\s*([0-9.]+),\s*\{(.*)\}\],?$`)
var userRE = regexp.MustCompile(`'user': '([^']*)'`)

// TestAgainstFail2banRegex runs fail2ban-regex and logmatch on the same
// generated auth.log with fail2ban's sshd filter and compares the failures
// one by one: address, time and user.
func TestAgainstFail2banRegex(t *testing.T) {
	f2r := testenv.RequireCommand(t, "fail2ban-regex")
	testenv.RequireFile(t, f2bFilters+"/sshd.conf", "fail2ban's sshd filter")
	if testing.Short() {
		t.Skip("-short")
	}
	var log bytes.Buffer
	start := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Hour)
	if _, err := authgen.Generate(&log, authgen.Options{Lines: 4000, Seed: 7, Start: start}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "auth.log")
	if err := os.WriteFile(path, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(f2r, "--raw", "-o", "row", path, f2bFilters+"/sshd.conf")
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
		user := ""
		if u := userRE.FindStringSubmatch(m[3]); u != nil {
			user = u[1]
		}
		want = append(want, m[1]+" "+time.Unix(int64(sec), 0).UTC().Format(time.RFC3339)+" "+user)
	}
	var stdout, stderr bytes.Buffer
	code := logmatch.Main(context.Background(), []string{"logmatch", "-f", f2bFilters + "/sshd.conf", "--usedns", "raw", "--logtimezone", "UTC", path}, nil, &stdout, &stderr)
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
		got = append(got, e.Host+" "+e.Time.UTC().Truncate(time.Second).Format(time.RFC3339)+" "+e.Captures["user"])
	}
	if len(want) < 50 {
		t.Fatalf("fail2ban-regex found only %d failures; the comparison would be weak", len(want))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		n := min(len(got), len(want))
		for i := 0; i < n; i++ {
			if got[i] != want[i] {
				t.Fatalf("failure %d differs:\nlogmatch       %s\nfail2ban-regex %s\n(%d vs %d failures)", i+1, got[i], want[i], len(got), len(want))
			}
		}
		t.Fatalf("logmatch found %d failures, fail2ban-regex %d", len(got), len(want))
	}
	t.Logf("%d failures agree with fail2ban-regex", len(got))
}
