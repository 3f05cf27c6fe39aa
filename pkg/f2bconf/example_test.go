package f2bconf_test

import (
	"fmt"
	"testing/fstest"

	"github.com/banpipe/banpipe/pkg/f2bconf"
)

func ExampleRead() {
	fsys := fstest.MapFS{
		"filter.d/common.conf": {Data: []byte("[DEFAULT]\n__prefix = ^\\S+ %(_daemon)s:\n")},
		"filter.d/demo.conf": {Data: []byte(`[INCLUDES]
before = common.conf

[Definition]
_daemon = demod
failregex = %(__prefix)s Failed password for .* from <HOST>
`)},
		"filter.d/demo.local": {Data: []byte(`[Definition]
failregex = %(known/failregex)s
            %(__prefix)s Invalid user .* from <HOST>
`)},
	}
	c, err := f2bconf.Read("filter.d/demo.conf", &f2bconf.Options{FS: fsys})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := c.Get("Definition", "failregex")
	fmt.Println(v)
	fmt.Println(c.Pos("Definition", "failregex"))
	// Output:
	// ^\S+ demod: Failed password for .* from <HOST>
	// ^\S+ demod: Invalid user .* from <HOST>
	// filter.d/demo.local 2
}

func ExampleConfig_Combine() {
	fsys := fstest.MapFS{"demo.conf": {Data: []byte(`[Definition]
mdre-normal = ^Failed for .* from <HOST>
mdre-aggressive = %(mdre-normal)s
                  ^Probe from <HOST>
failregex = <mdre-<mode>>

[Init]
mode = normal
`)}}
	c, _ := f2bconf.Read("demo.conf", &f2bconf.Options{FS: fsys})
	opts, err := c.Combine(f2bconf.FilterKeys, false, nil, map[string]string{"mode": "aggressive"}, f2bconf.TagOptions{})
	fmt.Printf("%q %v\n", opts["failregex"], err)
	// Output:
	// "^Failed for .* from <HOST>\n^Probe from <HOST>" <nil>
}

func ExampleParseSpec() {
	name, args, _ := f2bconf.ParseSpec(`iptables-multiport[name=sshd, port="ssh,2222", protocol=tcp]`)
	fmt.Println(name, args["port"], args["protocol"])
	// Output: iptables-multiport ssh,2222 tcp
}

func ExampleParseTime() {
	for _, s := range []string{"600", "10m", "1h30m", "1 day 3 hours", "1w", "-1"} {
		d, _ := f2bconf.ParseTime(s)
		fmt.Println(s, "=", d)
	}
	// Output:
	// 600 = 10m0s
	// 10m = 10m0s
	// 1h30m = 1h30m0s
	// 1 day 3 hours = 27h0m0s
	// 1w = 168h0m0s
	// -1 = -1s
}

func ExampleSubstituteTags() {
	opts := map[string]string{
		"actionban":              "<iptables> -I f2b-<name> 1 -s <ip> -j <blocktype>",
		"iptables":               "iptables <lockingopt>",
		"lockingopt":             "-w",
		"name":                   "sshd",
		"blocktype":              "REJECT",
		"blocktype?family=inet6": "REJECT --reject-with icmp6-port-unreachable",
	}
	v4, _ := f2bconf.SubstituteTags(opts)
	v6, _ := f2bconf.SubstituteTags(opts, f2bconf.TagOptions{Conditional: "family=inet6"})
	fmt.Println(v4["actionban"])
	fmt.Println(v6["actionban"])
	// Output:
	// iptables -w -I f2b-sshd 1 -s <ip> -j REJECT
	// iptables -w -I f2b-sshd 1 -s <ip> -j REJECT --reject-with icmp6-port-unreachable
}

func ExampleSplitActions() {
	for _, a := range f2bconf.SplitActions(`iptables-multiport[name=sshd, port="ssh", protocol=tcp]
  sendmail-whois[name=sshd, dest=root]`) {
		fmt.Println(a)
	}
	// Output:
	// iptables-multiport[name=sshd, port="ssh", protocol=tcp]
	// sendmail-whois[name=sshd, dest=root]
}
