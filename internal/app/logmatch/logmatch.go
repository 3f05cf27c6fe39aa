// Package logmatch implements the logmatch command.
package logmatch

import (
	"context"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
)

// Main runs logmatch with args (args[0] is the program name) and returns its exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return clirun.Run(ctx, newApp(), args, stdin, stdout, stderr)
}

func newApp() *cli.App {
	return &cli.App{
		Name:  "logmatch",
		Usage: "(being written)",
		Action: func(c *cli.Context) error {
			return clirun.CheckArgs(c)
		},
	}
}
