#!/usr/bin/env bash
# status.sh -- the status page (text and ?json) and the Prometheus metrics
# on the worker listeners: headers, content, validity, counters that grow
# with traffic, and the allow lists (403 from an address outside them).
# The metrics text is checked with promcheck.py, a strict checker of the
# Prometheus text format 0.0.4 (Debian's prometheus package, which ships
# promtool, is too large to install for this).
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
if python3 "$PROMCHECK" check "$PH_DIR/before.prom" >"$PH_DIR/promcheck.out"; then
	pass "metrics: valid exposition format (promcheck.py)"
else
	fail "metrics: valid exposition format (promcheck.py)" "$(cat "$PH_DIR/promcheck.out")"
fi
for name in requests_total requests_by_method_total sent_bytes_total \
	request_duration_seconds workers worker_restarts_total reloads_total \
	reload_failures_total head_timeouts_total idle_evictions_total \
	connections generation start_time_seconds listen_queue_depth \
	listen_queue_limit; do
	check "metrics: has prefork_httpd_$name" \
		grep -q "^# TYPE prefork_httpd_$name " "$PH_DIR/before.prom"
done
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
	'prefork_httpd_requests_total{class="2xx"}' \
	'prefork_httpd_requests_total{class="4xx"}' \
	'prefork_httpd_requests_by_method_total{method="GET"}' \
	prefork_httpd_sent_bytes_total \
	prefork_httpd_request_duration_seconds_count
two=$(python3 "$PROMCHECK" value "$PH_DIR/after.prom" 'prefork_httpd_requests_total{class="2xx"}' || echo 0)
before=$(python3 "$PROMCHECK" value "$PH_DIR/before.prom" 'prefork_httpd_requests_total{class="2xx"}' || echo 0)
check "metrics: 2xx grew by at least 5 ($before -> $two)" test $((two - before)) -ge 5

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
