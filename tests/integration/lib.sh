# shellcheck shell=bash
# tests/integration/lib.sh -- helpers for the integration tests.
#
# A test script:
#
#   . "$(dirname "$0")/lib.sh"
#   ph_setup                                   # optional: make $PH_DIR first
#   echo hello >"$PH_DIR/www/hello.txt"        # ... to add files to the site
#   ph_start 'listen: [127.0.0.1:@PORT@]
#   root: www
#   health: {path: /healthz}'
#   expect_status "$PH_URL/" 200
#   check "body says hello" grep -q hello <(curl -s "$PH_URL/hello.txt")
#   ph_stop
#   finish
#
# The output is TAP: one "ok - NAME" or "not ok - NAME" line per check,
# "ok - NAME # SKIP REASON" for a check that could not run here (skip), and
# at the end (finish) the plan "1..N".  `make check` runs it through
# automake's TAP driver, which counts each check; a file that ends without
# its plan (an error, a missing `finish`) or whose exit status is not 0
# while nothing failed is an ERROR.  Diagnostics are "# " lines.
#
# Environment (set by `make check`): PREFORK_HTTPD, the server binary;
# top_srcdir and top_builddir.  Set PH_KEEP=1 to keep the temporary
# directory.  PH_START_WAIT and PH_STOP_WAIT (seconds, default 5 and 10)
# widen the waits of ph_start and ph_stop for a slow server (valgrind).
# Nothing is written outside that directory, and the server is
# only ever signalled by its PID.

set -u

# The python parts of the tests import phclient.py from here.
PH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PYTHONPATH="$PH_LIB_DIR${PYTHONPATH:+:$PYTHONPATH}"

PH_PASSED=0
PH_FAILED=0
PH_SKIPPED=0
PH_DIR=
PH_PID=
PH_PORT=
PH_URL=
PH_EXIT=
PH_HEALTH_PATH=${PH_HEALTH_PATH:-/healthz}
PH_START_WAIT=${PH_START_WAIT:-5}
PH_STOP_WAIT=${PH_STOP_WAIT:-10}

if [ -z "${PREFORK_HTTPD:-}" ] || [ ! -x "$PREFORK_HTTPD" ]; then
	echo "PREFORK_HTTPD is not set to an executable (got '${PREFORK_HTTPD:-}')" >&2
	exit 99 # hard error for the automake harness
fi
for ph_tool in curl python3; do
	if ! command -v "$ph_tool" >/dev/null 2>&1; then
		echo "$ph_tool not found: install $ph_tool" >&2
		exit 99
	fi
done
unset ph_tool

# --- results ---------------------------------------------------------------

# ph_tap_text TEXT: TEXT on one line, for a TAP description: newlines become
# spaces and '#' is escaped, so that no name can be read as a directive.
ph_tap_text() {
	local t=${1//$'\r'/}
	t=${t//$'\n'/ }
	printf '%s' "${t//#/\\#}"
}

pass() {
	PH_PASSED=$((PH_PASSED + 1))
	echo "ok - $(ph_tap_text "$1")"
}

# fail NAME [DETAIL...]: a failed check; each DETAIL line goes under it as a
# TAP comment.
fail() {
	PH_FAILED=$((PH_FAILED + 1))
	echo "not ok - $(ph_tap_text "$1")"
	if [ $# -gt 1 ]; then
		shift
		printf '%s\n' "$@" | sed 's/^/#   /'
	fi
}

# skip NAME REASON: a check that cannot run here, and why.  A skip is never
# a pass: scripts/test lists every skip, and under CI=true fails the run for
# any whose reason is not in tests/allowed-skips.
skip() {
	PH_SKIPPED=$((PH_SKIPPED + 1))
	echo "ok - $(ph_tap_text "$1") # SKIP $(ph_tap_text "$2")"
}

# ph_skip_all REASON: the whole file cannot run here (call it before any
# check): the plan "1..0 # SKIP REASON", then exit 0.
ph_skip_all() {
	if [ $((PH_PASSED + PH_FAILED + PH_SKIPPED)) -gt 0 ]; then
		skip "the rest of $(basename "$0")" "$1"
		finish
	fi
	echo "1..0 # SKIP $(ph_tap_text "$1")"
	exit 0
}

# check NAME COMMAND [ARG...]: pass when the command succeeds.
#   check "body is ok" test "$body" = ok
check() {
	local name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name"
	fi
}

# ph_helper ACTION CMD...: run CMD, a helper that prints one line per check,
# "PASS<TAB>name" or "FAIL<TAB>name", and "go" when it wants ACTION (a shell
# command, run with eval) to happen, after which it reads one line on its
# stdin.  Each line becomes a check; PH_HELPER_CHECKS counts them, so that
# the caller can check that the helper said all it should (a helper that
# died early must fail the file).  Two fifos, not a coproc: bash forgets a
# coproc's descriptors as soon as it exits, maybe before its last line is
# read.
ph_helper() {
	local action=$1 from to pid verdict name
	shift
	PH_HELPER_CHECKS=0
	rm -f "$PH_DIR/helper.out" "$PH_DIR/helper.in"
	mkfifo "$PH_DIR/helper.out" "$PH_DIR/helper.in" || return 1
	{ "$@" <"$PH_DIR/helper.in" ||
		printf 'FAIL\thelper %s exited with status %s\n' "$*" "$?"; } >"$PH_DIR/helper.out" &
	pid=$!
	exec {from}<"$PH_DIR/helper.out" {to}>"$PH_DIR/helper.in"
	while IFS=$'\t' read -r verdict name <&"$from"; do
		case $verdict in
		go)
			eval "$action"
			(echo >&"$to") 2>/dev/null || true
			continue
			;;
		PASS) pass "$name" ;;
		FAIL) fail "$name" ;;
		*) fail "helper output" "$verdict $name" ;;
		esac
		PH_HELPER_CHECKS=$((PH_HELPER_CHECKS + 1))
	done
	exec {to}>&- {from}<&-
	wait "$pid"
}

# check_lines NAME FILE MIN AWK_CONDITION: pass when FILE has at least MIN
# lines (at least one when MIN is 0 or less) and AWK_CONDITION holds on every
# one of them; a check over a list fails when the list is empty.  The lines
# that break the condition are shown.
#   check_lines "each client had no error" "$out" 8 '$4 == 0'
check_lines() {
	local name=$1 file=$2 min=$3 cond=$4 n bad
	[ "$min" -ge 1 ] || min=1
	n=$(grep -c . "$file" 2>/dev/null || true)
	bad=$(awk "!($cond)" "$file" 2>&1 | head -n 5)
	if [ "${n:-0}" -lt "$min" ]; then
		fail "$name" "expected at least $min lines in $(basename "$file"), got ${n:-0}"
	elif [ -n "$bad" ]; then
		fail "$name" "lines that do not satisfy $cond:" "$bad"
	else
		pass "$name"
	fi
}

# ph_results LABEL COMMAND [ARG...]: run a helper (LABEL names it in
# failures) that prints its results, one a line: "PASS<TAB>NAME" or
# "FAIL<TAB>NAME[<TAB>DETAIL]", each a check, and "# ..." comments.  Any other line fails, and so does a helper that exits
# non-zero or reports no result at all.
ph_results() {
	local label=$1 verdict name detail n=0
	shift
	while IFS=$'\t' read -r verdict name detail; do
		case $verdict in
		PASS) pass "$name" ;;
		FAIL) fail "$name" ${detail:+"$detail"} ;;
		\#*) echo "$verdict${name:+ $name}${detail:+ $detail}"; continue ;;
		*) fail "helper output" "$verdict $name" ;;
		esac
		n=$((n + 1))
	done < <("$@" || printf 'FAIL\thelper %s exited with status %s\n' "$label" "$?")
	if [ "$n" -eq 0 ]; then
		fail "helper $label reported results" "it printed no PASS or FAIL line"
	fi
}

# finish: print the plan and the counts, and exit 0 when nothing failed.  A
# file that ran no check at all fails: it tested nothing.
finish() {
	if [ $((PH_PASSED + PH_FAILED + PH_SKIPPED)) -eq 0 ]; then
		fail "$(basename "$0") ran at least one check"
	fi
	echo "1..$((PH_PASSED + PH_FAILED + PH_SKIPPED))"
	echo "# $PH_PASSED passed, $PH_FAILED failed, $PH_SKIPPED skipped"
	if [ "$PH_FAILED" -eq 0 ]; then
		exit 0
	fi
	exit 1
}

# --- the server --------------------------------------------------------------

# ph_free_port: print a TCP port on 127.0.0.1 that is free right now.
ph_free_port() {
	python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# ph_setup: create the temporary directory $PH_DIR with www/index.html.
ph_setup() {
	if [ -n "$PH_DIR" ]; then
		return 0
	fi
	PH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/prefork-httpd-test.XXXXXX")
	mkdir -p "$PH_DIR/www"
	cat >"$PH_DIR/www/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>test index</title></head>
<body><p>prefork-httpd test index</p></body></html>
HTML
}

# ph_start CONFIG_TEXT: write CONFIG_TEXT to $PH_DIR/server.yaml, with
# @PORT@ replaced by a free port and @DIR@ by $PH_DIR; start the server in
# the background (output in $PH_DIR/stdout.log and stderr.log) and wait up
# to $PH_START_WAIT s (default 5) for $PH_HEALTH_PATH to answer 200.
# Sets PH_PID, PH_PORT, PH_URL.
# Returns 1 (after counting a failure) when the server does not come up.
ph_start() {
	local text=$1 code
	ph_setup
	PH_PORT=$(ph_free_port)
	PH_URL=http://127.0.0.1:$PH_PORT
	text=${text//@PORT@/$PH_PORT}
	text=${text//@DIR@/$PH_DIR}
	printf '%s\n' "$text" >"$PH_DIR/server.yaml"

	"$PREFORK_HTTPD" -c "$PH_DIR/server.yaml" \
		>"$PH_DIR/stdout.log" 2>"$PH_DIR/stderr.log" &
	PH_PID=$!
	PH_EXIT=

	for _ in $(seq $((PH_START_WAIT * 10))); do
		if ! kill -0 "$PH_PID" 2>/dev/null; then
			wait "$PH_PID" && PH_EXIT=0 || PH_EXIT=$?
			PH_PID=
			fail "server starts" "it exited with status $PH_EXIT"
			ph_show_logs
			return 1
		fi
		code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' \
			"$PH_URL$PH_HEALTH_PATH" 2>/dev/null || true)
		if [ "$code" = 200 ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "server starts" "$PH_HEALTH_PATH did not answer 200 within $PH_START_WAIT s (last: ${code:-none})"
	ph_show_logs
	return 1
}

# ph_stop [SIGNAL]: send SIGNAL (default TERM) to the server's PID, wait up
# to $PH_STOP_WAIT s (default 10) for it to exit, then KILL it.  Sets
# PH_EXIT to its exit status.
ph_stop() {
	local sig=${1:-TERM}
	if [ -z "$PH_PID" ]; then
		return 0
	fi
	kill -s "$sig" "$PH_PID" 2>/dev/null || true
	for _ in $(seq $((PH_STOP_WAIT * 10))); do
		kill -0 "$PH_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PH_PID" 2>/dev/null; then
		echo "# server (pid $PH_PID) still running $PH_STOP_WAIT s after SIG$sig: sending KILL" >&2
		kill -s KILL "$PH_PID" 2>/dev/null || true
	fi
	wait "$PH_PID" 2>/dev/null && PH_EXIT=0 || PH_EXIT=$?
	PH_PID=
}

# ph_show_logs: print the server's output (to the test log).
ph_show_logs() {
	local f
	for f in stdout.log stderr.log; do
		if [ -n "$PH_DIR" ] && [ -s "$PH_DIR/$f" ]; then
			echo "# --- server $f (last 50 lines) ---"
			tail -n 50 "$PH_DIR/$f" | sed 's/^/# /'
		fi
	done
}

ph_cleanup() {
	local status=$?
	ph_stop TERM
	if [ "$PH_FAILED" -gt 0 ] || [ "$status" -ne 0 ]; then
		ph_show_logs
	fi
	if [ -n "$PH_DIR" ]; then
		if [ "${PH_KEEP:-0}" = 1 ]; then
			echo "# kept $PH_DIR"
		else
			rm -rf "$PH_DIR"
		fi
	fi
	return "$status"
}
trap ph_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- requests ----------------------------------------------------------------

# expect_status URL CODE [CURL_ARG...]: one check that URL answers CODE.
expect_status() {
	local url=$1 want=$2 got
	shift 2
	got=$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$@" "$url" || true)
	if [ "$got" = "$want" ]; then
		pass "${*:+$* }$url -> $want"
	else
		fail "${*:+$* }$url -> $want" "got ${got:-no response}"
	fi
}

# raw_request [-h HOST] [-p PORT] [-t IDLE_SECONDS] DATA
# Send DATA over one TCP connection (backslash escapes such as \r\n are
# interpreted; use printf %q-free literal strings) and print every byte
# received until the server closes the connection or stays silent for
# IDLE_SECONDS (default 1).  Defaults: 127.0.0.1 and $PH_PORT.
#   raw_request 'GET / HTTP/1.0\r\n\r\n'
raw_request() {
	local host=127.0.0.1 port=${PH_PORT:-} idle=1 opt OPTIND=1
	while getopts 'h:p:t:' opt; do
		case $opt in
		h) host=$OPTARG ;;
		p) port=$OPTARG ;;
		t) idle=$OPTARG ;;
		*) return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	python3 - "$host" "$port" "$idle" "$1" <<'PY'
import socket, sys
host, port, idle, data = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
payload = data.encode("latin-1").decode("unicode_escape").encode("latin-1")
s = socket.create_connection((host, port), timeout=10)
try:
    s.sendall(payload)
except OSError:
    pass  # the server may answer and close before reading everything
s.settimeout(idle)
out = sys.stdout.buffer
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out.write(chunk)
except (socket.timeout, ConnectionResetError):
    pass
out.flush()
s.close()
PY
}

# ph_logged_remote LOG ID: the "remote" of the JSON access log line whose
# request_id is ID, waiting up to 3 s for it to be written; "none" if absent.
ph_logged_remote() {
	local r
	for _ in $(seq 30); do
		r=$(python3 - "$1" "$2" <<'PY'
import json, sys
try:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        if e.get("request_id") == sys.argv[2]:
            print(e["remote"])
            break
except FileNotFoundError:
    pass
PY
)
		if [ -n "$r" ]; then
			echo "$r"
			return 0
		fi
		sleep 0.1
	done
	echo none
}
