#!/usr/bin/env bash
# errorlog.sh -- the error log under systemd and at a fast stop.
#
# When stderr is the journal's stream (JOURNAL_STREAM names its device and
# inode), every line starts with a syslog priority "<N>" (sd-daemon(3)) so
# that `journalctl -p warning` shows warnings and errors: <4> for a
# warning, <6> for info, from the master and the workers alike.  Without
# JOURNAL_STREAM, or when it names another file, lines have no prefix.
# A fast stop (INT) counts the workers that are running, not the slots.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CONF='listen: [127.0.0.1:@PORT@]
workers: 2
max_workers: 64
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}'

# kill_a_worker: SIGKILL one worker of the server (the master warns).
kill_a_worker() {
	local w
	w=$(cut -d' ' -f1 "/proc/$PH_PID/task/$PH_PID/children")
	kill -KILL "$w"
	for _ in $(seq 30); do
		grep -q "killed by signal 9" "$PH_DIR/stderr.log" && return 0
		sleep 0.1
	done
	return 1
}

# --- stderr is the journal's stream --------------------------------------------
ph_setup
: >"$PH_DIR/stderr.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$PH_DIR/stderr.log")
export JOURNAL_STREAM
ph_start "$CONF" || finish
kill_a_worker
raw_request 'GET /\x01 HTTP/1.1\r\n\r\n' >/dev/null # a worker logs the 400
ph_stop TERM
unset JOURNAL_STREAM
LOG=$PH_DIR/stderr.log
check "a warning line has the priority <4>" \
	grep -Eq '^<4>[0-9T:.-]+Z warn master\[[0-9]+\]: worker [0-9]+ \(pid [0-9]+\) killed by signal 9' "$LOG"
check "an info line has the priority <6>" grep -Eq '^<6>[0-9T:.-]+Z info master\[' "$LOG"
check "the workers' lines have it too" \
	grep -Eq '^<6>[0-9T:.-]+Z info worker [0-9]+\[[0-9]+\]: client 127\.0\.0\.1: 400 ' "$LOG"
check "every line has a priority ($(grep -c . "$LOG") lines)" \
	test "$(grep -c . "$LOG")" -gt 3 -a -z "$(grep -v '^<[0-7]>' "$LOG")"
mv "$LOG" "$PH_DIR/journal.log"

# --- JOURNAL_STREAM names another file: no prefix --------------------------------
: >"$PH_DIR/other"
JOURNAL_STREAM=$(stat -c '%d:%i' "$PH_DIR/other")
export JOURNAL_STREAM
ph_start "$CONF" || finish
kill_a_worker
# --- a fast stop counts the running workers ------------------------------------
for _ in $(seq 50); do # the replacement starts after a short back-off
	[ "$(wc -w <"/proc/$PH_PID/task/$PH_PID/children")" = 2 ] && break
	sleep 0.1
done
ph_stop INT
unset JOURNAL_STREAM
check "another stream: no priority prefix" test -z "$(grep '^<' "$LOG")"
check "... and the warning is there" grep -q 'warn master\[[0-9]*\]: worker' "$LOG"
check "fast stop: 'killing 2 workers' with 2 running of 64 slots" \
	grep -q 'info master\[[0-9]*\]: fast stop: killing 2 workers$' "$LOG"

finish
