package f2bconf

import (
	"fmt"
	"sort"
	"strings"
)

// MaxTagReplace is fail2ban's MAX_TAG_REPLACE_COUNT: how often one tag may
// be replaced inside the value of another before SubstituteTags reports a
// recursion.
const MaxTagReplace = 25

// TagOptions tunes SubstituteTags.
type TagOptions struct {
	// Ignore lists tags that stay as they are: neither their own value is
	// substituted nor are <tag> references to them replaced.
	Ignore []string
	// Conditional, e.g. "family=inet6", makes a reference <x> use the
	// value of "x?family=inet6" when opts holds one (fail2ban's
	// conditional [Init?family=inet6] options).
	Conditional string
	// Lookup, when not nil, is asked for a tag that opts does not hold
	// (fail2ban's addrepl, e.g. a filter's getCombOption for
	// <known/failregex>); ok=false leaves the reference as it is.
	Lookup func(tag string) (value string, ok bool)
}

// SubstituteTags replaces <tag> references in every value of opts
// recursively, as fail2ban's substituteRecursiveTags does, and returns a
// new map (opts is not modified):
//
//   - a reference is <name>, where name holds no space, "<" or ">";
//     references to names opts does not hold (and Lookup does not know),
//     such as <HOST>, stay as they are;
//   - nested names are resolved inside out: with mode=aggressive,
//     <mdre-<mode>> becomes <mdre-aggressive>, then its value;
//   - names such as known/failregex are plain names here (fail2ban's
//     readers put "known/..." keys into opts);
//   - a value referring to itself, directly or through others, is an
//     error, as is a tag replaced more than [MaxTagReplace] times inside
//     one value or a value growing beyond [MaxValueSize].
//
// The result does not depend on the map's iteration order for
// configurations that resolve; keys are visited in sorted order.
func SubstituteTags(opts map[string]string, o ...TagOptions) (map[string]string, error) {
	var to TagOptions
	for _, x := range o {
		to.Ignore = append(to.Ignore, x.Ignore...)
		if x.Conditional != "" {
			to.Conditional = x.Conditional
		}
		if x.Lookup != nil {
			to.Lookup = x.Lookup
		}
	}
	ignore := make(map[string]bool, len(to.Ignore))
	for _, t := range to.Ignore {
		ignore[t] = true
	}
	tags := make(map[string]string, len(opts))
	keys := make([]string, 0, len(opts))
	for k, v := range opts {
		tags[k] = v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	done := make(map[string]bool)
	repCounts := make(map[string]map[string]int)
	for {
		again := false
		for _, tag := range keys {
			if ignore[tag] || done[tag] {
				continue
			}
			val := tags[tag]
			orig := val
			rplc := repCounts[tag]
			if rplc == nil {
				rplc = make(map[string]int)
			}
			start, end, name := findTag(val, 0)
			for start >= 0 {
				if ignore[name] {
					start, end, name = findTag(val, end)
					continue
				}
				n, seen := rplc[name]
				if !seen {
					n = 1
				}
				if name == tag || n > MaxTagReplace {
					return nil, fmt.Errorf("tag <%s> refers to itself (through <%s>): recursive definitions cannot be resolved", tag, name)
				}
				repl, ok := "", false
				if to.Conditional != "" {
					repl, ok = tags[name+"?"+to.Conditional]
				}
				if !ok {
					repl, ok = tags[name]
					if !ok && to.Lookup != nil {
						repl, ok = to.Lookup(name)
					}
				}
				if !ok {
					start, end, name = findTag(val, end)
					continue
				}
				ref := "<" + name + ">"
				if c := strings.Count(val, ref); c > 0 && len(val)+c*(len(repl)-len(ref)) > MaxValueSize {
					return nil, fmt.Errorf("tag <%s>: %w", tag, errTooLarge)
				}
				val = strings.ReplaceAll(val, ref, repl)
				rplc[name]++
				if !seen {
					rplc[name] = 1
				}
				start, end, name = findTag(val, start)
			}
			if val != orig {
				if s, _, _ := findTag(val, 0); s >= 0 {
					repCounts[tag] = rplc
					again = true
				}
				tags[tag] = val
			}
			if !strings.Contains(val, "<") {
				done[tag] = true
			}
		}
		if !again {
			break
		}
	}
	return tags, nil
}

// findTag finds the first <name> at or after from, name holding no space,
// "<" or ">" (fail2ban's TAG_CRE <([^ <>]+)>). It returns start -1 when
// there is none.
func findTag(s string, from int) (start, end int, name string) {
	for i := from; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != ' ' && s[j] != '<' && s[j] != '>' {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == '>' {
			return i, j + 1, s[i+1 : j]
		}
	}
	return -1, -1, ""
}
