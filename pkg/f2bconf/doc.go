// Package f2bconf reads fail2ban's configuration dialect: the INI files of
// /etc/fail2ban (jail.conf, filter.d, action.d) with fail2ban's includes,
// .local overrides and two kinds of interpolation.
//
// # File format
//
// A file is a sequence of [SECTION] headers and options, as Python's
// configparser reads it with fail2ban's settings:
//
//	[INCLUDES]
//	before = common.conf
//
//	[Definition]
//	# a comment; "; a comment" too
//	failregex = ^Failed \S+ for .* from <HOST>   ; inline comment
//	            ^Invalid user .* from <HOST>
//
//	            ^a value may hold blank lines
//	maxlines: 1
//
// The rules:
//
//   - "key = value" or "key: value" (the first "=" or ":" splits); keys are
//     lower-cased, section names are case-sensitive.
//   - Lines whose first non-blank character is "#" or ";" are comments,
//     also inside a value. An inline comment starts with ";" after white
//     space; "#" after text is part of the value.
//   - A line indented deeper than its option's line continues the value
//     (joined with "\n"); blank lines inside a value are kept, trailing
//     ones dropped. Values are trimmed.
//   - Within one file a section or an option may appear only once; across
//     files, sections merge and later values win.
//   - [DEFAULT] supplies options to every section. [INCLUDES] lists
//     "before" and "after" files (one a line, relative to the including
//     file's directory), read before and after the including file; each
//     included file brings its own .local when there is one.
//   - A conditional section such as [Init?family=inet6] is merged into
//     [Init] as options named "key?family=inet6" (see [TagOptions]).
//
// # Reading order
//
// [Read] of NAME.conf reads, as fail2ban does, NAME.conf, NAME.d/*.conf,
// NAME.local and NAME.d/*.local, each expanded with its includes (any
// other path: the file and its .local; with [Options].NoLocal: the file and
// its includes only). A later file's value of an option replaces the
// earlier one; the replaced value stays reachable as %(known/key)s.
// [Config.ReadMore] adds further files.
//
// # Errors
//
// Every error about a file's content is an [*Error] with the file and line:
// a section header without "]", a line that is neither a header nor
// "key = value", an option before any section, a section or option twice
// in one file, invalid UTF-8, an include that does not exist (fail2ban
// silently skips it; here only a missing *.local include is skipped,
// since fail2ban's own files name optional ones), and, from Get, a
// reference to a missing option, a stray "%" or references nested deeper
// than [MaxInterpolationDepth] (a loop). A missing section or option is a
// [*NotFound].
//
// # Interpolation
//
// [Config.Get] resolves %(name)s references (Python's BasicInterpolation
// with fail2ban's extensions: %(known/name)s, %(default/name)s,
// %(section/name)s, %(__name__)s; %% for a literal %). fail2ban's second
// kind of reference, <tag>, is resolved by [SubstituteTags] over a map of
// options, as fail2ban's filter and action readers do after combining the
// [Definition] and [Init] sections with a jail's arguments
// (name[key=value, ...], split by [ParseSpec]).
//
// Times (bantime, findtime) are parsed by [ParseTime].
package f2bconf
