#!/bin/sh
# make demo: the whole pipeline over a bundled sample log, with the dry-run
# firewall. Shows the failures found, the ban/unban decisions and the firewall
# commands that would run.
set -eu
cd "$(dirname "$0")/.."
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export TZ=UTC
log=testdata/demo/auth.log

echo "== the pipeline"
echo "   logmatch -f sshd $log | bancount --clock log --maxretry 5 --findtime 10m --bantime 2m | fwban --backend dry-run"
echo
echo "== failures (logmatch; first 3 of $(bin/logmatch -f sshd --now 2026-11-22T12:00:00Z "$log" | wc -l))"
bin/logmatch -f sshd --now 2026-11-22T12:00:00Z "$log" | head -3
echo
echo "== ban and unban events as fwban applied them (stdout), then the firewall commands the dry run prints (stderr)"
bin/logmatch -f sshd --now 2026-11-22T12:00:00Z "$log" |
	bin/bancount --clock log --maxretry 5 --findtime 10m --bantime 2m \
		--state "$state/bancount.state" --socket "$state/bancount.sock" |
	bin/fwban --backend dry-run
