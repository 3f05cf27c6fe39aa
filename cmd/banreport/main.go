// Command banreport writes an HTML report of banpipe's events; see its man page.
package main

import (
	"os"

	"github.com/banpipe/banpipe/internal/app/banreport"
	"github.com/banpipe/banpipe/internal/clirun"
)

func main() {
	ctx, cancel := clirun.SignalContext()
	code := banreport.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
