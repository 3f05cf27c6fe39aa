# logmatch-bin.sh, sourced by the bench scripts: sets logmatch to
# $LOGMATCH (default bin/logmatch) and builds it as `make build` does when
# it is not there.
logmatch=${LOGMATCH:-bin/logmatch}
if [ ! -x "$logmatch" ]; then
	echo "bench: building $logmatch" >&2
	mkdir -p "$(dirname "$logmatch")"
	CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$logmatch" ./cmd/logmatch
fi
