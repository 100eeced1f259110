#!/usr/bin/env bash
# accesslog.sh -- the access log.
#
# format json: every line is a JSON object (python3's json module is the
# judge, also for user agents with quotes, backslashes, control and
# non-ASCII bytes) with time, remote, method, target, status, bytes,
# duration_us, user_agent, referer and request_id; request_id is the
# response's X-Request-Id; a sane X-Request-Id from the client is passed
# through, an unsafe one is replaced.  Health checks are not logged unless
# health.log: true.  format combined: every line matches the Apache
# combined format.  Buffering: a line appears within about a second, and
# every buffered line is written at a stop.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
LOG=$PH_DIR/access.log
CONF='listen: [127.0.0.1:@PORT@]
workers: 2
root: www
index: [index.html]
access_log: {path: access.log, format: @FORMAT@}
error_log: {path: stderr, level: info}
health: {path: /healthz@HEALTHLOG@}'
conf() { # FORMAT [HEALTH_LOG_TEXT]
	local t=${CONF//@FORMAT@/$1}
	echo "${t//@HEALTHLOG@/${2:-}}"
}

# wait_lines N: wait (3 s at most) until the log has N lines.
wait_lines() {
	for _ in $(seq 30); do
		[ "$(wc -l <"$LOG" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- json ---------------------------------------------------------------------
ph_start "$(conf json)" || finish

# The first line: how long until it is written?
t0=$(date +%s%N)
curl -s -o /dev/null -m 5 -A 'first/1.0' "$PH_URL/" || true
wait_lines 1
ms=$((($(date +%s%N) - t0) / 1000000))
check "the first line is written within 1.5 s (took ${ms} ms)" test "$ms" -lt 1500

curl -s -o /dev/null -D "$PH_DIR/gen.h" -m 5 -A 'Agent/2.0 (test)' -e 'http://example.test/from' \
	"$PH_URL/index.html?q=1" || true
curl -s -o /dev/null -D "$PH_DIR/pass.h" -m 5 -H 'X-Request-Id: lb-7f3a.91:2/x=1+y' "$PH_URL/" || true
curl -s -o /dev/null -D "$PH_DIR/unsafe.h" -m 5 -H 'X-Request-Id: bad id <script>' "$PH_URL/" || true
long=$(printf 'a%.0s' $(seq 80))
curl -s -o /dev/null -D "$PH_DIR/long.h" -m 5 -H "X-Request-Id: $long" "$PH_URL/" || true
curl -s -o /dev/null -m 5 -I -H 'X-Request-Id: acc-head' "$PH_URL/" || true
curl -s -o /dev/null -m 5 -H 'X-Request-Id: acc-404' "$PH_URL/missing" || true
curl -s -o /dev/null -m 5 -H 'X-Request-Id: acc-health' "$PH_URL/healthz" || true
# Awkward bytes in logged fields: quotes, backslashes, non-ASCII (control
# bytes in a header are refused with 400 before anything is logged).
curl -s -o /dev/null -m 5 -H 'X-Request-Id: acc-quote' -A 'say "hi" \ back\slash' "$PH_URL/" || true
curl -s -o /dev/null -m 5 -H 'X-Request-Id: acc-utf8' -A $'caf\xc3\xa9 \xff\xfe\xc3' \
	-e $'http://r.test/\xe2\x82\xac' "$PH_URL/%22quoted%22" || true

# Long fields that grow when escaped (0xff is 4 bytes escaped in the
# combined format, 6 in JSON): the line is cut short, the worker lives.
python3 - "$PH_PORT" >"$PH_DIR/long.out" <<'PY'
import socket, sys
codes = []
for i in range(4):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: acc-long-%d\r\nReferer: " % i
              + b"\xff" * 7000 + b"\r\nUser-Agent: " + b"\xfe" * 7000
              + b"\r\nConnection: close\r\n\r\n")
    d = s.recv(100)
    codes.append(d.split(b" ")[1].decode() if d.startswith(b"HTTP/") else "none")
print(" ".join(codes))
PY
check "requests with 7000-byte Referer and User-Agent of 0xff bytes: 4 x 200 (got $(cat "$PH_DIR/long.out"))" \
	test "$(cat "$PH_DIR/long.out")" = "200 200 200 200"
check "no worker crashed" test "$(grep -c 'killed by signal' "$PH_DIR/stderr.log")" = 0

hdr() { tr -d '\r' <"$1" | awk -F': ' -v k="$2" 'tolower($1) == tolower(k) { print $2 }'; }
gen_id=$(hdr "$PH_DIR/gen.h" X-Request-Id)
check "a response has an X-Request-Id of its own (got '$gen_id')" grep -Eqx '[0-9a-f]{32}' <<<"$gen_id"
check "a sane X-Request-Id is passed through" test "$(hdr "$PH_DIR/pass.h" X-Request-Id)" = 'lb-7f3a.91:2/x=1+y'
unsafe_id=$(hdr "$PH_DIR/unsafe.h" X-Request-Id)
check "an unsafe X-Request-Id is replaced (got '$unsafe_id')" grep -Eqx '[0-9a-f]{32}' <<<"$unsafe_id"
long_id=$(hdr "$PH_DIR/long.h" X-Request-Id)
check "an X-Request-Id over 64 bytes is replaced (got '$long_id')" grep -Eqx '[0-9a-f]{32}' <<<"$long_id"

wait_lines 13
ph_stop TERM
check "every line parses as a JSON object with all the fields" python3 - "$LOG" <<'PY'
import json, sys
want = {"time": str, "remote": str, "method": str, "target": str, "status": int,
        "bytes": int, "duration_us": int, "user_agent": str, "referer": str,
        "request_id": str}
n = 0
for raw in open(sys.argv[1], "rb"):
    n += 1
    try:
        e = json.loads(raw)
    except ValueError as err:
        print("# line %d is not JSON (%s): %r" % (n, err, raw))
        sys.exit(1)
    for k, t in want.items():
        if not isinstance(e.get(k), t):
            print("# line %d: %s missing or not %s: %r" % (n, k, t.__name__, e))
            sys.exit(1)
sys.exit(0 if n >= 13 else 1)
PY
# field VALUE_OF ID FIELD: a field of the line with request_id ID.
field() {
	python3 - "$LOG" "$1" "$2" <<'PY'
import json, sys
for raw in open(sys.argv[1], "rb"):
    try:
        e = json.loads(raw)
    except ValueError:
        continue
    if e.get("request_id") == sys.argv[2]:
        v = e.get(sys.argv[3])
        print(v if isinstance(v, str) else json.dumps(v))
        break
PY
}
check "the logged request_id is the response's X-Request-Id" \
	test "$(field "$gen_id" target)" = '/index.html?q=1'
check "... and the line has the method, status, remote, referer and agent" python3 - "$LOG" "$gen_id" <<'PY'
import json, sys
for raw in open(sys.argv[1], "rb"):
    e = json.loads(raw)
    if e.get("request_id") == sys.argv[2]:
        ok = (e["method"] == "GET" and e["status"] == 200 and e["remote"] == "127.0.0.1"
              and e["referer"] == "http://example.test/from"
              and e["user_agent"] == "Agent/2.0 (test)" and e["bytes"] > 0
              and e["duration_us"] >= 0 and e["time"].endswith("Z"))
        sys.exit(0 if ok else 1)
sys.exit(1)
PY
check "a passed-through id is logged" test "$(field 'lb-7f3a.91:2/x=1+y' status)" = 200
check "a replaced id is logged as the replacement" test "$(field "$unsafe_id" status)" = 200
check "HEAD is logged as HEAD" test "$(field acc-head method)" = HEAD
check "a 404 is logged with 404" test "$(field acc-404 status)" = 404
check "the health check is not logged (health.log is false)" test -z "$(field acc-health status)"
check "quotes and backslashes survive in user_agent" \
	test "$(field acc-quote user_agent)" = 'say "hi" \ back\slash'
check "bytes that are not UTF-8 are escaped (\\u00XX), valid UTF-8 is kept" python3 - "$LOG" <<'PY'
import json, sys
for raw in open(sys.argv[1], "rb"):
    e = json.loads(raw)
    if e.get("request_id") == "acc-utf8":
        ok = (e["user_agent"] == "caf\u00e9 \u00ff\u00fe\u00c3"
              and e["referer"] == "http://r.test/\u20ac")
        print("# user_agent %r referer %r" % (e["user_agent"], e["referer"]))
        sys.exit(0 if ok else 1)
sys.exit(1)
PY
check "a long line is cut short, the request id survives" test "$(field acc-long-3 status)" = 200
check "an encoded quote in the target is logged as sent" test "$(field acc-utf8 target)" = '/%22quoted%22'

# --- json, health.log: true ------------------------------------------------------
rm -f "$LOG"
ph_start "$(conf json ', log: true')" || finish
curl -s -o /dev/null -m 5 -H 'X-Request-Id: acc-health2' "$PH_URL/healthz" || true
wait_lines 1
ph_stop TERM
check "with health.log: true the health check is logged" test "$(field acc-health2 status)" = 200

# --- combined, and the flush at stop ---------------------------------------------------
rm -f "$LOG"
ph_start "$(conf combined)" || finish
for i in $(seq 40); do
	curl -s -o /dev/null -m 5 -A "combined/$i" -e "http://ref.test/$i" "$PH_URL/?n=$i" || true
done
curl -s -o /dev/null -m 5 -A 'say "hi" \ there' "$PH_URL/missing" || true
curl -s -o /dev/null -m 5 -I "$PH_URL/" || true
# Stop at once: the lines still in the workers' buffers must be written.
ph_stop TERM
check "all 42 requests are in the log after the stop (got $(wc -l <"$LOG"))" test "$(wc -l <"$LOG")" = 42
check "every line matches the Apache combined format" python3 - "$LOG" <<'PY'
import re, sys
q = r'"((?:[^"\\]|\\.)*)"'
rx = re.compile(r'^(\S+) (\S+) (\S+) \[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
                + q + r' (\d{3}) (\d+|-) ' + q + ' ' + q + '$')
bad = n = 0
for line in open(sys.argv[1], encoding="latin-1"):
    n += 1
    line = line.rstrip("\n")
    m = rx.match(line)
    if not m or not re.match(r'^\S+ \S+ HTTP/\d\.\d$', m.group(5)):
        print("# does not match: %r" % line)
        bad += 1
sys.exit(1 if bad or n < 42 else 0)
PY
check "a combined line has referer and agent" grep -q '^127\.0\.0\.1 - - \[.*\] "GET /?n=7 HTTP/1\.1" 200 [0-9]* "http://ref\.test/7" "combined/7"$' "$LOG"
check "a HEAD line" grep -q '"HEAD / HTTP/1\.1" 200 ' "$LOG"

finish
