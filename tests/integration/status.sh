#!/usr/bin/env bash
# status.sh -- the status page (text, ?auto, ?json and HTML) and the
# Prometheus metrics on the worker listeners: headers, content, validity,
# counters that grow with traffic, the allow lists (403 from an address
# outside them), rates over the last seconds, and a worker's bytes growing
# while a long download is still going out.  The metrics text is checked
# with promcheck.py, a strict checker of the Prometheus text format 0.0.4
# and of what `promtool check metrics` lints (Debian's prometheus package,
# which ships promtool, is too large to install for this); promtool runs
# too when it is installed.  The HTML page in a real browser: browser.sh.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PROMCHECK="$(dirname "$0")/promcheck.py"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
status: {path: /server-status, allow: [127.0.0.1/32]}
metrics: {path: /metrics, allow: [127.0.0.1/32]}' || finish

# --- the status page, text --------------------------------------------------
headers=$PH_DIR/status.headers
text=$(curl -s -m 10 -D "$headers" "$PH_URL/server-status" || true)
check "status: 200" grep -q '^HTTP/1\.1 200' "$headers"
check "status: text/plain" grep -qi '^Content-Type: text/plain' "$headers"
check "status: Cache-Control: no-store" grep -qi '^Cache-Control: no-store' "$headers"
for key in Uptime Generation BusyWorkers IdleWorkers TotalRequests TotalBytes \
	Reloads FailedReloads Restarts ConnsTotal ConnsReading ConnsKeepAlive \
	ConnsQueued ConnsActive ConnsClosing; do
	check "status: has a $key line" grep -Eq "^$key: [0-9]+\$" <<<"$text"
done
check "status: generation 1" grep -qx 'Generation: 1' <<<"$text"
check "status: the scoreboard line" grep -Eq '^Scoreboard: [._SRWG]+$' <<<"$text"
check "status: this connection is counted as active" grep -qx 'ConnsActive: 1' <<<"$text"
rows=$(grep -Ec '^[0-9]+ [0-9]+ 1 (starting|idle|reading|writing|closing) ' <<<"$text" || true)
check "status: one row per worker (got $rows)" test "$rows" = 2
# The worker serving this request shows it, in state writing (the request
# line as recorded by the worker, with or without the version).
check "status: the request in hand is shown" \
	grep -Eq ' writing [0-9]+ [0-9]+ [0-9]+ [1-9][0-9]* [0-9]+\.[0-9]{3} 127\.0\.0\.1 GET /server-status( HTTP/1\.1)?$' <<<"$text"

# --- the status page, JSON ----------------------------------------------------
headers=$PH_DIR/json.headers
curl -s -m 10 -D "$headers" -o "$PH_DIR/status.json" "$PH_URL/server-status?json" || true
check "status?json: application/json" grep -qi '^Content-Type: application/json' "$headers"
check "status?json: valid JSON (json.tool)" python3 -m json.tool "$PH_DIR/status.json" /dev/null
check "status?json: fields and 2 slots" python3 - "$PH_DIR/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["generation"] == 1 and d["draining"] is False, d
assert d["workers"]["live"] == 2, d["workers"]
assert len(d["slots"]) == 2, d["slots"]
for s in d["slots"]:
    for k in ("slot", "pid", "generation", "state", "requests", "bytes",
              "connections", "request_seconds", "client", "request"):
        assert k in s, (k, s)
assert any(s["request"].startswith("GET /server-status?json") for s in d["slots"]), d["slots"]
PY
code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' -X POST "$PH_URL/server-status" || true)
check "status: POST is 405 (got $code)" test "$code" = 405
code=$(curl -s -o "$PH_DIR/head.body" -m 10 -w '%{http_code}' -I "$PH_URL/server-status" || true)
check "status: HEAD is 200 (got $code)" test "$code" = 200

# --- metrics --------------------------------------------------------------------
headers=$PH_DIR/metrics.headers
curl -s -m 10 -D "$headers" -o "$PH_DIR/before.prom" "$PH_URL/metrics" || true
check "metrics: Content-Type of format 0.0.4" \
	grep -qi '^Content-Type: text/plain; version=0\.0\.4; charset=utf-8' "$headers"
check "metrics: Cache-Control: no-store" grep -qi '^Cache-Control: no-store' "$headers"
if python3 "$PROMCHECK" selftest >"$PH_DIR/selftest.out"; then
	pass "promcheck.py catches each rule it checks ($(tail -n 1 "$PH_DIR/selftest.out"))"
else
	fail "promcheck.py catches each rule it checks" "$(cat "$PH_DIR/selftest.out")"
fi
if python3 "$PROMCHECK" check "$PH_DIR/before.prom" >"$PH_DIR/promcheck.out"; then
	pass "metrics: valid exposition format (promcheck.py)"
else
	fail "metrics: valid exposition format (promcheck.py)" "$(cat "$PH_DIR/promcheck.out")"
fi
if command -v promtool >/dev/null 2>&1; then
	if promtool check metrics <"$PH_DIR/before.prom" >"$PH_DIR/promtool.out" 2>&1; then
		pass "metrics: promtool check metrics is clean"
	else
		fail "metrics: promtool check metrics is clean" "$(cat "$PH_DIR/promtool.out")"
	fi
fi
for name in requests_total build_info sent_bytes_total \
	connections_accepted_total connections_handled_total \
	request_duration_seconds workers worker_restarts_total reloads_total \
	reload_failures_total head_timeouts_total idle_evictions_total \
	connections generation start_time_seconds listen_queue_depth \
	listen_queue_limit; do
	check "metrics: has prefork_httpd_$name" \
		grep -q "^# TYPE prefork_httpd_$name " "$PH_DIR/before.prom"
done
check "metrics: the old requests_by_method_total is gone" \
	test -z "$(grep requests_by_method "$PH_DIR/before.prom")"
check "metrics: build_info with the version" \
	grep -Eqx 'prefork_httpd_build_info\{version="[0-9][^"]*"\} 1' "$PH_DIR/before.prom"
for name in process_cpu_seconds_total process_resident_memory_bytes \
	process_open_fds process_start_time_seconds; do
	check "metrics: $name for the master and the workers" python3 - "$PH_DIR/before.prom" "$name" <<'PY'
import sys
want = {'%s{process="master"}' % sys.argv[2], '%s{process="workers"}' % sys.argv[2]}
got = {}
for line in open(sys.argv[1]):
    key, _, v = line.rstrip("\n").rpartition(" ")
    if key in want:
        got[key] = float(v)
print("# %r" % got)
cpu = sys.argv[2] == "process_cpu_seconds_total"  # may still be 0
sys.exit(0 if set(got) == want and all(v > 0 or (cpu and v == 0) for v in got.values()) else 1)
PY
done
master_rss=$(python3 "$PROMCHECK" value "$PH_DIR/before.prom" 'process_resident_memory_bytes{process="master"}' || echo 0)
proc_rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$PH_PID/status")
check "metrics: the master's resident memory is its VmRSS ($master_rss vs $proc_rss)" \
	python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if b > 0 and abs(a - b) <= 0.25 * b else 1)' "$master_rss" "$proc_rss"
master_fds=$(python3 "$PROMCHECK" value "$PH_DIR/before.prom" 'process_open_fds{process="master"}' || echo 0)
fds=$(find "/proc/$PH_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
check "metrics: the master's open fds ($master_fds vs $fds)" test "$master_fds" = "$fds"
check "metrics: the master's start time is its process start" python3 - "$PH_DIR/before.prom" <<'PY'
import sys, time
v = None
for line in open(sys.argv[1]):
    if line.startswith('process_start_time_seconds{process="master"} '):
        v = float(line.split()[-1])
print("# metric %r, now %f" % (v, time.time()))
sys.exit(0 if v is not None and time.time() - 600 < v <= time.time() + 1 else 1)
PY
check "metrics: the listener's queue limit is the backlog (511)" grep -qx \
	"prefork_httpd_listen_queue_limit{listener=\"127.0.0.1:$PH_PORT\"} 511" "$PH_DIR/before.prom"
check "metrics: 2 workers live" python3 - "$PH_DIR/before.prom" <<'PY'
import sys
n = 0
for line in open(sys.argv[1]):
    if line.startswith('prefork_httpd_workers{'):
        n += int(line.split()[-1])
sys.exit(0 if n == 2 else 1)
PY

for _ in $(seq 5); do
	curl -s -o /dev/null -m 10 "$PH_URL/" || true
done
curl -s -o /dev/null -m 10 "$PH_URL/missing" || true
curl -s -m 10 -o "$PH_DIR/after.prom" "$PH_URL/metrics" || true
check "metrics: still valid after traffic" python3 "$PROMCHECK" check "$PH_DIR/after.prom"
check "metrics: counters increase after requests" python3 "$PROMCHECK" increased \
	"$PH_DIR/before.prom" "$PH_DIR/after.prom" \
	'prefork_httpd_requests_total{method="GET",code_class="2xx"}' \
	'prefork_httpd_requests_total{method="GET",code_class="4xx"}' \
	prefork_httpd_sent_bytes_total \
	prefork_httpd_connections_accepted_total \
	prefork_httpd_connections_handled_total \
	prefork_httpd_request_duration_seconds_count
two=$(python3 "$PROMCHECK" value "$PH_DIR/after.prom" 'prefork_httpd_requests_total{method="GET",code_class="2xx"}' || echo 0)
before=$(python3 "$PROMCHECK" value "$PH_DIR/before.prom" 'prefork_httpd_requests_total{method="GET",code_class="2xx"}' || echo 0)
check "metrics: 2xx grew by at least 5 ($before -> $two)" test $((two - before)) -ge 5


# --- ?auto: what Apache's consumers read ---------------------------------------
headers=$PH_DIR/auto.headers
auto=$(curl -s -m 10 -D "$headers" "$PH_URL/server-status?auto" || true)
check "?auto: text/plain" grep -qi '^Content-Type: text/plain' "$headers"
for key in 'Total Accesses' 'Total kBytes' Uptime BusyWorkers IdleWorkers; do
	check "?auto: has '$key: N'" grep -Eq "^$key: [0-9]+\$" <<<"$auto"
done
for key in ReqPerSec BytesPerSec BytesPerReq; do
	check "?auto: has '$key: N.NNN'" grep -Eq "^$key: [0-9]+\.[0-9]{3}\$" <<<"$auto"
done
check "?auto: the scoreboard" grep -Eq '^Scoreboard: [._SRWG]+$' <<<"$auto"
check "?auto: no per-worker rows" test -z "$(grep -E '^[0-9]+ [0-9]+ ' <<<"$auto")"
accesses=$(sed -n 's/^Total Accesses: //p' <<<"$auto")
check "?auto: Total Accesses counts the requests so far (got $accesses)" test "${accesses:-0}" -ge 8

# --- nginx stub_status counters ---------------------------------------------------
text=$(curl -s -m 10 "$PH_URL/server-status" || true)
for key in AcceptedConns HandledConns ActiveConns Reading Writing Waiting; do
	check "status: has a $key line" grep -Eq "^$key: [0-9]+\$" <<<"$text"
done
acc=$(sed -n 's/^AcceptedConns: //p' <<<"$text")
check "status: every curl connection was accepted (AcceptedConns $acc >= 10)" test "${acc:-0}" -ge 10
check "status: this connection is active and writing" \
	grep -qx 'Writing: 1' <<<"$text"

# --- HTML: for a browser, by Accept or ?html -----------------------------------
headers=$PH_DIR/html.headers
curl -s -m 10 -D "$headers" -o "$PH_DIR/status.html" \
	-H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' \
	"$PH_URL/server-status" || true
check "html: a browser's Accept gets text/html" grep -qi '^Content-Type: text/html; charset=utf-8' "$headers"
check "html: Vary: Accept" grep -qi '^Vary: Accept' "$headers"
check "html: a page with one row per worker" python3 - "$PH_DIR/status.html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.rows = 0; s.intbody = False; s.title = ""; s.t = False
    def handle_starttag(s, t, a):
        if t == "tbody": s.intbody = True
        if t == "tr" and s.intbody: s.rows += 1
        if t == "title": s.t = True
    def handle_endtag(s, t):
        if t == "tbody": s.intbody = False
        if t == "title": s.t = False
    def handle_data(s, d):
        if s.t: s.title += d
p = P(); p.feed(open(sys.argv[1]).read())
print("# title %r, %d rows" % (p.title, p.rows))
sys.exit(0 if p.rows == 2 and "status" in p.title else 1)
PY
curl -s -m 10 -D "$headers" -o "$PH_DIR/status2.html" "$PH_URL/server-status?html&refresh=5" || true
check "html: ?html asks for it too" grep -qi '^Content-Type: text/html' "$headers"
check "html: ?refresh=5 refreshes the page every 5 s" \
	grep -qF '<meta http-equiv="refresh" content="5">' "$PH_DIR/status2.html"
check "html: curl's Accept: */* still gets text" \
	grep -q '^ServerVersion: ' <(curl -s -m 10 "$PH_URL/server-status")

# --- rates over the last seconds (the master samples every 5 s) -------------------
recent=
for _ in $(seq 90); do
	recent=$(curl -s -m 10 "$PH_URL/server-status" | sed -n 's/^RecentReqPerSec: //p' || true)
	[ -n "$recent" ] && break
	sleep 0.1
done
check "status: a recent request rate within 9 s of the start (got '$recent')" \
	grep -Eq '^[0-9]+\.[0-9]{3}$' <<<"$recent"
check "status?json: rates since start and recent" python3 - <(curl -s -m 10 "$PH_URL/server-status?json") <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["rates"]
print("# %r" % r)
ok = r["requests_per_second"] > 0 and r["recent"] is not None and r["recent"]["seconds"] >= 1
ok = ok and all(isinstance(x["age_seconds"], (int, float)) for x in d["slots"])
c = d["connections"]
ok = ok and c["accepted"] >= c["handled"] > 0 and c["writing"] >= 1
sys.exit(0 if ok else 1)
PY
ph_stop TERM

# --- a worker's bytes grow while a long answer goes out ---------------------------
head -c $((64 * 1024 * 1024)) /dev/zero >"$PH_DIR/www/big.bin"
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
status: {path: /server-status, allow: [127.0.0.1/32]}' || finish
# A slow reader: about 2 MB/s, for 8 s at most.
python3 - "$PH_PORT" >"$PH_DIR/slow.out" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
got, end = 0, time.time() + 8
while time.time() < end:
    d = s.recv(65536)
    if not d:
        break
    got += len(d)
    time.sleep(0.03)
print(got)
PY
slow=$!
# The status page while the answer has been going out for 2.5 s or more
# (the client may take a while to start on a busy machine).
python3 - "$PH_PORT" >"$PH_DIR/progress.out" <<'PY'
import json, sys, time, urllib.request
url = "http://127.0.0.1:%s/server-status?json" % sys.argv[1]
end = time.time() + 7
while time.time() < end:
    d = json.load(urllib.request.urlopen(url, timeout=5))
    rows = [s for s in d["slots"] if s["request"].startswith("GET /big.bin")
            and s["state"] == "writing" and (s["request_seconds"] or 0) >= 2.5]
    if rows:
        print("%s %s" % (rows[0]["bytes"], rows[0]["request_seconds"]))
        break
    time.sleep(0.2)
PY
wait "$slow"
read -r bytes secs <"$PH_DIR/progress.out" || true
check "a download in progress: its worker's bytes grow as it goes ($bytes bytes after ${secs:-?} s; the client read $(cat "$PH_DIR/slow.out"))" \
	test "${bytes:-0}" -ge 1000000
ph_stop TERM

# --- allow lists ------------------------------------------------------------------
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
access_log: {path: "off"}
health: {path: /healthz}
status: {path: /server-status, allow: [10.0.0.0/8]}
metrics: {path: /metrics, allow: [10.0.0.0/8]}' || finish
expect_status "$PH_URL/server-status" 403
expect_status "$PH_URL/server-status?json" 403
expect_status "$PH_URL/metrics" 403
expect_status "$PH_URL/healthz" 200
ph_stop TERM

finish
