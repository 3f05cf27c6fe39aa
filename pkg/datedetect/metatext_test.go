package datedetect

import (
	"strings"
	"testing"

	"github.com/dlclark/regexp2/v2"
)

// fail2ban's meta regexes that template.go writes as text searches.
var (
	specUNB      = meta(`^\{UNB\}`, 0)
	specLNBeg    = meta(`^\{\^LN-BEG\}`, 0)
	specSancBeg  = meta(`^\((?:\?:)?\^\|\\b\|\\W\)`, 0)
	specEancEnd  = meta(`\(\?=\\b\|\\W\|\$\)$`, 0)
	specEpoch    = meta(`(?<!\\)\{L?EPOCH\}`, regexp2.IgnoreCase)
	specPrematch = meta(`(?<!\\)\{DATE\}`, regexp2.IgnoreCase)
)

func checkMetaTexts(t *testing.T, s string) {
	del := func(string) string { return "" }
	cut := func(spec *lazyRE, s string) (string, bool) {
		return msub(spec, s, -1, del), msearch(spec, s)
	}
	type pair struct {
		name      string
		got, want string
		gotOK     bool
		wantOK    bool
	}
	var pairs []pair
	w, wok := cut(specUNB, s)
	g, gok := strings.CutPrefix(s, "{UNB}")
	if !gok {
		g = s
	}
	pairs = append(pairs, pair{"{UNB}", g, w, gok, wok})
	w, wok = cut(specLNBeg, s)
	g, gok = strings.CutPrefix(s, "{^LN-BEG}")
	if !gok {
		g = s
	}
	pairs = append(pairs, pair{"{^LN-BEG}", g, w, gok, wok})
	w, _ = cut(specSancBeg, s)
	pairs = append(pairs, pair{"sanc", cutSancBeg(s), w, true, true})
	w, _ = cut(specEancEnd, s)
	pairs = append(pairs, pair{"eanc", cutEancEnd(s), w, true, true})
	g, gok = replaceTokens(s, epochTokens, "(E)")
	pairs = append(pairs, pair{"epoch", g, msub(specEpoch, s, -1, func(string) string { return "(E)" }), gok, msearch(specEpoch, s)})
	pairs = append(pairs, pair{"hasTokens", "", "", hasTokens(s, epochTokens), msearch(specEpoch, s)})
	g, gok = replaceTokens(s, dateTokens, "<$0 D>")
	pairs = append(pairs, pair{"date", g, msub(specPrematch, s, -1, func(string) string { return "<$0 D>" }), gok, msearch(specPrematch, s)})
	for _, p := range pairs {
		if p.got != p.want || p.gotOK != p.wantOK {
			t.Errorf("%s on %q: %q %v, the regex: %q %v", p.name, s, p.got, p.gotOK, p.want, p.wantOK)
		}
	}
}

// TestMetaTexts runs checkMetaTexts on the default patterns, fail2ban's
// stock datepatterns and edge cases.
func TestMetaTexts(t *testing.T) {
	cases := []string{"", "{UNB}", "{UNB}{UNB}x", "{^LN-BEG}%H", "x{^LN-BEG}", `(^|\b|\W)%d`, `(?:^|\b|\W)x(?=\b|\W|$)`,
		"a(?=\\b|\\W|$)\n", "(?=\\b|\\W|$)\n\n", `{EPOCH}`, `{epoch}{LePoCh}`, `\{EPOCH}{EPOCH}`, `^\[{LEPOCH}\]`, "{DATE}", `\\{date}`,
		`^[^\[]*\[({DATE})`, "{DATE}\xff{DATE}", "\xff{DATE", "{EPOCH", "{\u212aEPOCH}", "{DATE}x{DATE}", `{{DATE}}`}
	for _, p := range defaultPatterns {
		cases = append(cases, p, "{^LN-BEG}"+p, "^"+p, `^[^\[]*\[(`+p+`)`)
	}
	for _, c := range cases {
		checkMetaTexts(t, c)
	}
}

// FuzzMetaTexts compares the text searches with fail2ban's regexes.
func FuzzMetaTexts(f *testing.F) {
	for _, c := range []string{"{UNB}x", "{^LN-BEG}%H", `(^|\b|\W)%d(?=\b|\W|$)`, `\{EPOCH}{lepoch}`, `^[^\[]*\[({DATE})`, "{DaTe}\n"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) { checkMetaTexts(t, s) })
}
