package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/banpipe/banpipe/internal/testenv"
)

var (
	flagRE    = regexp.MustCompile(`(?m)^\s+(-.*?)\s{2,}`)
	longRE    = regexp.MustCompile(`--[a-z0-9][a-z0-9-]*`)
	commandRE = regexp.MustCompile(`(?m)^   ([a-z][a-z-]*)(?:, [a-z]+)?\s{2,}`)
)

// helpFlags returns the long flag names that `bin args... --help` lists.
func helpFlags(t *testing.T, args ...string) (flags []string, commands []string) {
	t.Helper()
	out, err := exec.Command(args[0], append(args[1:], "--help")...).Output()
	if err != nil {
		t.Fatalf("%s --help: %v", strings.Join(args, " "), err)
	}
	text := string(out)
	if i := strings.Index(text, "COMMANDS:"); i >= 0 {
		section := text[i:]
		if j := strings.Index(section, "OPTIONS:"); j >= 0 {
			section = section[:j]
		}
		for _, m := range commandRE.FindAllStringSubmatch(section, -1) {
			commands = append(commands, m[1])
		}
	}
	if i := strings.Index(text, "OPTIONS:"); i >= 0 {
		for _, m := range flagRE.FindAllStringSubmatch(text[i:], -1) {
			flags = append(flags, longRE.FindAllString(m[1], -1)...)
		}
	}
	return flags, commands
}

// TestManPages checks that every option of each binary and of its commands
// is in its hand-written man page, and that man renders the pages without
// warnings.
func TestManPages(t *testing.T) {
	for _, tt := range []struct{ bin, page string }{
		{"logmatch", "../../man/logmatch.1"},
		{"bancount", "../../man/bancount.1"},
		{"fwban", "../../man/fwban.8"},
		{"banreport", "../../man/banreport.1"},
	} {
		t.Run(tt.bin, func(t *testing.T) {
			page, err := os.ReadFile(tt.page)
			if err != nil {
				t.Fatal(err)
			}
			flags, commands := helpFlags(t, bin(tt.bin))
			if len(flags) < 5 {
				t.Fatalf("only %d flags found in %s --help: %v", len(flags), tt.bin, flags)
			}
			for _, c := range commands {
				if !bytes.Contains(page, []byte(".B "+c)) && !bytes.Contains(page, []byte(".BR "+c)) && !bytes.Contains(page, []byte(" "+c+" ")) {
					t.Errorf("command %s is not in %s", c, tt.page)
				}
				sub, _ := helpFlags(t, bin(tt.bin), c)
				flags = append(flags, sub...)
			}
			for _, f := range flags {
				escaped := strings.ReplaceAll(f, "-", `\-`)
				re := regexp.MustCompile(regexp.QuoteMeta(escaped) + `([^a-z0-9\\]|$)`)
				if !re.Match(page) {
					t.Errorf("option %s is not in %s", f, tt.page)
				}
			}
			testenv.RequireCommand(t, "man")
			cmd := exec.Command("man", "--warnings", "-l", tt.page)
			cmd.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("man -l %s: %v\n%s", tt.page, err, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("man --warnings -l %s:\n%s", tt.page, stderr.String())
			}
		})
	}
}
