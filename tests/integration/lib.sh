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

pass() {
	PH_PASSED=$((PH_PASSED + 1))
	echo "ok - $1"
}

fail() {
	PH_FAILED=$((PH_FAILED + 1))
	echo "not ok - $1"
	if [ $# -gt 1 ]; then
		shift
		printf '    %s\n' "$@"
	fi
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

# finish: print the summary and exit 0 when nothing failed.
finish() {
	echo "$PH_PASSED passed, $PH_FAILED failed"
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
