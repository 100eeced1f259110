#!/usr/bin/env bash
# tests/fuzz/smoke.sh -- run each libFuzzer harness for a fixed time on a
# copy of its seed corpus; used by `make fuzz-smoke`.
#
#   smoke.sh SECONDS SRCDIR WORKDIR HARNESS...
#
# SRCDIR is tests/fuzz of the source tree (corpus/<name>/ and an optional
# <name>.dict are taken from there); WORKDIR receives, per harness,
# <name>/corpus (the copy, grown by the run), <name>/artifacts (crash-,
# leak-, timeout- and oom- files) and <name>/log.  Prints one line per
# harness with its executions, coverage and crashes, and exits 1 when any
# harness found a crash, leak or timeout (or did not run).
set -uo pipefail

if [ $# -lt 4 ]; then
	echo "usage: $0 SECONDS SRCDIR WORKDIR HARNESS..." >&2
	exit 2
fi
seconds=$1
srcdir=$2
workdir=$3
shift 3

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=0
summary=()
for bin in "$@"; do
	name=$(basename "$bin")
	dir=$workdir/$name
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	if [ -d "$srcdir/corpus/$name" ]; then
		cp -R -p "$srcdir/corpus/$name/." "$dir/corpus/"
	fi
	args=(-max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/")
	if [ -f "$srcdir/$name.dict" ]; then
		args+=(-dict="$srcdir/$name.dict")
	fi
	echo "+ $bin ${args[*]} $dir/corpus" >&2
	"$bin" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1
	rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -n 1 | sed 's/cov: //')
	ft=$(grep -o 'ft: [0-9]*' "$dir/log" | tail -n 1 | sed 's/ft: //')
	crashes=$(find "$dir/artifacts" -type f \( -name 'crash-*' -o \
		-name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) |
		wc -l)
	corpus=$(find "$dir/corpus" -type f | wc -l)
	line="$name: execs ${execs:-?}, cov: ${cov:-?}, ft: ${ft:-?}, corpus: $corpus files, crashes: $crashes"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		failed=1
		line="$line -- FAILED (exit status $rc)"
		echo >&2
		echo "=== $name: last lines of $dir/log ===" >&2
		tail -n 60 "$dir/log" >&2
		find "$dir/artifacts" -type f -exec echo "artifact: {}" \; >&2
	fi
	echo "$line"
	summary+=("$line")
done

echo
echo "=== fuzz-smoke: ${seconds}s per harness ==="
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
	echo "fuzz-smoke: FAILED"
	exit 1
fi
echo "fuzz-smoke: passed"
exit 0
