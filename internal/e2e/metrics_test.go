package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
)

// proc is a running program of the pipeline whose stderr is watched for
// its metrics address.
type proc struct {
	name   string
	cmd    *exec.Cmd
	addr   chan string
	stderr bytes.Buffer
	done   chan struct{}
}

var metricsAtRE = regexp.MustCompile(`metrics at http://([^/]+)/metrics`)

func startProc(t *testing.T, name string, stdin io.Reader, args ...string) (*proc, io.ReadCloser) {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin(name), args...), addr: make(chan string, 1), done: make(chan struct{})}
	p.cmd.Stdin = stdin
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			if m := metricsAtRE.FindStringSubmatch(sc.Text()); m != nil {
				p.addr <- m[1]
			}
			p.stderr.WriteString(sc.Text() + "\n")
		}
	}()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	return p, out
}

func (p *proc) address(t *testing.T) string {
	t.Helper()
	select {
	case a := <-p.addr:
		return a
	case <-time.After(60 * time.Second):
		t.Fatalf("%s announced no metrics address", p.name)
		return ""
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %v %s", addr, err, resp.Status)
	}
	return string(b)
}

// waitMetrics scrapes addr until every want line (a sample as the text
// format writes it) is in the page, or fails after a generous deadline.
func waitMetrics(t *testing.T, addr string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		page := scrape(t, addr)
		missing := ""
		for _, w := range want {
			if !strings.Contains(page, "\n"+w+"\n") {
				missing = w
				break
			}
		}
		if missing == "" {
			return page
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q in\n%s", addr, missing, page)
		}
		time.Sleep(20 * time.Millisecond) // poll interval of a condition wait
	}
}

// promtoolCheck runs `promtool check metrics` on a page.
func promtoolCheck(t *testing.T, promtool, what, page string) {
	t.Helper()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics on %s: %v\n%s", what, err, out)
	}
}

// TestMetrics runs logmatch | bancount | fwban (dry run) with --metrics and
// --metrics-file, scrapes each /metrics while they run, checks the values
// against what went through, checks every page and file with promtool,
// and checks the files written at exit (banpipe_ metrics only).
func TestMetrics(t *testing.T) {
	promtool := testenv.RequireCommand(t, "promtool")
	dir := t.TempDir()
	lmIn, logWriter := io.Pipe()
	lm, lmOut := startProc(t, "logmatch", lmIn, "-f", "sshd", "--now", "2026-12-06T12:00:00Z",
		"--metrics", "127.0.0.1:0", "--metrics-file", filepath.Join(dir, "logmatch.prom"))
	bc, bcOut := startProc(t, "bancount", lmOut, "--state", filepath.Join(dir, "state"), "--socket", "none",
		"--clock", "log", "--maxretry", "3", "--findtime", "10m", "--bantime", "1h",
		"--metrics", "127.0.0.1:0", "--metrics-file", filepath.Join(dir, "bancount.prom"))
	fw, fwOut := startProc(t, "fwban", bcOut, "-b", "dry-run", "--dry-run-output", filepath.Join(dir, "commands"),
		"--metrics", "127.0.0.1:0", "--metrics-file", filepath.Join(dir, "fwban.prom"))
	lmAddr, bcAddr, fwAddr := lm.address(t), bc.address(t), fw.address(t)

	results := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(fwOut)
		for sc.Scan() {
			results <- sc.Text()
		}
		close(results)
	}()
	lines := "Dec  6 10:00:00 web01 sshd[100]: Server listening on 0.0.0.0 port 22.\n"
	for i := 1; i <= 3; i++ {
		lines += fmt.Sprintf("Dec  6 10:00:0%d web01 sshd[10%d]: Failed password for root from 192.0.2.7 port 4000%d ssh2\n", i, i, i)
	}
	go func() { _, _ = io.WriteString(logWriter, lines) }()
	select {
	case r := <-results:
		if !strings.Contains(r, `"action":"ban"`) || !strings.Contains(r, `"applied":true`) {
			t.Fatalf("fwban: %s", r)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no ban came out of the pipeline\nlogmatch: %s\nbancount: %s\nfwban: %s", lm.stderr.String(), bc.stderr.String(), fw.stderr.String())
	}

	pages := map[string]string{
		"logmatch": waitMetrics(t, lmAddr,
			`banpipe_logmatch_lines_read_total{jail="sshd"} 4`,
			`banpipe_logmatch_lines_matched_total{jail="sshd"} 3`,
			`banpipe_logmatch_lines_missed_total{jail="sshd"} 1`,
			`banpipe_logmatch_lines_ignored_total{jail="sshd"} 0`,
			`banpipe_logmatch_failures_total{jail="sshd"} 3`),
		"bancount": waitMetrics(t, bcAddr,
			`banpipe_failures_total{jail="sshd"} 3`,
			`banpipe_bans_total{jail="sshd"} 1`,
			`banpipe_unbans_total{jail="sshd"} 0`,
			`banpipe_banned{jail="sshd"} 1`,
			`banpipe_state_journal_errors_total 0`),
		"fwban": waitMetrics(t, fwAddr,
			`banpipe_fwban_applied_total{backend="dry-run",jail="sshd"} 1`,
			`banpipe_fwban_failed_total{backend="dry-run",jail="sshd"} 0`,
			`banpipe_fwban_latency_seconds_count{backend="dry-run",jail="sshd"} 1`),
	}
	if !regexp.MustCompile(`\nbanpipe_state_journal_records_total [1-9]`).MatchString(pages["bancount"]) {
		t.Errorf("bancount: no journal record counted:\n%s", pages["bancount"])
	}
	if !regexp.MustCompile(`\nbanpipe_tracked_windows [0-9]`).MatchString(pages["bancount"]) {
		t.Errorf("bancount: no tracked windows gauge")
	}
	for prog, page := range pages {
		for _, c := range []string{"\ngo_goroutines ", "\nprocess_cpu_seconds_total "} {
			if !strings.Contains(page, c) {
				t.Errorf("%s: no %s(Go and process collectors)", prog, strings.TrimSpace(c))
			}
		}
		promtoolCheck(t, promtool, prog+" /metrics", page)
	}

	t.Run("grafana", func(t *testing.T) { checkDashboard(t, pages) })

	// The end of the input ends the pipeline: each program writes its file.
	logWriter.Close()
	for _, p := range []*proc{lm, bc, fw} {
		<-p.done
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("%s: %v\n%s", p.name, err, p.stderr.String())
		}
	}
	for prog, want := range map[string]string{
		"logmatch": `banpipe_logmatch_failures_total{jail="sshd"} 3`,
		"bancount": `banpipe_bans_total{jail="sshd"} 1`,
		"fwban":    `banpipe_fwban_applied_total{backend="dry-run",jail="sshd"} 1`,
	} {
		b, err := os.ReadFile(filepath.Join(dir, prog+".prom"))
		if err != nil {
			t.Fatalf("--metrics-file: %v", err)
		}
		if !strings.Contains("\n"+string(b), "\n"+want+"\n") {
			t.Errorf("%s.prom has no %q:\n%s", prog, want, b)
		}
		if strings.Contains(string(b), "go_goroutines") {
			t.Errorf("%s.prom holds the Go collector's metrics (node_exporter exports its own)", prog)
		}
		promtoolCheck(t, promtool, prog+".prom", string(b))
		matches, _ := filepath.Glob(filepath.Join(dir, "."+prog+".prom.*"))
		if len(matches) > 0 {
			t.Errorf("temporary files left: %v", matches)
		}
	}
}

// checkDashboard loads dist/grafana/banpipe.json and checks that every
// query (panel targets and template variables) names only metrics that a
// scrape of the programs (pages) shows, histogram series included.
func checkDashboard(t *testing.T, pages map[string]string) {
	b, err := os.ReadFile("../../dist/grafana/banpipe.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("banpipe.json: %v", err)
	}
	exported := map[string]bool{}
	for _, page := range pages {
		for _, l := range strings.Split(page, "\n") {
			if m := sampleNameRE.FindStringSubmatch(l); m != nil {
				exported[m[1]] = true
			}
		}
	}
	var exprs []string
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, p.Title+": "+tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, "variable "+v.Name+": "+v.Definition)
	}
	names := 0
	for _, e := range exprs {
		found := metricNameRE.FindAllString(e, -1)
		if len(found) == 0 {
			t.Errorf("query names no banpipe metric: %s", e)
		}
		for _, n := range found {
			names++
			if !exported[n] {
				t.Errorf("query names %s, which no program exports: %s", n, e)
			}
		}
	}
	// What the issue asks the dashboard to show.
	all := strings.Join(exprs, "\n")
	for _, want := range []string{"banpipe_failures_total", "banpipe_bans_total", "banpipe_banned", "topk(", "banpipe_fwban_failed_total", "banpipe_fwban_latency_seconds_bucket"} {
		if !strings.Contains(all, want) {
			t.Errorf("no query uses %s", want)
		}
	}
	t.Logf("%d panels, %d metric names in queries, all exported", len(dash.Panels), names)
}

var (
	sampleNameRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]`)
	metricNameRE = regexp.MustCompile(`banpipe_[a-z0-9_]+`)
)
