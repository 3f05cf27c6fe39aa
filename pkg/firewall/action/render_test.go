package action

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRenderStatic(t *testing.T) {
	props := map[string]string{
		"a":                      "<b>-<b>",
		"b":                      "B",
		"type":                   "multi",
		"ipt_multi/_rule":        "-m multiport",
		"blocktype":              "REJECT",
		"blocktype?family=inet6": "DROP",
		"bantime":                "must not be used",
	}
	tests := []struct {
		name, query, family, want string
	}{
		{"plain", "x <a> y", "", "x B-B y"},
		{"unknown stays", "<ip> <F-USER> <STDIN>", "", "<ip> <F-USER> <STDIN>"},
		{"nested name", "<ipt_<type>/_rule>", "", "-m multiport"},
		{"conditional", "<blocktype>", "inet6", "DROP"},
		{"conditional other family", "<blocktype>", "inet4", "REJECT"},
		{"builtin", "a<br>b<sp>c", "", "a\nb c"},
		{"bantime is dynamic", "<bantime>", "", "<bantime>"},
		{"angle brackets around", "<<b>>", "", "<B>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderStatic(tt.query, props, tt.family, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("renderStatic(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
	if _, err := renderStatic("<x>", map[string]string{"x": "a<x>"}, "", nil); err == nil {
		t.Error("self-referencing definition: no error")
	}
	if _, err := renderStatic("<x>", map[string]string{"x": "<y><y><y><y>", "y": "<x><x><x><x>"}, "", nil); err == nil {
		t.Error("exploding definition: no error")
	}
}

func TestRenderDynamicQuoting(t *testing.T) {
	dyn := func(tag string) (value, bool) {
		switch tag {
		case "ip":
			return value{text: "192.0.2.7", trusted: true}, true
		case "F-USER":
			return value{text: "evil"}, true
		}
		return value{}, false
	}
	tests := []struct{ in, want string }{
		{`echo <F-USER>`, `echo "${BANPIPE_F_USER}"`},
		{`echo "<F-USER>"`, `echo "${BANPIPE_F_USER}"`},
		{`echo "a <F-USER> b"`, `echo "a ${BANPIPE_F_USER} b"`},
		{`echo '<F-USER>'`, `echo ''"${BANPIPE_F_USER}"''`},
		{`echo 'a <F-USER> b'`, `echo 'a '"${BANPIPE_F_USER}"' b'`},
		{`echo "$(echo <F-USER>)"`, `echo "$(echo "${BANPIPE_F_USER}")"`},
		{"echo \"`echo <F-USER>`\"", "echo \"`echo \"${BANPIPE_F_USER}\"`\""},
		{`echo \'<F-USER>`, `echo \'"${BANPIPE_F_USER}"`},
		{`echo "\"<F-USER>"`, `echo "\"${BANPIPE_F_USER}"`},
		{"# <F-USER>\necho <ip>", "# <F-USER>\necho 192.0.2.7"},
		{`echo a#<F-USER>`, `echo a#"${BANPIPE_F_USER}"`},
		{`echo <ip> <other> <<sender>>`, `echo 192.0.2.7 <other> <<sender>>`},
		{`echo $((1+<ip>)) <F-USER>`, `echo $((1+192.0.2.7)) "${BANPIPE_F_USER}"`},
		{`echo $( (echo <F-USER>) )`, `echo $( (echo "${BANPIPE_F_USER}") )`},
		{`echo "$((1)) <F-USER>"`, `echo "$((1)) ${BANPIPE_F_USER}"`},
		{`echo $(( (1) + 2 ))'<F-USER>'`, `echo $(( (1) + 2 ))''"${BANPIPE_F_USER}"''`},
		{`[[ 1 ]] && (( 1 )) && [ "<F-USER>" ] && echo <F-USER>`, `[[ 1 ]] && (( 1 )) && [ "${BANPIPE_F_USER}" ] && echo "${BANPIPE_F_USER}"`},
	}
	for _, tt := range tests {
		sc, err := renderDynamic(tt.in, dyn)
		if err != nil {
			t.Fatal(err)
		}
		if sc.text != tt.want {
			t.Errorf("renderDynamic(%q)\n got %q\nwant %q", tt.in, sc.text, tt.want)
		}
		if strings.Contains(tt.want, "BANPIPE_F_USER") && (len(sc.env) != 1 || sc.env[0] != "BANPIPE_F_USER=evil") {
			t.Errorf("renderDynamic(%q): env %q", tt.in, sc.env)
		}
	}
	if _, err := renderDynamic("<F-USER>", func(string) (value, bool) { return value{text: "a\x00b"}, true }); err == nil {
		t.Error("NUL byte: no error")
	}
	for _, c := range []string{`echo $((<F-USER>))`, `echo "$((1 + (<F-USER>)))"`, `x=$(( $(echo 1) + <F-USER> ))`,
		`(( <F-USER> > 1 ))`, `[[ "<F-USER>" -eq 1 ]]`, `if [[ 1 ]]; then (( x=<F-USER> )); fi`} {
		if _, err := renderDynamic(c, dyn); err == nil || !strings.Contains(err.Error(), "arithmetic") {
			t.Errorf("renderDynamic(%q): %v, want an arithmetic error", c, err)
		}
	}
}

// payloads are values an attacker may put in a log line.
func payloads(pwned string) []string {
	return []string{
		`x'; touch ` + pwned + `; echo '`,
		`x"; touch ` + pwned + `; echo "`,
		`$(touch ` + pwned + `)`,
		"`touch " + pwned + "`",
		"a\ntouch " + pwned + "\n",
		"; touch " + pwned,
		"| touch " + pwned,
		"& touch " + pwned + " &",
		"> " + pwned,
		"< /etc/passwd > " + pwned,
		"~! touch " + pwned,
		"~root",
		"*",
		"${IFS}$HOME",
		`\`,
		`'`,
		`"`,
		"\r\n~!touch " + pwned + "\n.\n",
		"<ip><F-USER><br>",
		"user with  two  spaces",
		"",
	}
}

// TestRenderDynamicShell runs rendered commands in every quoting context
// with hostile values: nothing runs, and each context yields the value.
func TestRenderDynamicShell(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	cmd := strings.Join([]string{
		`printf '%s' <F-USER> > "$D/1"`,
		`printf '%s' "<F-USER>" > "$D/2"`,
		`printf '%s' '<F-USER>' > "$D/3"`,
		`printf '%s' "in dq: <F-USER>." > "$D/4"`,
		`printf '%s' 'in sq: <F-USER>.' > "$D/5"`,
		`printf '%s' "$(printf '%s.' <F-USER>)" > "$D/6"`,
		`printf '%s' "$(printf '%s.' "<F-USER>")" > "$D/7"`,
		"printf '%s' \"`printf '%s.' <F-USER>`\" > \"$D/8\"",
		`user=<F-USER>; printf '%s' "$user" > "$D/9"`,
		`printf '%s' x<F-USER>"y"'z' > "$D/10"`,
		`cat <<EOF > "$D/11"` + "\n<F-USER>\nEOF",
	}, "\n")
	want := func(v string) map[string]string {
		m := map[string]string{
			"1": v, "2": v, "3": v, "4": "in dq: " + v + ".", "5": "in sq: " + v + ".",
			"6": v + ".", "7": v + ".", "8": v + ".", "9": v, "10": "x" + v + "yz",
			"11": `"` + v + `"` + "\n", // here-documents: quotes stay (see shellScanner)
		}
		if v == "" {
			m["11"] = "\n"
		}
		return m
	}
	r := runner{}
	for _, p := range payloads(pwned) {
		sc, err := renderDynamic(cmd, func(tag string) (value, bool) {
			if tag == "F-USER" {
				return value{text: p}, true
			}
			return value{}, false
		})
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if strings.Contains(sc.text, "pwned") {
			t.Errorf("%q: the value is in the command:\n%s", p, sc.text)
		}
		sc.env = append(sc.env, "D="+dir, "HOME=/nonexistent")
		if err := r.run(context.Background(), "test", "actionban", sc, 10*time.Second); err != nil {
			t.Fatalf("%q: %v\n%s", p, err, sc.text)
		}
		if _, err := os.Stat(pwned); err == nil {
			t.Fatalf("%q: a command ran: %s exists", p, pwned)
		}
		for f, w := range want(p) {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if got != w {
				t.Errorf("value %q, context %s: got %q, want %q", p, f, got, w)
			}
		}
	}
}

func TestRunner(t *testing.T) {
	r := runner{}
	ctx := context.Background()
	err := r.run(ctx, "t", "actionban", script{text: `echo "it broke" >&2; exit 4`}, 10*time.Second)
	var ce *CommandError
	if err == nil || !asCommandError(err, &ce) {
		t.Fatalf("failing command: %v", err)
	}
	if want := "action t: actionban: exit status 4: it broke"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	dir := t.TempDir()
	pidfile := filepath.Join(dir, "pid")
	// The command would run for an hour: returning at all shows the 300 ms
	// timeout ended it (no latency bound: the test deadline catches a hang).
	err = r.run(ctx, "t", "actionban", script{text: `sleep 3600 & echo $! > "$P"; sleep 3600`, env: []string{"P=" + pidfile}}, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out after 300ms") {
		t.Fatalf("hanging command: %v", err)
	}
	assertDead(t, pidfile)

	t.Setenv("BANPIPE_F_USER", "inherited")
	out := filepath.Join(dir, "env")
	if err := r.run(ctx, "t", "actionban", script{text: `printf '%s' "${BANPIPE_F_USER-unset}" > "$O"`, env: []string{"O=" + out}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "unset" {
		t.Errorf("inherited BANPIPE_ variable reached the command: %q", b)
	}
}

func asCommandError(err error, ce **CommandError) bool {
	c, ok := err.(*CommandError)
	*ce = c
	return ok
}

// assertDead checks that the process whose pid is in pidfile is gone.
func assertDead(t *testing.T, pidfile string) {
	t.Helper()
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatalf("no pid file: %v", err)
	}
	pid := strings.TrimSpace(string(b))
	deadline := time.Now().Add(30 * time.Second) // generous for a loaded machine
	for {
		// kill -0 fails once the process is gone (or a zombie reaped).
		if exec.Command("kill", "-0", pid).Run() != nil {
			return
		}
		if st, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil && strings.Contains(string(st), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("background process %s outlived the timeout", pid)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of a condition wait
	}
}
