// Package fwban implements the fwban command.
package fwban

import (
	"context"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
)

// Main runs fwban with args (args[0] is the program name) and returns its exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return clirun.Run(ctx, newApp(), args, stdin, stdout, stderr)
}

func newApp() *cli.App {
	return &cli.App{
		Name:  "fwban",
		Usage: "(being written)",
		Action: func(c *cli.Context) error {
			return clirun.CheckArgs(c)
		},
	}
}
