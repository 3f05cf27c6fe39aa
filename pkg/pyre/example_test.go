package pyre_test

import (
	"fmt"

	"github.com/banpipe/banpipe/pkg/pyre"
)

func ExampleCompile() {
	re := pyre.MustCompile(`Failed (?:password|publickey) for (?P<user>\S+) from (?P<ip>[\d.]+)(?P=ip)?`, pyre.Options{})
	fmt.Println(re.Translated())
	fmt.Println(re.Literals())
	groups, ok, _ := re.FindString("sshd[1]: Failed password for root from 192.0.2.7 port 22")
	fmt.Println(ok, groups["user"], groups["ip"])
	// Output:
	// Failed (?:password|publickey) for (?<user>\S+) from (?<ip>[0-9\d.]+)\k<ip>?
	// [Failed password for  Failed publickey for ]
	// true root 192.0.2.7
}
