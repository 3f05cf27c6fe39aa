package fleettest

import (
	"os"
	"os/exec"
	"strconv"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

var scripts sync.Map // *testscript.TestScript -> *Server

// ScriptCmds returns the testscript command "redis", for scripts that run
// bancount in fleet mode:
//
//	redis start [redis-server args...]   start on a free port; sets REDIS_URL, REDIS_ADDR, REDIS_PORT
//	redis freeze | thaw                   SIGSTOP / SIGCONT
//	redis kill | restart                  SIGKILL (data lost) / start again on the same port
//
// The server is killed when the script ends. Guard scripts with a [redis]
// condition (testenv.ScriptCondition: it fails the script under CI=true).
func ScriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"redis": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg {
				ts.Fatalf("usage: redis start|freeze|thaw|kill|restart (no !)")
			}
			if len(args) == 0 {
				ts.Fatalf("usage: redis start|freeze|thaw|kill|restart")
			}
			if args[0] == "start" {
				bin, err := exec.LookPath("redis-server")
				if err != nil {
					ts.Fatalf("redis-server not installed (guard the script with [redis])")
				}
				dir, err := os.MkdirTemp(ts.Getenv("WORK"), "redis-")
				ts.Check(err)
				s := &Server{t: ts, bin: bin, dir: dir, args: args[1:]}
				s.Port = freePort(ts)
				s.start()
				ts.Defer(s.Stop)
				scripts.Store(ts, s)
				ts.Defer(func() { scripts.Delete(ts) })
				ts.Setenv("REDIS_URL", s.URL())
				ts.Setenv("REDIS_ADDR", s.Addr())
				ts.Setenv("REDIS_PORT", strconv.Itoa(s.Port))
				return
			}
			v, ok := scripts.Load(ts)
			if !ok {
				ts.Fatalf("redis %s: no server (redis start first)", args[0])
			}
			s := v.(*Server)
			switch args[0] {
			case "freeze":
				s.Freeze()
			case "thaw":
				s.Thaw()
			case "kill":
				s.Kill()
			case "restart":
				s.Restart()
			default:
				ts.Fatalf("redis %s: unknown (start, freeze, thaw, kill, restart)", args[0])
			}
		},
	}
}
