// Command startbench measures what one run of a command costs the
// machine: it runs the command N times (standard input /dev/null, its
// output discarded) and prints the median CPU time (user+sys, from the
// kernel's accounting of the finished process), the median number of page
// faults (minor and major) and the median peak RSS. A run that fails stops
// it with the command's standard error.
//
//	go run ./internal/startbench -n 21 -name 'logmatch --version' bin/logmatch --version
//
// prints
//
//	logmatch --version: median of 21 runs: 21.4 ms CPU (14.2 user + 7.2 sys), 586 page faults, peak RSS 10.3 MiB
//
// scripts/bench-startup.sh runs it on logmatch's start-up.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 21, "runs")
	name := flag.String("name", "", "what to call the command in the output (default: the command line)")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: startbench [-n N] [-name NAME] COMMAND [ARG...]")
		os.Exit(2)
	}
	if *name == "" {
		*name = strings.Join(args, " ")
	}
	var cpu, user, sys, faults, rss []float64
	for range *n {
		var stderr bytes.Buffer
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "startbench: %s: %v\n%s", *name, err, stderr.Bytes())
			os.Exit(1)
		}
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			fmt.Fprintln(os.Stderr, "startbench: no resource usage on this system")
			os.Exit(1)
		}
		u, s := ms(ru.Utime), ms(ru.Stime)
		user, sys, cpu = append(user, u), append(sys, s), append(cpu, u+s)
		faults = append(faults, float64(ru.Minflt+ru.Majflt))
		rss = append(rss, float64(ru.Maxrss)/1024) // KiB on Linux
	}
	fmt.Printf("%s: median of %d runs: %.1f ms CPU (%.1f user + %.1f sys), %.0f page faults, peak RSS %.1f MiB\n",
		*name, *n, median(cpu), median(user), median(sys), median(faults), median(rss))
}

func ms(t syscall.Timeval) float64 {
	return float64(time.Duration(t.Nano())) / float64(time.Millisecond)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
