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

// manItem is the first word of a .TP item's tag line (.B, .BR or .BI).
var manItem = regexp.MustCompile(`^\.B[RI]? +"?([a-z][a-z-]*)`)

// manCommands returns the commands a man page documents: the tags of the
// .TP items of its COMMANDS section, in order.
func manCommands(page string) []string {
	var out []string
	lines := strings.Split(page, "\n")
	in := false
	for i, l := range lines {
		if strings.HasPrefix(l, ".SH ") {
			in = strings.Trim(strings.TrimPrefix(l, ".SH "), `"`) == "COMMANDS"
			continue
		}
		if in && l == ".TP" && i+1 < len(lines) {
			if m := manItem.FindStringSubmatch(lines[i+1]); m != nil {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// TestManCommands checks manCommands on the item forms the pages use and
// that a command named only in running text does not count.
func TestManCommands(t *testing.T) {
	page := ".SH DESCRIPTION\nUse list to see.\n.SH COMMANDS\n.TP\n.B list\nprints the list\n.TP\n.BR ban \" \\fIADDR\\fR\"\n.TP\n.BI \"unban \" JAIL\n.PP\nflush is described elsewhere\n.SH OPTIONS\n.TP\n.B \\-\\-flush\n"
	if got := strings.Join(manCommands(page), " "); got != "list ban unban" {
		t.Errorf("manCommands = %q, want \"list ban unban\"", got)
	}
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
			documented := manCommands(string(page))
			if got, want := strings.Join(documented, " "), strings.Join(commands, " "); got != want {
				t.Errorf("%s documents the commands [%s] (items of its COMMANDS section), --help lists [%s]", tt.page, got, want)
			}
			for _, c := range commands {
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
