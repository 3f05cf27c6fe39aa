package banreport

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report is what the page shows, computed from a collector.
type report struct {
	Title     string
	Version   string
	Period    string
	Summary   []string
	Facts     []fact
	Jails     []jailRow
	Legend    []legendItem
	Failures  chart // failures over time
	Bans      chart // bans over time
	AddrChart chart
	NetChart  chart
	UserChart chart
	Lengths   chart
	Offences  chart
	Hours     chart
	Addrs     []topRow
	Nets      []topRow
	Users     []topRow
	Offenders []offenderRow
	Notes     []string
	Bucket    string
}

type fact struct{ Label, Value string }

type jailRow struct {
	Name                                                 string
	Failures, Bans, Extensions, Restored, Unbans, Errors string
}

type legendItem struct {
	Name  string
	Class string
}

type topRow struct {
	Rank   int
	Key    string
	Count  string
	Share  string
	Approx string // "±N" when the count may be over by N
	Extra  string // bans of an address, family of a network
	Net    string
}

type offenderRow struct {
	Rank     int
	ID       string
	Bancount string
	Bans     string
	Jail     string
	Last     string
}

type reportOptions struct {
	title        string
	top          int
	since, until time.Time
	loc          *time.Location
	bad, outside int64
	files        []string
	version      string
}

// fmtInt formats n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func percent(n, of int64) string {
	if of == 0 {
		return "0%"
	}
	p := float64(n) * 100 / float64(of)
	if p >= 10 || p == 0 {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return fmtInt(n) + " " + one
	}
	return fmtInt(n) + " " + many
}

// span describes a duration in words.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return plural(int64(d/time.Second), "second", "seconds")
	case d < 2*time.Hour:
		return plural(int64(d/time.Minute), "minute", "minutes")
	case d < 72*time.Hour:
		return plural(int64(d/time.Hour), "hour", "hours")
	}
	return plural(int64(d/(24*time.Hour)), "day", "days")
}

func fmtTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04:05 MST")
}

func bucketName(sec int64) string {
	switch {
	case sec%(7*86400) == 0:
		return plural(sec/(7*86400), "week", "weeks")
	case sec%86400 == 0:
		return plural(sec/86400, "day", "days")
	case sec%3600 == 0:
		return plural(sec/3600, "hour", "hours")
	}
	return fmtInt(sec/60) + " min"
}

func buildReport(c *collector, o reportOptions) *report {
	r := &report{Title: oneLine(o.title), Version: o.version}
	loc := o.loc

	// The period: the window asked for, else the events' own span.
	from, to := c.first, c.last
	if !o.since.IsZero() {
		from = o.since
	}
	if !o.until.IsZero() {
		to = o.until
	}
	switch {
	case from.IsZero() && to.IsZero():
		r.Period = "no dated events"
	case from.IsZero():
		r.Period = "until " + fmtTime(to, loc)
	case to.IsZero():
		r.Period = "from " + fmtTime(from, loc)
	default:
		r.Period = fmt.Sprintf("%s to %s (%s)", fmtTime(from, loc), fmtTime(to, loc), span(to.Sub(from)))
	}

	jailNames := make([]string, 0, len(c.jails))
	for n := range c.jails {
		jailNames = append(jailNames, n)
	}
	slices.SortFunc(jailNames, func(a, b string) int {
		ja, jb := c.jails[a], c.jails[b]
		if d := (jb.failures + jb.bans) - (ja.failures + ja.bans); d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return compareString(a, b)
	})
	for _, n := range jailNames {
		j := c.jails[n]
		r.Jails = append(r.Jails, jailRow{Name: n, Failures: fmtInt(j.failures), Bans: fmtInt(j.bans),
			Extensions: fmtInt(j.extensions), Restored: fmtInt(j.restored), Unbans: fmtInt(j.unbans), Errors: fmtInt(j.fwErrors)})
	}

	nAddr, exactAddr := c.distinctAddr.count()
	nUser, exactUser := c.distinctUser.count()
	approx := func(exact bool) string {
		if exact {
			return ""
		}
		return "≈ "
	}

	// Top lists.
	addrs := c.addrs.top(o.top, compareID)
	for i, a := range addrs {
		row := topRow{Rank: i + 1, Key: a.key.String(), Count: fmtInt(a.count), Share: percent(a.count, c.failures)}
		if a.err > 0 {
			row.Approx = "±" + fmtInt(a.err)
		}
		if b := c.banned.get(a.key); b != nil {
			row.Extra = fmtInt(b.count)
		} else {
			row.Extra = "0"
		}
		if a.key.ip.IsValid() {
			n := network(a.key.ip)
			if n != a.key.ip {
				row.Net = n.String()
			}
		}
		r.Addrs = append(r.Addrs, row)
	}
	nets := c.nets.top(o.top, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	for i, n := range nets {
		row := topRow{Rank: i + 1, Key: n.key.String(), Count: fmtInt(n.count), Share: percent(n.count, c.failures)}
		if n.err > 0 {
			row.Approx = "±" + fmtInt(n.err)
		}
		if n.key.Addr().Is4() {
			row.Extra = "IPv4 /" + strconv.Itoa(n.key.Bits())
		} else {
			row.Extra = "IPv6 /" + strconv.Itoa(n.key.Bits())
		}
		r.Nets = append(r.Nets, row)
	}
	users := c.users.top(o.top, compareString)
	for i, u := range users {
		row := topRow{Rank: i + 1, Key: oneLine(u.key), Count: fmtInt(u.count), Share: percent(u.count, c.withUser)}
		if u.err > 0 {
			row.Approx = "±" + fmtInt(u.err)
		}
		r.Users = append(r.Users, row)
	}
	offenders := c.offenders.top(o.top, compareID)
	repeat := 0
	for _, e := range c.offenders.heap {
		if b := c.banned.get(e.key); e.value > 1 || b != nil && b.count > 1 {
			repeat++
		}
	}
	repeatText := plural(int64(repeat), "address has", "addresses have")
	if len(c.offenders.heap) == repeatTable {
		repeatText = "At least " + repeatText
	}
	for _, e := range offenders {
		var bans int64
		if b := c.banned.get(e.key); b != nil {
			bans = b.count
		}
		if e.value < 2 && bans < 2 {
			continue // banned once: not a repeat offender
		}
		row := offenderRow{Rank: len(r.Offenders) + 1, ID: e.key.String(), Bancount: fmtInt(e.value), Jail: e.extra.jail, Bans: fmtInt(bans)}
		if !e.extra.last.IsZero() {
			row.Last = fmtTime(e.extra.last, loc)
		}
		r.Offenders = append(r.Offenders, row)
	}

	// Charts.
	r.Legend, r.Failures, r.Bans, r.Bucket = timeCharts(c, loc)
	r.AddrChart = barChart("Failures per address", labelsOf(addrs, func(k id) string { return k.String() }), countsOf(addrs))
	r.NetChart = barChart("Failures per network", labelsOf(nets, func(k netip.Prefix) string { return k.String() }), countsOf(nets))
	r.UserChart = barChart("Failures per user name", labelsOf(users, func(k string) string { return oneLine(k) }), countsOf(users))
	lenLabels := make([]string, 0, len(c.lengths))
	for _, b := range banLengths {
		lenLabels = append(lenLabels, b.label)
	}
	lenLabels = append(lenLabels, "permanent", "not given")
	r.Lengths = columnChart("Bans by length", lenLabels, c.lengths[:], 0)
	r.Offences = columnChart("Bans by offence (bancount)", []string{"1st", "2nd", "3rd", "4th", "5th or later", "not given"}, c.offences[:], 0)
	hourLabels := make([]string, 24)
	for h := range hourLabels {
		hourLabels[h] = fmt.Sprintf("%02d", h)
	}
	r.Hours = columnChart("Failures by hour of the day ("+zoneName(loc, c.last)+")", hourLabels, c.hours[:], 3)

	// The summary, in sentences.
	busiestHour, busiest := 0, int64(-1)
	for h, n := range c.hours {
		if n > busiest {
			busiestHour, busiest = h, n
		}
	}
	if c.events == 0 {
		r.Summary = append(r.Summary, "No events were read.")
	} else {
		r.Summary = append(r.Summary, fmt.Sprintf("%s and %s in %s, %s.",
			plural(c.failures, "failure", "failures"), plural(c.bans, "ban", "bans"), plural(int64(len(c.jails)), "jail", "jails"), r.Period))
	}
	if c.failures > 0 {
		s := fmt.Sprintf("The failures came from %s%s", approx(exactAddr), plural(nAddr, "address", "addresses"))
		if nUser > 0 {
			s += fmt.Sprintf(" and tried %s%s", approx(exactUser), plural(nUser, "user name", "user names"))
		}
		s += "."
		if len(addrs) > 0 {
			a := addrs[0]
			s += fmt.Sprintf(" The most active was %s with %s (%s of all)", a.key, plural(a.count, "failure", "failures"), percent(a.count, c.failures))
			if len(nets) > 0 {
				s += fmt.Sprintf("; the most active network %s with %s", nets[0].key, fmtInt(nets[0].count))
			}
			s += "."
		}
		if len(users) > 0 {
			s += fmt.Sprintf(" The user name tried most was “%s” (%s).", oneLine(users[0].key), fmtInt(users[0].count))
		}
		r.Summary = append(r.Summary, s)
	}
	if c.bans+c.extensions+c.restored+c.unbans > 0 {
		s := fmt.Sprintf("bancount made %s", plural(c.bans, "ban", "bans"))
		var more []string
		if c.extensions > 0 {
			more = append(more, plural(c.extensions, "extension of a running ban", "extensions of running bans"))
		}
		if c.restored > 0 {
			more = append(more, fmtInt(c.restored)+" restored at a restart")
		}
		if len(more) > 0 {
			s += " (and " + strings.Join(more, ", ") + ")"
		}
		s += fmt.Sprintf(" and %s.", plural(c.unbans, "unban", "unbans"))
		if repeat > 0 && len(r.Offenders) > 0 {
			s += fmt.Sprintf(" %s been banned more than once; the most often %s (highest bancount %s, bans here %s).",
				repeatText, r.Offenders[0].ID, r.Offenders[0].Bancount, r.Offenders[0].Bans)
		}
		r.Summary = append(r.Summary, s)
	}
	if busiest > 0 {
		r.Summary = append(r.Summary, fmt.Sprintf("The busiest hour of the day was %02d:00 to %02d:00 (%s) with %s (%s).",
			busiestHour, (busiestHour+1)%24, zoneName(loc, c.last), plural(busiest, "failure", "failures"), percent(busiest, c.failures)))
	}
	var problems []string
	if c.fwErrors > 0 {
		problems = append(problems, plural(c.fwErrors, "event the firewall could not apply", "events the firewall could not apply"))
	}
	if o.bad > 0 {
		problems = append(problems, plural(o.bad, "bad input line was", "bad input lines were")+" skipped")
	}
	if o.outside > 0 {
		problems = append(problems, plural(o.outside, "event was", "events were")+" outside the --since/--until window")
	}
	if len(problems) > 0 {
		r.Summary = append(r.Summary, "Also: "+strings.Join(problems, "; ")+".")
	}

	r.Facts = []fact{
		{"Events read", fmtInt(c.events)},
		{"Failures", fmtInt(c.failures)},
		{"Bans", fmtInt(c.bans)},
		{"Extensions of running bans", fmtInt(c.extensions)},
		{"Bans restored at a restart", fmtInt(c.restored)},
		{"Unbans", fmtInt(c.unbans)},
		{"Distinct addresses", approx(exactAddr) + fmtInt(nAddr)},
		{"Distinct user names", approx(exactUser) + fmtInt(nUser)},
		{"Firewall errors", fmtInt(c.fwErrors)},
		{"Bad input lines", fmtInt(o.bad)},
	}
	if c.undated > 0 {
		r.Facts = append(r.Facts, fact{"Events without a time", fmtInt(c.undated)})
	}
	if o.outside > 0 {
		r.Facts = append(r.Facts, fact{"Events outside the window", fmtInt(o.outside)})
	}

	if !c.addrs.exact() || !c.nets.exact() || !c.users.exact() || !c.banned.exact() {
		r.Notes = append(r.Notes, fmt.Sprintf("Top lists are counted in %s counters each (Space-Saving): a count marked ±N may be up to N above the true count; every key with more than 1/%s of the events is listed.", fmtInt(sketchSize), fmtInt(sketchSize)))
	}
	if !exactAddr || !exactUser {
		r.Notes = append(r.Notes, "Distinct counts marked ≈ are HyperLogLog estimates (about 0.8% standard error).")
	}
	return r
}

func zoneName(loc *time.Location, t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	name, _ := t.In(loc).Zone()
	return name
}

func labelsOf[K comparable](cs []counter[K], f func(K) string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = f(c.key)
	}
	return out
}

func countsOf[K comparable](cs []counter[K]) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.count
	}
	return out
}
