#!/usr/bin/env bash
# notify.sh -- the master speaks the systemd notify protocol: READY=1 once
# started, RELOADING=1 then READY=1 around a HUP (also when the new file is
# invalid), STOPPING=1 on TERM.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
sock=$PH_DIR/notify.sock
msgs=$PH_DIR/notify.log

# A datagram listener that writes each message on one line ('\n' -> '|').
python3 - "$sock" "$msgs" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a", buffering=1) as out:
    try:
        while True:
            data = s.recv(4096).decode("utf-8", "replace")
            out.write(data.replace("\n", "|") + "\n")
    except socket.timeout:
        pass
PY
listener=$!
trap 'st=$?; kill "$listener" 2>/dev/null; (exit "$st"); ph_cleanup' EXIT
for _ in $(seq 50); do
	[ -S "$sock" ] && break
	sleep 0.1
done
check "the listener is up" test -S "$sock"
: >>"$msgs"

# wait_msgs N: wait up to 10 s until the log has at least N lines.
wait_msgs() {
	for _ in $(seq 100); do
		[ "$(wc -l <"$msgs")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

config='listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: off
error_log: {path: stderr, level: info}
health: {path: /healthz}'

export NOTIFY_SOCKET=$sock
ph_start "$config" || finish
unset NOTIFY_SOCKET

check "READY=1 after start" wait_msgs 1
check "the first message is READY=1" test "$(sed -n 1p "$msgs")" = READY=1

kill -HUP "$PH_PID"
check "two messages after HUP" wait_msgs 3
check "RELOADING=1 after HUP" test "$(sed -n 2p "$msgs")" = RELOADING=1
check "READY=1 when the new generation serves" \
	test "$(sed -n 3p "$msgs")" = READY=1
grep -q 'generation 2 serving' "$PH_DIR/stderr.log"
check "the log says generation 2 serves" test $? = 0

# An invalid file: the old configuration stays, and the state is READY again.
printf 'listen: [127.0.0.1:%s]\nworkers: four\n' "$PH_PORT" >"$PH_DIR/server.yaml"
kill -HUP "$PH_PID"
check "two messages after a failed reload" wait_msgs 5
check "RELOADING=1 after the second HUP" test "$(sed -n 4p "$msgs")" = RELOADING=1
check "READY=1 after the failed reload" test "$(sed -n 5p "$msgs")" = READY=1
expect_status "$PH_URL/healthz" 200

ph_stop TERM
check "exit status 0 after TERM (got $PH_EXIT)" test "$PH_EXIT" = 0
check "STOPPING=1 after TERM" wait_msgs 6
check "the last message is STOPPING=1" test "$(sed -n 6p "$msgs")" = STOPPING=1
check "nothing else was sent" test "$(wc -l <"$msgs")" -eq 6
[ "$PH_FAILED" -eq 0 ] || sed 's/^/#   /' "$msgs"

kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
finish
