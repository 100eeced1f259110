#!/usr/bin/env bash
# keepalive.sh -- persistent connections: reuse, pipelining, HTTP/1.0,
# Connection: close and limits.keepalive_requests.
# shellcheck source=tests/integration/lib.sh disable=SC2016,SC2001
. "$(dirname "$0")/lib.sh"

ph_setup
printf 'first file\n' >"$PH_DIR/www/a.txt"
printf 'second file, longer\n' >"$PH_DIR/www/b.txt"
printf 'third\n' >"$PH_DIR/www/c.txt"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
timeouts: {keepalive: 5s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish

# session REQUEST...: send each REQUEST (escapes interpreted) on one
# connection, one after the other, each after the previous response; then
# wait up to 3 s for the server to close.  Prints one line per response,
# "STATUS CONNECTION-HEADER BODY", then "closed" or "open".  With
# PIPELINE=1 all requests go out in a single send.
session() {
	python3 - "$PH_PORT" "${PIPELINE:-0}" "$@" <<'PY'
import socket, sys, time
port, pipeline, reqs = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:]
reqs = [r.encode("latin-1").decode("unicode_escape").encode("latin-1") for r in reqs]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
buf = b""
def fill():
    global buf
    d = s.recv(65536)
    if not d:
        raise EOFError
    buf += d
def response(head_only):
    global buf
    while b"\r\n\r\n" not in buf:
        fill()
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ")[1]
    hdr = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdr[k.strip().lower()] = v.strip()
    n = 0 if head_only else int(hdr.get("content-length", "0"))
    while len(buf) < n:
        fill()
    body, buf = buf[:n], buf[n:]
    return "%s %s %s" % (status, hdr.get("connection", "-"), body.decode("latin-1").strip() or "-")
out = []
try:
    if pipeline:
        s.sendall(b"".join(reqs))
        for r in reqs:
            out.append(response(r.startswith(b"HEAD")))
    else:
        for r in reqs:
            s.sendall(r)
            out.append(response(r.startswith(b"HEAD")))
except (EOFError, ConnectionResetError, socket.timeout):
    out.append("eof")
state = "open"
s.settimeout(3)
try:
    if buf or s.recv(1):
        state = "extra-bytes"
    else:
        state = "closed"
except socket.timeout:
    state = "open"
except ConnectionResetError:
    state = "closed"
out.append(state)
print("\n".join(out))
PY
}

get() { printf 'GET /%s HTTP/1.1\\r\\nHost: x\\r\\n%s\\r\\n' "$1" "${2:-}"; }

# --- curl reuses the connection for two URLs ---------------------------------
curl -sv -m 10 -o /dev/null -o /dev/null "$PH_URL/a.txt" "$PH_URL/b.txt" \
	2>"$PH_DIR/curl.err" || true
check "curl re-uses the connection for a second request" \
	grep -qi 're-using existing connection\|reusing existing connection' "$PH_DIR/curl.err"

# --- two requests one after the other on one raw connection -------------------
out=$(session "$(get a.txt)" "$(get b.txt)")
check "two sequential requests answer 200 200 on one connection" \
	test "$(sed -n '1p;2p' <<<"$out" | cut -d' ' -f1,3 | tr '\n' ' ')" = \
	"200 first 200 second "
check "the connection stays open after 2 requests (got '$(tail -n1 <<<"$out")')" \
	test "$(tail -n1 <<<"$out")" = open

# --- pipelining: three requests in one send, three responses in order ------
out=$(PIPELINE=1 session "$(get a.txt)" "$(get b.txt)" "$(get c.txt)")
echo "$out" | sed 's/^/# /'
check "pipelined responses come in order: a, b, c" \
	test "$(head -n3 <<<"$out" | cut -d' ' -f1,3 | tr '\n' ' ')" = \
	"200 first 200 second 200 third "
check "the connection stays open after 3 pipelined requests" \
	test "$(tail -n1 <<<"$out")" = open

out=$(PIPELINE=1 session "$(get a.txt)" "$(get b.txt)" "$(get c.txt 'Connection: close\r\n')")
echo "$out" | sed 's/^/# /'
check "pipelined responses come in order: a, b, c" \
	test "$(head -n3 <<<"$out" | cut -d' ' -f1,3 | tr '\n' ' ')" = \
	"200 first 200 second 200 third "
check "after the pipelined Connection: close the server closes" \
	test "$(tail -n1 <<<"$out")" = closed

out=$(PIPELINE=1 session "$(get a.txt)" \
	'HEAD /b.txt HTTP/1.1\r\nHost: x\r\n\r\n' "$(get missing.txt)")
echo "$out" | sed 's/^/# /'
check "pipelined GET, HEAD, 404 answer in order" \
	test "$(head -n3 <<<"$out" | cut -d' ' -f1 | tr '\n' ' ')" = "200 200 404 "
check "a 404 keeps the connection open" test "$(tail -n1 <<<"$out")" = open

# --- HTTP/1.0 -----------------------------------------------------------------
out=$(session 'GET /a.txt HTTP/1.0\r\n\r\n')
check "HTTP/1.0 without keep-alive gets 200" test "$(head -n1 <<<"$out" | cut -d' ' -f1)" = 200
check "HTTP/1.0 without keep-alive is closed (got '$(tail -n1 <<<"$out")')" \
	test "$(tail -n1 <<<"$out")" = closed
out=$(session 'GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' \
	'GET /b.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
echo "$out" | sed 's/^/# /'
check "HTTP/1.0 with Connection: keep-alive is kept: 2 answers" \
	test "$(head -n2 <<<"$out" | cut -d' ' -f1,2 | tr '\n' ' ')" = \
	"200 keep-alive 200 keep-alive "

# --- Connection: close ----------------------------------------------------------
out=$(session "$(get a.txt 'Connection: close\r\n')")
check "Connection: close answers with Connection: close" \
	test "$(head -n1 <<<"$out" | cut -d' ' -f1,2)" = "200 close"
check "Connection: close closes the connection (got '$(tail -n1 <<<"$out")')" \
	test "$(tail -n1 <<<"$out")" = closed

# --- limits.keepalive_requests: 3 -----------------------------------------------
ph_stop TERM
check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
timeouts: {keepalive: 1s}
limits: {keepalive_requests: 3}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
out=$(session "$(get a.txt)" "$(get b.txt)" "$(get c.txt)" "$(get a.txt)")
echo "$out" | sed 's/^/# /'
check "keepalive_requests 3: three answers, then the close" \
	test "$(cut -d' ' -f1 <<<"$out" | tr '\n' ' ')" = "200 200 200 eof closed "
check "keepalive_requests 3: the 3rd answer says Connection: close" \
	test "$(sed -n 3p <<<"$out" | cut -d' ' -f2)" = close
check "keepalive_requests 3: the 2nd answer does not say close" \
	test "$(sed -n 2p <<<"$out" | cut -d' ' -f2)" != close

# --- timeouts.keepalive: 1s ---------------------------------------------------
t0=$(date +%s%N)
out=$(session "$(get a.txt)")
t1=$(date +%s%N)
idle_ms=$(((t1 - t0) / 1000000))
check "an idle keep-alive connection is closed after timeouts.keepalive (got '$(tail -n1 <<<"$out")')" \
	test "$(tail -n1 <<<"$out")" = closed
check "... after about 1 s, not at once (took $idle_ms ms)" test "$idle_ms" -ge 800

ph_stop TERM
check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
finish
