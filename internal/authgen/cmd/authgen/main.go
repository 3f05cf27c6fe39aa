// Command authgen writes a synthetic syslog auth.log (10% sshd failures),
// or with -service the log of another server program (web, mail, ftp,
// named ...: see authgen.Services), for benchmarks:
//
//	go run ./internal/authgen/cmd/authgen -n 1000000 -seed 1 > auth.log
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/banpipe/banpipe/internal/authgen"
)

func main() {
	fs := flag.NewFlagSet("authgen", flag.ContinueOnError)
	n := fs.Int("n", 1_000_000, "number of lines")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same log)")
	start := fs.String("start", "2026-11-21T00:00:00Z", "time of the first line (RFC 3339)")
	host := fs.String("host", "web01", "syslog host name")
	service := fs.String("service", "auth", "the log to write: "+strings.Join(authgen.Services(), ", "))
	list := fs.Bool("list", false, "list the services, each with the built-in filters that read its log, and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *list {
		for _, s := range authgen.Services() {
			fmt.Println(s, strings.Join(authgen.ServiceFilters(s), " "))
		}
		return
	}
	t, err := time.Parse(time.RFC3339, *start)
	if err != nil || *n < 0 || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "authgen: usage: authgen [-n LINES] [-seed N] [-start RFC3339] [-host NAME] [-service NAME] > auth.log")
		os.Exit(2)
	}
	if *n == 0 {
		return
	}
	st, err := authgen.Generate(os.Stdout, authgen.Options{Lines: *n, Seed: *seed, Start: t, Host: *host, Service: *service})
	if err != nil {
		fmt.Fprintf(os.Stderr, "authgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "authgen: %s: %d lines, %d failures (%.2f%%)\n", *service, st.Lines, st.Failures, 100*float64(st.Failures)/float64(st.Lines))
}
