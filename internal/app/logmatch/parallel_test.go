package logmatch

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/pkg/lines"
)

// chunkReader returns its data in reads of random sizes.
type chunkReader struct {
	data []byte
	rng  *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), 1+c.rng.IntN(300<<10))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

type readLine struct {
	text string
	cut  bool
}

// TestBlockReader checks that the blocks of the parallel reader, split
// into lines, are the lines of lines.Reader (the single-core reader):
// the same texts (CR before LF dropped, a last line without LF kept) and
// the same lines cut as longer than maxLine, at every place relative to
// the blocks.
func TestBlockReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	long := func(n int) string { return strings.Repeat("x", n) }
	for round := range 12 {
		var in bytes.Buffer
		for in.Len() < 6<<20 {
			switch rng.IntN(12) {
			case 0:
				in.WriteString(long(maxLine - 1 + rng.IntN(3)))
			case 1:
				in.WriteString(long(maxLine-1) + "\r")
			case 2:
				in.WriteString(long(maxLine + 1 + rng.IntN(3<<20)))
			case 3:
				in.WriteString("")
			case 4:
				in.WriteString("a\r")
			default:
				in.WriteString(long(rng.IntN(200 << 10)))
			}
			in.WriteByte('\n')
		}
		if round%2 == 1 {
			// a last line without LF, long on some rounds
			in.WriteString(long([]int{5, maxLine, maxLine + 1, 2 * maxLine}[round/2%4]))
		}
		var want []readLine
		lr := lines.NewReader(bytes.NewReader(in.Bytes()), maxLine)
		for {
			l, cut, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if cut {
				l = nil // a cut line's text is never used
			}
			want = append(want, readLine{string(l), cut})
		}
		var got []readLine
		br := &blockReader{r: &chunkReader{data: in.Bytes(), rng: rng}}
		b := &batch{}
		for {
			last := br.fill(b, "test")
			if b.err != nil {
				t.Fatal(b.err)
			}
			b.split()
			for i := range b.ends {
				l := readLine{string(b.line(i)), b.cut[i]}
				if l.cut {
					l.text = ""
				}
				got = append(got, l)
			}
			if last {
				break
			}
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: %d lines, want %d", round, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("round %d: line %d: %d bytes cut %v, want %d bytes cut %v", round, i+1, len(got[i].text), got[i].cut, len(want[i].text), want[i].cut)
			}
		}
	}
}
