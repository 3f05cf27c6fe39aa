#!/bin/sh
# make bench: the benchmarks behind the README's figures. CPU benchmarks run
# everywhere; firewall and latency benchmarks need root (network namespaces)
# and are skipped otherwise; fleet benchmarks need redis-server.
set -eu
cd "$(dirname "$0")/.."
run() { echo; echo "== $*"; "$@"; }

run bash scripts/bench-startup.sh
run bash scripts/bench-logmatch.sh
run bash scripts/bench-filters.sh
run go test -run '^$' -bench . -benchmem ./pkg/lines ./pkg/event ./pkg/filter ./pkg/datedetect ./pkg/bans ./pkg/pyre
run go test -run '^$' -bench 'RegexEngines|RegexCompile' -benchtime 20000x ./pkg/filter/builtin
run go test -run '^$' -bench . -benchmem ./internal/app/bancount
run go test -run '^$' -bench . -benchtime 2s ./pkg/firewall/action
run go test -run '^$' -bench . ./pkg/fleet
if [ "$(id -u)" = 0 ]; then
	run go test -run '^$' -bench . -benchtime 1x ./internal/app/fwban
	run go test -run '^$' -bench BanLatency -benchtime 1x ./internal/e2e
else
	echo "== firewall benchmarks skipped: they need root for network namespaces"
fi
