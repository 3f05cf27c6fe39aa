package filter

import (
	"strconv"
	"strings"
	"unicode"
)

// The sub-patterns fail2ban's failregex.py substitutes for its tags.
const (
	reIP4    = `(?:\d{1,3}\.){3}\d{1,3}`
	reIP6    = `(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)`
	tagIP4   = `(?:::f{4,6}:)?(?P<ip4>` + reIP4 + `)`
	tagIP6   = `(?P<ip6>` + reIP6 + `)`
	tagDNS   = `(?P<dns>[\w\-.^_]*\w)`
	tagAddr  = `\[?(?:` + tagIP4 + `|` + tagIP6 + `)\]?`
	tagHost  = `(?:` + tagAddr + `|` + tagDNS + `)`
	tagCIDR  = `(?P<cidr>\d+)`
	tagSubnt = `\[?(?:` + tagIP4 + `|` + tagIP6 + `)(?:/` + tagCIDR + `)?\]?`
)

var staticTags = map[string]string{
	"IP4": tagIP4, "F-IP4/": tagIP4,
	"IP6": tagIP6, "F-IP6/": tagIP6,
	"ADDR": tagAddr, "F-ADDR/": tagAddr,
	"CIDR": tagCIDR, "F-CIDR/": tagCIDR,
	"SUBNET": tagSubnt, "F-SUBNET/": tagSubnt,
	"DNS": tagDNS, "F-DNS/": tagDNS,
	"F-ID/":   `(?P<fid>\S+)`,
	"F-PORT/": `(?P<fport>\w+)`,
}

// groupName maps a custom tag name to its group, as fail2ban's mapTag2Opt.
func groupName(tag string) string {
	t := strings.ToLower(tag)
	switch t {
	case "id":
		return "fid"
	case "port":
		return "fport"
	}
	return t
}

// ExpandTags replaces fail2ban's tags in a failregex, prefregex or
// ignoreregex exactly as fail2ban's Regex._resolveHostTag does: <HOST>
// (address or host name; address only when useDNS is "no"), <ADDR>,
// <IP4>, <IP6>, <DNS>, <CIDR>, <SUBNET>, <F-ID/>, <F-PORT/>, <SKIPLINES>,
// and <F-NAME>...</F-NAME> captures (group "name" lower-cased; ID and PORT
// become fid and fport). Other tags stay as written. It then rewrites
// ((?i)X) to (?i:X) as fail2ban does before compiling.
func ExpandTags(regex, useDNS string) string {
	s, _ := expandTags(regex, useDNS)
	return s
}

// expandTags is ExpandTags that also returns the groups of <F-NAME> tags.
func expandTags(regex, useDNS string) (string, []string) {
	var b strings.Builder
	open := map[string]bool{}
	nl := 0
	i := 0
	for i < len(regex) {
		j := strings.IndexByte(regex[i:], '<')
		if j < 0 {
			b.WriteString(regex[i:])
			break
		}
		j += i
		b.WriteString(regex[i:j])
		end := matchTag(regex, j)
		if end < 0 {
			b.WriteByte('<')
			i = j + 1
			continue
		}
		tag := regex[j:end]
		b.WriteString(substTag(tag, useDNS, open, &nl))
		i = end
	}
	var names []string
	for n := range open {
		names = append(names, groupName(n))
	}
	return glob2loc(b.String()), names
}

// matchTag matches fail2ban's FTAG_CRE </?[\w\-]+/?> at s[i] == '<' and
// returns the end of the tag, or -1.
func matchTag(s string, i int) int {
	k := i + 1
	if k < len(s) && s[k] == '/' {
		k++
	}
	start := k
	for k < len(s) {
		r, size := rune(s[k]), 1
		if r >= 0x80 {
			r, size = decodeRuneString(s[k:])
		}
		if r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Pc, r) {
			k += size
			continue
		}
		break
	}
	if k == start {
		return -1
	}
	if k < len(s) && s[k] == '/' {
		k++
	}
	if k < len(s) && s[k] == '>' {
		return k + 1
	}
	return -1
}

func substTag(tag, useDNS string, open map[string]bool, nl *int) string {
	tn := tag[1 : len(tag)-1]
	switch tn {
	case "HOST":
		if useDNS == "no" {
			return tagAddr
		}
		return tagHost
	case "SKIPLINES":
		n := *nl
		*nl++
		return `\n(?P<skiplines` + strconv.Itoa(n) + `>(?:(?:.*\n)*?))`
	}
	if v, ok := staticTags[tn]; ok {
		return v
	}
	closing := strings.HasPrefix(tn, "/")
	name := strings.TrimPrefix(tn, "/")
	if !strings.HasPrefix(name, "F-") || !isCustName(name[2:]) {
		return tag
	}
	name = name[2:]
	if closing {
		if open[name] {
			return ")"
		}
		return tag
	}
	open[name] = true
	return "(?P<" + groupName(name) + ">"
}

// isCustName matches [A-Z0-9_\-]+ (fail2ban's FCUSTNAME_CRE).
func isCustName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// glob2loc applies fail2ban's R_GLOB2LOCFLAGS: (?<!\\)\((?:\?:)?(\(\?[a-z]+)\)
// replaced by "\1:", turning ((?i)X) and (?:(?i)X) into (?i:X).
func glob2loc(s string) string {
	if !strings.Contains(s, "(?") {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		if s[i] == '(' && (i == 0 || s[i-1] != '\\') {
			k := i + 1
			if strings.HasPrefix(s[k:], "?:") {
				k += 2
			}
			if strings.HasPrefix(s[k:], "(?") {
				m := k + 2
				for m < len(s) && s[m] >= 'a' && s[m] <= 'z' {
					m++
				}
				if m > k+2 && m < len(s) && s[m] == ')' {
					b.WriteString(s[k:m])
					b.WriteByte(':')
					i = m + 1
					continue
				}
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
