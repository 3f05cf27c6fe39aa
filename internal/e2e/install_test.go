package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

// TestInstall runs `make install` into a staging PREFIX and checks what it
// put there: binaries, man pages, completions, example settings, and systemd
// units whose commands point at the installed binaries and that
// `systemd-analyze verify` accepts.
func TestInstall(t *testing.T) {
	testenv.RequireCommand(t, "make")
	prefix := t.TempDir()
	cmd := exec.Command("make", "-C", "../..", "install", "PREFIX="+prefix)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	for _, f := range []string{
		"bin/logmatch", "bin/bancount", "sbin/fwban", "bin/banreport",
		"share/man/man1/logmatch.1", "share/man/man1/bancount.1", "share/man/man8/fwban.8", "share/man/man1/banreport.1",
		"share/bash-completion/completions/banreport", "share/zsh/vendor-completions/_banreport",
		"share/bash-completion/completions/logmatch", "share/zsh/vendor-completions/_fwban",
		"lib/systemd/system/banpipe.service",
		"share/doc/banpipe/examples/banpipe.default",
	} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("not installed: %s", f)
		}
	}
	for _, u := range []string{"banpipe.service"} {
		unit := filepath.Join(prefix, "lib/systemd/system", u)
		data, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "@BINDIR@") || !strings.Contains(string(data), prefix+"/bin/logmatch") {
			t.Errorf("%s: binary paths not set to the prefix:\n%s", u, data)
		}
		testenv.RequireCommand(t, "systemd-analyze")
		// The EnvironmentFile need not exist.
		inst := filepath.Join(t.TempDir(), u)
		os.WriteFile(inst, data, 0o644)
		out, err := exec.Command("systemd-analyze", "verify", "--man=no", inst).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze verify %s: %v\n%s", u, err, out)
		}
	}
	// The installed binaries run.
	for _, b := range []string{"bin/logmatch", "bin/bancount", "sbin/fwban", "bin/banreport"} {
		out, err := exec.Command(filepath.Join(prefix, b), "--version").Output()
		if name := filepath.Base(b); err != nil || !strings.HasPrefix(string(out), name+" ") {
			t.Errorf("installed %s --version: %q, %v", name, out, err)
		}
	}
}
