package filter_test

import (
	"fmt"
	"time"

	"github.com/banpipe/banpipe/pkg/filter"
)

func ExampleMatcher() {
	f, err := filter.Compile(filter.Definition{
		Name:      "app",
		FailRegex: []string{`^login failed for <F-USER>\S+</F-USER> from <HOST>$`},
		UseDNS:    "no",
	}, filter.Options{})
	if err != nil {
		panic(err)
	}
	m := filter.NewMatcher(f, filter.MatcherOptions{})
	for _, line := range []string{"login failed for root from 192.0.2.7", "login ok for bob from 192.0.2.8"} {
		res, _ := m.LineAt([]byte(line), time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
		for _, fl := range res.Failures {
			fmt.Println(fl.Host, fl.IP, fl.Captures["user"], fl.Time.Format(time.RFC3339))
		}
	}
	// Output:
	// 192.0.2.7 192.0.2.7/32 root 2026-11-22T10:00:00Z
}
