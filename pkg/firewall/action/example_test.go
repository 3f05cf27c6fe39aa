package action_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/banpipe/banpipe/pkg/firewall"
	"github.com/banpipe/banpipe/pkg/firewall/action"
)

func Example() {
	dir, err := os.MkdirTemp("", "action-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "bans")

	// testdata/action.d/record.conf appends "ban <ip> <name> <F-USER>
	// <bantime>" to <logfile>.
	b, err := action.New(action.Config{
		Dir:     "testdata/action.d",
		Actions: []string{`record[logfile="` + out + `"]`},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.Check(ctx); err != nil {
		log.Fatal(err)
	}
	errs := b.Ban(ctx, firewall.JailSettings{Name: "sshd"}, []firewall.Ban{{
		Prefix:   netip.MustParsePrefix("192.0.2.7/32"),
		Bantime:  10 * time.Minute,
		Captures: map[string]string{"user": "$(reboot)"},
	}})
	if errs[0] != nil {
		log.Fatal(errs[0])
	}
	data, _ := os.ReadFile(out)
	fmt.Print(string(data))
	// Output:
	// start sshd
	// ban 192.0.2.7 sshd $(reboot) 600
}
