#!/usr/bin/env bash
# control.sh -- `prefork-httpd -s VERB` reads only the pid_file of the
# configuration (it has a default: prefork-httpd.pid next to the file), so
# that every verb reaches the master whatever else is wrong in the file:
# logrotate's `-s reopen` works while the file has an error, and `-s reload`
# of a broken file is refused by the master itself, like HUP (logged,
# counted as a failed reload, its FILE:LINE:COL errors printed by -s).
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"

ph_setup
mkdir "$PH_DIR/logs"
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: {path: @DIR@/logs/access.log}
error_log: {path: stderr, level: info}
health: {path: /healthz}
status: {path: /server-status}' || finish
conf=$PH_DIR/server.yaml

# run VERB: prefork-httpd -s VERB -c $conf; sets RC, OUT (stdout), ERR.
run() {
	"$PREFORK_HTTPD" -s "$1" -c "$conf" >"$PH_DIR/out" 2>"$PH_DIR/err" && RC=0 || RC=$?
	OUT=$(cat "$PH_DIR/out")
	ERR=$(cat "$PH_DIR/err")
	echo "# -s $1: exit $RC; stdout: ${OUT:-(none)}; stderr: ${ERR:-(none)}" | tr "\n" " "; echo
}
status_field() { # NAME: the value of "NAME: v" on the status page
	curl -s -m 5 "$PH_URL/server-status" | sed -n "s/^$1: //p"
}
wait_grep() { # PATTERN FILE SECONDS
	for _ in $(seq $(($3 * 10))); do
		grep -q "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# --- the default pid file -------------------------------------------------------
check "without pid_file, the master writes $PH_DIR/prefork-httpd.pid" \
	test "$(cat "$PH_DIR/prefork-httpd.pid" 2>/dev/null)" = "$PH_PID"
check "... and its control socket $PH_DIR/prefork-httpd.ctl" test -S "$PH_DIR/prefork-httpd.ctl"
run reload
check "-s reload with the sample-like file (no pid_file): exit 0" test "$RC" = 0

# --- an error elsewhere in the file --------------------------------------------------
sed -i 's/^workers: 2$/workers: two/' "$conf"
check "the file now has an error (-t exits 1)" \
	eval '! "$PREFORK_HTTPD" -t -c "$conf" >/dev/null 2>&1'

# logrotate: move the log aside, then -s reopen.
curl -s -m 5 -o /dev/null "$PH_URL/before-rotate"
wait_grep 'GET /before-rotate ' "$PH_DIR/logs/access.log" 5
mv "$PH_DIR/logs/access.log" "$PH_DIR/logs/access.log.1"
run reopen
check "-s reopen with an error elsewhere in the file: exit 0" test "$RC" = 0
check "... the master answers" grep -q '^ok' <<<"$OUT"
curl -s -m 5 -o /dev/null "$PH_URL/after-rotate"
check "... and the next request goes to the new access.log" \
	wait_grep 'GET /after-rotate ' "$PH_DIR/logs/access.log" 5

# -s reload reaches the master, which refuses the file as on HUP.
lines_before=$(wc -l <"$PH_DIR/stderr.log")
failed0=$(status_field FailedReloads)
run reload
check "-s reload of the broken file: exit 1" test "$RC" = 1
check "... printing the master's error, FILE:LINE:COL ($conf:2:10)" \
	grep -q "^$conf:2:10: workers: " <<<"$ERR"
check "... the master logged it" \
	wait_grep "$conf:2:10: workers: " <(tail -n +$((lines_before + 1)) "$PH_DIR/stderr.log") 1
check "... and counted a failed reload ($failed0 -> $(status_field FailedReloads))" \
	test "$(status_field FailedReloads)" = $((failed0 + 1))
kill -HUP "$PH_PID"
check "kill -HUP of the same file: one more failed reload" \
	wait_grep "^FailedReloads: $((failed0 + 2))\$" <(sleep 0.5; curl -s -m 5 "$PH_URL/server-status") 2
expect_status "$PH_URL/healthz" 200

# Broken YAML (no pid_file key): the default pid file still names the master.
printf 'root: [www\n' >>"$conf"
run reopen
check "-s reopen with a YAML syntax error in the file: exit 0" test "$RC" = 0
run reload
check "-s reload of it: exit 1 with the master's syntax error (FILE:LINE:COL)" \
	eval 'test "$RC" = 1 && grep -q "^$conf:[0-9]*:[0-9]*: " <<<"$ERR"'

# pid_file: off: -s cannot find a master, and says why.
printf 'listen: [127.0.0.1:1]\npid_file: off\n' >"$PH_DIR/off.yaml"
"$PREFORK_HTTPD" -s reopen -c "$PH_DIR/off.yaml" >/dev/null 2>"$PH_DIR/err" && RC=0 || RC=$?
check "-s with pid_file: off: exit 1 (got $RC)" test "$RC" = 1
check "... saying pid_file is off" grep -q 'pid_file: off' "$PH_DIR/err"

# -s quit with the broken file stops the master.
run quit
check "-s quit with the broken file: exit 0" test "$RC" = 0
gone=no
for _ in $(seq 100); do
	kill -0 "$PH_PID" 2>/dev/null || { gone=yes; break; }
	sleep 0.1
done
check "... the master exits within 10 s" test "$gone" = yes
ph_stop TERM # reaps it (or stops it when -s quit did not)
check "... with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
check "... removing its pid file" test ! -e "$PH_DIR/prefork-httpd.pid"
check "... and its control socket" test ! -e "$PH_DIR/prefork-httpd.ctl"

finish
