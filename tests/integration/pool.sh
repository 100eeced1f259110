#!/usr/bin/env bash
# pool.sh -- the worker pool under supervision: TTIN stops at max_workers
# and a reload asking for more runs max_workers with a warning;
# max_requests_per_worker recycles workers under load without a failed
# request; a worker that fails at start (worker_init) is restarted with a
# growing back-off while the master stays up; the watchdog kills a worker
# stuck on one request for longer than timeouts.worker.
# (supervise.sh covers kill -9 of a worker and TTIN/TTOU below the ceiling.)
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"

LOAD="python3 $(dirname "$0")/load.py"

# children PID: live children of PID, one a line.
children() {
	local pid
	for pid in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		grep -q ') Z ' "/proc/$pid/stat" 2>/dev/null || echo "$pid"
	done
}
count() { children "$MASTER" | grep -c . || true; }
wait_count() { # N SECONDS
	local i
	for i in $(seq $(($2 * 10))); do
		[ "$(count)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# log_since MARK: the server's stderr after line MARK.
log_since() { tail -n +$(($1 + 1)) "$PH_DIR/stderr.log"; }
log_lines() { wc -l <"$PH_DIR/stderr.log"; }

ph_setup

# --- the max_workers ceiling -----------------------------------------------------
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
max_workers: 3
root: www
timeouts: {graceful: 5s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
MASTER=$PH_PID
check "2 workers at start" wait_count 2 3
kill -TTIN "$MASTER"
check "TTIN: 3 workers" wait_count 3 3
kill -TTIN "$MASTER"
sleep 1
check "TTIN at max_workers 3: still 3 workers (have $(count))" test "$(count)" = 3
mark=$(log_lines)
# (max_workers >= workers is checked; the new max_workers is not applied)
sed -e 's/^workers: 2$/workers: 5/' -e 's/^max_workers: 3$/max_workers: 5/' \
	"$PH_DIR/server.yaml" >"$PH_DIR/five.yaml"
mv -f "$PH_DIR/five.yaml" "$PH_DIR/server.yaml"
kill -HUP "$MASTER"
sleep 1.5
check "a reload asking for 5 workers above max_workers 3 runs 3 (have $(count))" \
	wait_count 3 5
check "... and warns about it" \
	grep -q "workers 5 is above the max_workers fixed at start (3): running 3" \
	<<<"$(log_since "$mark")"
check "... and that a new max_workers waits for a restart" \
	grep -q "max_workers is fixed at start (3)" <<<"$(log_since "$mark")"
expect_status "$PH_URL/" 200
ph_stop TERM

# --- recycling: max_requests_per_worker 50, jitter 10, under load ------------------
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 3
max_requests_per_worker: 50
max_requests_jitter: 10
root: www
timeouts: {graceful: 5s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
MASTER=$PH_PID
wait_count 3 3
children "$MASTER" >"$PH_DIR/pids"
$LOAD --port "$PH_PORT" --seconds 4 --threads 4 --per-conn 20 \
	>"$PH_DIR/recycle.out" 2>&1 &
load=$!
while kill -0 "$load" 2>/dev/null; do
	children "$MASTER" >>"$PH_DIR/pids"
	sleep 0.05
done
wait "$load" && rc=0 || rc=$?
children "$MASTER" >>"$PH_DIR/pids"
requests=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$PH_DIR/recycle.out")
pids=$(sort -u "$PH_DIR/pids" | grep -c .)
asks=$(grep -o 'asking to be recycled after [0-9]* requests' "$PH_DIR/stderr.log" |
	awk '{ print $6 }' | sort -n | uniq -c | awk '{ printf "%s%sx%s", sep, $1, $2; sep = " " }')
recycled=$(grep -c 'recycling worker' "$PH_DIR/stderr.log" || true)
echo "# recycling: $(head -n1 "$PH_DIR/recycle.out")"
grep '^failure:' "$PH_DIR/recycle.out" | sed 's/^/# /'
echo "# $pids worker PIDs seen, $recycled recycles logged; asked after (count x requests): $asks"
check "recycling under load: 0 failed requests" test "$rc" = 0
check "... the load ran (>= 1000 requests, got ${requests:-0})" test "${requests:-0}" -ge 1000
check "... workers were recycled: at least 10 new PIDs (seen $pids in all)" test "$pids" -ge 13
check "... at least 10 recycles logged (got $recycled)" test "$recycled" -ge 10
grep -o 'asking to be recycled after [0-9]* requests' "$PH_DIR/stderr.log" |
	awk '{ print $6 }' >"$PH_DIR/asks"
check_lines "... each after 50 to 60 requests (asked: ${asks:-none})" "$PH_DIR/asks" 10 \
	'$1 >= 50 && $1 <= 60'
check "... still 3 workers afterwards" wait_count 3 5
ph_stop TERM

# --- a worker that fails at start: back-off ---------------------------------------
# Not ph_start: the server never gets a ready worker.
cat >"$PH_DIR/initfail.yaml" <<YAML
listen: [127.0.0.1:$(ph_free_port)]
workers: 2
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
routes:
  - prefix: /m/
    module: {path: $top_builddir/tests/modules/initfail.so}
YAML
: >"$PH_DIR/stderr.log"
"$PREFORK_HTTPD" -c "$PH_DIR/initfail.yaml" >"$PH_DIR/stdout.log" 2>"$PH_DIR/stderr.log" &
PH_PID=$!
MASTER=$PH_PID
sleep 3
spawns=$(grep -c 'worker_init failed' "$PH_DIR/stderr.log" || true)
delays=$(sed -n 's/.*next start in \([0-9]*\) ms.*/\1/p' "$PH_DIR/stderr.log" | tr '\n' ' ')
echo "# a worker failing at start, 3 s: $spawns spawn attempts; back-off delays (ms): $delays"
check "the master stays up" kill -0 "$MASTER"
check "workers were started and failed (got $spawns)" test "$spawns" -ge 2
check "the fork rate is bounded: fewer than 20 attempts in 3 s (got $spawns)" \
	test "$spawns" -lt 20
check "the master logs \"next start in N ms\"" test -n "$delays"
growing=$(awk '{ for (i = 2; i <= NF; i++) if ($i < $(i - 1)) { print "no"; exit } print (NF >= 3 && $NF > $1) ? "yes" : "no" }' <<<"$delays")
check "... with N growing (${delays:-none})" test "$growing" = yes
check "... starting at 100 ms" test "$(awk '{ print $1 }' <<<"$delays")" = 100
tr ' ' '\n' <<<"$delays" | grep . >"$PH_DIR/delays"
check_lines "... never above 10000 ms" "$PH_DIR/delays" 2 '$1 <= 10000'
ph_stop TERM
check "TERM stops it (status $PH_EXIT)" test "$PH_EXIT" = 0

# --- the watchdog -------------------------------------------------------------------
mkdir -p "$PH_DIR/cgi-bin"
cat >"$PH_DIR/cgi-bin/sleep10.sh" <<EOF
#!/bin/sh
echo \$\$ >"$PH_DIR/cgi.pid"
sleep 10
printf 'Content-Type: text/plain\r\n\r\nlate\n'
EOF
chmod 755 "$PH_DIR/cgi-bin/sleep10.sh"
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
timeouts: {worker: 2s, graceful: 5s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
routes:
  - prefix: /cgi-bin/
    cgi: {dir: cgi-bin, timeout: 30s}' || finish
MASTER=$PH_PID
sleep 1.2 # past the crash window of the first workers
mark=$(log_lines)
t0=${EPOCHREALTIME/[.,]/}
code=$(curl -s -m 15 -o /dev/null -w '%{http_code}' "$PH_URL/cgi-bin/sleep10.sh" 2>/dev/null) &&
	crc=0 || crc=$?
took=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
line=$(log_since "$mark" | grep 'killed after' | head -n 1)
echo "# watchdog: curl exit $crc, status ${code:-none}, after $took ms"
echo "# ${line:-no watchdog line}"
check "the client's connection closes after 2 to 4 s (took $took ms)" \
	test "$took" -ge 2000 -a "$took" -lt 4000
check "... without an answer (curl exit $crc: 52 empty reply or 56 reset)" \
	test "$crc" = 52 -o "$crc" = 56
check "the master logs \"killed after 2.x s in handler: GET /cgi-bin/sleep10.sh from 127.0.0.1\"" \
	grep -Eq 'killed after 2\.[0-9] ?s in handler: GET /cgi-bin/sleep10\.sh from 127\.0\.0\.1' <<<"$line"
expect_status "$PH_URL/" 200
check "2 workers again" wait_count 2 3
cgi=$(cat "$PH_DIR/cgi.pid" 2>/dev/null)
sleep 0.5
alive=no
[ -n "$cgi" ] && [ -r "/proc/$cgi/stat" ] && ! grep -q ') Z ' "/proc/$cgi/stat" && alive=yes
check "the stuck CGI script (pid ${cgi:-?}) does not outlive its worker (alive: $alive)" \
	test "$alive" = no
[ "$alive" = yes ] && kill -KILL -- "-$cgi" 2>/dev/null
check "the master is still running" kill -0 "$MASTER"
ph_stop TERM
check "TERM: status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0

finish
