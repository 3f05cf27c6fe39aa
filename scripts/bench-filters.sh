#!/usr/bin/env bash
# bench-filters.sh: every built-in filter on a generated log of its service,
# beside fail2ban-regex with fail2ban's stock filter of the same name on the
# same log, in one run.
#
# For each service log internal/authgen writes (N lines, default 100,000,
# about 10% failures, seed 1) and each built-in filter that reads it, runs
#   logmatch -f NAME                          (the built-in filter)
#   logmatch -f /etc/fail2ban/filter.d/NAME.conf   (fail2ban's file, our engine)
#   fail2ban-regex -o ip LOG /etc/fail2ban/filter.d/NAME.conf
# and, for sshd, grep -E with a failure pattern. It prints one Markdown
# table row per filter: lines per CPU-second (user+sys, from /usr/bin/time;
# logmatch and grep: the median of BENCH_REPEAT runs, default 3),
# peak RSS, the ratio to fail2ban-regex, the CPU time of fail2ban's file
# through logmatch over the built-in filter's (the two run in turns, one
# of each a round, and the column is the median of the rounds' ratios:
# the VM's speed drifts between minutes, which separate runs would
# count), and whether the failures agree:
# the addresses of the failures, in order, compared line by line ("same N",
# or "DIFF" with the number of differing addresses; BENCH_KEEP=DIR keeps
# the logs and outputs there to look at them).
#
#   scripts/bench-filters.sh [N]                 (N also from $BENCH_LINES)
#   BENCH_FILTERS="sshd nginx-botsearch" scripts/bench-filters.sh
#   BENCH_NO_F2B=1 ...    (logmatch only; also when fail2ban is not installed)
#   LOGMATCH=path/to/logmatch ...
set -euo pipefail
cd "$(dirname "$0")/.."

lines=${1:-${BENCH_LINES:-100000}}
now=2026-11-22T00:00:00Z
f2bdir=/etc/fail2ban/filter.d
export TZ=UTC

. scripts/logmatch-bin.sh
. scripts/sshd-grep.sh
f2b=1
if [ -n "${BENCH_NO_F2B:-}" ] || ! command -v fail2ban-regex >/dev/null || [ ! -d $f2bdir ]; then
	f2b=
	echo "bench: fail2ban-regex or $f2bdir missing: logmatch only" >&2
fi
if [ ! -x /usr/bin/time ]; then
	echo "bench: needs /usr/bin/time (GNU time) for CPU time and peak RSS" >&2
	exit 1
fi

tmp=${BENCH_KEEP:-$(mktemp -d)}
mkdir -p "$tmp"
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
gen=$tmp/authgen
go build -o "$gen" ./internal/authgen/cmd/authgen

# measure OUT CMD...: runs CMD with stdout to OUT; sets cpu (s) and rss (MiB).
measure() {
	local out=$1
	shift
	if ! /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$@" >"$out" 2>"$tmp/err"; then
		echo "bench: failed: $*" >&2
		sed 's/^/  /' "$tmp/err" >&2
		return 1
	fi
	read -r u s k <"$tmp/time"
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')
	rss=$(awk -v k="$k" 'BEGIN{printf "%.1f", k/1024}')
}
# measure3 OUT CMD...: measure, BENCH_REPEAT times (default 3); keeps the
# median CPU time and the largest RSS (logmatch runs take tenths of a
# second, where one run's CPU time swings by a third).
measure3() {
	local out=$1 i cpus="" maxrss=0
	shift
	for ((i = 0; i < ${BENCH_REPEAT:-3}; i++)); do
		measure "$out" "$@" || return 1
		cpus="$cpus $cpu"
		maxrss=$(awk -v a="$maxrss" -v b="$rss" 'BEGIN{print (b > a) ? b : a}')
	done
	cpu=$(printf '%s\n' $cpus | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
	rss=$maxrss
}
# measure2 OUT1 OUT2 CMD1... -- CMD2...: measures CMD1 (stdout to OUT1)
# and CMD2 in turns, BENCH_REPEAT rounds; sets cpu1, cpu2 (medians), rss1,
# rss2 (largest) and pair, the median of the rounds' cpu2/cpu1.
measure2() {
	local out1=$1 out2=$2 i c1="" c2="" r1=0 r2=0 ratios=""
	shift 2
	local -a cmd1=() cmd2=()
	while [ "$1" != "--" ]; do
		cmd1+=("$1")
		shift
	done
	shift
	cmd2=("$@")
	for ((i = 0; i < ${BENCH_REPEAT:-3}; i++)); do
		measure "$out1" "${cmd1[@]}" || return 1
		local a=$cpu
		c1="$c1 $cpu" r1=$(awk -v a="$r1" -v b="$rss" 'BEGIN{print (b > a) ? b : a}')
		measure "$out2" "${cmd2[@]}" || return 1
		c2="$c2 $cpu" r2=$(awk -v a="$r2" -v b="$rss" 'BEGIN{print (b > a) ? b : a}')
		ratios="$ratios $(awk -v a="$a" -v b="$cpu" 'BEGIN{if (a > 0) printf "%.3f", b/a; else print "inf"}')"
	done
	med() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
	cpu1=$(med $c1) cpu2=$(med $c2) pair=$(med $ratios)
	rss1=$r1 rss2=$r2
}
rate() { awk -v n="$lines" -v c="$1" 'BEGIN{if (c > 0) printf "%d", n/c; else print "inf"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a > 0) printf "%.1f", b/a; else print "inf"}'; }

want() { [ -z "${BENCH_FILTERS:-}" ] || [[ " $BENCH_FILTERS " == *" $1 "* ]]; }

echo "bench: $lines lines per log, CPU time user+sys, one core; shared machine: figures are indicative" >&2
printf '| filter | log | logmatch lines/CPU-s | RSS MiB | f2b file via logmatch lines/CPU-s | f2b file / built-in CPU | fail2ban-regex lines/CPU-s | RSS MiB | x fail2ban | failures (logmatch / fail2ban) | agreement |\n'
printf '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n'
status=0
"$gen" -list >"$tmp/services"
while read -r svc filters <&3; do
	log=$tmp/$svc.log
	wanted=
	for f in $filters; do want "$f" && wanted=1; done
	[ -n "$wanted" ] || continue
	"$gen" -service "$svc" -n "$lines" -seed 1 >"$log" 2>/dev/null
	for f in $filters; do
		want "$f" || continue
		f2bfile="-" f2brate="-" f2brss="-" x="-" f2bn="-" agree="-" filex="-"
		if [ -n "$f2b" ] && [ -r "$f2bdir/$f.conf" ]; then
			measure2 "$tmp/$f.lm.jsonl" "$tmp/$f.lmf2b.jsonl" \
				"$logmatch" -j 1 -f "$f" --now "$now" "$log" -- \
				"$logmatch" -j 1 -f "$f2bdir/$f.conf" --now "$now" "$log" || { status=1; continue; }
			lmcpu=$cpu1 lmrss=$rss1 f2bfile=$(rate "$cpu2") filex=$pair
		else
			measure3 "$tmp/$f.lm.jsonl" "$logmatch" -j 1 -f "$f" --now "$now" "$log" || { status=1; continue; }
			lmcpu=$cpu lmrss=$rss
		fi
		jq -r .ip <"$tmp/$f.lm.jsonl" >"$tmp/$f.lm.ip"
		lmn=$(wc -l <"$tmp/$f.lm.ip")
		if [ -n "$f2b" ] && [ -r "$f2bdir/$f.conf" ]; then
			measure "$tmp/$f.f2b.ip" fail2ban-regex -o ip "$log" "$f2bdir/$f.conf" || { status=1; continue; }
			f2brate=$(rate "$cpu") f2brss=$rss
			x=$(ratio "$lmcpu" "$cpu")
			f2bn=$(wc -l <"$tmp/$f.f2b.ip")
			if cmp -s "$tmp/$f.lm.ip" "$tmp/$f.f2b.ip"; then
				agree="same"
			else
				agree="DIFF: $(diff "$tmp/$f.lm.ip" "$tmp/$f.f2b.ip" | grep -c '^[<>]' || true) addresses differ"
			fi
		fi
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' \
			"$f" "$svc" "$(rate "$lmcpu")" "$lmrss" "$f2bfile" "$filex" "$f2brate" "$f2brss" "$x" "$lmn" "$f2bn" "$agree"
		if [ "$f" = sshd ]; then
			measure3 "$tmp/grep.out" grep -E -c "$sshd_failure_pattern" "$log" || true
			printf '| (grep -E, failure pattern) | %s | %s | %s | | | | | | %s lines | |\n' "$svc" "$(rate "$cpu")" "$rss" "$(cat "$tmp/grep.out")"
		fi
	done
done 3<"$tmp/services"
exit $status
