#!/usr/bin/env bash
# upgrade.sh -- binary upgrade without losing a request: `-s upgrade` starts
# the binary on disk as a new master on the same sockets (the pid file moves
# to .oldbin), QUIT of the old master leaves the new one serving; rollback:
# WINCH stops the old master's workers, HUP brings them back, QUIT of the
# new master leaves the old one serving.  While the old master stops after
# QUIT, /healthz answers 200 throughout (polled every 20 ms): it does not
# announce a drain (drain_delay is set) since the new master serves the same
# sockets.  Socket activation: a listener handed over by
# systemd-socket-activate (LISTEN_FDS) is used, not bound.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"

LOAD="python3 $(dirname "$0")/load.py"
EXTRA_PIDS= # masters that are not our children, stopped at exit

stop_pid() { # PID: TERM, wait up to 10 s, KILL
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}
cleanup_extra() {
	local pid
	for pid in $EXTRA_PIDS; do
		stop_pid "$pid"
	done
}
trap 'cleanup_extra; ph_cleanup' EXIT

ph_setup
# A copy of the binary that the test can replace on disk.
cp "$PREFORK_HTTPD" "$PH_DIR/prefork-httpd"
PREFORK_HTTPD=$PH_DIR/prefork-httpd
PID_FILE=$PH_DIR/server.pid

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
pid_file: @DIR@/server.pid
root: www
timeouts: {graceful: 5s, drain_delay: 2s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
OLD=$PH_PID

# workers_of PID [EXCEPT]: live children of PID (less EXCEPT), one a line.
workers_of() {
	local pid
	for pid in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		[ "$pid" = "${2:-}" ] && continue
		grep -q ') Z ' "/proc/$pid/stat" 2>/dev/null || echo "$pid"
	done
}
count_of() { workers_of "$@" | grep -c . || true; }
wait_count() { # N SECONDS PID [EXCEPT]
	local i
	for i in $(seq $(($2 * 10))); do
		[ "$(count_of "$3" "${4:-}")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
pid_in() { cat "$1" 2>/dev/null | tr -d '\n'; }
# wait_pid_file FILE: until FILE holds a pid other than $2 (up to 5 s).
wait_pid_file() {
	local i p
	for i in $(seq 50); do
		p=$(pid_in "$1")
		[ -n "$p" ] && [ "$p" != "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_gone() { # PID SECONDS
	local i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		# a zombie of ours counts as gone
		grep -q ') Z ' "/proc/$1/stat" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
wait_file() {
	local i
	for i in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
start_load() { # NAME SECONDS
	$LOAD --port "$PH_PORT" --seconds "$2" --threads 4 \
		--ready "$PH_DIR/$1.ready" >"$PH_DIR/$1.out" 2>&1 &
	LOADPID=$!
	wait_file "$PH_DIR/$1.ready"
}
end_load() { # NAME: wait for it and check the figures
	local rc
	wait "$LOADPID" && rc=0 || rc=$?
	echo "# $1: $(head -n1 "$PH_DIR/$1.out")"
	grep '^failure:' "$PH_DIR/$1.out" | sed 's/^/# /'
	check "$1: 0 failed requests" test "$rc" = 0
	check "$1: the load ran (at least 500 requests)" \
		test "$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$PH_DIR/$1.out")" -ge 500
}

wait_count 2 5 "$OLD"
old_workers=$(workers_of "$OLD")
check "the pid file names the first master" test "$(pid_in "$PID_FILE")" = "$OLD"

# --- upgrade, then QUIT the old master ------------------------------------------
# A new build lands on disk (a new inode, as `make install` does).
cp "$PREFORK_HTTPD" "$PH_DIR/prefork-httpd.new"
mv -f "$PH_DIR/prefork-httpd.new" "$PREFORK_HTTPD"
start_load upgrade 6
out=$("$PREFORK_HTTPD" -s upgrade -c "$PH_DIR/server.yaml" 2>&1) && rc=0 || rc=$?
echo "# -s upgrade: exit $rc, said: $out"
check "-s upgrade exits 0" test "$rc" = 0
check "the pid file names a new master" wait_pid_file "$PID_FILE" "$OLD"
NEW=$(pid_in "$PID_FILE")
EXTRA_PIDS="$NEW"
check "the old pid file is $PID_FILE.oldbin with the old pid" \
	test "$(pid_in "$PID_FILE.oldbin")" = "$OLD"
check "the new master ($NEW) is a child of the old one" \
	grep -q "^PPid:[[:space:]]*$OLD\$" "/proc/$NEW/status"
check "the new master runs the binary now on disk" \
	test "$(readlink "/proc/$NEW/exe")" = "$PREFORK_HTTPD"
check "the old master still runs the replaced one ($(readlink "/proc/$OLD/exe"))" \
	grep -q deleted <<<"$(readlink "/proc/$OLD/exe")"
check "the new master starts 2 workers" wait_count 2 5 "$NEW"
check "the old master keeps its workers meanwhile" \
	test "$(workers_of "$OLD" "$NEW")" = "$old_workers"
sleep 1
# /healthz every 20 ms on a new connection each time (any worker of either
# master may take it), from before the QUIT until after the old master is
# gone: one code per line.
python3 - "$PH_PORT" "$PH_DIR/health.ready" "$PH_DIR/health.stop" \
	>"$PH_DIR/health.codes" <<'PY' &
import http.client, os, sys, time
port, ready, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
deadline = time.time() + 30
while time.time() < deadline and not os.path.exists(stop):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/healthz")
        code = c.getresponse().status
        c.close()
    except OSError as e:
        code = "error:" + type(e).__name__
    print(code, flush=True)
    if not os.path.exists(ready):
        open(ready, "w").close()
    time.sleep(0.02)
PY
poller=$!
for _ in $(seq 300); do # python may take seconds to start on a busy machine
	[ -e "$PH_DIR/health.ready" ] && break
	sleep 0.05
done
check "the /healthz poller runs" test -e "$PH_DIR/health.ready"
sleep 0.3
quit_at=$(date +%s%N)
kill -QUIT "$OLD"
check "QUIT: the old master exits within 10 s" wait_gone "$OLD" 10
gone_ms=$((($(date +%s%N) - quit_at) / 1000000))
sleep 0.5
touch "$PH_DIR/health.stop"
wait "$poller"
wait "$OLD" && st=0 || st=$?
PH_PID=
check "... with status 0 (got $st)" test "$st" = 0
polls=$(grep -c . "$PH_DIR/health.codes")
others=$(grep -cvx 200 "$PH_DIR/health.codes")
echo "# /healthz while the old master stopped: $polls polls, $others not 200 ($(sort "$PH_DIR/health.codes" | uniq -c | tr -s ' \n' ' ')); it was gone $gone_ms ms after QUIT"
check "/healthz was polled while the old master stopped ($polls times)" test "$polls" -ge 20
check "/healthz answered 200 throughout ($others other answers)" test "$others" = 0
check "the old master did not wait out drain_delay (gone after $gone_ms ms < 2000)" \
	test "$gone_ms" -lt 2000
end_load upgrade
check "the new master serves" test "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$PH_URL/")" = 200
check "the pid file names the new master" test "$(pid_in "$PID_FILE")" = "$NEW"
check "the .oldbin pid file is gone" test ! -e "$PID_FILE.oldbin"
check "the new master has 2 workers" test "$(count_of "$NEW")" = 2
grep -q "using inherited listener 127.0.0.1:$PH_PORT" "$PH_DIR/stderr.log"
check "the new master logged that it took the listener over" test $? = 0

# --- rollback: upgrade again, WINCH and HUP the old, QUIT the new ----------------
new_workers=$(workers_of "$NEW")
start_load rollback 8
out=$("$PREFORK_HTTPD" -s upgrade -c "$PH_DIR/server.yaml" 2>&1) && rc=0 || rc=$?
check "second -s upgrade exits 0 ($out)" test "$rc" = 0
check "the pid file names a third master" wait_pid_file "$PID_FILE" "$NEW"
NEWER=$(pid_in "$PID_FILE")
EXTRA_PIDS="$NEW $NEWER"
check "the third master starts 2 workers" wait_count 2 5 "$NEWER"
kill -WINCH "$NEW"
check "WINCH: the previous master's workers stop within 6 s" wait_count 0 6 "$NEW" "$NEWER"
check "WINCH: the previous master stays" kill -0 "$NEW"
check "while its workers are stopped, the third master serves" \
	test "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$PH_URL/")" = 200
kill -HUP "$NEW"
check "HUP: its workers come back (2 within 5 s)" wait_count 2 5 "$NEW" "$NEWER"
check "... new processes" eval '! grep -qxF "$new_workers" <<<"$(workers_of "$NEW" "$NEWER")"'
kill -QUIT "$NEWER"
check "QUIT of the third master: it exits within 10 s" wait_gone "$NEWER" 10
sleep 0.3
check "the rollback is logged at info level, not as an error" \
	grep -q "Z info master\[$NEW\]: upgrade rolled back: the new master (pid $NEWER) exited with status 0; this master goes on" "$PH_DIR/stderr.log"
check "... with no error line about the upgrade" \
	test -z "$(grep "error master\[$NEW\]: upgrade" "$PH_DIR/stderr.log")"
EXTRA_PIDS=$NEW
end_load rollback
check "after the rollback the previous master serves" \
	test "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$PH_URL/")" = 200
check "it still has 2 workers" test "$(count_of "$NEW")" = 2
check "the pid file names it again" wait_pid_file "$PID_FILE" "$NEWER"
check "... as $NEW (got $(pid_in "$PID_FILE"))" test "$(pid_in "$PID_FILE")" = "$NEW"
check "the .oldbin pid file is gone" test ! -e "$PID_FILE.oldbin"
out=$("$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" 2>&1) && rc=0 || rc=$?
check "its control socket answers again (-s reload: $out)" test "$rc" = 0
stop_pid "$NEW"
check "TERM: it stops" wait_gone "$NEW" 10
EXTRA_PIDS=

# --- socket activation -------------------------------------------------------------
PORT=$(ph_free_port)
cat >"$PH_DIR/activated.yaml" <<YAML
listen: [127.0.0.1:$PORT]
workers: 2
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
YAML
# PH_EMULATE_ACTIVATION=1 uses the python3 wrapper even where
# systemd-socket-activate is installed.
if [ "${PH_EMULATE_ACTIVATION:-0}" != 1 ] &&
	command -v systemd-socket-activate >/dev/null 2>&1; then
	how=systemd-socket-activate
	systemd-socket-activate -l "127.0.0.1:$PORT" \
		"$PREFORK_HTTPD" -c "$PH_DIR/activated.yaml" \
		>"$PH_DIR/act.out" 2>"$PH_DIR/act.err" &
else
	# The same hand-over: bind, put the socket at fd 3, LISTEN_FDS=1,
	# LISTEN_PID=own pid, exec (the pid stays).
	how="a python3 wrapper"
	python3 - "$PORT" "$PREFORK_HTTPD" "$PH_DIR/activated.yaml" \
		>"$PH_DIR/act.out" 2>"$PH_DIR/act.err" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execve(sys.argv[2], [sys.argv[2], "-c", sys.argv[3]], env)
PY
fi
PH_PID=$!
echo "# socket activation with $how (pid $PH_PID)"
code=
for _ in $(seq 50); do
	code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" || true)
	[ "$code" = 200 ] && break
	sleep 0.1
done
check "socket activation: the server answers on the handed-over socket ($code)" \
	test "$code" = 200
check "socket activation: it logged \"using inherited listener 127.0.0.1:$PORT\"" \
	grep -q "using inherited listener 127.0.0.1:$PORT" "$PH_DIR/act.err"
check "socket activation: it did not bind the address itself" \
	eval '! grep -q "bind" "$PH_DIR/act.err"'
check "socket activation: the listener is fd 3 of the master" \
	grep -q "socket:" <<<"$(readlink "/proc/$PH_PID/fd/3")"
ph_stop TERM
check "socket activation: TERM stops it with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
sed 's/^/# act: /' "$PH_DIR/act.err" | tail -n 5

finish
