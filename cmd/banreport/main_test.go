package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/banpipe/banpipe/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, scripttest.Commands())
}

// TestScripts runs the command-line scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, scripttest.Params("testdata"))
}
