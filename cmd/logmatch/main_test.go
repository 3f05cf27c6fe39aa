package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/banpipe/banpipe/internal/authgen"
	"github.com/banpipe/banpipe/internal/scripttest"
)

func TestMain(m *testing.M) {
	cmds := scripttest.Commands()
	// authgen [-n N] [-seed S] [-service NAME]: a generated log on stdout
	cmds["authgen"] = func() {
		os.Exit(authgenMain())
	}
	// mixdates [-n N] [-seed S]: a log whose date formats switch (see
	// mixdatesMain)
	cmds["mixdates"] = func() {
		os.Exit(mixdatesMain())
	}
	testscript.Main(m, cmds)
}

// authgenMain is the authgen command of the scripts.
func authgenMain() int {
	fs := flag.NewFlagSet("authgen", flag.ContinueOnError)
	n := fs.Int("n", 1000, "lines")
	seed := fs.Uint64("seed", 1, "seed")
	svc := fs.String("service", "auth", "service")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if _, err := authgen.Generate(os.Stdout, authgen.Options{Lines: *n, Seed: *seed, Service: *svc}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestScripts runs the command-line scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, scripttest.Params("testdata"))
}

// mixdatesMain writes a log of lines in runs of one to 300 lines of one
// format, the formats switching at random: syslog, ISO and access-log
// dates at the line start, dates inside the line, epoch dates, lines
// without a date, and lines with two dates where the date fail2ban's date
// detector takes depends on the lines before: an ISO date at the line
// start and a syslog date at the place of the syslog date of the lines
// "web01 app: event logged at DATE": after those lines the syslog date is
// taken (the last template, found at its last place), else the ISO one.
// Every line that says "Failed login from ADDR" is a failure of
// -e 'Failed login from <HOST>'.
func mixdatesMain() int {
	fs := flag.NewFlagSet("mixdates", flag.ContinueOnError)
	n := fs.Int("n", 1000, "lines")
	seed := fs.Uint64("seed", 1, "seed")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	rng := rand.New(rand.NewPCG(*seed, 7))
	w := bufio.NewWriter(os.Stdout)
	t := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	const iso = "2006-01-02 15:04:05"
	format, left := 0, 0
	for range *n {
		if left == 0 {
			// the two-date lines follow every run of in-line syslog
			// dates, one run in two
			switch {
			case format == 4:
				format = 5
			case rng.IntN(2) == 0:
				format = 4
			default:
				format = rng.IntN(8)
			}
			left = 1 + rng.IntN(300)
		}
		left--
		t = t.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		old := t.Add(-time.Duration(1+rng.IntN(48)) * time.Hour)
		msg := "session opened for user u" + fmt.Sprint(rng.IntN(50))
		if rng.IntN(4) == 0 {
			msg = fmt.Sprintf("Failed login from 192.0.2.%d", 1+rng.IntN(250))
		}
		switch format {
		case 0:
			fmt.Fprintf(w, "%s web01 app[%d]: %s\n", t.Format(time.Stamp), rng.IntN(9999), msg)
		case 1:
			fmt.Fprintf(w, "%s web01 app: %s\n", t.Format(iso), msg)
		case 2:
			fmt.Fprintf(w, "%s web01 app: at %s %s\n", t.Format(time.RFC3339), old.Format(time.Stamp), msg)
		case 3:
			fmt.Fprintf(w, "198.51.100.%d - - [%s] %s\n", rng.IntN(250), t.Format("02/Jan/2006:15:04:05 -0700"), msg)
		case 4:
			fmt.Fprintf(w, "%-33s %s %s\n", "web01 app: event logged at", t.Format(time.Stamp), msg)
		case 5:
			fmt.Fprintf(w, "%s web01 app: at %s %s\n", old.Format(iso), t.Format(time.Stamp), msg)
		case 6:
			fmt.Fprintf(w, "%s\n", msg)
		case 7:
			fmt.Fprintf(w, "%d %s\n", t.Unix(), msg)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestJobsCoversServices checks that testdata/jobs.txtar compares -j 1
// and -j 3 on the generated log of every authgen service with each of its
// filters.
func TestJobsCoversServices(t *testing.T) {
	b, err := os.ReadFile("testdata/jobs.txtar")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^exec logmatch -f (\S+) --now \S+ -j 3 (\S+)\.log\n`)
	seen := map[string][]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		seen[m[2]] = append(seen[m[2]], m[1])
	}
	for _, svc := range authgen.Services() {
		for _, f := range authgen.ServiceFilters(svc) {
			if !slices.Contains(seen[svc], f) {
				t.Errorf("jobs.txtar: no -j 3 run of filter %s on the %s log", f, svc)
			}
		}
	}
}
