package datedetect

import (
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/authgen"
)

// hex24Ref is the first form of excludedBefore's TAI64N question: every
// "@" before end, each checked for 24 lower-case hex digits after it.
func hex24Ref(s string, end int) bool {
	end = min(end, len(s))
	for i := 0; i < end; i++ {
		k := strings.IndexByte(s[i:end], '@')
		if k < 0 {
			return false
		}
		i += k
		if i+25 > len(s) {
			continue
		}
		ok := true
		for k := 1; k <= 24; k++ {
			if c := s[i+k]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// hex24Ends checks hex24Before against hex24Ref on s at every end from
// -1 to past the line's end.
func hex24Ends(t *testing.T, s string) {
	t.Helper()
	for end := -1; end <= len(s)+2; end++ {
		if got, want := hex24Before(s, end), hex24Ref(s, end); got != want {
			t.Fatalf("hex24Before(%q, %d) = %v, want %v", s, end, got, want)
		}
	}
}

// hex24Lines are lines where an "@" fails after a run of hex digits of
// every length, is followed by another at once or inside the run, or
// stands too near the end, beside TAI64N stamps that hold.
var hex24Lines = []string{
	"",
	"@",
	"@4000000041f4104f00000000",
	"@4000000041f4104f0000000",
	"x @4000000041f4104f00000000",
	"@@4000000041f4104f00000000",
	"@4000000041f4104f0000000@4000000041f4104f00000000",
	"@4000000041f4104f0000000A @4000000041f4104f00000000 y",
	"web@docker @4000000041f4104f00000000",
	"@abcdef@abcdef0123456789abcdef0123456789",
	"@400000004@1f4104f00000000000000000000000",
	"a@b@c@d@e@f@0@1@2@3@4@5@6@7@8@9@a@b@c@d@e@f@0@1@2@3",
}

// TestHex24Before: the TAI64N question's one-pass search answers as the
// first form on the lines above with an "@" run moved through them, on
// lines with a failed "@" followed by hex digits of every length and a
// good stamp at every offset, and on every line of every generated
// service log (the traefik log's "web@docker"), at every end.
func TestHex24Before(t *testing.T) {
	for _, l := range hex24Lines {
		hex24Ends(t, l)
		for k := 0; k <= len(l); k++ {
			hex24Ends(t, l[:k]+"@"+l[k:])
		}
	}
	const stamp = "4000000041f4104f00000000"
	for n := 0; n <= 25; n++ {
		for pad := 0; pad < 3; pad++ {
			bad := "@" + stamp[:min(n, 24)] + strings.Repeat("0", max(n-24, 0))
			hex24Ends(t, strings.Repeat(" ", pad)+bad+"@"+stamp)
			hex24Ends(t, strings.Repeat(" ", pad)+bad+"g@"+stamp)
			hex24Ends(t, strings.Repeat(" ", pad)+bad+"@"+stamp[:23])
			hex24Ends(t, bad+strings.Repeat("x", pad))
		}
	}
	for _, svc := range authgen.Services() {
		lines, moved := serviceLines(t, svc, 400/scale)
		for _, l := range append(lines, moved...) {
			hex24Ends(t, l)
		}
	}
}

// FuzzHex24Before compares hex24Before with hex24Ref on any line, at
// every end.
func FuzzHex24Before(f *testing.F) {
	for _, l := range hex24Lines {
		f.Add(l)
	}
	f.Add(screenLines[0])
	f.Add(screenLines[1])
	f.Fuzz(func(t *testing.T, s string) {
		hex24Ends(t, s)
	})
}
