package action

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// tagRE is a tag as fail2ban writes it: <name>, name without spaces or angle
// brackets.
var tagRE = regexp.MustCompile(`<([^ <>]+)>`)

// fTagRE is a filter capture tag, <F-NAME>.
var fTagRE = regexp.MustCompile(`^F-[A-Z0-9_\-]+$`)

const (
	// maxRounds bounds the rounds of static tag substitution; a definition
	// that still changes after that refers to itself.
	maxRounds = 50
	// maxCommand bounds the length of a rendered command: Linux refuses
	// a longer single argument (MAX_ARG_STRLEN) to /bin/sh -c anyway.
	maxCommand = 128 << 10
)

// dynamicOnly are the tags that fail2ban never takes from the action's
// properties: their values come with each ban (the escaped tags, and bantime
// which fail2ban ignores as a property).
var dynamicOnly = map[string]bool{
	"matches": true, "ipmatches": true, "ipjailmatches": true, "bantime": true,
}

// builtin are the tags known without a definition.
var builtin = map[string]func() string{
	"br": func() string { return "\n" },
	"sp": func() string { return " " },
	"fq-hostname": func() string {
		h, _ := os.Hostname()
		return h
	},
	"sh-hostname": func() string {
		h, _ := os.Hostname()
		h, _, _ = strings.Cut(h, ".")
		return h
	},
}

// errSelfReference is returned for definitions that never stop expanding.
var errSelfReference = errors.New("self-referencing tag definitions")

// lookup returns the static value of tag for family: the conditional
// property "tag?family=FAMILY" first, then "tag", then fallback (nil: none),
// then the built-in tags.
func lookup(props map[string]string, tag, family string, fallback func(string) (string, bool)) (string, bool) {
	if dynamicOnly[tag] {
		return "", false
	}
	if family != "" {
		if v, ok := props[tag+"?family="+family]; ok {
			return v, true
		}
	}
	if v, ok := props[tag]; ok {
		return v, true
	}
	if fallback != nil {
		if v, ok := fallback(tag); ok {
			return v, true
		}
	}
	if f, ok := builtin[tag]; ok {
		return f(), true
	}
	return "", false
}

// renderStatic replaces in query the tags that the action's properties
// define (for family, "" when the action has no conditional sections), again
// and again until nothing changes, as fail2ban's replaceTag does: a value may
// hold tags, and a tag name may be built of tags (<ipt_<type>/_chain_rule>).
// Unknown tags (<ip>, <F-USER>, <STDIN>) are left as they are. Only trusted
// text takes part: the values of a ban are inserted afterwards, by
// [renderDynamic], never re-examined for tags.
func renderStatic(query string, props map[string]string, family string, fallback func(string) (string, bool)) (string, error) {
	for range maxRounds {
		if !strings.Contains(query, "<") {
			return query, nil
		}
		out := tagRE.ReplaceAllStringFunc(query, func(m string) string {
			if v, ok := lookup(props, m[1:len(m)-1], family, fallback); ok {
				return v
			}
			return m
		})
		if out == query {
			return out, nil
		}
		if len(out) > maxCommand {
			return "", fmt.Errorf("%w: command longer than %d bytes", errSelfReference, maxCommand)
		}
		query = out
	}
	return "", fmt.Errorf("%w: still expanding after %d rounds: %.200q", errSelfReference, maxRounds, query)
}

// value is the value of a dynamic tag.
type value struct {
	text string
	// trusted values are made by banpipe (an address parsed into
	// netip.Prefix, a number, the family) and can stand in the command as
	// they are; every other value is passed through the environment.
	trusted bool
}

// dynamicFunc returns the value of a dynamic tag, false when the tag is not
// one.
type dynamicFunc func(tag string) (value, bool)

// script is a command ready to run: the text for /bin/sh -c and the
// environment variables its references need.
type script struct {
	text string
	env  []string // NAME=value
}

// renderDynamic replaces the dynamic tags left in cmd (after
// [renderStatic]) with their values. A trusted value is inserted as it is.
// An untrusted one is put in an environment variable BANPIPE_<TAG> and the tag
// is replaced by a reference to it, quoted for the place where the tag stands
// (bare: "${BANPIPE_X}"; inside double quotes: ${BANPIPE_X}; inside single
// quotes: '"${BANPIPE_X}"'), so that the shell expands it exactly once and
// never parses it. Tags in shell comments are left alone. A value holding a
// NUL byte is an error (no environment can carry it).
func renderDynamic(cmd string, dyn dynamicFunc) (script, error) {
	if !strings.Contains(cmd, "<") {
		return script{text: cmd}, nil
	}
	var (
		b    strings.Builder
		sc   = newShellScanner()
		vars = map[string]string{} // variable -> tag
		env  []string
	)
	b.Grow(len(cmd))
	for i := 0; i < len(cmd); {
		c := cmd[i]
		if c != '<' || sc.inComment() {
			b.WriteByte(c)
			sc.step(c)
			i++
			continue
		}
		end := strings.IndexAny(cmd[i+1:], " <>")
		if end <= 0 || cmd[i+1+end] != '>' {
			b.WriteByte(c)
			sc.step(c)
			i++
			continue
		}
		tag := cmd[i+1 : i+1+end]
		v, ok := dyn(tag)
		if !ok {
			b.WriteByte(c)
			sc.step(c)
			i++
			continue
		}
		i += end + 2
		if v.trusted || v.text == "" {
			b.WriteString(v.text)
			sc.feed(v.text)
			continue
		}
		if strings.IndexByte(v.text, 0) >= 0 {
			return script{}, fmt.Errorf("value of <%s> holds a NUL byte", tag)
		}
		q := sc.quoting()
		if q == quoteArith {
			return script{}, fmt.Errorf("<%s> inside $((...)), ((...)) or [[...]]: an untrusted value cannot go into shell arithmetic", tag)
		}
		name := varName(tag, vars)
		if _, seen := vars[name]; !seen {
			vars[name] = tag
			env = append(env, name+"="+v.text)
		}
		b.WriteString(reference(name, q))
	}
	return script{text: b.String(), env: env}, nil
}

// varName returns the environment variable that carries tag's value:
// BANPIPE_ and the tag upper-cased with every other byte than a letter or
// digit made "_", made unique among vars.
func varName(tag string, vars map[string]string) string {
	var b strings.Builder
	b.WriteString("BANPIPE_")
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	name := base
	for n := 2; ; n++ {
		if t, ok := vars[name]; !ok || t == tag {
			return name
		}
		name = fmt.Sprintf("%s_%d", base, n)
	}
}
