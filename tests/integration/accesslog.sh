#!/usr/bin/env bash
# accesslog.sh -- the access log.
#
# format json: every line is a JSON object (python3's json module is the
# judge, also for user agents with quotes, backslashes, control and
# non-ASCII bytes) with time, remote, method, target, status, bytes,
# bytes_sent, duration_us (microseconds), user_agent, referer and
# request_id; request_id is the response's X-Request-Id; a sane
# X-Request-Id from a trusted proxy is passed through, an unsafe one is
# replaced, and one from any other client too; a generated id does not
# show the worker's pid.  Health checks are not logged unless health.log:
# true.  format combined: every line matches the Apache combined format.
# The bytes field counts the body only (Apache's %b, nginx's
# $body_bytes_sent): GET, HEAD, 304, a range.  A refused request is
# logged with its request line as it came, escaped.  time: local writes
# the local time with its offset.  Buffering: a line appears within about
# a second, and every buffered line is written at a stop.
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
health: {path: /healthz@HEALTHLOG@}
@MORE@'
conf() { # FORMAT [HEALTH_LOG_TEXT [MORE_KEYS]]
	local t=${CONF//@FORMAT@/$1}
	t=${t//@MORE@/${3:-trusted_proxies: [127.0.0.1/32]}}
	echo "${t//@HEALTHLOG@/${2:-}}"
}
# A 1432-byte page, as in the report that the head was counted.
head -c 1432 /dev/zero | tr '\0' x >"$PH_DIR/www/page.html"

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
check "duration_us has microseconds (not always a multiple of 1000)" python3 - "$LOG" <<'PY'
import json, sys
d = [json.loads(raw)["duration_us"] for raw in open(sys.argv[1], "rb")]
print("# durations: %r" % d[:20])
sys.exit(0 if d and any(x % 1000 for x in d) else 1)
PY

# --- X-Request-Id from a client that is not a trusted proxy --------------------
rm -f "$LOG"
ph_start "$(conf json '' '# no trusted_proxies')" || finish
for i in $(seq 20); do
	curl -s -o /dev/null -D - -m 5 -H "X-Request-Id: forged-$i" "$PH_URL/" |
		tr -d '\r' | sed -n 's/^X-Request-Id: //Ip'
done >"$PH_DIR/ids"
read -r -a workers <"/proc/$PH_PID/task/$PH_PID/children" || true
ph_stop TERM
check "an X-Request-Id from an untrusted client is replaced (20 answers)" python3 - "$PH_DIR/ids" <<'PY'
import re, sys
ids = open(sys.argv[1]).read().split()
print("# %d ids, first %r" % (len(ids), ids[:2]))
ok = len(ids) == 20 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
sys.exit(0 if ok and len(set(ids)) == 20 else 1)
PY
check "... and the log has the replacement, not the forged id" \
	test -z "$(grep -F '"request_id":"forged-' "$LOG")"
check "the generated ids do not show a worker's pid (workers: ${workers[*]})" python3 - "$PH_DIR/ids" "${workers[@]}" <<'PY'
import sys
ids = open(sys.argv[1]).read().split()
pids = [int(p) for p in sys.argv[2:]]
if not ids or not pids:
    sys.exit(1)
for i in ids:
    fields = [i[k:k + 8] for k in range(0, 32, 8)]
    for p in pids:
        if "%08x" % p in fields:
            print("# id %s holds pid %d" % (i, p))
            sys.exit(1)
sys.exit(0)
PY

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
check "UTC by default: +0000" grep -q '^127\.0\.0\.1 - - \[[^]]* +0000\] ' "$LOG"

# --- the bytes field: the body only ----------------------------------------
rm -f "$LOG"
ph_start "$(conf combined)" || finish
lm=$(curl -s -o /dev/null -m 5 -D - "$PH_URL/page.html" | tr -d '\r' | sed -n 's/^Last-Modified: //Ip')
curl -s -o /dev/null -m 5 -A bytes-get "$PH_URL/page.html" || true
curl -s -o /dev/null -m 5 -I -A bytes-head "$PH_URL/page.html" || true
curl -s -o /dev/null -m 5 -A bytes-304 -H "If-Modified-Since: $lm" "$PH_URL/page.html" || true
curl -s -o /dev/null -m 5 -A bytes-range -r 100-199 "$PH_URL/page.html" || true
curl -s -o /dev/null -m 5 -A bytes-404 "$PH_URL/missing.html" || true
n404=$(curl -s -m 5 -A bytes-404b "$PH_URL/missing.html" 2>/dev/null | wc -c || true)
ph_stop TERM
# bytes_of AGENT: the status and bytes fields of that agent's line.
bytes_of() { sed -n "s/^.*\" \([0-9]*\) \([0-9-]*\) \"[^\"]*\" \"$1\"\$/\1 \2/p" "$LOG"; }
check "GET of a 1432-byte page logs 200 1432 (got '$(bytes_of bytes-get)')" \
	test "$(bytes_of bytes-get)" = "200 1432"
check "HEAD logs 0 bytes (got '$(bytes_of bytes-head)')" test "$(bytes_of bytes-head)" = "200 0"
check "a 304 logs 0 bytes (got '$(bytes_of bytes-304)')" test "$(bytes_of bytes-304)" = "304 0"
check "a 100-byte range logs 100 (got '$(bytes_of bytes-range)')" \
	test "$(bytes_of bytes-range)" = "206 100"
check "a 404 logs its error page's length, $n404 (got '$(bytes_of bytes-404)')" \
	test "$(bytes_of bytes-404)" = "404 $n404"

# --- refused requests: the request line as it came ---------------------------
rm -f "$LOG"
ph_start "$(conf combined)" || finish
raw_request 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n' >/dev/null
raw_request 'GET /fine HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n' >/dev/null
raw_request 'GET / HTTP/2.0\r\nHost: x\r\n\r\n' >/dev/null
raw_request 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n' >/dev/null
raw_request '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n' >/dev/null
raw_request 'GET /"quote"\\back HTTP/1.1\r\n\r\n' >/dev/null
ph_stop TERM
check "a control byte in the target: logged escaped (400)" \
	grep -qF '"GET /a\x01b HTTP/1.1" 400 ' "$LOG"
check "obs-fold: the request line is logged (400)" grep -qF '"GET /fine HTTP/1.1" 400 ' "$LOG"
check "HTTP/2.0: the request line is logged (505)" grep -qF '"GET / HTTP/2.0" 505 ' "$LOG"
check "an unknown method: the request line is logged (501)" grep -qF '"BREW /pot HTTP/1.1" 501 ' "$LOG"
check "TLS bytes on the plain port: logged escaped (400)" \
	grep -qF '"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" 400 ' "$LOG"
check "quotes and backslashes of a refused line are escaped" \
	grep -qF '"GET /\x22quote\x22\x5cback HTTP/1.1" 400 ' "$LOG"
check "no refused line is logged as \"- - HTTP/1.1\"" test -z "$(grep -F '"- - HTTP' "$LOG")"
check "every line still matches the combined format" python3 - "$LOG" <<'PY'
import re, sys
q = r'"((?:[^"\\]|\\.)*)"'
rx = re.compile(r'^(\S+) (\S+) (\S+) \[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
                + q + r' (\d{3}) (\d+|-) ' + q + ' ' + q + '$')
n = 0
for line in open(sys.argv[1], encoding="latin-1"):
    n += 1
    if not rx.match(line.rstrip("\n")):
        print("# does not match: %r" % line)
        sys.exit(1)
sys.exit(0 if n == 6 else 1)
PY

# --- json: refused lines, bytes, local time ------------------------------------
rm -f "$LOG"
TZ=XYZ-3 ph_start "$(conf 'json, time: local')" || finish
curl -s -o /dev/null -m 5 -H 'X-Request-Id: j-get' "$PH_URL/page.html" || true
curl -s -o /dev/null -m 5 -I -H 'X-Request-Id: j-head' "$PH_URL/page.html" || true
raw_request 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n' >/dev/null
ph_stop TERM
check "json: GET logs the body as bytes, head and body as bytes_sent" python3 - "$LOG" <<'PY'
import json, sys
lines = [json.loads(raw) for raw in open(sys.argv[1], "rb")]
by = {e["request_id"]: e for e in lines}
g, h = by["j-get"], by["j-head"]
print("# get %r, head %r" % ((g["bytes"], g["bytes_sent"]), (h["bytes"], h["bytes_sent"])))
ok = (g["bytes"] == 1432 and g["bytes_sent"] > 1432 + 100
      and h["bytes"] == 0 and h["bytes_sent"] > 100)
sys.exit(0 if ok else 1)
PY
check "json: a refused line is split into method, target and protocol" python3 - "$LOG" <<'PY'
import json, sys
for raw in open(sys.argv[1], "rb"):
    e = json.loads(raw)
    if e["status"] == 400:
        print("# %r" % e)
        sys.exit(0 if (e["method"], e["target"], e["protocol"]) == ("GET", "/a\u0001b", "HTTP/1.1") else 1)
sys.exit(1)
PY
check "time: local: JSON time has the local offset (TZ=XYZ-3: +03:00)" \
	python3 -c 'import json,sys; t=[json.loads(l)["time"] for l in open(sys.argv[1],"rb")]; print("#", t); sys.exit(0 if t and all(x.endswith("+03:00") and len(x) == 29 for x in t) else 1)' "$LOG"

rm -f "$LOG"
TZ=XYZ-3 ph_start "$(conf 'combined, time: local')" || finish
curl -s -o /dev/null -m 5 "$PH_URL/" || true
ph_stop TERM
check "time: local: the combined stamp has the local offset (+0300)" \
	grep -q '^127\.0\.0\.1 - - \[[^]]* +0300\] "GET / HTTP/1\.1"' "$LOG"
stamp_hour=$(sed -n 's/^[^[]*\[[^:]*:\([0-9][0-9]\):.*/\1/p' "$LOG" | head -n 1)
check "... and the local hour (UTC+3)" \
	test "$stamp_hour" = "$(TZ=XYZ-3 date +%H)" -o "$stamp_hour" = "$(TZ=XYZ-3 date -d '-1 min' +%H)"

finish
