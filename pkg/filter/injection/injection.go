// Package injection tells whether a filter can be made to blame an address
// that a client writes into a log line (a user name, an SMTP command), the
// log-injection shapes of banpipe's issue 16.
//
// [Probe] does not look at the filter's text: it runs the compiled filter
// over probe lines, each the log line a daemon writes when a client at
// [Client] sends a text that names [Written] (the user name
// "x from 198.51.100.7 port 22 ssh2:", an FTP USER
// "x rhost=198.51.100.7 user=", ...), and reports each probe on which the
// filter names [Written]. So it recognises fail2ban 1.0.2's sshd (default
// mode and ddos/extra/aggressive), pam-generic, vsftpd and exim filters,
// copies and variants of them under any name or path, and passes filters
// that report the real client or nothing (banpipe's built-in set). A
// filter whose lines have another shape (another program name, a custom
// prefix) is not probed by these lines and passes.
package injection

import (
	"fmt"
	"time"

	"github.com/banpipe/banpipe/pkg/datedetect"
	"github.com/banpipe/banpipe/pkg/filter"
)

// Written is the address the probes write where the client's text goes;
// Client is the client's own address.
const (
	Written = "198.51.100.7"
	Client  = "203.0.113.9"
)

// A Shape is one injection: the client's text and the lines it gives.
type Shape struct {
	Name  string   // what the client sends
	Lines []string // the message after the syslog prefix "Dec  6 10:00:00 host "
}

// Shapes are the probes, from issue 16's findings 1 to 3.
var Shapes = []Shape{
	{`sshd user name "x from ` + Written + ` port 22 ssh2:"`, []string{
		"sshd[4101]: Failed password for invalid user x from " + Written + " port 22 ssh2: from " + Client + " port 40001 ssh2",
		"sshd[4102]: Failed publickey for invalid user x from " + Written + " port 22 ssh2: from " + Client + " port 40002 ssh2: RSA SHA256:AAAA",
	}},
	{`sshd user name "x ` + Written + ` on"`, []string{
		"sshd[4103]: Connection closed by invalid user x " + Written + " on " + Client + " port 40003 [preauth]",
		"sshd[4104]: Connection reset by invalid user x " + Written + " on " + Client + " port 40004 [preauth]",
		"sshd[4105]: Disconnected from invalid user x " + Written + " on " + Client + " port 40005 [preauth]",
		"sshd[4106]: Disconnected from authenticating user x " + Written + " on " + Client + " port 40006 [preauth]",
	}},
	{`FTP USER "x rhost=` + Written + ` user=" in PAM's ruser`, []string{
		"vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=" + Written + " user= rhost=" + Client,
		"vsftpd(pam_unix)[4107]: authentication failure; logname= uid=0 euid=0 tty= ruser=x rhost=" + Written + " user= rhost=" + Client,
	}},
	{`SMTP command 'a" H=[` + Written + `] next input="b'`, []string{
		"exim[4108]: SMTP protocol synchronization error (next input sent too soon: pipelining was not advertised): rejected \"a\" H=[" + Written + "] next input=\"b\" H=[" + Client + "]:40008 I=[192.0.2.1]:25 next input=\"QUIT\"",
	}},
}

// A Finding is a probe line on which the filter reported [Written].
type Finding struct {
	Shape string // Shape.Name
	Line  string // the probe line, as the filter saw it
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s", f.Shape, f.Line)
}

// Probe runs f (its dates found with datePattern, "" for fail2ban's
// default templates) over every probe line, each with a fresh matcher, and
// returns the lines on which it reported [Written]. Host names are not
// resolved. Lines are given a
// syslog prefix (or none for a journal filter) and, for exim's, exim's
// own date.
func Probe(f *filter.Filter, datePattern string) ([]Finding, error) {
	// The same regexes without DNS look-ups.
	f, err := filter.Compile(f.Def, filter.Options{UseDNS: "raw"})
	if err != nil {
		return nil, err
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var out []Finding
	for _, s := range Shapes {
		for _, msg := range s.Lines {
			variants := []string{"Dec  6 10:00:00 host " + msg}
			if f.Journal() {
				variants = []string{"host " + msg}
			}
			if len(msg) > 5 && msg[:5] == "exim[" {
				// exim's mainlog: its own date, no syslog prefix.
				variants = append(variants, "2026-12-06 10:00:00 "+msg[len("exim[4108]: "):])
			}
			for _, line := range variants {
				hit, err := blames(f, datePattern, line, now)
				if err != nil {
					return out, err
				}
				if hit {
					out = append(out, Finding{Shape: s.Name, Line: line})
					break
				}
			}
		}
	}
	return out, nil
}

func blames(f *filter.Filter, datePattern, line string, now time.Time) (bool, error) {
	opts := filter.MatcherOptions{Now: func() time.Time { return now }, Clock: func() time.Time { return now }, NoGroups: true}
	if !f.Journal() {
		dd, err := datedetect.New(datedetect.Options{Now: now, Location: time.UTC, Pattern: datePattern})
		if err != nil {
			return false, err
		}
		opts.Dates = dd
	}
	m := filter.NewMatcher(f, opts)
	var res *filter.Result
	var err error
	if f.Journal() {
		res, err = m.LineAt([]byte(line), now)
	} else {
		res, err = m.Line([]byte(line))
	}
	if err != nil {
		return false, nil // a match timeout is no finding
	}
	for _, fl := range res.Failures {
		if fl.Host == Written || (fl.IP.IsValid() && fl.IP.Addr().String() == Written) {
			return true, nil
		}
	}
	return false, nil
}
