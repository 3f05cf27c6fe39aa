#!/usr/bin/env bash
# bench-startup.sh: what logmatch's start-up costs, which every run pays
# (package init, loading and compiling the filter, the date detector).
#
# Runs logmatch N times (default 21) on a log of one line that matches
# nothing, for the built-in sshd, nginx-botsearch and grafana filters and
# for fail2ban's /etc/fail2ban/filter.d/sshd.conf (when present), and
# `logmatch --version`; prints for each the median CPU time (user+sys),
# page faults (a fresh page costs the process a fault: allocation at start
# is paid there) and peak RSS, measured by internal/startbench from the
# kernel's accounting of each finished run.
#
#   scripts/bench-startup.sh [N]           (N also from $BENCH_RUNS)
#   LOGMATCH=path/to/logmatch scripts/bench-startup.sh
#
# Output: one line per case, e.g.
#   logmatch -j 1 -f sshd (one line): median of 21 runs: 41.0 ms CPU (25.3 user + 15.7 sys), 1402 page faults, peak RSS 14.1 MiB
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-${BENCH_RUNS:-21}}
export TZ=UTC

. scripts/logmatch-bin.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/startbench" ./internal/startbench
echo x >"$tmp/one.log"
echo "bench: $(nproc 2>/dev/null || echo '?') cores, $(uptime | sed 's/.*load/load/')" >&2

status=0
"$tmp/startbench" -n "$runs" -name "logmatch --version" "$logmatch" --version || status=1
filters="sshd nginx-botsearch grafana"
[ -r /etc/fail2ban/filter.d/sshd.conf ] && filters="$filters /etc/fail2ban/filter.d/sshd.conf"
for f in $filters; do
	"$tmp/startbench" -n "$runs" -name "logmatch -j 1 -f $f (one line)" "$logmatch" -j 1 -f "$f" "$tmp/one.log" || status=1
done
exit $status
