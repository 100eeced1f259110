#!/usr/bin/env bash
# tests/valgrind.sh -- run integration tests with the server under valgrind
# (memcheck) and count the errors.
#
#   tests/valgrind.sh [--trace-children] [--logdir DIR] [TEST...]
#
# Each TEST (a name such as basic, or a path to tests/integration/NAME.sh;
# default: $VALGRIND_TESTS, else the list below) runs with PREFORK_HTTPD
# pointing at a wrapper that execs
#
#   valgrind --error-exitcode=1 --leak-check=full \
#            --errors-for-leak-kinds=definite --track-fds=no \
#            --log-file=DIR/TEST/vg.%p.log  prefork-httpd ARGS
#
# The workers are forked, not executed, so they stay under the master's
# valgrind and log to their own vg.PID.log.  What the server executes (CGI
# scripts, the binary on a USR2 upgrade) runs natively unless
# --trace-children is given: then valgrind follows into every executed
# program except those under /bin, /usr/bin, /usr/sbin and /usr/local/bin
# (a CGI script started by its own path is followed, its interpreter with
# it).  Not for tests that look at /proc/PID/exe (upgrade.sh): under
# valgrind that is valgrind's own tool binary.
#
# Prints one line per test: the test's result, the number of processes
# valgrind watched, the errors it reported (ERROR SUMMARY, definite leaks
# included) and the bytes definitely lost; then the totals.  Exits 1 when a
# test failed or valgrind reported any error, 99 on a set-up error.
#
# Environment: PREFORK_HTTPD (the real server binary), top_srcdir and
# top_builddir (as for `make check`; default: the source tree of this
# script and the current directory), VALGRIND (default valgrind),
# VALGRIND_FLAGS (extra options).  The integration tests' waits are widened
# with PH_START_WAIT=60 and PH_STOP_WAIT=60.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir

# Tests that hold up under valgrind's slow-down: their timing windows are
# wide enough, or they only wait for the server.  Not here: reload.sh (it
# bounds the master's RSS growth, and valgrind's allocator holds freed
# blocks back), keepalive_adaptive.sh (timing), upgrade.sh (/proc/PID/exe).
default_tests="basic static keepalive ranges traversal smuggling limits
routes modules status supervise quit_inflight autoindex cgi admin slowloris
timeouts compress errorpages spa access vhosts"

trace=no
logdir=
tests=()
while [ $# -gt 0 ]; do
	case $1 in
	--trace-children) trace=yes; shift ;;
	--logdir) logdir=$2; shift 2 ;;
	--logdir=*) logdir=${1#*=}; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "valgrind.sh: unknown option $1" >&2; exit 99 ;;
	*) tests+=("$1"); shift ;;
	esac
done
if [ ${#tests[@]} -eq 0 ]; then
	# shellcheck disable=SC2206 # a list of words
	tests=(${VALGRIND_TESTS:-$default_tests})
fi

VALGRIND=${VALGRIND:-valgrind}
if ! command -v "$VALGRIND" >/dev/null 2>&1; then
	echo "valgrind.sh: $VALGRIND not found: install valgrind" >&2
	exit 99
fi
server=${PREFORK_HTTPD:-$top_builddir/src/prefork-httpd}
if [ ! -x "$server" ]; then
	echo "valgrind.sh: no server binary at $server (set PREFORK_HTTPD)" >&2
	exit 99
fi
case $server in /*) ;; *) server=$PWD/$server ;; esac

if [ -z "$logdir" ]; then
	logdir=$top_builddir/tests/valgrind-logs
	[ "$trace" = yes ] && logdir=$logdir-trace
fi
mkdir -p "$logdir" || exit 99
logdir=$(cd "$logdir" && pwd)

trace_flags=(--trace-children=no)
if [ "$trace" = yes ]; then
	trace_flags=(--trace-children=yes
		"--trace-children-skip=/bin/*,/usr/bin/*,/usr/local/bin/*,/usr/sbin/*")
fi

total_errors=0
total_lost=0
total_procs=0
failed_tests=0
status=0
printf '%-18s %-6s %6s %7s %14s %7s\n' test result procs errors "lost (bytes)" seconds

for t in "${tests[@]}"; do
	case $t in
	*/*) script=$t; name=$(basename "$t" .sh) ;;
	*) name=${t%.sh}; script=$top_srcdir/tests/integration/$name.sh ;;
	esac
	if [ ! -f "$script" ]; then
		echo "valgrind.sh: no test $script" >&2
		status=1
		failed_tests=$((failed_tests + 1))
		continue
	fi
	dir=$logdir/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	wrapper=$dir/prefork-httpd
	{
		echo '#!/bin/sh'
		printf 'exec %q' "$VALGRIND"
		printf ' %q' --error-exitcode=1 --leak-check=full \
			--errors-for-leak-kinds=definite --track-fds=no \
			"--log-file=$dir/vg.%p.log" "${trace_flags[@]}"
		# shellcheck disable=SC2086 # extra options, one per word
		[ -n "${VALGRIND_FLAGS:-}" ] && printf ' %s' ${VALGRIND_FLAGS}
		printf ' %q "$@"\n' "$server"
	} >"$wrapper"
	chmod +x "$wrapper"

	start=$(date +%s)
	PREFORK_HTTPD=$wrapper PH_START_WAIT=60 PH_STOP_WAIT=60 \
		bash "$script" >"$dir/test.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))

	procs=0 errors=0 lost=0
	for f in "$dir"/vg.*.log; do
		[ -f "$f" ] || continue
		procs=$((procs + 1))
		# "==PID== ERROR SUMMARY: N errors from M contexts"
		n=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d , | tail -n 1)
		errors=$((errors + ${n:-0}))
		# "==PID==    definitely lost: N bytes in M blocks"
		n=$(sed -n 's/^==[0-9]*== *definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d , | tail -n 1)
		lost=$((lost + ${n:-0}))
	done
	result=pass
	if [ "$rc" -ne 0 ]; then
		result=FAIL
		failed_tests=$((failed_tests + 1))
		status=1
	fi
	if [ "$procs" -eq 0 ]; then
		result=NOVG # the server never ran under valgrind
		failed_tests=$((failed_tests + 1))
		status=1
	fi
	[ "$errors" -gt 0 ] && status=1
	total_errors=$((total_errors + errors))
	total_lost=$((total_lost + lost))
	total_procs=$((total_procs + procs))
	printf '%-18s %-6s %6d %7d %14d %7d\n' "$name" "$result" "$procs" "$errors" "$lost" "$secs"
	if [ "$result" != pass ]; then
		grep '^not ok' "$dir/test.log" | head -n 10 | sed 's/^/    /'
	fi
	if [ "$errors" -gt 0 ]; then
		# The first errors of each log that has some, with their stacks.
		for f in "$dir"/vg.*.log; do
			grep -q 'ERROR SUMMARY: [1-9]' "$f" || continue
			echo "    --- ${f#"$logdir"/} ---"
			awk '/^==[0-9]+== (Invalid|Conditional jump|Syscall param|Mismatched|Source and destination overlap|Use of uninitialised|[0-9,]+ (\([0-9,]+ direct, [0-9,]+ indirect\) )?bytes in [0-9,]+ blocks are definitely lost)/ {p = 1}
			     p {print; if (++n >= 60) exit}
			     p && /^==[0-9]+== $/ {p = 0; if (++blocks >= 3) exit}' "$f" | sed 's/^/    /'
		done
	fi
done

echo "valgrind: ${#tests[@]} tests, $failed_tests failed; $total_procs processes;" \
	"$total_errors errors; $total_lost bytes definitely lost" \
	"(trace-children=$trace; logs in $logdir)"
exit "$status"
