package datedetect

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// tokenRE maps fail2ban's %-codes to their regular expressions (Python
// syntax). These are fail2ban's own overrides of Python's TimeRE (in the C
// locale); %ExY is built by yearRE because it depends on the current year.
var tokenRE = map[string]string{
	"d":   `(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])`,
	"f":   `(?P<f>[0-9]{1,6})`,
	"H":   `(?P<H>[0-1]?\d|2[0-3])`,
	"I":   `(?P<I>1[0-2]|0[1-9]|[1-9])`,
	"G":   `(?P<G>\d\d\d\d)`,
	"j":   `(?P<j>36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])`,
	"m":   `(?P<m>0?[1-9]|1[0-2])`,
	"M":   `(?P<M>[0-5]?\d)`,
	"S":   `(?P<S>[0-5]?\d|6[0-1])`,
	"U":   `(?P<U>5[0-3]|[0-4]\d|\d)`,
	"w":   `(?P<w>[0-6])`,
	"u":   `(?P<u>[1-7])`,
	"V":   `(?P<V>5[0-3]|0[1-9]|[1-4]\d|\d)`,
	"y":   `(?P<y>\d\d)`,
	"Y":   `(?P<Y>\d{4})`,
	"z":   `(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)`,
	"A":   `(?P<A>wednesday|thursday|saturday|tuesday|monday|friday|sunday)`,
	"a":   `(?P<a>mon|tue|wed|thu|fri|sat|sun)`,
	"B":   `(?P<B>september|february|november|december|january|october|august|march|april|june|july|may)`,
	"b":   `(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)`,
	"p":   `(?P<p>am|pm)`,
	"Z":   `(?P<Z>Z|[A-Z]{3,5})`,
	"%":   `%`,
	"W":   `(?P<W>5[0-3]|[0-4]\d|\d)`,
	"c":   `(?P<a>mon|tue|wed|thu|fri|sat|sun)\s+(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])\s+(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)\s+(?P<Y>\d\d\d\d)`,
	"x":   `(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])/(?P<y>\d\d)`,
	"X":   `(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)`,
	"k":   ` ?(?P<H>[0-2]?\d)`,
	"l":   ` ?(?P<I>1?\d)`,
	"ExZ": `(?P<Z>[A-Z](?:[A-Z]{2,4})?)`,
	"Exz": `(?P<z>(?:[A-Z](?:[A-Z]{2,4})?)?[+-][01]\d(?::?\d{2})?|[A-Z](?:[A-Z]{2,4})?)`,
	"Exd": `(?P<d>[1-2]\d|0[1-9]|3[0-1])`,
	"Exm": `(?P<m>0[1-9]|1[0-2])`,
	"ExH": `(?P<H>[0-1]\d|2[0-3])`,
	"Exk": ` ?(?P<H>[0-1]?\d|2[0-3])`,
	"Exl": ` ?(?P<I>1[0-2]|\d)`,
	"ExM": `(?P<M>[0-5]\d)`,
	"ExS": `(?P<S>[0-5]\d|6[0-1])`,
	"Exy": `(?P<y>\d{2})`,
	// "ExY" is set per detector by yearRE.
}

// longTokens are the multi-letter codes, tried before the one-letter ones.
var longTokens = []string{"ExZ", "Exz", "Exd", "Exm", "ExH", "Exk", "Exl", "ExM", "ExS", "ExY", "Exy"}

// tokenName gives the human name fail2ban uses for a code in template names.
var tokenName = map[string]string{
	"a": "DAY", "A": "DAYNAME", "b": "MON", "B": "MONTH", "d": "Day",
	"H": "24hour", "I": "12hour", "j": "Yearday", "m": "Month",
	"M": "Minute", "p": "AMPM", "S": "Second", "U": "Yearweek",
	"w": "Weekday", "W": "Yearweek", "y": "Year2", "Y": "Year", "%": "%",
	"z": "Zone offset", "f": "Microseconds", "Z": "Zone name",
	"ExY": "ExYear", "Exy": "ExYear2", "Exm": "ExMonth", "Exd": "ExDay",
	"ExH": "Ex24hour", "ExM": "ExMinute", "ExS": "ExSecond",
	"Exz": "ExZone offset", "ExZ": "ExZone name",
}

func nameOf(code string) string {
	if n, ok := tokenName[code]; ok {
		return n
	}
	return "%" + code
}

// yearRE builds fail2ban's %ExY: the centuries ("20" + decade digit) of
// last year, of three years ahead and of every third year back to 2000, so
// 2026 gives (?P<Y>20[012]\d).
func yearRE(year int) string {
	set := map[string]bool{}
	cent := func(y int) string {
		s := strconv.Itoa(y)
		if len(s) > 3 {
			s = s[:3]
		}
		return s
	}
	set[cent(year-1)] = true
	set[cent(year+3)] = true
	const alt = 2001 // fail2ban's fixed "alternate now" (2001-01-01)
	for y := alt - 1; y < year+1; y += 3 {
		set[cent(y)] = true
	}
	var list []string
	for s := range set {
		list = append(list, s)
	}
	sort.Strings(list)
	expr := `(?P<Y>` + groupYears(list) + `\d)`
	if _, ok := yearPrefixes.Load(expr); !ok {
		pre := make([]int, 0, len(list))
		for _, s := range list {
			n, err := strconv.Atoi(s)
			if err != nil || len(s) != 3 {
				return expr // not three digits: yearSet asks the regex
			}
			pre = append(pre, n)
		}
		yearPrefixes.Store(expr, pre)
	}
	return expr
}

// yearPrefixes maps each expression yearRE built to its three-digit
// prefixes (yearSet's shortcut; TestYearSetPrefixes checks it against
// the regex).
var yearPrefixes sync.Map

// groupYears is fail2ban's grp(): a compact alternation of equal-length
// digit strings sharing prefixes.
func groupYears(set []string) string {
	if len(set) > 1 {
		c, ok := "", true
		for i, s := range set {
			p := s[:len(s)-1]
			if i == 0 || p == c {
				c = p
			} else {
				ok = false
				break
			}
		}
		if !ok || c == "" {
			c, ok = "", true
			for i, s := range set {
				p := s[:1]
				if i == 0 || p == c {
					c = p
				} else {
					ok = false
					break
				}
			}
			if !ok {
				c = ""
			}
		}
		if c != "" {
			rest := make([]string, len(set))
			for i, s := range set {
				rest[i] = s[len(c):]
			}
			return c + groupYears(rest)
		}
	}
	if len(set) > 1 {
		if len(set[0]) > 1 {
			return "(?:" + strings.Join(set, "|") + ")"
		}
		return "[" + strings.Join(set, "") + "]"
	}
	return strings.Join(set, "")
}

// expandPattern replaces the %-codes of a fail2ban date pattern by their
// regular expressions. It returns the template name (codes replaced by
// their human names) and the Python regex. A % that starts no known code is
// an error, as in fail2ban.
func expandPattern(pattern, exY string) (name, regex string, err error) {
	var nb, rb strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c != '%' {
			nb.WriteByte(c)
			rb.WriteByte(c)
			i++
			continue
		}
		code := ""
		if i+1 < len(pattern) && pattern[i+1] == '%' {
			code = "%"
		} else {
			for _, t := range longTokens {
				if strings.HasPrefix(pattern[i+1:], t) {
					code = t
					break
				}
			}
			if code == "" && i+1 < len(pattern) {
				if _, ok := tokenRE[pattern[i+1:i+2]]; ok {
					code = pattern[i+1 : i+2]
				}
			}
		}
		if code == "" {
			return "", "", fmt.Errorf("invalid format or unescaped percent char at offset %d", i)
		}
		re := tokenRE[code]
		if code == "ExY" {
			re = exY
		}
		nb.WriteString(nameOf(code))
		rb.WriteString(re)
		i += 1 + len(code)
	}
	return nb.String(), rb.String(), nil
}

// tzAbbr (built on first use) holds fail2ban's fixed offsets (minutes) of zone abbreviations:
// CET is always +01:00 and CEST +02:00, whatever the date.
var tzAbbr = sync.OnceValue(func() map[string]int {
	const table = `
-12 Y
-11 X NUT SST
-10 W CKT HAST HST TAHT TKT
-9 V AKST GAMT GIT HADT HNY
-8 U AKDT CIST HAY HNP PST PT
-7 T HAP HNR MST PDT
-6 S CST EAST GALT HAR HNC MDT
-5 R CDT COT EASST ECT EST ET HAC HNE PET
-4 Q AST BOT CLT COST EDT FKT GYT HAE HNA PYT
-3 P ADT ART BRT CLST FKST GFT HAA PMST PYST SRT UYT WGT
-2 O BRST FNT PMDT UYST WGST
-1 N AZOT CVT EGT
0 Z EGST GMT UTC WET WT
1 A CET DFT WAT WEDT WEST
2 B CAT CEDT CEST EET SAST WAST
3 C EAT EEDT EEST IDT MSK
4 D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT
5 E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT
6 F ALMT BIOT BTT IOT KGT NOVT OMST YEKST
7 G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB
8 H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST
9 I AWDT IRKST JST KST PWT TLT WDT WIT YAKT
10 K AEST ChST PGT VLAT YAKST YAPT
11 L AEDT LHDT MAGT NCT PONT SBT VLAST VUT
12 M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT
13 FJST NZDT
11.5 NFT
10.5 ACDT LHST
9.5 ACST
6.5 CCT MMT
5.75 NPT
5.5 SLT
4.5 AFT IRDT
3.5 IRST
-2.5 HAT NDT
-3.5 HNT NST NT
-4.5 HLV VET
-9.5 MART MIT
`
	m := map[string]int{"": 0}
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		h, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			panic(err)
		}
		for _, z := range f[1:] {
			m[z] = int(h * 60)
		}
	}
	return m
})

// zoneOffset parses a zone as fail2ban's zone2offset does: an optional
// abbreviation of 1 or 3..5 capitals from the table, then an optional
// [+-]hh, [+-]hhmm or [+-]hh:mm, the two added. It returns minutes east.
func zoneOffset(z string) (int, bool) {
	i := 0
	for i < len(z) && i < 5 && z[i] >= 'A' && z[i] <= 'Z' {
		i++
	}
	abbr := z[:i]
	if len(abbr) == 2 {
		// [A-Z](?:[A-Z]{2,4})? cannot take two letters; the regex would
		// take one and then fail on the second.
		return 0, false
	}
	rest := z[i:]
	base, ok := tzAbbr()[abbr]
	if !ok {
		return 0, false
	}
	if rest == "" {
		return base, true
	}
	if rest[0] != '+' && rest[0] != '-' {
		return 0, false
	}
	sign := 1
	if rest[0] == '-' {
		sign = -1
	}
	d := rest[1:]
	isd := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case len(d) == 2 && (d[0] == '0' || d[0] == '1') && isd(d):
		h, _ := strconv.Atoi(d)
		return base + sign*h*60, true
	case len(d) == 4 && (d[0] == '0' || d[0] == '1') && isd(d):
		h, _ := strconv.Atoi(d[:2])
		m, _ := strconv.Atoi(d[2:])
		return base + sign*(h*60+m), true
	case len(d) == 5 && (d[0] == '0' || d[0] == '1') && d[2] == ':' && isd(d[:2]) && isd(d[3:]):
		h, _ := strconv.Atoi(d[:2])
		m, _ := strconv.Atoi(d[3:])
		return base + sign*(h*60+m), true
	}
	return 0, false
}
