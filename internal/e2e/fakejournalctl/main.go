// Command fakejournalctl stands in for journalctl in banpipe's end-to-end
// tests, where no journald runs: put first in PATH under the name
// journalctl, it replays the journal export named by $FAKE_JOURNAL (one
// `journalctl -o json` record a line, each with its __CURSOR) as
// `journalctl -o json` would, honouring what logmatch uses:
//
//   - -o json / --output=json (any other output is refused), --no-pager;
//   - -f / --follow: after the last record, wait for records appended to
//     the export;
//   - --after-cursor CURSOR: start after the record with that cursor;
//   - --since @UNIX: only records at or after that time;
//   - matches FIELD=VALUE, "+" between groups: journalctl's rules (the same
//     field repeated: any of the values; different fields: all of them; "+":
//     either group);
//   - --system, --user, --directory, --file, --namespace: accepted, ignored.
//
// Each invocation's arguments are appended, one line each, to
// $FAKE_JOURNAL_LOG when set, so that tests can check them.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "journalctl (fake):", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if p := os.Getenv("FAKE_JOURNAL_LOG"); p != "" {
		if f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintln(f, strings.Join(args, " "))
			f.Close()
		}
	}
	var follow, jsonOut bool
	var after string
	var since int64 = -1
	var groups [][]string
	cur := []string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch {
		case a == "-o" || a == "--output":
			v, err := next()
			if err != nil {
				return err
			}
			jsonOut = v == "json"
		case a == "--output=json":
			jsonOut = true
		case a == "-f" || a == "--follow":
			follow = true
		case a == "--no-pager" || a == "--system" || a == "--user" || a == "-q":
		case a == "--directory" || a == "--file" || a == "--namespace":
			if _, err := next(); err != nil {
				return err
			}
		case a == "--after-cursor":
			v, err := next()
			if err != nil {
				return err
			}
			after = v
		case a == "--since":
			v, err := next()
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(strings.TrimPrefix(v, "@"), 10, 64)
			if !strings.HasPrefix(v, "@") || err != nil {
				return fmt.Errorf("--since %q: only @UNIX is supported here", v)
			}
			since = n * 1e6
		case a == "+":
			groups = append(groups, cur)
			cur = []string{}
		case strings.Contains(a, "=") && !strings.HasPrefix(a, "-"):
			cur = append(cur, a)
		default:
			return fmt.Errorf("unsupported argument %q", a)
		}
	}
	groups = append(groups, cur)
	if !jsonOut {
		return fmt.Errorf("only -o json is supported")
	}
	f, err := os.Open(os.Getenv("FAKE_JOURNAL"))
	if err != nil {
		return err
	}
	defer f.Close()
	out := bufio.NewWriter(os.Stdout)
	br := bufio.NewReader(f)
	skipping := after != ""
	var partial []byte
	for {
		b, err := br.ReadBytes('\n')
		if err == io.EOF {
			partial = append(partial, b...)
			if err := out.Flush(); err != nil {
				return nil // the reader went away
			}
			if !follow {
				return nil
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		line := append(partial, b...)
		partial = nil
		var rec map[string]any
		if json.Unmarshal(line, &rec) != nil {
			continue
		}
		if skipping {
			if rec["__CURSOR"] == after {
				skipping = false
			}
			continue
		}
		if since >= 0 {
			ts, _ := strconv.ParseInt(fmt.Sprint(rec["__REALTIME_TIMESTAMP"]), 10, 64)
			if ts < since {
				continue
			}
		}
		if !matches(rec, groups) {
			continue
		}
		if _, err := out.Write(line); err != nil {
			return nil
		}
	}
}

// matches applies journalctl's match rules to rec.
func matches(rec map[string]any, groups [][]string) bool {
	any := false
	for _, g := range groups {
		if len(g) == 0 {
			if len(groups) == 1 {
				return true
			}
			continue
		}
		any = true
		byField := map[string][]string{}
		for _, m := range g {
			k, v, _ := strings.Cut(m, "=")
			byField[k] = append(byField[k], v)
		}
		ok := true
		for k, vals := range byField {
			got := fmt.Sprint(rec[k])
			found := false
			for _, v := range vals {
				if got == v {
					found = true
				}
			}
			if !found {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return !any
}
