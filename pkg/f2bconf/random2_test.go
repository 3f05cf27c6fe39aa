package f2bconf

import (
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func randomString(r *rand.Rand, alphabet []string, max int) string {
	var b strings.Builder
	for n := r.Intn(max) + 1; n > 0; n-- {
		b.WriteString(alphabet[r.Intn(len(alphabet))])
	}
	return b.String()
}

// TestRandomHelpersLikeFail2ban feeds random strings to ParseSpec,
// SplitActions and ParseTime and to fail2ban's extractOptions,
// splitWithOptions and str2seconds, and compares.
func TestRandomHelpersLikeFail2ban(t *testing.T) {
	py := fail2banPython(t)
	seed := int64(1)
	if s := os.Getenv("F2BCONF_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	r := rand.New(rand.NewSource(seed))
	specAlpha := []string{"a", "b", "x-y", "[", "]", "=", ",", " ", "\"", "'", "\n", "][", "k=v", "n[", "]\n"}
	timeAlpha := []string{"1", "2", "0", ".", "5", " ", "m", "h", "d", "w", "mo", "y", "s", "min", "hours", "day", "+", "-", "/", "(", ")", "x", "e", "*"}
	var in struct {
		Spec  []string `json:"spec"`
		Split []string `json:"split"`
		Time  []string `json:"time"`
	}
	n := 3000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		in.Spec = append(in.Spec, randomString(r, specAlpha, 12))
		in.Split = append(in.Split, randomString(r, specAlpha, 14))
		in.Time = append(in.Time, randomString(r, timeAlpha, 6))
	}
	data, _ := json.Marshal(in)
	cmd := exec.Command(py, "-c", helperScript)
	cmd.Stdin = strings.NewReader(string(data))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want struct {
		Spec []*struct {
			Name string            `json:"name"`
			Args map[string]string `json:"args"`
		} `json:"spec"`
		Split [][]string `json:"split"`
		Time  []*float64 `json:"time"`
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	bad := 0
	report := func(format string, args ...any) {
		bad++
		if bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	for i, s := range in.Spec {
		name, args, err := ParseSpec(s)
		w := want.Spec[i]
		switch {
		case w == nil && err == nil:
			report("ParseSpec(%q) = %q %q, fail2ban fails", s, name, args)
		case w != nil && err != nil:
			if strings.TrimSpace(w.Name) == "" {
				continue // fail2ban takes a blank name, the file lookup fails later
			}
			report("ParseSpec(%q): %v, fail2ban %q %q", s, err, w.Name, w.Args)
		case w != nil && (name != w.Name || !reflect.DeepEqual(args, w.Args)):
			report("ParseSpec(%q) = %q %q, fail2ban %q %q", s, name, args, w.Name, w.Args)
		}
	}
	for i, s := range in.Split {
		got := SplitActions(s)
		if len(got) == 0 && len(want.Split[i]) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want.Split[i]) {
			report("SplitActions(%q) = %q, fail2ban %q", s, got, want.Split[i])
		}
	}
	for i, s := range in.Time {
		got, err := parseSeconds(s)
		w := want.Time[i]
		if knownTimeDifference(s, w == nil) {
			continue
		}
		switch {
		case w == nil && err == nil:
			report("ParseTime(%q) = %v, fail2ban fails", s, got)
		case w != nil && err != nil:
			report("ParseTime(%q): %v, fail2ban %v", s, err, *w)
		case w != nil && got != *w && !(abs(got-*w) < 1e-6*abs(*w)):
			report("ParseTime(%q) = %v s, fail2ban %v s", s, got, *w)
		}
	}
	if bad > 0 {
		t.Errorf("%d differences", bad)
	}
}

var (
	leadingZero  = regexp.MustCompile(`(^|[^0-9.])0[0-9]`)
	dotAfterUnit = regexp.MustCompile(`[a-zA-Z]\.`)
	unitWord     = regexp.MustCompile(`[a-zA-Z]+`)
	threeGroups  = regexp.MustCompile(`\d\s+\d\s+\d`)
	pyLiteral    = regexp.MustCompile(`0[xXoObB]|[0-9.][eE][+-]?[0-9]|\*\s*\*`)
)

// knownTimeDifference reports the documented differences of ParseTime
// from fail2ban's text substitution and eval: leading zeros (fail2ban
// fails, ParseTime accepts), a group of one digit between two others
// ("1 2 3", "1d 2 3": fail2ban's digit-space-digit rewrite overlaps and
// leaves a syntax error; ParseTime adds them up), "." after a unit
// (fail2ban glues it to the unit's seconds, ParseTime fails), and Python's
// other number literals and its power (0xed, 1e-5, 2**3: ParseTime fails).
func knownTimeDifference(s string, f2bFails bool) bool {
	if f2bFails {
		return leadingZero.MatchString(s) || threeGroups.MatchString(unitWord.ReplaceAllString(s, " 9 "))
	}
	return dotAfterUnit.MatchString(s) || pyLiteral.MatchString(s)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
