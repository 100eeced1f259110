#!/usr/bin/env bash
# pid1.sh -- the master as the first process (pid 1) of its pid namespace,
# as in a container: its workers stay up and serve, and TERM stops it
# gracefully with status 0.  (A child that took "parent is pid 1" for
# "the master is gone" exited at once, in a loop.)  Needs root for
# unshare --pid; skipped otherwise.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1; then
	echo "# SKIP: needs root and unshare (util-linux) for a pid namespace"
	exit 77
fi
if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
	echo "# SKIP: unshare --pid --fork --mount-proc does not work here"
	exit 77
fi

ph_setup
# ph_start runs $PREFORK_HTTPD: make that the server in a new pid
# namespace (--kill-child: it dies with unshare if the test is aborted).
real=$PREFORK_HTTPD
cat >"$PH_DIR/in-pidns.sh" <<EOF
#!/bin/sh
exec unshare --pid --fork --mount-proc --kill-child '$real' "\$@"
EOF
chmod +x "$PH_DIR/in-pidns.sh"
PREFORK_HTTPD=$PH_DIR/in-pidns.sh

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
timeouts: {drain_delay: 500ms, graceful: 5s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
UNSHARE=$PH_PID

# The server is unshare's only child; in its namespace it is pid 1.
server=$(cat "/proc/$UNSHARE/task/$UNSHARE/children" 2>/dev/null)
server=${server%% *}
nspid=$(awk '/^NSpid:/ {print $NF}' "/proc/${server:-0}/status" 2>/dev/null)
check "the master is pid 1 in its namespace (NSpid ${nspid:-none})" \
	test "${nspid:-}" = 1

ok=0
for i in $(seq 20); do
	code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$PH_URL/?n=$i" || true)
	[ "$code" = 200 ] && ok=$((ok + 1))
done
check "20 of 20 requests answered 200 (got $ok)" test "$ok" = 20

sleep 0.5
check "no worker exited on its own" \
	bash -c "! grep -q 'exited on its own' '$PH_DIR/stderr.log'"
check "the master started two workers and logs no restart" \
	grep -q 'started: 2 workers' "$PH_DIR/stderr.log"

# TERM to the master (pid 1 inside; its pid here from outside): a graceful
# stop, whose status unshare passes on.
t0=$(date +%s%N)
kill -TERM "$server"
for _ in $(seq 100); do
	kill -0 "$UNSHARE" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$UNSHARE" 2>/dev/null; then
	fail "the master exits within 10 s of TERM"
else
	wait "$UNSHARE" && rc=0 || rc=$?
	PH_PID=
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "the master exits 0 after TERM (status $rc, after $ms ms)" test "$rc" = 0
	check "the graceful stop was logged" grep -q 'graceful stop' "$PH_DIR/stderr.log"
fi
finish
