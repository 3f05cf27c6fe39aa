// Package filters holds banpipe's built-in filters: fail2ban filter.d files
// written for banpipe, embedded in the binaries.
//
// The files are in fail2ban's format ([INCLUDES], [DEFAULT], [Definition],
// [Init], prefregex, failregex, ignoreregex, mode, maxlines, datepattern,
// journalmatch, <HOST>, <F-USER>, <F-MLFID>, <F-NOFAIL> ...) and offer the
// same modes and options as fail2ban's filters of the same name, so a jail's
// `filter = postfix[mode=aggressive]` works unchanged. FS holds them under
// filter.d/, next to common.conf (the prefix-line definitions they and
// user-written filters include); Names lists the filters.
//
// The filters and their options (default first):
//
//	apache-auth       mode=normal|aggressive, logging=logfile|syslog|all
//	apache-badbots    badbots (list of agents), badbotscustom
//	apache-nohome     logging
//	apache-noscript   script, logging
//	apache-overflows  logging
//	courier-auth      -
//	dovecot           mode=normal|aggressive
//	dropbear          -
//	exim              mode=normal|aggressive
//	gitlab            -
//	grafana           datepattern
//	mysqld-auth       -
//	named-refused     _daemon, _category
//	nginx-bad-request -
//	nginx-botsearch   block, webmail, phpmyadmin, wordpress
//	nginx-http-auth   mode=normal|auth|fallback|aggressive
//	nginx-limit-req   ngx_limit_req_zones
//	pam-generic       _ttys_re
//	postfix           mode=more|normal|rbl|auth|ddos|extra|aggressive|errors, exre-user
//	proftpd           -
//	pure-ftpd         -
//	recidive          _jailname (fail2ban log lines and bancount's JSON ban events)
//	sendmail-auth     -
//	sendmail-reject   mode=normal|extra|aggressive
//	sshd              mode=normal|ddos|extra|aggressive,
//	                  publickey=nofail|invalid|any|ignore
//	traefik-auth      mode=normal|ddos|aggressive, req-method
//	vsftpd            -
//	webmin-auth       -
//
// Every filter that includes common.conf also takes logtype=file|short|
// journal|rfc5424. The include-only files are common.conf (the syslog
// prefix definitions: __prefix_line, __daemon_re, __pid_re, __hostname and
// the rest under fail2ban's names, so fail2ban's own filters run on it
// unchanged), apache-common.conf, exim-common.conf and
// botsearch-common.conf.
//
// Where a client chooses part of a line (a user name, a URL, a HELO name, a
// JSON string), the filters anchor the address to the part the daemon
// writes itself: a user name carrying "from 203.0.113.9" does not yield
// 203.0.113.9. Their regexes are written so that a long hostile line is
// read in one pass, not by runaway backtracking.
//
// Each filter has an annotated sample log in testdata/, in fail2ban's
// "# failJSON:" and "# filterOptions:" format; the tests replay them
// through package filter and through fail2ban itself
// (testdata/f2b/samples.py), and replay fail2ban's own sample logs through
// these filters (testdata/f2b/stock.py).
package builtin

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed filter.d/*.conf
var embedded embed.FS

// FS holds the built-in filter files; "filter.d/sshd.conf" is a path in it.
var FS fs.FS = embedded

// Names returns the names of the built-in filters, sorted: the .conf files
// of filter.d without their extension, leaving out the include-only files
// (common.conf and the *-common.conf helpers).
func Names() []string {
	ents, err := fs.ReadDir(embedded, "filter.d")
	if err != nil {
		panic("filters: embedded filter.d unreadable: " + err.Error())
	}
	var names []string
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), ".conf")
		if !ok || n == "common" || strings.HasSuffix(n, "-common") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
