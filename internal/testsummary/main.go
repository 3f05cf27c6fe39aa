// Command testsummary runs `go test -json` with its arguments and prints
// what plain `go test` prints (one line per package, the output of failing
// tests, build errors), then one line that names the skipped tests and
// why, so that a suite whose tools went missing cannot pass unnoticed.
// It exits with go test's status.
//
//	go run ./internal/testsummary -race -count=1 ./...
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type key struct{ pkg, test string }

// summary accumulates the stream.
type summary struct {
	out     io.Writer
	output  map[key][]string
	skipped []string
	passed  int
	failed  int
}

// location matches the file:line prefix t.Skip and t.Log put on a message.
var location = regexp.MustCompile(`^\s+\S+\.go:\d+: `)

func (s *summary) add(e event) {
	k := key{e.Package, e.Test}
	switch e.Action {
	case "output", "build-output":
		s.output[k] = append(s.output[k], e.Output)
		if e.Action == "build-output" {
			fmt.Fprint(s.out, e.Output)
		}
	case "pass":
		if e.Test == "" {
			for _, l := range s.output[k] {
				if strings.HasPrefix(l, "ok ") {
					fmt.Fprint(s.out, l)
				}
			}
		} else {
			s.passed++
		}
		delete(s.output, k)
	case "skip":
		if e.Test != "" {
			s.skipped = append(s.skipped, e.Package+" "+e.Test+reason(s.output[k]))
		}
		delete(s.output, k)
	case "fail":
		if e.Test != "" {
			s.failed++
		}
		for _, l := range s.output[k] {
			if !strings.HasPrefix(l, "=== ") {
				fmt.Fprint(s.out, l)
			}
		}
		delete(s.output, k)
	}
}

// reason returns the skip message of a test's output, as " (message)".
func reason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if loc := location.FindString(lines[i]); loc != "" {
			return " (" + strings.TrimSpace(lines[i][len(loc):]) + ")"
		}
	}
	return ""
}

func (s *summary) line() string {
	total := fmt.Sprintf("tests: %d passed, %d failed, %d skipped", s.passed, s.failed, len(s.skipped))
	if len(s.skipped) == 0 {
		return total
	}
	sort.Strings(s.skipped)
	// The names go on a line of their own so that the last line is the
	// plain count that CI's log readers recognise.
	return "skipped: " + strings.Join(s.skipped, "; ") + "\n" + total
}

func main() {
	cmd := exec.Command("go", append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	s := &summary{out: os.Stdout, output: map[key][]string{}}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Println(sc.Text()) // not an event: pass it on
			continue
		}
		s.add(e)
	}
	err = cmd.Wait()
	fmt.Println(s.line())
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
}
