package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

// TestDeb builds the Debian package with `make deb`, installs it with
// dpkg -i, checks what dpkg -L lists and that the installed programs run,
// then removes it with dpkg -r and checks the programs are gone. It needs
// root and dpkg (under CI=true their absence fails the test), and installs
// on this machine: it refuses to run when a banpipe package is installed
// already.
func TestDeb(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "dpkg")
	testenv.RequireCommand(t, "make")
	// One package install at a time on this machine.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "banpipe-deb-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", "banpipe").Output(); err == nil && strings.Contains(string(out), "installed") {
		t.Fatalf("a banpipe package is installed on this machine (%s): remove it (dpkg -r banpipe) before running this test", out)
	}

	dir := t.TempDir()
	cmd := exec.Command("make", "-C", "../..", "deb", "DEBDIR="+dir, "DEBROOT="+filepath.Join(dir, "root"), "DEB_VERSION=1.2.3~test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	arch, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(dir, "banpipe_1.2.3~test_"+strings.TrimSpace(string(arch))+".deb")
	if _, err := os.Stat(deb); err != nil {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("make deb did not write %s: %v (%v)", filepath.Base(deb), err, entries)
	}

	t.Cleanup(func() { exec.Command("dpkg", "-r", "banpipe").Run() })
	if out, err := exec.Command("dpkg", "-i", deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i: %v\n%s", err, out)
	}
	out, err := exec.Command("dpkg", "-L", "banpipe").Output()
	if err != nil {
		t.Fatalf("dpkg -L banpipe: %v", err)
	}
	listed := make(map[string]bool)
	for _, l := range strings.Split(string(out), "\n") {
		listed[l] = true
	}
	want := []string{
		"/usr/bin/logmatch", "/usr/bin/bancount", "/usr/bin/banreport", "/usr/sbin/fwban",
		"/usr/share/man/man1/logmatch.1.gz", "/usr/share/man/man1/bancount.1.gz",
		"/usr/share/man/man1/banreport.1.gz", "/usr/share/man/man8/fwban.8.gz",
		"/usr/share/bash-completion/completions/logmatch", "/usr/share/bash-completion/completions/banreport",
		"/usr/share/zsh/vendor-completions/_fwban", "/usr/share/zsh/vendor-completions/_banreport",
		"/etc/default/banpipe", "/usr/share/doc/banpipe/README.md",
	}
	units, _ := filepath.Glob("../../dist/systemd/*.service")
	if len(units) == 0 {
		t.Fatal("no unit in dist/systemd")
	}
	for _, u := range units {
		want = append(want, "/usr/lib/systemd/system/"+filepath.Base(u))
	}
	examples, _ := filepath.Glob("../../dist/examples/*")
	for _, e := range examples {
		want = append(want, "/usr/share/doc/banpipe/examples/"+filepath.Base(e))
	}
	for _, f := range want {
		if !listed[f] {
			t.Errorf("dpkg -L banpipe does not list %s", f)
		}
	}
	for _, u := range units {
		data, err := os.ReadFile("/usr/lib/systemd/system/" + filepath.Base(u))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "@BINDIR@") || strings.Contains(string(data), "@SBINDIR@") {
			t.Errorf("%s: binary paths not filled in", u)
		}
	}
	if data, err := os.ReadFile("/usr/lib/systemd/system/banpipe.service"); err == nil &&
		(!strings.Contains(string(data), "/usr/bin/logmatch") || !strings.Contains(string(data), "/usr/sbin/fwban")) {
		t.Errorf("banpipe.service does not run /usr/bin/logmatch and /usr/sbin/fwban:\n%s", data)
	}
	for _, b := range []string{"/usr/bin/logmatch", "/usr/bin/bancount", "/usr/bin/banreport", "/usr/sbin/fwban"} {
		out, err := exec.Command(b, "--version").Output()
		if name := filepath.Base(b); err != nil || !strings.HasPrefix(string(out), name+" ") {
			t.Errorf("installed %s --version: %q, %v", b, out, err)
		}
	}
	if testing.Verbose() {
		out, _ := exec.Command("dpkg", "-s", "banpipe").Output()
		t.Logf("dpkg -s banpipe:\n%s", out)
	}

	if out, err := exec.Command("dpkg", "-r", "banpipe").CombinedOutput(); err != nil {
		t.Fatalf("dpkg -r: %v\n%s", err, out)
	}
	for _, b := range []string{"/usr/bin/logmatch", "/usr/sbin/fwban", "/usr/lib/systemd/system/banpipe.service"} {
		if _, err := os.Stat(b); err == nil {
			t.Errorf("%s is still there after dpkg -r", b)
		}
	}
}
