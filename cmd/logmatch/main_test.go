package main

import (
	"flag"
	"fmt"
	"os"
	"testing"

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
