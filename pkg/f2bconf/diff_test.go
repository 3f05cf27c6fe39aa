package f2bconf

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// readScript reads NAME under DIR with fail2ban's ConfigReaderUnshared (the
// reader behind every jail, filter and action) and prints every section's
// options, interpolated, as JSON.
const readScript = `
import json, sys
from fail2ban.client.configreader import ConfigReaderUnshared
def dump(basedir, name):
  out = {}
  try:
    c = ConfigReaderUnshared(basedir=basedir)
    ok = c.read(name)
    out["ok"] = bool(ok)
    secs = {}
    order = []
    for s in c.sections():
        if s.startswith("KNOWN/") or s == "INCLUDES":
            continue
        order.append(s)
        d = {}
        for o in c.options(s):
            try:
                d[o] = c.get(s, o)
            except Exception as e:
                d[o] = None
        secs[s] = d
    out["sections"] = secs
    out["order"] = order
  except Exception as e:
    out["error"] = "%s: %s" % (type(e).__name__, e)
  return out
print(json.dumps(dict((d, dump(d, "main")) for d in sys.argv[1:])))
`

type f2bDump struct {
	OK       bool                          `json:"ok"`
	Error    string                        `json:"error"`
	Order    []string                      `json:"order"`
	Sections map[string]map[string]*string `json:"sections"`
}

// writeCase writes files into a new temporary directory.
func writeCase(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, d := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fail2banDumps reads main.conf in each directory with fail2ban, in one
// python process.
func fail2banDumps(t *testing.T, py string, dirs []string) map[string]f2bDump {
	t.Helper()
	out, err := exec.Command(py, append([]string{"-c", readScript}, dirs...)...).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var m map[string]f2bDump
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// differential reads dir/main.conf with Read and reports every difference
// from fail2ban's reading, want.
func differential(t *testing.T, dir string, want f2bDump) {
	t.Helper()
	c, err := Read(filepath.Join(dir, "main.conf"), nil)
	if want.Error != "" || !want.OK {
		if err == nil {
			t.Errorf("fail2ban fails (%s), Read does not", want.Error)
		}
		return
	}
	if err != nil {
		t.Errorf("Read: %v; fail2ban reads it", err)
		return
	}
	if got := c.Sections(); strings.Join(got, "|") != strings.Join(want.Order, "|") {
		t.Errorf("sections %q, fail2ban %q", got, want.Order)
	}
	for sec, opts := range want.Sections {
		keys := c.Keys(sec)
		sort.Strings(keys)
		var wkeys []string
		for k := range opts {
			wkeys = append(wkeys, k)
		}
		sort.Strings(wkeys)
		if strings.Join(keys, "|") != strings.Join(wkeys, "|") {
			t.Errorf("[%s] keys %q, fail2ban %q", sec, keys, wkeys)
		}
		for k, wv := range opts {
			gv, err := c.Get(sec, k)
			switch {
			case wv == nil && err == nil:
				t.Errorf("[%s] %s = %q, fail2ban fails", sec, k, gv)
			case wv != nil && err != nil:
				t.Errorf("[%s] %s: %v, fail2ban %q", sec, k, err, *wv)
			case wv != nil && gv != *wv:
				t.Errorf("[%s] %s = %q, fail2ban %q", sec, k, gv, *wv)
			case err != nil:
				var pe *Error
				var nf *NotFound
				if !errors.As(err, &pe) && !errors.As(err, &nf) {
					t.Errorf("[%s] %s: error %v has no position", sec, k, err)
				}
			}
		}
	}
}

// TestLikeFail2banParser runs the rule table and further cases through
// fail2ban's own parser and through Read, and compares every value.
func TestLikeFail2banParser(t *testing.T) {
	py := fail2banPython(t)
	type tcase struct {
		name  string
		files map[string]string
	}
	var all []tcase
	for _, tt := range parseRuleTests {
		if strings.HasPrefix(tt.name, "bom") {
			continue // Read strips a BOM, fail2ban does not
		}
		all = append(all, tcase{tt.name, map[string]string{"main.conf": tt.in}})
	}
	cases := []tcase{
		{"layered", readDir(t, "testdata/layered")},
		{"local and d", map[string]string{
			"main.conf":         "[DEFAULT]\na = 1\n[s]\nx = %(a)s\ny = base\n",
			"main.d/10.conf":    "[s]\ny = d10 %(known/y)s\n",
			"main.d/20.conf":    "[s]\ny = d20 <%(known/y)s>\n[t]\nz = 1\n",
			"main.local":        "[DEFAULT]\na = 2\n[s]\nw = %(known/y)s|%(y)s\n",
			"main.d/10.local":   "[t]\nz = 2\n",
			"main.d/ignore.txt": "[t]\nz = 3\n",
		}},
		{"section refs", map[string]string{
			"main.conf": "[a]\nx = ax\ny = %(b/x)s %(__name__)s\n[b]\nx = bx %(__name__)s\n[c]\nv = %(a/y)s\n",
		}},
		{"conditional", map[string]string{
			"main.conf":  "[Init]\np = 4\n[Init?family=inet6]\np = 6\n",
			"main.local": "[Init?family=inet6]\np = 66\n",
		}},
		{"includes order", map[string]string{
			"main.conf":     "[INCLUDES]\nbefore = a.conf\n  b.conf\nafter = c.conf\n[s]\nv = main\nw = %(known/v)s\n",
			"a.conf":        "[s]\nv = a\nu = a\n",
			"a.local":       "[s]\nu = alocal\n",
			"b.conf":        "[INCLUDES]\nbefore = a.conf\n[s]\nv = b\n",
			"c.conf":        "[s]\nv = c %(known/v)s\n",
			"sub/d.conf":    "[s]\nq = d\n",
			"main.d/x.conf": "[INCLUDES]\nafter = ../sub/d.conf\n",
		}},
		{"missing reference", map[string]string{"main.conf": "[s]\nx = %(nope)s\ny = 1\n"}},
		{"stray percent", map[string]string{"main.conf": "[s]\nx = 5%\ny = 5%%\n"}},
		{"deep", map[string]string{"main.conf": "[s]\nk = %(a1)s\na1 = %(a2)s\na2 = %(a3)s\na3 = %(a4)s\na4 = %(a5)s\na5 = %(a6)s\na6 = %(a7)s\na7 = %(a8)s\na8 = %(a9)s\na9 = %(a10)s\na10 = %(a11)s\na11 = end\n"}},
		{"default only", map[string]string{"main.conf": "[DEFAULT]\nx = 1\n"}},
		{"duplicate default", map[string]string{"main.conf": "[DEFAULT]\nx = 1\n[DEFAULT]\ny = 2\n[s]\n"}},
		{"duplicate section", map[string]string{"main.conf": "[s]\nx = 1\n[s]\ny = 2\n"}},
		{"duplicate option", map[string]string{"main.conf": "[s]\nx = 1\nx = 2\n"}},
		{"no delimiter", map[string]string{"main.conf": "[s]\nx\n"}},
		{"inline comments", map[string]string{"main.conf": "[s]\na = x ;c\nb = x;c\nc = x\t;c\nd = ; c\ne = x # c\n  ; c\n  y ;c\n"}},
		{"empty lines values", map[string]string{"main.conf": "[s]\na =\n\n  x\n\n\nb = 1\n  \n  2\n"}},
	}
	all = append(all, cases...)
	dirs := make([]string, len(all))
	for i, tt := range all {
		dirs[i] = writeCase(t, tt.files)
	}
	want := fail2banDumps(t, py, dirs)
	for i, tt := range all {
		t.Run(tt.name, func(t *testing.T) {
			differential(t, dirs[i], want[dirs[i]])
		})
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string)
	for _, e := range ents {
		d, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(d)
	}
	return m
}
