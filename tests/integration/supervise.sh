#!/usr/bin/env bash
# supervise.sh -- the master replaces a killed worker, reloads a changed
# configuration on HUP, keeps the old one when the new one is invalid,
# resizes the pool on TTIN/TTOU and stops cleanly on TERM.
# shellcheck source=tests/integration/lib.sh disable=SC2016,SC2001,SC2317,SC2013
. "$(dirname "$0")/lib.sh"

ph_setup
printf 'generation one\n' >"$PH_DIR/www/index.html"
mkdir -p "$PH_DIR/www2"
printf 'generation two\n' >"$PH_DIR/www2/index.html"

config() { # ROOT HEALTH_PATH
	cat <<YAML
listen: [127.0.0.1:$PH_PORT]
workers: 2
root: $1
index: [index.html]
timeouts: {graceful: 5s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: $2}
YAML
}

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
index: [index.html]
timeouts: {graceful: 5s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
MASTER=$PH_PID

# workers: the live (not zombie) children of the master, sorted, one a line.
workers() {
	python3 - "$MASTER" <<'PY'
import os, sys
master = sys.argv[1]
out = []
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open("/proc/%s/stat" % d) as f:
            st = f.read()
    except OSError:
        continue
    fields = st[st.rindex(")") + 2:].split()
    if fields[1] == master and fields[0] != "Z":
        out.append(int(d))
print("\n".join(str(p) for p in sorted(out)))
PY
}
count() { workers | grep -c . || true; }
# wait_count N SECONDS: wait until the master has N workers.
wait_count() {
	for _ in $(seq $(($2 * 10))); do
		[ "$(count)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
body() { curl -s -m 5 "$PH_URL/" || true; }
all_workers=$PH_DIR/all-workers
note_workers() { workers >>"$all_workers"; }

sleep 1.2 # past the crash window, so a replacement is not delayed
before=$(workers)
note_workers
check "2 workers at start (got $(wc -w <<<"$before"))" test "$(wc -w <<<"$before")" = 2

# --- kill -9 one worker --------------------------------------------------------
victim=$(head -n1 <<<"$before")
survivor=$(tail -n1 <<<"$before")
kill -KILL "$victim"
# 50 sequential requests while the worker is being replaced and after.
(
	for _ in $(seq 50); do
		curl -s -m 5 -o /dev/null -w '%{http_code}\n' "$PH_URL/" || echo 000
	done
) >"$PH_DIR/codes" &
loop=$!
replaced=no
for _ in $(seq 20); do
	now=$(workers)
	if ! grep -qx "$victim" <<<"$now" && [ "$(wc -w <<<"$now")" = 2 ]; then
		replaced=yes
		break
	fi
	sleep 0.1
done
after=$(workers)
note_workers
check "a killed worker is replaced within 2 s" test "$replaced" = yes
check "the killed worker ($victim) is gone" eval '! grep -qx "$victim" <<<"$after"'
check "the other worker ($survivor) is untouched" grep -qx "$survivor" <<<"$after"
check "the count is back to 2 (got $(wc -w <<<"$after"))" test "$(wc -w <<<"$after")" = 2
wait "$loop"
ok=$(grep -c '^200$' "$PH_DIR/codes" || true)
check "50 requests during and after the replacement all answer 200 (got $ok)" \
	test "$ok" = 50
check "the master logged the dead worker" grep -qi 'signal\|killed' "$PH_DIR/stderr.log"
check "the master is still running" kill -0 "$MASTER"

# --- HUP with a changed configuration -----------------------------------------
check "before reload: / serves generation one" test "$(body)" = "generation one"
old=$(workers)
config www2 /health2 >"$PH_DIR/server.yaml"
kill -HUP "$MASTER"
switched=no
for _ in $(seq 50); do
	if [ "$(body)" = "generation two" ]; then
		switched=yes
		break
	fi
	sleep 0.1
done
check "HUP with a new root: / serves generation two within 5 s" test "$switched" = yes
expect_status "$PH_URL/health2" 200
expect_status "$PH_URL/healthz" 404
gone=no
for _ in $(seq 60); do
	now=$(workers)
	if [ "$(wc -w <<<"$now")" = 2 ] && ! grep -qxF "$old" <<<"$now"; then
		gone=yes
		break
	fi
	sleep 0.1
done
note_workers
check "after the reload: 2 new workers, the old ones gone" test "$gone" = yes
ok=0
for _ in $(seq 20); do
	[ "$(body)" = "generation two" ] && ok=$((ok + 1))
done
check "20 requests after the reload all serve generation two (got $ok)" test "$ok" = 20

# --- HUP with an invalid configuration -----------------------------------------
kept=$(workers)
cat >"$PH_DIR/server.yaml" <<YAML
listen: [127.0.0.1:$PH_PORT]
workers: lots
root: www
health: {path: /healthz}
colour: blue
YAML
kill -HUP "$MASTER"
logged=no
for _ in $(seq 30); do
	if grep -q "server.yaml:2:10: " "$PH_DIR/stderr.log"; then
		logged=yes
		break
	fi
	sleep 0.1
done
sleep 0.3
check "HUP with an invalid file logs the workers error as FILE:2:10" test "$logged" = yes
check "... and the unknown key as FILE:5:1" grep -q "server.yaml:5:1: .*colour" "$PH_DIR/stderr.log"
check "the master survives an invalid reload" kill -0 "$MASTER"
check "the old configuration still serves (generation two)" test "$(body)" = "generation two"
expect_status "$PH_URL/health2" 200
check "the workers are unchanged" test "$(workers)" = "$kept"
config www2 /health2 >"$PH_DIR/server.yaml"

# --- TTIN / TTOU -----------------------------------------------------------------
kill -TTIN "$MASTER"
check "TTIN: 3 workers within 3 s" wait_count 3 3
note_workers
kill -TTOU "$MASTER"
check "TTOU: 2 workers within 6 s" wait_count 2 6
kill -TTOU "$MASTER"
check "TTOU again: 1 worker within 6 s" wait_count 1 6
check "1 worker still serves" test "$(body)" = "generation two"
kill -TTIN "$MASTER"
check "TTIN: back to 2 workers within 3 s" wait_count 2 3
note_workers

# --- TERM ---------------------------------------------------------------------------
ph_stop TERM
check "TERM: the master exits with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
left=
for pid in $(sort -un "$all_workers"); do
	# A worker still alive keeps its command line; a reused PID would not.
	if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -q prefork-httpd; then
		left="$left $pid"
	fi
done
check "TERM: no worker process remains (of $(sort -un "$all_workers" | grep -c .) seen; left:${left:- none})" \
	test -s "$all_workers" -a -z "$left"
check "TERM: the port is closed" \
	eval '! curl -s -m 2 -o /dev/null "$PH_URL/"'

# --- workers die with their master ----------------------------------------------
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
MASTER=$PH_PID
orphans=$(workers)
check "2 workers under the new master" test "$(wc -w <<<"$orphans")" = 2
kill -KILL "$MASTER"
wait "$MASTER" 2>/dev/null || true
PH_PID=
left=$orphans
for _ in $(seq 20); do
	left=
	for pid in $orphans; do
		if [ -r "/proc/$pid/stat" ] &&
			! grep -q ') Z ' "/proc/$pid/stat" 2>/dev/null; then
			left="$left $pid"
		fi
	done
	[ -z "$left" ] && break
	sleep 0.1
done
check "KILL of the master: its workers ($(echo $orphans)) exit within 2 s (left:${left:- none})" \
	test -n "$orphans" -a -z "$left"
check "KILL of the master: the port is closed" \
	eval '! curl -s -m 2 -o /dev/null "$PH_URL/"'

finish
