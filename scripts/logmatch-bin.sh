# logmatch-bin.sh, sourced by the bench scripts: sets logmatch to
# $LOGMATCH when given, else to bin/logmatch, which it builds from this
# tree with `make build` every time (that does little when it is current):
# a bin/logmatch left from an earlier commit would measure the old code.
if [ -n "${LOGMATCH:-}" ]; then
	logmatch=$LOGMATCH
else
	logmatch=bin/logmatch
	echo "bench: building $logmatch from this tree" >&2
	make -s build >&2
fi
