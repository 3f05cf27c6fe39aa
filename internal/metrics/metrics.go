// Package metrics serves a program's Prometheus metrics (--metrics ADDR:
// text format at /metrics, with the Go and process metrics) and writes
// them to a file at exit (--metrics-file PATH, for node_exporter's textfile
// collector), for logmatch, bancount and fwban.
//
// Every metric is named banpipe_... and labelled by jail (and backend in
// fwban). Programs register their metrics on [Exporter.Registry] and
// resolve per-jail counters once ([CounterVec.With] when a jail is first
// seen), so counting a line is one atomic add.
//
// The package writes the text exposition format itself rather than
// linking Prometheus's Go client: that client (with protobuf and procfs)
// cost every start of every program ~10 ms of CPU and ~200 page faults in
// package initialisation, metrics on or off, where logmatch's whole
// start on a one-line log is ~50 ms.
package metrics

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Exporter is the metrics of one program: a registry, the HTTP server of
// --metrics and the file of --metrics-file.
type Exporter struct {
	reg  *Registry
	srv  *http.Server
	ln   net.Listener
	file string
	done chan struct{}
}

// New returns the exporter of addr (serve; "" for none) and file (write
// at Close; "" for none), or nil when both are empty: metrics are off and
// the program registers nothing. The listener is open when New returns;
// its address (with the port chosen for ":0") is [Exporter.Addr].
func New(addr, file string) (*Exporter, error) {
	if addr == "" && file == "" {
		return nil, nil
	}
	e := &Exporter{reg: NewRegistry(), file: file}
	if file != "" {
		dir := filepath.Dir(file)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--metrics-file %s: directory %s does not exist", file, dir)
		}
	}
	if addr == "" {
		return e, nil
	}
	registerRuntime(e.reg)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", e.serveMetrics)
	e.ln = ln
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	e.done = make(chan struct{})
	go func() {
		defer close(e.done)
		_ = e.srv.Serve(ln)
	}()
	return e, nil
}

// serveMetrics answers a scrape: every metric in the text format.
func (e *Exporter) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_ = e.reg.WriteText(w, "")
}

// Registry returns the registry to register on (nil for a nil Exporter).
func (e *Exporter) Registry() *Registry {
	if e == nil {
		return nil
	}
	return e.reg
}

// Addr returns the address served ("" when not serving).
func (e *Exporter) Addr() string {
	if e == nil || e.ln == nil {
		return ""
	}
	return e.ln.Addr().String()
}

// Announce writes "PROG: metrics at http://ADDR/metrics" to w when
// serving (the port of ":0" is known only then).
func (e *Exporter) Announce(w io.Writer, prog string) {
	if a := e.Addr(); a != "" {
		fmt.Fprintf(w, "%s: metrics at http://%s/metrics\n", prog, a)
	}
}

// Close stops serving and writes the file of --metrics-file. It is a
// no-op for a nil Exporter.
func (e *Exporter) Close() error {
	if e == nil {
		return nil
	}
	var err error
	if e.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = e.srv.Shutdown(ctx)
		cancel()
		<-e.done
	}
	if e.file != "" {
		err = WriteFile(e.reg, e.file)
	}
	return err
}

// WriteFile writes the banpipe_ metrics of r to path in the text format,
// atomically (a temporary file in the same directory, fsynced, renamed
// over path), as node_exporter's textfile collector wants. The Go and
// process metrics are left out: node_exporter exports its own go_ and
// process_ series and refuses a file that repeats them.
func WriteFile(r *Registry, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("--metrics-file: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = r.WriteText(tmp, "banpipe_")
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("--metrics-file %s: %w", path, err)
	}
	return nil
}
