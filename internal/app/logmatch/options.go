package logmatch

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/banpipe/banpipe/internal/clirun"
)

// options are logmatch's settings, read from the flags once; the runner
// never sees the *cli.Context.
type options struct {
	filter      string
	filterDir   string
	config      string
	jails       []string // --jail, repeatable
	regex       []string
	ignoreRegex []string
	datePattern string
	datePatSet  bool
	maxLines    int
	maxLinesSet bool
	useDNS      string
	dnsTimeout  time.Duration
	now         time.Time // zero: the clock
	logTimeZone string
	input       string // "text" or "journal-json"
	timeout     time.Duration
	stats       bool
	printMissed bool
	printIgn    bool
	listFilters bool
	showFilter  string
	check       bool
	dump        bool
	files       []string // FILE arguments; empty: standard input
	follow      bool
	positions   string // positions file; "" for none
	poll        time.Duration
	jobs        int // --jobs: cores for FILE arguments
	metricsAddr string
	metricsFile string
	metrics     *lmMetrics // set by run; nil: metrics off
}

// readOptions reads and validates the flags and arguments of c.
func readOptions(c *cli.Context) (*options, error) {
	o := &options{
		filter:      c.String("filter"),
		filterDir:   c.String("filter-dir"),
		config:      c.String("config"),
		jails:       c.StringSlice("jail"),
		regex:       c.StringSlice("regex"),
		ignoreRegex: c.StringSlice("ignore-regex"),
		datePattern: c.String("datepattern"),
		datePatSet:  c.IsSet("datepattern"),
		maxLines:    c.Int("maxlines"),
		maxLinesSet: c.IsSet("maxlines"),
		useDNS:      c.String("usedns"),
		dnsTimeout:  c.Duration("dns-timeout"),
		logTimeZone: c.String("logtimezone"),
		input:       c.String("input"),
		timeout:     c.Duration("timeout"),
		stats:       c.Bool("stats"),
		printMissed: c.Bool("print-missed"),
		printIgn:    c.Bool("print-ignored"),
		listFilters: c.Bool("list-filters"),
		showFilter:  c.String("show-filter"),
		check:       c.Bool("check"),
		dump:        c.Bool("dump"),
		files:       c.Args().Slice(),
		follow:      c.Bool("follow"),
		positions:   c.String("positions"),
		poll:        c.Duration("poll-interval"),
		jobs:        c.Int("jobs"),
		metricsAddr: c.String("metrics"),
		metricsFile: c.String("metrics-file"),
	}
	if o.jobs < 1 {
		return nil, clirun.Usagef("--jobs must be at least 1")
	}
	if o.poll <= 0 {
		return nil, clirun.Usagef("--poll-interval must be positive")
	}
	if o.input != "text" && o.input != "journal-json" {
		return nil, clirun.Usagef("--input %q: want text or journal-json", o.input)
	}
	if s := c.String("now"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, clirun.Usagef("--now %q: not an RFC 3339 time", s)
		}
		o.now = t
	}
	if o.maxLinesSet && o.maxLines < 1 {
		return nil, clirun.Usagef("--maxlines must be at least 1")
	}
	return o, nil
}
