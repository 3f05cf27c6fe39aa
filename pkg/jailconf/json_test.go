package jailconf

import (
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/banpipe/banpipe/pkg/f2bconf"
)

func TestMarshalJSON(t *testing.T) {
	conf := "[a]\nenabled = true\nbantime = -1\nfindtime = 1h\nbantime.increment = on\nbantime.maxtime = 1d\naction = x[p=1]\nignorecache = key=<ip>\n"
	s, err := LoadOptions("j.conf", &f2bconf.Options{FS: fstest.MapFS{"j.conf": {Data: []byte(conf)}}})
	if err != nil {
		t.Fatal(err)
	}
	j, _ := s.Jail("a")
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	inc := got["increment"].(map[string]any)
	checks := map[string]any{
		"bantime": -1.0, "findtime": 3600.0, "maxretry": 3.0, "filter": "a", "source": "j.conf:1",
	}
	for k, v := range checks {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (%s)", k, got[k], v, b)
		}
	}
	if inc["maxtime"] != 86400.0 || inc["enabled"] != true {
		t.Errorf("increment = %v", inc)
	}
	if a := got["actions"].([]any)[0].(map[string]any); a["name"] != "x" || a["args"].(map[string]any)["p"] != "1" {
		t.Errorf("actions = %v", got["actions"])
	}
	if c := got["ignorecache"].(map[string]any); c["max_time"] != 300.0 {
		t.Errorf("ignorecache = %v", c)
	}
}
