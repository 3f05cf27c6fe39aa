package filter_test

import (
	"fmt"
	"github.com/banpipe/banpipe/pkg/datedetect"
	"testing"
	"time"
)

func TestDbg(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Zurich")
	for _, pat := range []string{"{^LN-BEG}", ""} {
		dd, _ := datedetect.New(datedetect.Options{Now: time.Unix(1124013600, 0), Location: loc, Pattern: pat})
		for _, l := range []string{"[2012-02-13 17:21:54] NOTICE[1638] chan_sip.c: Registration from '<sip:301@1.2.3.4>' failed for '1.2.3.4' - Wrong password", "2013-01-04 17:03:46 [5586] H=x [1.2.3.4] sender verify fail", "[Sat Jun 01 02:17:42 2013] [error] [client 192.168.0.2] user xx not found"} {
			tm, s, e, ok := dd.Find(l)
			fmt.Println(tm, s, e, ok, fmt.Sprintf("%q", l[:s]+"|"+l[e:]))
		}
	}
}
