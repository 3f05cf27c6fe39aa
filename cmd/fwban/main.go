// Command fwban is one of banpipe's three filters; see its man page.
package main

import (
	"os"

	"github.com/banpipe/banpipe/internal/app/fwban"
	"github.com/banpipe/banpipe/internal/clirun"
)

func main() {
	ctx, cancel := clirun.SignalContext()
	code := fwban.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
