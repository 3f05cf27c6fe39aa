package authgen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A service is the log of one server program, for the filters that read
// it: line templates for ordinary traffic and for failures, with
// placeholders in braces (see expand). The templates are made up from the
// formats the programs document and write; about FailureRatio of the lines
// come from the failure templates.
type service struct {
	name    string
	filters []string // the built-in filters that read this log
	noise   []tmpl
	fail    []tmpl
}

// tmpl is a line template and its weight among its list.
type tmpl struct {
	w int
	s string
}

// Services lists the logs Generate can write besides "auth" (the sshd
// auth.log), with the built-in filters that read each, in a stable order.
func Services() []string {
	out := []string{"auth"}
	for _, s := range services {
		out = append(out, s.name)
	}
	return out
}

// ServiceFilters returns the built-in filters that read the log of a
// service ("auth": sshd and the other auth.log filters).
func ServiceFilters(name string) []string {
	if name == "auth" || name == "" {
		return []string{"sshd"}
	}
	for _, s := range services {
		if s.name == name {
			return slices.Clone(s.filters)
		}
	}
	return nil
}

func findService(name string) *service {
	for i := range services {
		if services[i].name == name {
			return &services[i]
		}
	}
	return nil
}

const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

// The placeholders:
//
//	{clf} {nginx} {apache} {syslog} {iso} {isoT} {isoZ} {f2b} {ctime} {mysql}
//	      the line's time in a program's format (see date)
//	{host}  the log's host name      {ip}   an attacker's address
//	{cip}   an ordinary client       {user} a user name an attacker tries
//	({ip} and {user} are the same throughout a line)
//	{luser} a local user             {pid}  a process id
//	{port}  a client port            {n}    a small number
//	{ipp}   an attacker's address, followed by ":port" in the template
//	{ip4}   an attacker's IPv4 address
//	{id}    a postfix queue id       {qid}  a sendmail queue id
//	{path}  an ordinary URL path
//	{bot}   a path bots search for   {ua}   a browser's user agent
//	{badua} a bad bot's user agent   {size} a response size
//	{conn}  nginx's connection number
var services = []service{
	{
		name:    "nginx-access",
		filters: []string{"nginx-botsearch", "nginx-bad-request"},
		noise: []tmpl{
			{60, `{cip} - - [{clf}] "GET {path} HTTP/1.1" 200 {size} "https://www.example.org/" "{ua}"`},
			{15, `{cip} - - [{clf}] "GET {path} HTTP/2.0" 304 0 "https://www.example.org/" "{ua}"`},
			{8, `{cip} - {luser} [{clf}] "POST /api/v1/items HTTP/1.1" 201 {size} "-" "curl/8.5.0"`},
			{7, `{cip} - - [{clf}] "GET /favicon.ico HTTP/1.1" 404 153 "-" "{ua}"`},
			{5, `{cip} - - [{clf}] "GET {path} HTTP/1.1" 301 169 "-" "{ua}"`},
			{5, `{ip} - - [{clf}] "GET /.env HTTP/1.1" 403 153 "-" "{badua}"`},
		},
		fail: []tmpl{
			{70, `{ip} - - [{clf}] "GET /{bot} HTTP/1.1" 404 153 "-" "{badua}"`},
			{15, `{ip} - - [{clf}] "POST /{bot} HTTP/1.1" 404 153 "-" "{badua}"`},
			{10, `{ip} - - [{clf}] "\x16\x03\x01\x00\xee\x01\x00\x00\xea\x03\x03" 400 157 "-" "-"`},
			{5, `{ip} - - [{clf}] "GET / HTTP/1.1 x" 400 157 "-" "-"`},
		},
	},
	{
		name:    "nginx-error",
		filters: []string{"nginx-http-auth", "nginx-limit-req", "nginx-botsearch"},
		noise: []tmpl{
			{40, `{nginx} [error] {pid}#{pid}: *{conn} open() "/var/www/html/favicon.ico" failed (2: No such file or directory), client: {cip}, server: www.example.org, request: "GET /favicon.ico HTTP/1.1", host: "www.example.org"`},
			{20, `{nginx} [warn] {pid}#{pid}: *{conn} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000{n}, client: {cip}, server: www.example.org, request: "GET {path} HTTP/1.1", upstream: "http://127.0.0.1:8080{path}", host: "www.example.org"`},
			{20, `{nginx} [error] {pid}#{pid}: *{conn} upstream timed out (110: Connection timed out) while reading response header from upstream, client: {cip}, server: www.example.org, request: "GET {path} HTTP/1.1", upstream: "http://127.0.0.1:8080{path}", host: "www.example.org"`},
			{10, `{nginx} [info] {pid}#{pid}: *{conn} client {cip} closed keepalive connection`},
			{10, `{nginx} [notice] {pid}#{pid}: signal process started`},
		},
		fail: []tmpl{
			{35, `{nginx} [error] {pid}#{pid}: *{conn} user "{user}": password mismatch, client: {ip}, server: www.example.org, request: "GET /admin/ HTTP/1.1", host: "www.example.org"`},
			{15, `{nginx} [error] {pid}#{pid}: *{conn} user "{user}" was not found in "/etc/nginx/.htpasswd", client: {ip}, server: www.example.org, request: "GET /private/ HTTP/1.1", host: "www.example.org"`},
			{30, `{nginx} [error] {pid}#{pid}: *{conn} limiting requests, excess: {n}.{n}00 by zone "perip", client: {ip}, server: www.example.org, request: "GET /login HTTP/1.1", host: "www.example.org"`},
			{20, `{nginx} [error] {pid}#{pid}: *{conn} open() "/var/www/html/{bot}" failed (2: No such file or directory), client: {ip}, server: www.example.org, request: "GET /{bot} HTTP/1.1", host: "www.example.org"`},
		},
	},
	{
		name:    "apache-access",
		filters: []string{"apache-badbots"},
		noise: []tmpl{
			{70, `{cip} - - [{clf}] "GET {path} HTTP/1.1" 200 {size} "https://www.example.org/" "{ua}"`},
			{15, `{cip} - - [{clf}] "GET {path} HTTP/1.1" 304 - "https://www.example.org/" "{ua}"`},
			{10, `{cip} - {luser} [{clf}] "POST /cgi-bin/app.cgi HTTP/1.1" 200 {size} "-" "{ua}"`},
			{5, `{ip} - - [{clf}] "GET /{bot} HTTP/1.1" 404 196 "-" "curl/8.5.0"`},
		},
		fail: []tmpl{
			{100, `{ip} - - [{clf}] "GET {path} HTTP/1.1" 200 {size} "-" "{badbot}"`},
		},
	},
	{
		name:    "apache-error",
		filters: []string{"apache-auth", "apache-noscript", "apache-overflows", "apache-nohome"},
		noise: []tmpl{
			{40, `[{apache}] [php:warn] [pid {pid}:tid {pid}] [client {cip}:{port}] PHP Warning:  Undefined variable $x in /var/www/html/index.php on line {n}, referer: https://www.example.org/`},
			{30, `[{apache}] [ssl:info] [pid {pid}:tid {pid}] [client {cip}:{port}] AH01964: Connection to child {n} established (server www.example.org:443)`},
			{20, `[{apache}] [mpm_event:notice] [pid {pid}:tid {pid}] AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations`},
			{10, `[{apache}] [proxy:error] [pid {pid}:tid {pid}] (111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:8080 (127.0.0.1:8080) failed`},
		},
		fail: []tmpl{
			{30, `[{apache}] [auth_basic:error] [pid {pid}:tid {pid}] [client {ipp}:{port}] AH01618: user {user} not found: /private/`},
			{20, `[{apache}] [auth_basic:error] [pid {pid}:tid {pid}] [client {ipp}:{port}] AH01617: user {user}: authentication failure for "/private/": Password Mismatch`},
			{20, `[{apache}] [cgi:error] [pid {pid}:tid {pid}] [client {ipp}:{port}] AH02811: script not found or unable to stat: /usr/lib/cgi-bin/php{n}`},
			{15, `[{apache}] [core:error] [pid {pid}:tid {pid}] [client {ipp}:{port}] AH00126: Invalid URI in request GET /..%2f..%2fetc/passwd HTTP/1.1`},
			{15, `[{apache}] [core:info] [pid {pid}:tid {pid}] [client {ipp}:{port}] AH00128: File does not exist: /var/www/html/~{user}`},
		},
	},
	{
		name:    "traefik-access",
		filters: []string{"traefik-auth"},
		noise: []tmpl{
			{80, `{cip} - - [{clf}] "GET {path} HTTP/2.0" 200 {size} "-" "{ua}" {conn} "web@docker" "http://172.18.0.4:80" {n}ms`},
			{20, `{cip} - {luser} [{clf}] "GET /dashboard/ HTTP/2.0" 200 {size} "-" "{ua}" {conn} "dashboard@internal" "-" {n}ms`},
		},
		fail: []tmpl{
			{100, `{ip} - {user} [{clf}] "GET /dashboard/ HTTP/2.0" 401 17 "-" "{ua}" {conn} "dashboard@internal" "-" 0ms`},
		},
	},
	{
		name:    "mail",
		filters: []string{"postfix", "dovecot", "courier-auth", "sendmail-auth", "sendmail-reject"},
		noise: []tmpl{
			{20, `{syslog} {host} postfix/smtpd[{pid}]: connect from mail.example.com[{cip}]`},
			{20, `{syslog} {host} postfix/smtpd[{pid}]: disconnect from mail.example.com[{cip}] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7`},
			{15, `{syslog} {host} postfix/qmgr[{pid}]: {id}: from=<{luser}@example.com>, size={size}, nrcpt=1 (queue active)`},
			{15, `{syslog} {host} postfix/smtp[{pid}]: {id}: to=<{luser}@example.net>, relay=mx.example.net[{cip}]:25, delay=0.{n}, delays=0.1/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)`},
			{15, `{syslog} {host} dovecot: imap-login: Login: user=<{luser}>, method=PLAIN, rip={cip}, lip=192.0.2.1, mpid={pid}, TLS, session=<AbCdEf{n}>`},
			{10, `{syslog} {host} dovecot: imap({luser})<{pid}><AbCdEf{n}>: Disconnected: Logged out in=120 out=1510 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0`},
			{5, `{syslog} {host} sm-mta[{pid}]: {qid}: from=<{luser}@example.com>, size={size}, class=0, nrcpts=1, proto=ESMTP, daemon=MTA-v4, relay=mail.example.com [{cip}]`},
		},
		fail: []tmpl{
			{30, `{syslog} {host} postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 <{user}@example.net>: Relay access denied; from=<{user}@example.com> to=<{user}@example.net> proto=ESMTP helo=<example.com>`},
			{15, `{syslog} {host} postfix/smtpd[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`},
			{25, `{syslog} {host} dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<Ab12Cd{n}>`},
			{10, `{syslog} {host} imapd: LOGIN FAILED, user={user}, ip=[::ffff:{ip4}]`},
			{10, `{syslog} {host} sm-mta[{pid}]: {qid}: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user={user}, relay=[{ip}]`},
			{10, `{syslog} {host} sm-mta[{pid}]: {qid}: ruleset=check_rcpt, arg1=<{user}@example.net>, relay=[{ip}], reject=550 5.7.1 <{user}@example.net>... Relaying denied. Proper authentication required.`},
		},
	},
	{
		name:    "exim",
		filters: []string{"exim"},
		noise: []tmpl{
			{30, `{iso} {id} <= {luser}@example.com H=mail.example.com [{cip}] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S={size} id=msg{n}@example.com`},
			{30, `{iso} {id} => {luser} <{luser}@example.org> R=local_user T=mail_spool`},
			{30, `{iso} {id} Completed`},
			{10, `{iso} SMTP connection from mail.example.com [{cip}]:{port} closed by QUIT`},
		},
		fail: []tmpl{
			{60, `{iso} dovecot_login authenticator failed for (User) [{ip}]:{port}: 535 Incorrect authentication data (set_id={user}@example.org)`},
			{40, `{iso} H=(example.net) [{ip}]:{port} F=<{user}@example.net> rejected RCPT <{user}@example.org>: relay not permitted`},
		},
	},
	{
		name:    "ftp",
		filters: []string{"proftpd", "pure-ftpd", "vsftpd"},
		noise: []tmpl{
			{30, `{syslog} {host} proftpd[{pid}]: ftp.example.org (client.example.net[{cip}]) - USER {luser}: Login successful.`},
			{30, `{syslog} {host} proftpd[{pid}]: ftp.example.org (client.example.net[{cip}]) - FTP session closed.`},
			{20, `{syslog} {host} pure-ftpd: ({luser}@{cip}) [INFO] Logout.`},
			{20, `{syslog} {host} vsftpd: pam_unix(vsftpd:session): session opened for user {luser}(uid=1000) by (uid=0)`},
		},
		fail: []tmpl{
			{40, `{syslog} {host} proftpd[{pid}]: ftp.example.org (client.example.net[{ip}]) - USER {user} (Login failed): Incorrect password`},
			{30, `{syslog} {host} pure-ftpd: (?@{ip}) [WARNING] Authentication failed for user [{user}]`},
			{30, `{syslog} {host} vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser={user} rhost={ip}`},
		},
	},
	{
		name:    "named",
		filters: []string{"named-refused"},
		noise: []tmpl{
			{50, `{syslog} {host} named[{pid}]: client @0x7f3c2c0a1b70 {cip}#{port} (www.example.org): query: www.example.org IN A + (192.0.2.53)`},
			{30, `{syslog} {host} named[{pid}]: zone example.org/IN: sending notifies (serial 20261121{n})`},
			{20, `{syslog} {host} named[{pid}]: resolver priming query complete: success`},
		},
		fail: []tmpl{
			{70, `{syslog} {host} named[{pid}]: client @0x7f3c2c0a1b70 {ip}#{port} (isc.org): query (cache) 'isc.org/ANY/IN' denied`},
			{30, `{syslog} {host} named[{pid}]: client @0x7f3c2c0a1b70 {ip}#{port} (example.org): zone transfer 'example.org/AXFR/IN' denied`},
		},
	},
	{
		name:    "mysql",
		filters: []string{"mysqld-auth"},
		noise: []tmpl{
			{50, `{mysql} {n} [Note] [MY-010914] [Server] Aborted connection {n} to db: 'app' user: 'app' host: '{cip}' (Got an error reading communication packets).`},
			{50, `{mysql} 0 [Note] [MY-011953] [InnoDB] Page cleaner took {n}ms to flush 121 and evict 0 pages`},
		},
		fail: []tmpl{
			{100, `{mysql} {n} [Note] [MY-010926] [Server] Access denied for user '{user}'@'{ip}' (using password: YES)`},
		},
	},
	{
		name:    "grafana",
		filters: []string{"grafana"},
		noise: []tmpl{
			{60, `t={grafanaT} lvl=info msg="Request Completed" logger=context userId=1 orgId=1 uname={luser} method=GET path=/api/dashboards/uid/x status=200 remote_addr={cip} time_ms={n} size={size}`},
			{40, `t={grafanaT} lvl=info msg="Successful Login" logger=http.server User={luser}@example.org`},
		},
		fail: []tmpl{
			{100, `t={grafanaT} lvl=eror msg="Invalid username or password" logger=context userId=0 orgId=0 uname={user} error="invalid username or password" remote_addr={ip}`},
		},
	},
	{
		name:    "gitlab",
		filters: []string{"gitlab"},
		noise: []tmpl{
			{100, `{isoZ}: Successful Login: username={luser} ip={cip} method=standard admin=false`},
		},
		fail: []tmpl{
			{100, `{isoZ}: Failed Login: username={user} ip={ip}`},
		},
	},
	{
		name:    "fail2ban",
		filters: []string{"recidive"},
		noise: []tmpl{
			{50, `{f2b} fail2ban.filter         [{pid}]: INFO    [sshd] Found {ip} - {isoS}`},
			{20, `{f2b} fail2ban.actions        [{pid}]: NOTICE  [sshd] Unban {ip}`},
			{20, `{f2b} fail2ban.actions        [{pid}]: NOTICE  [recidive] Ban {ip}`},
			{10, `{f2b} fail2ban.filter         [{pid}]: INFO    [postfix] Found {ip} - {isoS}`},
		},
		fail: []tmpl{
			{80, `{f2b} fail2ban.actions        [{pid}]: NOTICE  [sshd] Ban {ip}`},
			{20, `{f2b} fail2ban.actions        [{pid}]: NOTICE  [postfix] Ban {ip}`},
		},
	},
	{
		name:    "syslog",
		filters: []string{"dropbear", "pam-generic", "webmin-auth"},
		noise: []tmpl{
			{30, `{syslog} {host} CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`},
			{30, `{syslog} {host} CRON[{pid}]: pam_unix(cron:session): session closed for user root`},
			{15, `{syslog} {host} dropbear[{pid}]: Password auth succeeded for '{luser}' from {cip}:{port}`},
			{15, `{syslog} {host} webmin[{pid}]: Successful login as {luser} from {cip}`},
			{10, `{syslog} {host} dropbear[{pid}]: Exit ({luser}) from <{cip}:{port}>: Disconnect received`},
		},
		fail: []tmpl{
			{35, `{syslog} {host} dropbear[{pid}]: Bad password attempt for '{user}' from {ipp}:{port}`},
			{15, `{syslog} {host} dropbear[{pid}]: Login attempt for nonexistent user '{user}' from {ipp}:{port}`},
			{25, `{syslog} {host} login[{pid}]: pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 tty=/dev/pts/1 ruser= rhost={ip}`},
			{25, `{syslog} {host} webmin[{pid}]: Invalid login as {user} from {ip}`},
		},
	},
}

var (
	paths   = []string{"/", "/index.html", "/about/", "/blog/2026/11/release-notes/", "/static/css/site.css", "/static/js/app.js", "/img/logo.png", "/api/v1/items?page=2", "/contact/", "/feed.xml"}
	botURLs = []string{"wp-login.php", "phpmyadmin/index.php", "pma/", "myadmin/scripts/setup.php", "roundcube/", "webmail/", "cgi-bin/test.cgi", "mysqladmin/", "admin/pma/index.php", "wp-admin.php"}
	// user agents of bad bots, which apache-badbots' list names
	badBots = []string{"EmailCollector", "EmailSiphon", "WebEMailExtrac", "Atomic_Email_Hunter/4.0", "Franklin Locator 1.8", "Missigua Locator 1.9", "8484 Boston Project v 1.0"}
	badUAs  = []string{"Mozilla/5.0 zgrab/0.x", "python-requests/2.31.0", "Go-http-client/1.1", "curl/7.88.1"}
)

// generate writes opts.Lines lines of service s.
func (g *gen) service(s *service, opts Options) (Stats, error) {
	step := float64(23*time.Hour) / float64(opts.Lines)
	var st Stats
	nw, fw := weights(s.noise), weights(s.fail)
	for i := 0; i < opts.Lines; i++ {
		g.t = g.t.Add(time.Duration(g.r.ExpFloat64() * step))
		if g.r.Float64() < FailureRatio {
			g.expand(pickT(g, s.fail, fw))
			st.Failures++
		} else {
			g.expand(pickT(g, s.noise, nw))
		}
		st.Lines++
	}
	return st, g.w.Flush()
}

func weights(ts []tmpl) int {
	n := 0
	for _, t := range ts {
		n += t.w
	}
	return n
}

func pickT(g *gen, ts []tmpl, total int) string {
	k := g.r.IntN(total)
	for _, t := range ts {
		if k < t.w {
			return t.s
		}
		k -= t.w
	}
	return ts[len(ts)-1].s
}

// expand writes template s with its placeholders filled in, and a line end.
func (g *gen) expand(s string) {
	g.lineUser, g.lineIP = "", ""
	b := g.buf[:0]
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b = append(b, s...)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b = append(b, s...)
			break
		}
		b = append(b, s[:i]...)
		key := s[i+1 : i+j]
		s = s[i+j+1:]
		b = g.fill(b, key)
	}
	b = append(b, '\n')
	g.buf = b
	g.w.Write(b)
}

func (g *gen) fill(b []byte, key string) []byte {
	t := g.t
	switch key {
	case "clf":
		return t.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	case "nginx":
		return t.AppendFormat(b, "2006/01/02 15:04:05")
	case "apache":
		return t.AppendFormat(b, "Mon Jan 02 15:04:05.000000 2006")
	case "syslog":
		return t.AppendFormat(b, time.Stamp)
	case "iso":
		return t.AppendFormat(b, "2006-01-02 15:04:05")
	case "isoS":
		return t.Add(-time.Duration(g.r.IntN(600))*time.Second).AppendFormat(b, "2006-01-02 15:04:05")
	case "isoZ":
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	case "grafanaT":
		return t.AppendFormat(b, "2006-01-02T15:04:05-0700")
	case "f2b":
		return t.AppendFormat(b, "2006-01-02 15:04:05,000")
	case "mysql":
		return t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	case "host":
		return append(b, g.host...)
	case "ip":
		// one attacker per line
		if g.lineIP == "" {
			g.lineIP = g.attacker()
		}
		return append(b, g.lineIP...)
	case "ipp":
		// an address a port follows after a colon: not one ending in
		// "::", which would run into the port
		for {
			if a := g.attacker(); !strings.HasSuffix(a, ":") {
				return append(b, a...)
			}
		}
	case "ip4":
		for {
			if a := g.attacker(); !strings.Contains(a, ":") {
				return append(b, a...)
			}
		}
	case "cip":
		return append(b, g.pick(g.ips)...)
	case "user":
		// one user name per line
		if g.lineUser == "" {
			g.lineUser = g.pick(invalidUsers)
		}
		return append(b, g.lineUser...)
	case "luser":
		return append(b, g.pick(g.users[:6])...)
	case "pid":
		return strconv.AppendInt(b, int64(g.pid()), 10)
	case "port":
		return strconv.AppendInt(b, int64(g.port()), 10)
	case "n", "conn":
		return strconv.AppendInt(b, int64(1+g.r.IntN(999)), 10)
	case "size":
		return strconv.AppendInt(b, int64(200+g.r.IntN(60000)), 10)
	case "id":
		const hex = "0123456789ABCDEF"
		for range 10 {
			b = append(b, hex[g.r.IntN(16)])
		}
		return b
	case "qid":
		// sendmail's queue id: 14 characters
		const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		for range 14 {
			b = append(b, alnum[g.r.IntN(len(alnum))])
		}
		return b
	case "path":
		return append(b, g.pick(paths)...)
	case "bot":
		return append(b, g.pick(botURLs)...)
	case "ua":
		return append(b, ua...)
	case "badua":
		return append(b, g.pick(badUAs)...)
	case "badbot":
		return append(b, g.pick(badBots)...)
	}
	panic(fmt.Sprintf("authgen: unknown placeholder {%s}", key))
}
