// Command authgen writes a synthetic syslog auth.log (10% sshd failures)
// for benchmarks:
//
//	go run ./internal/authgen/cmd/authgen -n 1000000 -seed 1 > auth.log
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
)

func main() {
	fs := flag.NewFlagSet("authgen", flag.ContinueOnError)
	n := fs.Int("n", 1_000_000, "number of lines")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same log)")
	start := fs.String("start", "2026-11-21T00:00:00Z", "time of the first line (RFC 3339)")
	host := fs.String("host", "web01", "syslog host name")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	t, err := time.Parse(time.RFC3339, *start)
	if err != nil || *n < 0 || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "authgen: usage: authgen [-n LINES] [-seed N] [-start RFC3339] [-host NAME] > auth.log")
		os.Exit(2)
	}
	if *n == 0 {
		return
	}
	st, err := authgen.Generate(os.Stdout, authgen.Options{Lines: *n, Seed: *seed, Start: t, Host: *host})
	if err != nil {
		fmt.Fprintf(os.Stderr, "authgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "authgen: %d lines, %d sshd failures (%.2f%%)\n", st.Lines, st.Failures, 100*float64(st.Failures)/float64(st.Lines))
}
