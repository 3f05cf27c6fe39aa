package fleettest

import (
	"fmt"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestScriptCmds(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  "testdata",
		Cmds: ScriptCmds(),
		Condition: func(cond string) (bool, error) {
			if cond == "redis" {
				return HaveRedis(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}
