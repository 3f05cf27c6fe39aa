package banreport_test

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/app/bancount"
	"github.com/banpipe/banpipe/internal/app/banreport"
	"github.com/banpipe/banpipe/internal/app/logmatch"
	"github.com/banpipe/banpipe/internal/testenv"
)

// screenshot, when set, is where TestBrowser copies its screenshot of the
// demo report (make report-screenshot writes docs/banreport.png).
var screenshot = flag.String("screenshot", "", "copy the demo report's screenshot to this PNG `file`")

// Screenshot size: the top of the report (summary, jails, the charts over
// time and the top addresses), as a person first sees it.
const shotW, shotH = 800, 1900

// demoReport runs the README's pipeline over the bundled demo log
// (logmatch, then bancount on its failures, then banreport on both) and
// returns the page's path.
func demoReport(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	var failures, bans, stderr bytes.Buffer
	if code := logmatch.Main(ctx, []string{"logmatch", "-f", "sshd", "--now", "2026-11-22T12:00:00Z", "../../../testdata/demo/auth.log"},
		strings.NewReader(""), &failures, &stderr); code != 0 {
		t.Fatalf("logmatch: exit %d: %s", code, stderr.String())
	}
	if code := bancount.Main(ctx, []string{"bancount", "--clock", "log", "--state", "none", "--socket", "none",
		"--maxretry", "3", "--findtime", "10m", "--bantime", "2m", "--bantime-increment"},
		bytes.NewReader(failures.Bytes()), &bans, &stderr); code != 0 {
		t.Fatalf("bancount: exit %d: %s", code, stderr.String())
	}
	f, b := filepath.Join(dir, "failures.jsonl"), filepath.Join(dir, "bans.jsonl")
	os.WriteFile(f, failures.Bytes(), 0o644)
	os.WriteFile(b, bans.Bytes(), 0o644)
	page := filepath.Join(dir, "report.html")
	if code := banreport.Main(ctx, []string{"banreport", "--title", "banpipe report: testdata/demo/auth.log", "-o", page, f, b},
		strings.NewReader(""), &stderr, &stderr); code != 0 {
		t.Fatalf("banreport: exit %d: %s", code, stderr.String())
	}
	return page
}

// consoleRE matches the lines Chromium's log (--enable-logging=stderr) has
// for a page's console messages and uncaught errors.
var consoleRE = regexp.MustCompile(`(?m)^.*:CONSOLE[:(].*$`)

// openInChromium opens page in headless Chromium as a file, as a person
// would open a saved report, and returns the DOM after load, the console
// lines and the screenshot.
func openInChromium(t *testing.T, chromium, page string) (dom string, console []string, shot image.Image, shotPath string) {
	t.Helper()
	dir := t.TempDir()
	shotPath = filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--host-resolver-rules=MAP * ~NOTFOUND", // the page needs no network: make sure it gets none
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0",
		"--hide-scrollbars", "--force-device-scale-factor=1",
		"--window-size="+strconv.Itoa(shotW)+","+strconv.Itoa(shotH),
		"--screenshot="+shotPath, "--dump-dom", "file://"+page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	console = consoleRE.FindAllString(stderr.String(), -1)
	f, err := os.Open(shotPath)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v\n%s", err, stderr.String())
	}
	defer f.Close()
	shot, err = png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return stdout.String(), console, shot, shotPath
}

// pixels counts the screenshot's pixels that are not white and those of
// the charts' first colour (#2f6db5).
func pixels(img image.Image) (ink, chart int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r < 240 || g < 240 || bl < 240 {
				ink++
			}
			if near(r, 0x2f) && near(g, 0x6d) && near(bl, 0xb5) {
				chart++
			}
		}
	}
	return ink, chart
}

func near(a, b uint32) bool { return a+6 >= b && a <= b+6 }

// TestBrowser opens the demo report in headless Chromium and checks what a
// person would see: the charts drawn (not a blank page; the chart colour
// on screen), every chart an SVG element in the DOM, the top attacking
// address shown, and nothing on the console.
func TestBrowser(t *testing.T) {
	chromium := testenv.RequireChromium(t)
	page := demoReport(t, t.TempDir())
	dom, console, shot, shotPath := openInChromium(t, chromium, page)

	if n := strings.Count(dom, "<svg "); n != 8 {
		t.Errorf("%d <svg> elements in the DOM, want 8", n)
	}
	if !strings.Contains(dom, `<td class="n">1</td><td class="k">203.0.113.9</td>`) {
		t.Errorf("top address 203.0.113.9 is not first in the address table")
	}
	if len(console) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(console, "\n"))
	}
	b := shot.Bounds()
	if b.Dx() != shotW || b.Dy() != shotH {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), shotW, shotH)
	}
	ink, chart := pixels(shot)
	total := b.Dx() * b.Dy()
	if ink*50 < total {
		t.Errorf("screenshot nearly blank: %d of %d pixels not white", ink, total)
	}
	if chart < 2000 {
		t.Errorf("only %d pixels of the chart colour: the charts did not render", chart)
	}
	t.Logf("%d <svg>, %d of %d pixels inked, %d of the chart colour", strings.Count(dom, "<svg "), ink, total, chart)
	if *screenshot != "" {
		data, err := os.ReadFile(shotPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshot, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserSeesConsoleErrors is the control of TestBrowser's console
// check: a page that logs an error is caught.
func TestBrowserSeesConsoleErrors(t *testing.T) {
	chromium := testenv.RequireChromium(t)
	page := filepath.Join(t.TempDir(), "bad.html")
	os.WriteFile(page, []byte(`<!DOCTYPE html><p>x</p><script>console.error("banreport-control")</script>`), 0o644)
	_, console, _, _ := openInChromium(t, chromium, page)
	if len(console) == 0 || !strings.Contains(strings.Join(console, "\n"), "banreport-control") {
		t.Errorf("console error not seen: %q", console)
	}
}
