package bancount

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/banpipe/banpipe/pkg/bans"
	"github.com/banpipe/banpipe/pkg/store"
)

// Held is a ban that a bancount holds, as told by [HeldBans].
type Held struct {
	Jail string
	ID   string
}

// HeldBans returns the running bans of jail ("": every jail) that a
// bancount holds: the one listening on socket, else (no bancount answers
// there) the state file at state, read without changing it. from says
// which ("bancount at SOCKET" or "state PATH"); both empty when neither
// is there. fwban uses it to warn that its unban or flush will be undone
// when bancount re-emits the ban at its next start.
func HeldBans(socket, state, jail string) (held []Held, from string, err error) {
	var st *statusReply
	switch {
	case socket != "" && socket != "none" && isSocket(socket):
		rep, err := call(socket, request{Cmd: "status", Jail: jail})
		if err != nil {
			return nil, "", err
		}
		st, from = rep.Status, "bancount at "+socket
	case state != "" && state != "none":
		if _, err := os.Stat(state); errors.Is(err, os.ErrNotExist) {
			return nil, "", nil
		}
		en := bans.New(bans.Config{Live: true})
		if _, err := store.Read(state, en.Apply, nil); err != nil {
			return nil, "", fmt.Errorf("state %s: %w", state, err)
		}
		s := &server{en: en, cfg: &config{}}
		st, from = s.status(jail, 0), "state "+state
	default:
		return nil, "", nil
	}
	if st == nil {
		return nil, from, nil
	}
	now := time.Now()
	for _, j := range st.Jails {
		for _, b := range j.Banned {
			if b.End.IsZero() || b.End.After(now) {
				held = append(held, Held{Jail: j.Jail, ID: b.ID})
			}
		}
	}
	return held, from, nil
}

func isSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}
