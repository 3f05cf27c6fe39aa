// Command bancount is one of banpipe's three filters; see its man page.
package main

import (
	"os"

	"github.com/banpipe/banpipe/internal/app/bancount"
	"github.com/banpipe/banpipe/internal/clirun"
)

func main() {
	ctx, cancel := clirun.SignalContext()
	code := bancount.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
