#!/usr/bin/env bash
# reload.sh -- reloads under load: 20 SIGHUPs during 10 s of keep-alive and
# connection-per-request load lose no request and refuse no connection, and
# each new configuration is in effect (a route header changes every time);
# an invalid file on HUP is refused with FILE:LINE:COL errors while the old
# configuration goes on serving; `-s reload` answers synchronously (0 and
# "ok" when the new generation serves, 1 and every error otherwise); 200
# reloads in a row leave the master's descriptor count and RSS where they
# were.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"

LOAD="python3 $(dirname "$0")/load.py"

# config VALUE [WORKERS]: a configuration whose answers carry X-Gen: VALUE.
config() {
	cat <<YAML
listen: [127.0.0.1:${PH_PORT:-@PORT@}]
workers: ${2:-4}
pid_file: $PH_DIR/server.pid
root: www
timeouts: {graceful: 5s, keepalive: 5s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
routes:
  - prefix: /
    static: {root: www}
    headers: {X-Gen: "$1"}
YAML
}
# put VALUE [WORKERS]: replace server.yaml in one rename.
put() {
	config "$@" >"$PH_DIR/server.yaml.tmp"
	mv -f "$PH_DIR/server.yaml.tmp" "$PH_DIR/server.yaml"
}
gen_header() {
	curl -sS -m 5 -o /dev/null -D - "$PH_URL/" 2>>"$PH_DIR/curl.err" |
		sed -n 's/^X-Gen: *//Ip' | tr -d '\r'
}
# wait_gen VALUE SECONDS: until / answers with X-Gen: VALUE.
wait_gen() {
	local i
	for i in $(seq $(($2 * 50))); do
		[ "$(gen_header)" = "$1" ] && return 0
		sleep 0.02
	done
	return 1
}
# the master's children that are not zombies
children() {
	local pid n=0
	for pid in $(cat "/proc/$MASTER/task/$MASTER/children" 2>/dev/null); do
		grep -q ') Z ' "/proc/$pid/stat" 2>/dev/null || n=$((n + 1))
	done
	echo "$n"
}
fds() { find "/proc/$MASTER/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$MASTER/status"; }
# settle N: wait (up to 10 s) until the master has exactly N children and
# has logged that the older generations are gone.
settle() {
	local i
	for i in $(seq 100); do
		[ "$(children)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

ph_setup
ph_start "$(config g0)" || finish # PH_PORT is empty: @PORT@, filled in
MASTER=$PH_PID
check "the first configuration serves X-Gen: g0" test "$(gen_header)" = g0

# --- 20 HUPs, every 0.5 s, under load ------------------------------------------
# The load runs 12 s; HUP number i goes i * 0.5 s after the start (or as
# soon as the previous one was seen in effect), each with a new X-Gen value.
# After each HUP a request of our own looks for the new value; the load
# records what it was served.
$LOAD --port "$PH_PORT" --seconds 12 --threads 4 --header X-Gen \
	--out "$PH_DIR/load1.rec" --ready "$PH_DIR/load1.ready" \
	>"$PH_DIR/load1.out" 2>&1 &
load=$!
wait_file() { # FILE: up to 5 s
	local i
	for i in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
check "the load starts" wait_file "$PH_DIR/load1.ready"
ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
t0=$(ms)
seen=0
missed=
for i in $(seq 20); do
	while [ $(($(ms) - t0)) -lt $((i * 500)) ]; do
		sleep 0.01
	done
	put "g$i"
	kill -HUP "$MASTER"
	sent=$(ms)
	got=
	while [ $(($(ms) - sent)) -lt 1500 ]; do
		got=$(gen_header)
		[ "$got" = "g$i" ] && break
		sleep 0.02
	done
	if [ "$got" = "g$i" ]; then
		seen=$((seen + 1))
	else
		missed="$missed g$i(got:${got:-none})"
	fi
done
elapsed=$(($(ms) - t0))
wait "$load" && lrc=0 || lrc=$?
echo "# 20 HUPs in $elapsed ms under load: $(head -n1 "$PH_DIR/load1.out")"
echo "# load was served: $(grep '^values=' "$PH_DIR/load1.out")"
grep '^failure:' "$PH_DIR/load1.out" | sed 's/^/# /'
echo "# a request after each HUP saw its new value within 1.5 s for $seen of 20${missed:+; not for:$missed}"
check "the 20 HUPs took at most 13 s (took $elapsed ms)" test "$elapsed" -le 13000
vals=$(sed -n 's/^values=//p' "$PH_DIR/load1.out" | tr ',' '\n')
absent=
for i in $(seq 20); do
	grep -qx "g$i" <<<"$vals" || absent="$absent g$i"
done
check "every one of the 20 configurations served part of the load (absent:${absent:- none})" \
	test -z "$absent"
check "after each HUP, before the next, a request saw the new configuration (got $seen of 20)" \
	test "$seen" = 20
last=$(awk '$3 != "-" { v = $3 } END { print v }' "$PH_DIR/load1.rec")
check "the last answers of the load came from g20 (got $last)" test "$last" = g20
check "0 failed requests during the 20 reloads" test "$lrc" = 0
check "0 refused connections" grep -q ' refused=0 ' "$PH_DIR/load1.out"
served=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$PH_DIR/load1.out")
check "the load ran (at least 1000 requests, got ${served:-0})" \
	test "${served:-0}" -ge 1000
check "the master is still running" kill -0 "$MASTER"
check "all old generations retire: 4 workers left within 10 s (have $(children))" settle 4

# --- an invalid file on HUP, under load -----------------------------------------
cat >"$PH_DIR/server.yaml" <<YAML
listen: [127.0.0.1:$PH_PORT]
workers: lots
pid_file: $PH_DIR/server.pid
root: www
colour: blue
YAML
lines_before=$(wc -l <"$PH_DIR/stderr.log")
$LOAD --port "$PH_PORT" --seconds 3 --threads 4 --header X-Gen \
	--ready "$PH_DIR/load2.ready" >"$PH_DIR/load2.out" 2>&1 &
load=$!
wait_file "$PH_DIR/load2.ready"
sleep 0.5
kill -HUP "$MASTER"
wait "$load" && lrc=0 || lrc=$?
new_log=$(tail -n +$((lines_before + 1)) "$PH_DIR/stderr.log")
echo "# invalid HUP under load: $(head -n1 "$PH_DIR/load2.out")"
check "invalid HUP: the workers error is logged as FILE:2:10" \
	grep -q "server.yaml:2:10: .*workers" <<<"$new_log"
check "invalid HUP: the unknown key is logged as FILE:5:1" \
	grep -q "server.yaml:5:1: .*colour" <<<"$new_log"
check "invalid HUP: 0 failed requests" test "$lrc" = 0
check "invalid HUP: only the old configuration answered (g20)" \
	test "$(sed -n 's/^values=//p' "$PH_DIR/load2.out")" = g20
check "invalid HUP: the master is still running" kill -0 "$MASTER"
check "invalid HUP: the old configuration still serves" test "$(gen_header)" = g20

# --- prefork-httpd -s reload ---------------------------------------------------------
put s1
out=$("$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" 2>&1) && rc=0 || rc=$?
now=$(gen_header) # the very next request
echo "# -s reload (good): exit $rc, said: $out"
check "-s reload with a good file exits 0 (got $rc)" test "$rc" = 0
check "-s reload prints ok" grep -q '^ok' <<<"$out"
check "the request right after -s reload returned sees the new configuration (got '$now')" \
	test "$now" = s1

cat >"$PH_DIR/server.yaml" <<YAML
listen: [127.0.0.1:$PH_PORT]
workers: four
pid_file: $PH_DIR/server.pid
root: www
timeouts: {header: soon}
colour: blue
YAML
out=$("$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" 2>"$PH_DIR/bad.err") && rc=0 || rc=$?
echo "# -s reload (bad): exit $rc, stderr:"
sed 's/^/#   /' "$PH_DIR/bad.err"
check "-s reload with a bad file exits 1 (got $rc)" test "$rc" = 1
check "... prints the workers error (FILE:2:10)" grep -q 'server.yaml:2:10: ' "$PH_DIR/bad.err"
check "... prints the timeouts.header error (FILE:5:20)" grep -q 'server.yaml:5:20: ' "$PH_DIR/bad.err"
check "... prints the unknown key (FILE:6:1)" grep -q 'server.yaml:6:1: .*colour' "$PH_DIR/bad.err"
check "... and the old configuration still serves (s1)" test "$(gen_header)" = s1

# --- 200 reloads: the master does not grow ----------------------------------------
put r0 2
"$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" >/dev/null 2>&1
for i in $(seq 10); do # warm up: allocator arenas, the mime table, ...
	put "w$i" 2
	"$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" >/dev/null 2>&1
done
settle 2
sleep 0.3
fd0=$(fds)
rss0=$(rss)
fails=0
start=$(date +%s%N)
for i in $(seq 200); do
	put "r$i" 2
	"$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" >"$PH_DIR/r.out" 2>&1 ||
		{ fails=$((fails + 1)); sed 's/^/# /' "$PH_DIR/r.out"; }
done
ms=$((($(date +%s%N) - start) / 1000000))
settle 2
sleep 0.3
fd1=$(fds)
rss1=$(rss)
echo "# 200 reloads in $ms ms ($((ms / 200)) ms each), $fails failed"
echo "# master fds: $fd0 before, $fd1 after; VmRSS: $rss0 kB before, $rss1 kB after"
check "200 reloads all answered ok (failed: $fails)" test "$fails" = 0
check "after 200 reloads the last configuration serves" test "$(gen_header)" = r200
check "the master's fd count did not grow ($fd0 -> $fd1)" test "$fd1" -le "$fd0"
# AddressSanitizer keeps freed memory in quarantine, so RSS says nothing
# about leaks there (LeakSanitizer checks them at exit instead).
if "$PREFORK_HTTPD" -V | grep -q 'sanitizers=yes'; then
	skip "the master's RSS grew by at most 256 kB ($rss0 -> $rss1 kB)" \
		"sanitizer build: the allocator's quarantine holds freed memory"
else
	check "the master's RSS grew by at most 256 kB ($rss0 -> $rss1 kB)" \
		test "$rss1" -le $((rss0 + 256))
fi
check "2 workers at the end (have $(children))" test "$(children)" = 2

ph_stop TERM
check "TERM: exit status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
finish
