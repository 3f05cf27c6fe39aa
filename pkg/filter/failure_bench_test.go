package filter

import (
	"testing"
	"time"

	"github.com/banpipe/banpipe/pkg/filter/builtin"
)

// BenchmarkFailureLine measures one failure line (date already cut) with
// logmatch's options (NoGroups, Matches): allocs/op are a failure line's
// allocations.
func BenchmarkFailureLine(b *testing.B) {
	for _, c := range []struct{ name, line string }{
		{"sshd", "web01 sshd[1202]: Failed password for root from 192.0.2.7 port 50022 ssh2"},
		{"nginx-http-auth", ` [error] 12#12: *7 user "bob": password mismatch, client: 192.0.2.7, server: x, request: "GET / HTTP/1.1", host: "x"`},
		{"nginx-botsearch", `192.0.2.7 - - [] "GET /phpmyadmin/ HTTP/1.1" 404 12 "-" "x"`},
	} {
		b.Run(c.name, func(b *testing.B) {
			def, err := Load("filter.d/"+c.name+".conf", nil, &LoadOptions{FS: builtin.FS, Name: c.name})
			if err != nil {
				b.Fatal(err)
			}
			f, err := Compile(*def, Options{UseDNS: "no"})
			if err != nil {
				b.Fatal(err)
			}
			m := NewMatcher(f, MatcherOptions{NoGroups: true, Matches: true})
			line, t0 := []byte(c.line), time.Unix(0, 0)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				res, err := m.LineAt(line, t0)
				if err != nil || len(res.Failures) != 1 {
					b.Fatalf("%v %+v", err, res)
				}
			}
		})
	}
}
