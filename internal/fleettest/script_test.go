package fleettest

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/banpipe/banpipe/internal/testenv"
)

func TestScriptCmds(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:       "testdata",
		Cmds:      ScriptCmds(),
		Condition: testenv.ScriptCondition,
	})
}
