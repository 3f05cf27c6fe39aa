package store

import (
	"testing"

	"github.com/banpipe/banpipe/pkg/bans"
)

func BenchmarkAppendRecord(b *testing.B) {
	r := &bans.Record{Kind: bans.RecTicket, Jail: "sshd", ID: "10.1.134.160", Seen: 1795255200000010000, Lineno: 123456,
		First: 1795255100000010000, Last: 1795255200000010000, Retry: 3, Fails: 3}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendRecord(buf[:0], r)
	}
	b.SetBytes(int64(len(buf)))
}
