package jailconf_test

import (
	"fmt"
	"testing/fstest"

	"github.com/banpipe/banpipe/pkg/f2bconf"
	"github.com/banpipe/banpipe/pkg/jailconf"
)

func ExampleLoad() {
	fsys := fstest.MapFS{
		"etc/jail.conf": {Data: []byte(`[DEFAULT]
bantime  = 10m
maxretry = 5
banaction = iptables-multiport
action = %(banaction)s[port="%(port)s", protocol=tcp]
filter = %(__name__)s[mode=%(mode)s]
mode = normal
port = 0:65535

[sshd]
port = ssh
`)},
		"etc/jail.d/sshd.conf": {Data: []byte("[sshd]\nenabled = true\nbantime = 1h\n")},
		"etc/jail.local":       {Data: []byte("[sshd]\nmode = aggressive\nbantime.increment = true\n")},
	}
	s, err := jailconf.LoadOptions("/etc/jail.conf", &f2bconf.Options{FS: fsys})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, j := range s.Enabled() {
		fmt.Println(j.Name, j.Filter, j.MaxRetry, j.BanTime, j.Increment.Enabled)
		for _, a := range j.Actions {
			fmt.Println(" ", a.Name, a.Args["port"], a.Args["protocol"])
		}
	}
	// Output:
	// sshd sshd[mode=aggressive] 5 1h0m0s true
	//   iptables-multiport ssh tcp
}
