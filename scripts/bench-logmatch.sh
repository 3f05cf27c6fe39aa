#!/usr/bin/env bash
# bench-logmatch.sh: logmatch's throughput on a generated auth.log, and
# the scaling of a batch scan on every core.
#
# Generates a syslog auth.log and an nginx access log of N lines each
# (default 1,000,000; 10% failures, seed 1) with internal/authgen into a
# temporary directory, runs logmatch over the auth.log with the built-in
# sshd filter at -j 1 and -j $(nproc) and with fail2ban's
# /etc/fail2ban/filter.d/sshd.conf (when present), and over the access log
# with nginx-botsearch at -j 1 and -j $(nproc); reports lines per
# CPU-second (user+sys), peak RSS and wall time for each, and the wall-time
# speed-up of -j $(nproc) over -j 1 (the output of both is the same; the
# speed-up needs free cores: check `uptime`). Then sshd beside grep -E and
# what bounds logmatch from below (see floor below), and last, where the
# sshd filter's time goes, by kind of line (see kinds below).
#
#   scripts/bench-logmatch.sh [N]          (N also from $BENCH_LINES)
#   LOGMATCH=path/to/logmatch scripts/bench-logmatch.sh
#   BENCH_NO_TIME=1 ...   (use bash's times, as without /usr/bin/time)
#
# Output: one line per run, e.g.
#   sshd (built-in), -j 1: 1000000 lines, 56186 failures, 1.98 s CPU (1.91 user + 0.07 sys), 505050 lines/CPU-s, peak RSS 21.4 MiB, wall 2.01 s
# ("failures" counts the events logmatch wrote.)
set -euo pipefail
cd "$(dirname "$0")/.."

lines=${1:-${BENCH_LINES:-1000000}}
now=2026-11-22T00:00:00Z
export TZ=UTC

. scripts/logmatch-bin.sh
. scripts/sshd-grep.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/authgen" ./internal/authgen/cmd/authgen
for svc in auth nginx-access; do
	"$tmp/authgen" -service "$svc" -n "$lines" -seed 1 >"$tmp/$svc.log" 2>"$tmp/gen.err" || {
		cat "$tmp/gen.err" >&2
		exit 1
	}
	echo "bench: $(sed 's/^authgen: //' "$tmp/gen.err") -> $tmp/$svc.log" >&2
done

# run NAME LOG ARGS...: runs logmatch ARGS LOG, prints the figures (the
# wall time also in $wall).
run() {
	local name=$1 log=$tmp/$2.log
	shift 2
	wall=
	local out=$tmp/out.jsonl err=$tmp/err user sys rss cpu rate
	if [ -x /usr/bin/time ] && [ -z "${BENCH_NO_TIME:-}" ]; then
		if ! /usr/bin/time -v -o "$tmp/time" "$logmatch" "$@" --now "$now" "$log" >"$out" 2>"$err"; then
			echo "bench: $name: logmatch failed:" >&2
			sed 's/^/  /' "$err" >&2
			return 1
		fi
		user=$(sed -n 's/^[[:space:]]*User time (seconds): //p' "$tmp/time")
		sys=$(sed -n 's/^[[:space:]]*System time (seconds): //p' "$tmp/time")
		rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$tmp/time")
		wall=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time" |
			awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s*60 + $i; printf "%.2f", s}')
	else
		# bash's times (run in this shell, not in a subshell): its second
		# line is the CPU of the finished children, before and after.
		times >"$tmp/t0"
		if ! "$logmatch" "$@" --now "$now" "$log" >"$out" 2>"$err"; then
			echo "bench: $name: logmatch failed:" >&2
			sed 's/^/  /' "$err" >&2
			return 1
		fi
		times >"$tmp/t1"
		local secs='function s(x){ split(x, p, "m"); sub("s", "", p[2]); return p[1]*60 + p[2] }'
		user=$(awk "$secs"' NR==FNR && FNR==2 {a=s($1)} NR!=FNR && FNR==2 {printf "%.2f", s($1)-a}' "$tmp/t0" "$tmp/t1")
		sys=$(awk "$secs"' NR==FNR && FNR==2 {a=s($2)} NR!=FNR && FNR==2 {printf "%.2f", s($2)-a}' "$tmp/t0" "$tmp/t1")
		rss=
	fi
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
	rate=$(awk -v n="$lines" -v c="$cpu" 'BEGIN{if (c > 0) printf "%d", n/c; else print "inf"}')
	local fails
	fails=$(wc -l <"$out" | tr -d ' ')
	local rsstext="peak RSS unknown (no /usr/bin/time)"
	[ -n "$rss" ] && rsstext=$(awk -v k="$rss" 'BEGIN{printf "peak RSS %.1f MiB", k/1024}')
	local walltext=
	[ -n "$wall" ] && walltext=", wall $wall s"
	printf '%s: %s lines, %s failures, %s s CPU (%s user + %s sys), %s lines/CPU-s, %s%s\n' \
		"$name" "$lines" "$fails" "$cpu" "$user" "$sys" "$rate" "$rsstext" "$walltext"
}

# cpu LABEL OUT CMD...: runs CMD, its output to OUT, prints its CPU
# time (user+sys, s) and appends "LABEL<tab>CPU" to $tmp/cpu (the floor's
# rounds); when CMD fails, shows its stderr.
cpu() {
	local label=$1 out=$2
	shift 2
	if ! /usr/bin/time -f '%U %S' -o "$tmp/time" "$@" >"$out" 2>"$tmp/err"; then
		echo "bench: $label: failed:" >&2
		sed 's/^/  /' "$tmp/err" >&2
		return 1
	fi
	awk -v l="$label" '{printf "%.3f\n", $1 + $2; printf "%s\t%.3f\n", l, $1 + $2 >>f}' f="$tmp/cpu" "$tmp/time"
}

status=0
cores=$(nproc 2>/dev/null || echo 2)
echo "bench: $cores cores, $(uptime | sed 's/.*load/load/')" >&2
# scale NAME LOG ARGS...: runs at -j 1 and -j $cores, the same output, and
# prints the wall-time speed-up (the workers match whole lines; the one
# ordered pass finds each date again and keeps the state: CPU time grows a
# little, wall time falls when the cores are free)
scale() {
	local name=$1 log=$2 w1
	shift 2
	run "$name, -j 1" "$log" -j 1 "$@" || return 1
	w1=$wall
	cp "$tmp/out.jsonl" "$tmp/one.jsonl"
	[ "$cores" -gt 1 ] || return 0
	run "$name, -j $cores" "$log" -j "$cores" "$@" || return 1
	if ! cmp -s "$tmp/out.jsonl" "$tmp/one.jsonl"; then
		echo "bench: $name: -j $cores output differs from -j 1" >&2
		return 1
	fi
	if [ -n "$w1" ] && [ -n "$wall" ]; then
		awk -v a="$w1" -v b="$wall" -v n="$name" -v c="$cores" 'BEGIN{if (b > 0) printf "%s: -j %d wall-time speed-up %.2fx (same output)\n", n, c, a/b}'
	fi
}
scale "sshd (built-in)" auth -f sshd || status=1
if [ -r /etc/fail2ban/filter.d/sshd.conf ]; then
	run "sshd (/etc/fail2ban/filter.d/sshd.conf, -j 1)" auth -j 1 -f /etc/fail2ban/filter.d/sshd.conf || status=1
else
	echo "bench: /etc/fail2ban/filter.d/sshd.conf not present; skipping fail2ban's filter" >&2
fi
scale "nginx-botsearch (built-in, access log)" nginx-access -f nginx-botsearch || status=1

# Where sshd's time goes: the auth.log's lines by kind (an sshd message's
# first words, or "(other programs)"), each kind alone, its lines repeated
# to at least N lines (the same sessions and dates again: the cost of a
# kind, not its output), through the built-in sshd filter at -j 1; CPU
# per line less that of an empty input (start-up), and the kind's share:
# its lines in the log times that cost (bench-filters.sh's table has
# grep -E with a failure pattern over the same log).
kinds() {
	local dir=$tmp/kinds n f k reps cpu0 c i
	mkdir -p "$dir"
	awk -v dir="$dir" '{
		k = "(other programs)"
		if ($5 ~ /^sshd(-session)?\[/) {
			k = $6 " " $7
			if ($6 ~ /^pam_unix/) k = k " " $8
		}
		f = k; gsub(/[^A-Za-z0-9]/, "_", f)
		print > (dir "/" f ".log"); name[f] = k; n[f]++
	} END { for (f in n) print n[f] "\t" f "\t" name[f] > (dir "/index") }' "$tmp/auth.log"
	: >"$dir/empty"
	cpu0=$(cpu "sshd, no lines" /dev/null "$logmatch" -j 1 -f sshd --now "$now" "$dir/empty") || return 1
	printf '| kind of line (sshd: its message'"'"'s first words) | lines in the log | CPU ns/line | CPU s (lines x ns) |\n| --- | ---: | ---: | ---: |\n'
	while IFS=$'\t' read -r n f k; do
		reps=$(((lines + n - 1) / n))
		for ((i = 0; i < reps; i++)); do cat "$dir/$f.log"; done >"$dir/rep"
		c=$(cpu "sshd, $k" /dev/null "$logmatch" -j 1 -f sshd --now "$now" "$dir/rep") || return 1
		awk -v k="$k" -v n="$n" -v r="$((n * reps))" -v c="$c" -v c0="$cpu0" \
			'BEGIN{ns = (c - c0) * 1e9 / r; if (ns < 0) ns = 0; printf "| %s | %d | %.0f | %.3f |\n", k, n, ns, ns * n / 1e9}'
	done < <(sort -rn "$dir/index") | tee "$dir/rows"
	awk -F' [|] ' '{n += $2; s += $4} END{printf "| all | %d | %.0f | %.3f |\n", n, s * 1e9 / n, s}' "$dir/rows"
}
# sshd beside grep -E with the failure pattern (issue 13's target), and
# what bounds logmatch from below, in turns, BENCH_ROUNDS rounds (default
# 11; one run's CPU time swings by a quarter): grep -E -c over the
# auth.log (to a file: GNU grep stops at the first match when its output
# is /dev/null); logmatch -f webmin-auth, a built-in filter that finds
# nothing in an auth.log (each line read, dated and its syslog prefix
# read: the least logmatch does for a line); logmatch -f sshd; and
# logmatch -f sshd over the lines grep's pattern selects, alone (the
# failure lines' part). The median CPU time of each, and the range.
floor() {
	local fails=$tmp/fail.log r i
	local -a label=("grep -E -c, failure pattern" "logmatch -j 1 -f webmin-auth (finds nothing)"
		"logmatch -j 1 -f sshd" "logmatch -j 1 -f sshd, grep's lines alone")
	grep -E "$sshd_failure_pattern" "$tmp/auth.log" >"$fails" || true
	: >"$tmp/cpu"
	for ((r = 0; r < ${BENCH_ROUNDS:-11}; r++)); do
		cpu "${label[0]}" "$tmp/grep.out" grep -E -c "$sshd_failure_pattern" "$tmp/auth.log" >/dev/null &&
			cpu "${label[1]}" "$tmp/webmin.jsonl" "$logmatch" -j 1 -f webmin-auth --now "$now" "$tmp/auth.log" >/dev/null &&
			cpu "${label[2]}" "$tmp/sshd.jsonl" "$logmatch" -j 1 -f sshd --now "$now" "$tmp/auth.log" >/dev/null &&
			cpu "${label[3]}" "$tmp/fails.jsonl" "$logmatch" -j 1 -f sshd --now "$now" "$fails" >/dev/null || return 1
	done
	if [ -s "$tmp/webmin.jsonl" ]; then
		echo "bench: floor: webmin-auth found failures in the auth.log; it no longer measures a line that no failregex asks about" >&2
		return 1
	fi
	local all nf
	all=$(wc -l <"$tmp/auth.log")
	nf=$(wc -l <"$fails")
	local -a lines=("$all" "$all" "$all" "$nf")
	local -a found=("$(cat "$tmp/grep.out") lines" "$(wc -l <"$tmp/webmin.jsonl") failures"
		"$(wc -l <"$tmp/sshd.jsonl") failures" "$(wc -l <"$tmp/fails.jsonl") failures")
	printf '| run (%s rounds, in turns) | lines | found | CPU s, median | min-max |\n| --- | ---: | ---: | ---: | --- |\n' "${BENCH_ROUNDS:-11}"
	for i in 0 1 2 3; do
		awk -F'\t' -v l="${label[i]}" '$1 == l {print $2}' "$tmp/cpu" | sort -n |
			awk -v l="${label[i]}" -v n="${lines[i]}" -v found="${found[i]}" '{v[NR] = $1}
				END {printf "| %s | %d | %s | %.2f | %.2f-%.2f |\n", l, n, found, v[int((NR + 1) / 2)], v[1], v[NR]}'
	done
}
if [ -x /usr/bin/time ] && [ -z "${BENCH_NO_TIME:-}" ]; then
	floor || status=1
	kinds || status=1
else
	echo "bench: the floor runs and the kinds of lines need /usr/bin/time; skipped" >&2
fi
exit $status
