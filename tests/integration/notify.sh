#!/usr/bin/env bash
# notify.sh -- the master speaks the systemd notify protocol: READY=1 once
# started, RELOADING=1 then READY=1 around a HUP (also when the new file is
# invalid), STOPPING=1 on TERM.  A binary upgrade under NotifyAccess=main
# (the shipped unit): the listener records each sender's pid (SO_PASSCRED)
# and plays systemd's part, taking messages from the main process only and
# following its MAINPID=.  The new master must stay quiet until the old one
# hands it MAINPID, the old one must not be the main process when it exits
# after QUIT, and a rollback hands MAINPID back.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
sock=$PH_DIR/notify.sock
msgs=$PH_DIR/notify.log

# A datagram listener that writes each message on one line, after the pid
# of its sender as the kernel gives it (SCM_CREDENTIALS): "PID MSG"
# ('\n' in MSG -> '|').
python3 - "$sock" "$msgs" <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.settimeout(60)
with open(sys.argv[2], "a", buffering=1) as out:
    try:
        while True:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = 0
            for level, kind, cred in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", cred[:12])[0]
            text = data.decode("utf-8", "replace").replace("\n", "|")
            out.write("%d %s\n" % (pid, text))
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
# msg N: the text of message N; from N: its sender.
msg() { sed -n "${1}p" "$msgs" | cut -d' ' -f2-; }
from() { sed -n "${1}p" "$msgs" | cut -d' ' -f1; }

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
check "the first message is READY=1" test "$(msg 1)" = READY=1
check "... from the master ($(from 1))" test "$(from 1)" = "$PH_PID"

kill -HUP "$PH_PID"
check "two messages after HUP" wait_msgs 3
check "RELOADING=1 after HUP" test "$(msg 2)" = RELOADING=1
check "READY=1 when the new generation serves" test "$(msg 3)" = READY=1
grep -q 'generation 2 serving' "$PH_DIR/stderr.log"
check "the log says generation 2 serves" test $? = 0

# An invalid file: the old configuration stays, and the state is READY again.
printf 'listen: [127.0.0.1:%s]\nworkers: four\n' "$PH_PORT" >"$PH_DIR/server.yaml"
kill -HUP "$PH_PID"
check "two messages after a failed reload" wait_msgs 5
check "RELOADING=1 after the second HUP" test "$(msg 4)" = RELOADING=1
check "READY=1 after the failed reload" test "$(msg 5)" = READY=1
expect_status "$PH_URL/healthz" 200

ph_stop TERM
check "exit status 0 after TERM (got $PH_EXIT)" test "$PH_EXIT" = 0
check "STOPPING=1 after TERM" wait_msgs 6
check "the last message is STOPPING=1" test "$(msg 6)" = STOPPING=1
check "nothing else was sent" test "$(wc -l <"$msgs")" -eq 6
[ "$PH_FAILED" -eq 0 ] || sed 's/^/#   /' "$msgs"

# --- binary upgrade and rollback under NotifyAccess=main ----------------------------
#
# systemd takes a notification only from the service's main process (the
# master it started) and ignores the others, logging each; MAINPID=N from
# the main process makes N the main process; when the main process exits,
# the unit stops and everything left in it is killed.  `unit_view FROM`
# replays the log from line FROM on with the first master as the main
# process and prints "MAIN IGNORED": the main process now, and how many
# messages came from another process.

EXTRA_PIDS= # masters that are not our children, stopped at exit
stop_pid() { # PID: TERM, wait up to 10 s, KILL
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}
trap 'st=$?; for p in $EXTRA_PIDS; do stop_pid "$p"; done; kill "$listener" 2>/dev/null; (exit "$st"); ph_cleanup' EXIT
wait_gone() { # PID SECONDS (a zombie of ours counts as gone)
	for _ in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		grep -q ') Z ' "/proc/$1/stat" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_line LINE: up to 10 s until the log has the line "LINE".
wait_line() {
	for _ in $(seq 100); do
		grep -qxF "$1" "$msgs" && return 0
		sleep 0.1
	done
	return 1
}
unit_view() {
	awk -v main="$FIRST" -v from="$1" '
		NR > from {
			if ($1 != main) { ignored++; next }
			n = split($2, kv, "|")
			for (i = 1; i <= n; i++)
				if (kv[i] ~ /^MAINPID=/) main = substr(kv[i], 9)
		}
		END { print main, ignored + 0 }' "$msgs"
}
new_pid() { sed -n 's/^ok: new master pid \([0-9]*\).*/\1/p' <<<"$1"; }

from_line=$(wc -l <"$msgs")
export NOTIFY_SOCKET=$sock
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
pid_file: @DIR@/up.pid
root: www
timeouts: {graceful: 5s, drain_delay: 1s}
access_log: off
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
unset NOTIFY_SOCKET
FIRST=$PH_PID
OLD=$PH_PID
check "upgrade: the master says READY=1" wait_line "$OLD READY=1"

out=$("$PREFORK_HTTPD" -s upgrade -c "$PH_DIR/server.yaml" 2>&1)
NEW=$(new_pid "$out")
EXTRA_PIDS=$NEW
check "-s upgrade starts a new master ($out)" test -n "$NEW"
check "the old master hands MAINPID=$NEW over once the new one serves" \
	wait_line "$OLD MAINPID=$NEW"
read -r main ignored <<<"$(unit_view "$from_line")"
check "the unit follows the new master (main process: $main)" test "$main" = "$NEW"
check "nothing came from a master that was not the main process ($ignored ignored)" \
	test "$ignored" = 0
kill -HUP "$NEW"
check "the new master, now the main process, reports its reload" \
	wait_line "$NEW RELOADING=1"
check "... and READY=1" wait_line "$NEW READY=1"

# Rollback: WINCH and HUP to the old master (which stays quiet: it is not
# the main process), QUIT to the new one, which hands MAINPID back.
kill -WINCH "$OLD"
sleep 0.5
kill -HUP "$OLD"
sleep 1
kill -QUIT "$NEW"
check "rollback: the new master hands MAINPID=$OLD back" wait_line "$NEW MAINPID=$OLD"
check "rollback: the new master exits" wait_gone "$NEW" 10
read -r main ignored <<<"$(unit_view "$from_line")"
check "rollback: the unit follows the old master again (main process: $main)" \
	test "$main" = "$OLD"
check "rollback: nothing came from a master that was not the main process ($ignored ignored)" \
	test "$ignored" = 0
check "rollback: the leaving new master did not say STOPPING=1 (that would stop the unit)" \
	eval '! grep -qxF "$NEW STOPPING=1" "$msgs"'
expect_status "$PH_URL/healthz" 200
lines=$(wc -l <"$msgs")
kill -HUP "$OLD"
check "the old master, the main process again, reports its reload" wait_msgs $((lines + 2))
check "... RELOADING=1 from $OLD" test "$(msg $((lines + 1)))" = RELOADING=1 -a "$(from $((lines + 1)))" = "$OLD"

# Upgrade again, and this time QUIT the old master.
out=$("$PREFORK_HTTPD" -s upgrade -c "$PH_DIR/server.yaml" 2>&1)
NEWER=$(new_pid "$out")
EXTRA_PIDS=$NEWER
check "a second upgrade starts a new master ($out)" test -n "$NEWER"
check "the old master hands MAINPID=$NEWER over" wait_line "$OLD MAINPID=$NEWER"
kill -QUIT "$OLD"
check "QUIT: the old master exits" wait_gone "$OLD" 10
wait "$OLD" 2>/dev/null
PH_PID=
read -r main ignored <<<"$(unit_view "$from_line")"
check "when the old master has exited, the unit's main process is the new one ($main)" \
	test "$main" = "$NEWER"
check "the old master did not say STOPPING=1" \
	eval '! grep -qxF "$OLD STOPPING=1" "$msgs"'
expect_status "$PH_URL/healthz" 200
kill -TERM "$NEWER"
check "TERM to the new master: STOPPING=1 from it" wait_line "$NEWER STOPPING=1"
check "... and it exits" wait_gone "$NEWER" 10
EXTRA_PIDS=
read -r main ignored <<<"$(unit_view "$from_line")"
check "over the whole upgrade, nothing came from a master that was not the main process ($ignored ignored)" \
	test "$ignored" = 0
[ "$PH_FAILED" -eq 0 ] || sed -n "$((from_line + 1)),\$p" "$msgs" | sed 's/^/#   /'

kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
finish
