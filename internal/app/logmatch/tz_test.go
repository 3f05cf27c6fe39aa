package logmatch

import (
	"testing"
	"time"

	"github.com/banpipe/banpipe/internal/testenv"
)

func TestPosixZone(t *testing.T) {
	l, err := posixZone("CET-01CEST-02,M3.5.0,M10.5.0")
	if err != nil {
		t.Fatal(err)
	}
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		testenv.Missing(t, "no tz database (tzdata): %v", err)
	}
	for _, ts := range []string{"2005-08-14T12:00:00", "2005-01-14T12:00:00", "2013-03-31T01:59:59", "2013-03-31T03:00:00", "2013-10-27T03:30:00"} {
		a, err := time.ParseInLocation("2006-01-02T15:04:05", ts, l)
		if err != nil {
			t.Fatalf("%s: %v", ts, err)
		}
		b, err := time.ParseInLocation("2006-01-02T15:04:05", ts, zurich)
		if err != nil {
			t.Fatalf("%s: %v", ts, err)
		}
		_, oa := a.Zone()
		_, ob := b.Zone()
		if !a.Equal(b) || oa != ob {
			t.Errorf("%s: %v under the rule, %v in Europe/Zurich", ts, a, b)
		}
	}
	if _, err := posixZone("not a rule\n"); err == nil {
		t.Error("a bad rule was accepted")
	}
}
