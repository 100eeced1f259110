#!/usr/bin/env bash
# tests/soak/soak.sh -- soak and chaos test: load at capacity while workers
# are killed, the configuration is reloaded and the pool is resized.
#
#   tests/soak/soak.sh [--duration SECONDS] [--clients N]
#
# Starts the server (PREFORK_HTTPD, default ./src/prefork-httpd of the
# current directory; 4 workers, short timeouts) on 127.0.0.1 with a site of
# files of known content (0 B to 1 MiB), then runs tests/soak/load.py for
# SECONDS (default $SOAK_SECONDS, else 120): a mix of keep-alive and
# one-shot GETs, HEADs, Range requests, 404s and malformed requests, while a
# worker is SIGKILLed every second, the master gets SIGHUP every 5 s and
# TTIN/TTOU now and then.  load.py checks every response and prints the
# figures; see it for the assertions.  Finally the master is stopped with
# TERM and must exit 0.
#
# Loopback only; only the PIDs this script started (the master and its
# children) are signalled; it stops by itself.  PH_KEEP=1 keeps the
# temporary directory (server logs, the list of failed connections).
# Exit status: 0 passed, 1 failed, 99 set-up error.
set -u

here=$(cd "$(dirname "$0")" && pwd)
duration=${SOAK_SECONDS:-120}
clients=
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--duration=*) duration=${1#*=}; shift ;;
	--clients) clients=$2; shift 2 ;;
	--clients=*) clients=${1#*=}; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "soak.sh: unknown argument: $1" >&2; exit 99 ;;
	esac
done
case $duration in
'' | *[!0-9]*) echo "soak.sh: --duration wants whole seconds, got '$duration'" >&2; exit 99 ;;
esac
[ "$duration" -ge 10 ] || { echo "soak.sh: --duration must be at least 10" >&2; exit 99; }

PREFORK_HTTPD=${PREFORK_HTTPD:-$PWD/src/prefork-httpd}
if [ ! -x "$PREFORK_HTTPD" ]; then
	echo "soak.sh: PREFORK_HTTPD is not an executable: $PREFORK_HTTPD" >&2
	exit 99
fi
command -v python3 >/dev/null || { echo "soak.sh: python3 not found" >&2; exit 99; }
command -v curl >/dev/null || { echo "soak.sh: curl not found" >&2; exit 99; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/prefork-httpd-soak.XXXXXX")
pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid" 2>/dev/null
		sleep 1
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	fi
	if [ "${PH_KEEP:-0}" = 1 ]; then
		echo "soak: kept $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The site: files of known, varied content.
mkdir -p "$dir/www"
python3 - "$dir/www" <<'PY'
import os, random, sys
rng = random.Random(20240601)
sizes = {"empty.txt": 0, "one.txt": 1, "small.html": 117, "4k.bin": 4096,
         "odd.bin": 10007, "64k.bin": 65536, "300k.bin": 307200,
         "1m.bin": 1048576}
for name, n in sizes.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(n)))
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat >"$dir/server.yaml" <<YAML
listen: [127.0.0.1:$port]
workers: 4
root: www
pid_file: prefork-httpd.pid
timeouts: {header: 2s, body: 2s, keepalive: 2s, send: 5s, worker: 10s, graceful: 3s}
access_log: {path: "off"}
error_log: {path: stderr, level: warn}
health: {path: /healthz}
YAML

"$PREFORK_HTTPD" -c "$dir/server.yaml" >"$dir/stdout.log" 2>"$dir/stderr.log" &
pid=$!
up=no
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || break
	if [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ]; then
		up=yes
		break
	fi
	sleep 0.1
done
if [ "$up" != yes ]; then
	echo "soak: the server did not come up" >&2
	tail -n 20 "$dir/stderr.log" >&2
	exit 99
fi
sleep 1.2 # past the crash window of the first workers

python3 "$here/load.py" --master "$pid" --port "$port" --site "$dir/www" \
	--duration "$duration" --workers 4 --log "$dir/failures.log" \
	${clients:+--clients "$clients"}
status=$?

# Graceful stop: the master must exit 0 within the graceful timeout.
if kill -0 "$pid" 2>/dev/null; then
	kill -TERM "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "soak: FAIL: the master still runs 10 s after TERM"
		status=1
	else
		wait "$pid"
		rc=$?
		pid=
		echo "soak: TERM: the master exited with status $rc"
		[ "$rc" -eq 0 ] || status=1
	fi
else
	status=1
fi
if [ "$status" -ne 0 ]; then
	echo "# --- server stderr (last 30 lines) ---"
	tail -n 30 "$dir/stderr.log" | sed 's/^/# /'
	if [ -s "$dir/failures.log" ]; then
		echo "# --- connection failures (first 30) ---"
		head -n 30 "$dir/failures.log" | sed 's/^/# /'
	fi
fi
exit "$status"
