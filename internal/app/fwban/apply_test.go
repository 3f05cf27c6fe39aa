package fwban

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/pkg/event"
	"github.com/banpipe/banpipe/pkg/firewall"
)

// recorder is a Backend that records its calls; bans of 192.0.2.66 fail.
type recorder struct{ calls []string }

func (r *recorder) Name() string                        { return "recorder" }
func (r *recorder) Check(context.Context) error         { return nil }
func (r *recorder) Close() error                        { return nil }
func (r *recorder) Flush(context.Context, string) error { return nil }
func (r *recorder) List(context.Context, string) ([]firewall.Entry, error) {
	return nil, nil
}
func (r *recorder) Ban(_ context.Context, j firewall.JailSettings, bans []firewall.Ban) []error {
	return r.record("ban", j, bans)
}
func (r *recorder) Unban(_ context.Context, j firewall.JailSettings, bans []firewall.Ban) []error {
	return r.record("unban", j, bans)
}
func (r *recorder) record(op string, j firewall.JailSettings, bans []firewall.Ban) []error {
	var ips []string
	errs := make([]error, len(bans))
	for i, b := range bans {
		ips = append(ips, event.FormatPrefix(b.Prefix))
		if b.Prefix.Addr().String() == "192.0.2.66" {
			errs[i] = errors.New("kernel says no")
		}
	}
	r.calls = append(r.calls, fmt.Sprintf("%s %s %s", op, j.Name, strings.Join(ips, ",")))
	return errs
}

// TestApplyBatches: per jail, runs of consecutive bans (or unbans) of
// distinct addresses are one backend call; a repeated address or a change
// of action starts a new call; results keep the input order.
func TestApplyBatches(t *testing.T) {
	in := `{"action":"ban","jail":"a","ip":"192.0.2.1"}
{"action":"ban","jail":"b","ip":"192.0.2.2"}
{"action":"ban","jail":"a","ip":"192.0.2.3"}
{"action":"ban","jail":"a","ip":"192.0.2.1","bantime":900}
{"action":"unban","jail":"a","ip":"192.0.2.3"}
{"action":"unban","jail":"b","ip":"192.0.2.2"}
{"action":"ban","jail":"b","ip":"192.0.2.66"}
{"action":"ban","jail":"a","ip":"127.0.0.1"}
{"action":"ban","jail":"b","ip":"192.0.2.4"}
`
	rec := &recorder{}
	o := &options{backend: "iptables", batch: 100}
	fw := &firewallSet{o: o, stderr: io.Discard, backends: map[string]firewall.Backend{"iptables": rec}, routes: map[string]*route{}, ctx: context.Background()}
	var out, errw bytes.Buffer
	a := &applier{fw: fw, w: event.NewWriter(&out), stderr: &errw}
	r := event.NewReader(strings.NewReader(in), "stdin")
	r.KeepRaw()
	for {
		e := new(event.Event)
		if err := r.Read(e); err != nil {
			break
		}
		a.pending = append(a.pending, pending{ev: e, line: r.Line()})
	}
	a.apply(context.Background())
	a.w.Flush()
	wantCalls := []string{
		"ban a 192.0.2.1,192.0.2.3",
		"ban a 192.0.2.1",
		"unban a 192.0.2.3",
		"ban b 192.0.2.2",
		"unban b 192.0.2.2",
		"ban b 192.0.2.66,192.0.2.4",
	}
	if got := strings.Join(rec.calls, "\n"); got != strings.Join(wantCalls, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", got, strings.Join(wantCalls, "\n"))
	}
	want := `{"action":"ban","jail":"a","ip":"192.0.2.1","applied":true}
{"action":"ban","jail":"b","ip":"192.0.2.2","applied":true}
{"action":"ban","jail":"a","ip":"192.0.2.3","applied":true}
{"action":"ban","jail":"a","ip":"192.0.2.1","bantime":900,"applied":true}
{"action":"unban","jail":"a","ip":"192.0.2.3","applied":true}
{"action":"unban","jail":"b","ip":"192.0.2.2","applied":true}
{"action":"ban","jail":"b","ip":"192.0.2.66","applied":false,"error":"kernel says no"}
{"action":"ban","jail":"a","ip":"127.0.0.1","applied":false,"error":"refusing to ban 127.0.0.1: loopback"}
{"action":"ban","jail":"b","ip":"192.0.2.4","applied":true}
`
	if out.String() != want {
		t.Errorf("results:\n%s\nwant:\n%s", out.String(), want)
	}
	if a.failed != 1 || a.notApplied != 2 || errw.String() != "fwban: stdin:7: ban 192.0.2.66 in jail b: kernel says no\n" {
		t.Errorf("failed %d, not applied %d, stderr %q", a.failed, a.notApplied, errw.String())
	}
}
