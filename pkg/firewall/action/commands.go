package action

import (
	"strings"
	"time"

	"github.com/banpipe/banpipe/pkg/firewall"
)

// Commands is one action of a jail with its commands as they would run,
// the tags of the configuration substituted and the ban tags (<ip>,
// <family>, <F-USER>, <matches>, ...) left as tags.
type Commands struct {
	Name    string        // the actname, e.g. "sendmail-whois"
	Spec    string        // the spec as given
	Timeout time.Duration // the time limit of each command
	// Commands holds the command of each operation (actionstart,
	// actionban, ...) that the action defines. For an action with
	// [Init?family=...] sections these are the IPv4 commands, and
	// "OP?family=inet6" holds the IPv6 command of OP where it differs.
	Commands map[string]string
}

// Commands reads the actions of jail js, as a ban in it would, and returns
// their commands. The error names the action and the file and line at
// fault.
func (b *Backend) Commands(js firewall.JailSettings) ([]Commands, error) {
	st, err := b.load(js)
	if err != nil {
		return nil, err
	}
	out := make([]Commands, 0, len(st.actions))
	for _, a := range st.actions {
		d := a.def
		c := Commands{Name: d.name, Spec: strings.TrimSpace(d.spec), Timeout: d.timeout, Commands: map[string]string{}}
		base := d.commands[d.familyKey("inet4")]
		for op, cmd := range base {
			c.Commands[op] = cmd
		}
		if d.conditional {
			for op, cmd := range d.commands["inet6"] {
				if cmd != base[op] {
					c.Commands[op+"?family=inet6"] = cmd
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}
