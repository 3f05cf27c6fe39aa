package metrics

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

// TestWriteText checks the text format byte for byte: families sorted by
// name, samples by their label values (names in order), escapes in help
// and label values, a histogram's cumulative buckets, _sum and _count,
// families read at scrape time, and a CounterVec without child left out.
func TestWriteText(t *testing.T) {
	r := NewRegistry()
	c := r.CounterVec("banpipe_b_total", "Help with \\ and\nnewline.", "jail", "backend")
	c.With("sshd", "nft").Add(3)
	c.With("a\"b\\c\nd", "nft").Inc()
	c.With("sshd", "ipset").Inc()
	r.CounterVec("banpipe_empty_total", "No child.", "jail")
	h := r.HistogramVec("banpipe_a_seconds", "Latency.", ExponentialBuckets(0.0001, 4, 3), "jail")
	h.With("sshd").Observe(0.0001)
	h.With("sshd").Observe(0.001)
	h.With("sshd").Observe(5)
	g := GaugeDesc("banpipe_c", "A gauge.", "jail")
	n := CounterDesc("banpipe_c_evicted_total", "A counter.")
	r.Collect([]*Desc{g, n}, func(emit Emit) {
		emit(g, 2, "x")
		emit(g, 1.5, "w")
		emit(n, 1e6)
	})
	var b bytes.Buffer
	if err := r.WriteText(&b, ""); err != nil {
		t.Fatal(err)
	}
	want := `# HELP banpipe_a_seconds Latency.
# TYPE banpipe_a_seconds histogram
banpipe_a_seconds_bucket{jail="sshd",le="0.0001"} 1
banpipe_a_seconds_bucket{jail="sshd",le="0.0004"} 1
banpipe_a_seconds_bucket{jail="sshd",le="0.0016"} 2
banpipe_a_seconds_bucket{jail="sshd",le="+Inf"} 3
banpipe_a_seconds_sum{jail="sshd"} 5.0011
banpipe_a_seconds_count{jail="sshd"} 3
# HELP banpipe_b_total Help with \\ and\nnewline.
# TYPE banpipe_b_total counter
banpipe_b_total{backend="ipset",jail="sshd"} 1
banpipe_b_total{backend="nft",jail="a\"b\\c\nd"} 1
banpipe_b_total{backend="nft",jail="sshd"} 3
# HELP banpipe_c A gauge.
# TYPE banpipe_c gauge
banpipe_c{jail="w"} 1.5
banpipe_c{jail="x"} 2
# HELP banpipe_c_evicted_total A counter.
# TYPE banpipe_c_evicted_total counter
banpipe_c_evicted_total 1000000
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestServeAndFile serves a registry with the Go and process metrics,
// scrapes it, writes its file, and checks both with promtool.
func TestServeAndFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "m.prom")
	e, err := New("127.0.0.1:0", file)
	if err != nil {
		t.Fatal(err)
	}
	e.Registry().CounterVec("banpipe_x_total", "X.", "jail").With("sshd").Inc()
	resp, err := http.Get("http://" + e.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %v %s", err, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, w := range []string{"\nbanpipe_x_total{jail=\"sshd\"} 1\n", "\ngo_goroutines ", "\ngo_threads ", "\ngo_gc_duration_seconds{quantile=\"0.5\"} ",
		"\ngo_memstats_heap_alloc_bytes ", "\nprocess_cpu_seconds_total ", "\nprocess_resident_memory_bytes ", "\nprocess_start_time_seconds ",
		"\nprocess_open_fds ", "\nprocess_max_fds ", "\ngo_info{version=\""} {
		if !strings.Contains("\n"+string(page), w) {
			t.Errorf("no %q in\n%s", w, page)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# HELP banpipe_x_total X.\n# TYPE banpipe_x_total counter\nbanpipe_x_total{jail=\"sshd\"} 1\n"; string(got) != want {
		t.Errorf("file:\n%s\nwant\n%s", got, want)
	}
	promtool := testenv.RequireCommand(t, "promtool")
	for what, text := range map[string]string{"page": string(page), "file": string(got)} {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics on the %s: %v\n%s\n%s", what, err, out, text)
		}
	}
}
