// Package action is fwban's "action" backend: it applies bans by running the
// commands of fail2ban action.d files, so that fail2ban's reporting and
// notification actions (mail, sendmail-whois, abuseipdb, blocklist_de,
// cloudflare, complain, ...) and its firewall actions work unchanged.
//
// # Actions
//
// A jail has one or several actions, each named by a spec as in a jail's
// action option:
//
//	NAME
//	NAME[key=value, key="quoted, value", ...]
//
// NAME is read from the action.d directory ([DefaultDir]) as fail2ban reads
// it: NAME.conf, NAME.local, NAME.d/, and their [INCLUDES] (through package
// f2bconf, with its %(name)s interpolation). The commands are the options
// actionstart, actionstop, actioncheck, actionrepair, actionban,
// actionunban, actionprolong and actionflush of [Definition]; the options
// norestored, actionstart_on_demand, actionrepair_on_unban and timeout are
// honoured. Python actions (NAME.py) are not supported.
//
// A tag <x> takes, first to last: the spec's arguments; the jail's port,
// protocol and chain (the JailSettings fields, passed as arguments as
// jail.conf's default action_ passes them); the [Init] section (and
// [Init?family=inet6] for IPv6 bans, [Init?family=inet4] for IPv4); the
// jail's other options ([Config].Jails and JailSettings.Options; a jail
// option also overrides a [Definition] option of the same name, as
// fail2ban's interpolation vars do); the [Definition] section. name defaults
// to the jail's name, actname to NAME; <known/x> is x as [Init] set it;
// <section/option> reads another section of the file. Values hold tags in
// turn, resolved recursively, as fail2ban does; a definition that refers to
// itself is an error. <br> is a newline, <sp> a space, <fq-hostname> and
// <sh-hostname> this host's name.
//
// # Ban tags
//
// A ban fills these tags:
//
//	<ip>            the address, or the prefix in CIDR form for a subnet ban
//	<family>        inet4 or inet6
//	<ip-rev>        the reverse name without its suffix: 7.2.0.192.
//	<ip-host>       the address's DNS name ("" when it has none)
//	<fid>           the failure id: the F-ID or host capture, else <ip>
//	<failures>      failures that led to the ban (also <ipfailures>, <ipjailfailures>)
//	<bancount>      how many times the address was banned
//	<time>          when the ban was decided, Unix seconds
//	<bantime>       the ban's length in seconds, -1 permanent (a ban without
//	                one: until - time, else the jail's Bantime or bantime
//	                option, else 600)
//	<restored>      1 for a ban restored at start, else 0
//	<F-NAME>        the filter capture NAME (the event's lower-cased field), "" when absent
//	<matches>       the event's "matches" field; "" otherwise (also <ipmatches>,
//	                <ipjailmatches>): banpipe's events carry no log lines
//	<raw-ticket> <jail.banned> <jail.banned_total> <jail.found> <jail.found_total>
//	                "": fail2ban's server counters, which banpipe does not keep
//
// In actionstart, actionstop, actionflush, actioncheck and actionrepair only
// <family> and <time> have values; the other ban tags are empty.
//
// # Untrusted values never reach the shell
//
// Commands run with /bin/sh -c, as in fail2ban. The values of <ip>,
// <ip-rev>, <family> and the numbers are made by banpipe (the address is
// parsed, never copied) and are written into the command. Every other ban
// value (the captures, the failure id, the matches, the DNS name) comes from
// a log line or the network: it is never written into the command. It is
// passed in an environment variable, BANPIPE_ and the tag's name
// (BANPIPE_F_USER for <F-USER>), and the tag is replaced by a reference
// quoted for the place where it stands, "${BANPIPE_F_USER}" outside quotes,
// ${BANPIPE_F_USER} inside double quotes, '"${BANPIPE_F_USER}"' inside single
// quotes, so that the shell substitutes the value once, as one word, and
// never parses it: quotes, $(...), backticks, ;|&<>, newlines, globs and a
// leading ~ stay literal text (CVE-2021-32749 was a mail action putting
// attacker text into a shell command). An untrusted tag inside shell
// arithmetic, $((...)), or bash's ((...)) and [[...]], is refused with an
// error: arithmetic evaluates the text a variable holds (bash even runs
// the $(...) of an array subscript in it). Tags in shell comments are left alone, and a tag in
// a here-document body gets literal double quotes around its value. What a called program does with the
// text is its own affair: mail's "set escape" in fail2ban's mail actions
// keeps a "~!" line of the text from running commands, and printf %b, which
// several actions use, interprets backslash escapes in it.
//
// A jail's name is its actions' <name> by default and is written into the
// commands (chain names, mail subjects), so it must be made of letters,
// digits and "_.-@+:" ([MaxJailName] at most); the backend refuses the bans
// of any other jail.
//
// # Lifecycle
//
// An action's actionstart runs before its first ban, once per jail, or
// once per family for an action with [Init?family=...] sections (as
// fail2ban's actionstart_on_demand; with actionstart_on_demand = false both
// families start at the first ban); a command rendering identically for
// both families runs once. A ban already in place runs actionprolong, or
// nothing; a restored ban runs nothing for an action with norestored, and
// actionban otherwise (as in fail2ban, an action that does not look for
// its own duplicates, such as iptables-multiport, then inserts a second
// rule if the first was left in place: stop fwban with --flush-on-exit, as
// fail2ban's own stop does, to avoid that). An unban runs actionunban only for a ban this backend made. When a command
// fails and the action has an actioncheck, the check runs; if it passes, the
// command is tried once more; if it fails, actionrepair runs (or actionstop
// and actionstart), the check must then pass, and the command is tried once
// more. [Backend.Flush] runs actionflush (or actionunban of each
// ban) then actionstop; [Backend.Close] runs actionstop only with
// [Config].StopOnClose. The backend keeps no state across processes:
// [Backend.List] shows the bans this backend made; for ad hoc commands in a
// fresh process (fwban unban, fwban flush), [Config].AssumeStarted takes
// every action as started with bans in place. A jail's actions are read,
// with the JailSettings given, at its first Ban or Unban (even of no bans).
//
// Each command runs in its own process group with standard input
// /dev/null, its standard output discarded (or sent to [Config].Stdout),
// within a time limit (the action's timeout option, else [Config].Timeout,
// else 60 s) after which the whole group is killed. A non-zero exit status
// is an error ([CommandError]) carrying the end of the command's standard
// error.
package action
