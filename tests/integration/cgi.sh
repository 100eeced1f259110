#!/usr/bin/env bash
# cgi.sh -- CGI/1.1: every meta-variable (shell and Python scripts), a
# 1 MiB POST body streamed to the script, Status and Location headers,
# 502 for crashes, garbage, a control byte in a header value and silence,
# 504 after cgi.timeout with the script's process group killed and no
# zombie left; a script that stalls after its head: the connection is
# closed with the body cut, the error log says so and the access log says
# 504; stderr in the error log, the httpoxy header dropped, 403/404 for
# what is not a script; the script's reason phrase is passed through.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
cp -R "$top_srcdir/tests/cgi-bin" "$PH_DIR/cgi-bin"
chmod -R u+w "$PH_DIR/cgi-bin"
chmod 755 "$PH_DIR"/cgi-bin/*.sh "$PH_DIR"/cgi-bin/*.py "$PH_DIR/cgi-bin/sub/info.sh"
chmod 644 "$PH_DIR/cgi-bin/noexec.sh"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: {path: access.log, format: json}
error_log: {path: stderr, level: info}
health: {path: /healthz}
trusted_proxies: [127.0.0.1/32]   # the X-Request-Id of a test names its log line
routes:
  - prefix: /cgi-bin/
    cgi: {dir: cgi-bin, timeout: 2s}
    headers: {X-Route: cgi}
  - prefix: /quick-bin/
    cgi: {dir: cgi-bin, timeout: 1s}' || finish

n=0
# fetch [CURL_ARG...] URL: into $PH_DIR/r$n.{h,b}; sets H, B, CODE.
fetch() {
	n=$((n + 1))
	H=$PH_DIR/r$n.h
	B=$PH_DIR/r$n.b
	CODE=$(curl -s -m 20 -D "$H" -o "$B" -w '%{http_code}' "$@" || true)
	: >>"$H"
	: >>"$B"
}
header() {
	sed -n "s/^$1: *//Ip" "$H" | tr -d '\r' | head -n 1
}
# has VAR=VALUE: the line is in the body
has() {
	grep -qxF -- "$1" "$B"
}

# --- meta-variables ---------------------------------------------------------
for script in env.sh env.py; do
	fetch -H 'X-Custom: hello' -H 'Proxy: http://evil.example:1' \
		"$PH_URL/cgi-bin/$script/extra/path?a=1&b=2"
	check "$script is 200 (got $CODE)" test "$CODE" = 200
	check "$script Content-Type from the script" \
		test "$(header Content-Type)" = text/plain
	check "$script route header" test "$(header X-Route)" = cgi
	for kv in "GATEWAY_INTERFACE=CGI/1.1" "SERVER_PROTOCOL=HTTP/1.1" \
		"SERVER_NAME=127.0.0.1" "SERVER_PORT=$PH_PORT" \
		"REQUEST_METHOD=GET" "QUERY_STRING=a=1&b=2" \
		"PATH_INFO=/extra/path" \
		"PATH_TRANSLATED=$PH_DIR/www/extra/path" \
		"SCRIPT_NAME=/cgi-bin/$script" \
		"SCRIPT_FILENAME=$PH_DIR/cgi-bin/$script" \
		"REQUEST_URI=/cgi-bin/$script/extra/path?a=1&b=2" \
		"REMOTE_ADDR=127.0.0.1" "DOCUMENT_ROOT=$PH_DIR/www" \
		"PATH=/usr/local/bin:/usr/bin:/bin" \
		"HTTP_HOST=127.0.0.1:$PH_PORT" "HTTP_X_CUSTOM=hello" \
		"CONTENT_LENGTH unset" "CONTENT_TYPE unset" \
		"HTTP_PROXY unset" "CWD=$PH_DIR/cgi-bin"; do
		check "$script: $kv" has "$kv"
	done
	check "$script: SERVER_SOFTWARE" grep -q '^SERVER_SOFTWARE=prefork-httpd/' "$B"
	check "$script: REMOTE_PORT is a port" grep -Eq '^REMOTE_PORT=[0-9]+$' "$B"
done
check "env.sh: no argument" grep -qx "ARGC=0" "$PH_DIR/r1.b"

fetch -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary 'x=1&y=2' "$PH_URL/cgi-bin/env.sh"
check "POST: CONTENT_LENGTH" has "CONTENT_LENGTH=7"
check "POST: CONTENT_TYPE" has "CONTENT_TYPE=application/x-www-form-urlencoded"
check "POST: REQUEST_METHOD" has "REQUEST_METHOD=POST"
check "POST: no HTTP_CONTENT_TYPE" bash -c "! grep -q '^ENV HTTP_CONTENT_' '$B'"
check "POST: PATH_INFO empty" has "PATH_INFO="

fetch "$PH_URL/cgi-bin/sub/info.sh/deeper/x"
check "script in a subdirectory: SCRIPT_NAME and PATH_INFO" \
	has "SCRIPT_NAME=/cgi-bin/sub/info.sh PATH_INFO=/deeper/x"

raw_request 'HEAD /cgi-bin/env.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
	>"$PH_DIR/head.out"
check "HEAD: 200" grep -q '^HTTP/1\.1 200' "$PH_DIR/head.out"
check "HEAD: no body" bash -c "! grep -q GATEWAY '$PH_DIR/head.out'"

# --- a 1 MiB body, streamed through ----------------------------------------
head -c 1048576 /dev/urandom >"$PH_DIR/big.bin"
want=$(sha256sum "$PH_DIR/big.bin" | cut -d' ' -f1)
fetch -X POST --data-binary "@$PH_DIR/big.bin" "$PH_URL/cgi-bin/sha256.py"
check "1 MiB POST is 200 (got $CODE)" test "$CODE" = 200
check "1 MiB POST: the script read it all" has "length=1048576 declared=1048576"
check "1 MiB POST: same sha256" has "sha256=$want"
fetch -X POST -H 'Transfer-Encoding: chunked' --data-binary "@$PH_DIR/big.bin" \
	"$PH_URL/cgi-bin/sha256.py"
check "chunked 1 MiB POST: read to the end, no CONTENT_LENGTH" \
	has "length=1048576 declared=-"
check "chunked 1 MiB POST: same sha256" has "sha256=$want"

# --- the script's headers ---------------------------------------------------
fetch "$PH_URL/cgi-bin/status404.sh"
check "Status: 404 from the script (got $CODE)" test "$CODE" = 404
check "Status: 404 body" has "no such thing"
# The status line: the script's own reason phrase when it gave one, else
# the registry's (not "Unknown" for codes a short table lacked).
status_line() { head -n 1 "$H" | tr -d '\r'; }
fetch "$PH_URL/cgi-bin/status.sh?429+Too+Many+Requests"
check "Status: 429 Too Many Requests is sent as is (got '$(status_line)')" \
	test "$(status_line)" = "HTTP/1.1 429 Too Many Requests"
fetch "$PH_URL/cgi-bin/status.sh?410"
check "Status: 410 gets the registry's phrase (got '$(status_line)')" \
	test "$(status_line)" = "HTTP/1.1 410 Gone"
fetch "$PH_URL/cgi-bin/status.sh?299+All+Fine+Here"
check "Status: 299 with a phrase of its own (got '$(status_line)')" \
	test "$(status_line)" = "HTTP/1.1 299 All Fine Here"
fetch "$PH_URL/cgi-bin/status.sh?451"
check "Status: 451 gets the registry's phrase (got '$(status_line)')" \
	test "$(status_line)" = "HTTP/1.1 451 Unavailable For Legal Reasons"
fetch "$PH_URL/cgi-bin/redirect.sh"
check "Location URL gives 302 (got $CODE)" test "$CODE" = 302
check "Location passed through" \
	test "$(header Location)" = "http://example.com/target?x=1"
fetch "$PH_URL/cgi-bin/local-redirect.sh"
check "local Location gives 302 (got $CODE)" test "$CODE" = 302
check "local Location passed through" test "$(header Location)" = /elsewhere/

# --- failures ---------------------------------------------------------------
for s in crash garbage noheaders silent ctlvalue; do
	fetch "$PH_URL/cgi-bin/$s.sh"
	check "$s.sh gives 502 (got $CODE)" test "$CODE" = 502
done
fetch "$PH_URL/cgi-bin/noexec.sh"
check "not executable: 403 (got $CODE)" test "$CODE" = 403
fetch "$PH_URL/cgi-bin/missing.sh"
check "missing script: 404 (got $CODE)" test "$CODE" = 404
fetch "$PH_URL/cgi-bin/sub/"
check "a directory: 403 (got $CODE)" test "$CODE" = 403
fetch "$PH_URL/cgi-bin/sub/missing/x"
check "missing in a subdirectory: 404 (got $CODE)" test "$CODE" = 404
ln -s ../server.yaml "$PH_DIR/cgi-bin/escape.sh"
fetch "$PH_URL/cgi-bin/escape.sh"
check "symlink out of the directory: 404 (got $CODE)" test "$CODE" = 404

fetch "$PH_URL/cgi-bin/stderr.sh"
check "stderr.sh answers" has fine
sleep 0.3
check "stderr goes to the error log, with the script name" \
	grep -q 'cgi /cgi-bin/stderr.sh: something went sideways' "$PH_DIR/stderr.log"
check "a crash is logged" grep -q 'cgi /cgi-bin/crash.sh: killed by signal 11' \
	"$PH_DIR/stderr.log"

# --- timeout ----------------------------------------------------------------
start=$(date +%s%N)
fetch "$PH_URL/cgi-bin/sleep.sh"
ms=$((($(date +%s%N) - start) / 1000000))
check "sleeping script: 504 (got $CODE)" test "$CODE" = 504
check "504 after cgi.timeout, not much later ($ms ms)" \
	test "$ms" -ge 1800 -a "$ms" -lt 6000
sleep 0.3
check "the script's own child (sleep 37) was killed too" \
	bash -c '! pgrep -f "^sleep 37$" >/dev/null'

# --- a timeout after the head was sent ---------------------------------------
# stall.sh sends its headers (and with ?body, some body), then sleeps past
# the 1 s timeout of /quick-bin/.  Without any body byte sent the client
# gets a 504; after some body it sees the connection close without the end
# of the body (no final chunk).  The error log must name the timeout and
# the script, and the access log must say 504, not 200.

# stalled QUERY ID: GET /quick-bin/stall.sh?QUERY over HTTP/1.1 with
# X-Request-Id ID; the bytes received go to $PH_DIR/stall-ID.out and
# "EOF SECONDS" (EOF: 1 when the server closed) is printed.
stalled() {
	python3 - "$PH_PORT" "$1" "$2" "$PH_DIR/stall-$2.out" <<'PY'
import sys
from phclient import connect, read_until_eof
port, query, rid, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = connect(port)
s.sendall(("GET /quick-bin/stall.sh?%s HTTP/1.1\r\nHost: x\r\n"
           "X-Request-Id: %s\r\n\r\n" % (query, rid)).encode())
data, eof, secs = read_until_eof(s, 6)
open(out, "wb").write(data)
print(int(eof), "%.1f" % secs)
PY
}
# logged_status ID: the status of the access-log line with request_id ID
# (waiting up to 3 s for it), or "none".
logged_status() {
	local st
	for _ in $(seq 30); do
		st=$(python3 - "$PH_DIR/access.log" "$1" <<'PY'
import json, sys
try:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        if e.get("request_id") == sys.argv[2]:
            print(e["status"], e["bytes"])
            break
except FileNotFoundError:
    pass
PY
)
		if [ -n "$st" ]; then
			echo "$st"
			return 0
		fi
		sleep 0.1
	done
	echo none
}
# no_final_chunk FILE: the chunked body was not ended ("0\r\n\r\n").
no_final_chunk() {
	python3 -c 'import sys; sys.exit(b"\r\n0\r\n\r\n" in open(sys.argv[1], "rb").read())' "$1"
}

read -r eof secs < <(stalled head stall-head)
check "stall after the head: the server closes the connection (eof $eof after ${secs}s)" \
	test "$eof" = 1
check "... after the 1 s timeout, not before (${secs}s)" \
	python3 -c "import sys; sys.exit(not 0.8 <= $secs < 4)"
check "... and the body is not ended" no_final_chunk "$PH_DIR/stall-stall-head.out"
check "... the client gets a 504 (no byte of the script's head had gone out)" \
	grep -q $'^HTTP/1.1 504 ' "$PH_DIR/stall-stall-head.out"
got=$(logged_status stall-head)
check "... the access log says 504 (got '$got')" test "${got% *}" = 504

read -r eof secs < <(stalled body stall-body)
out=$PH_DIR/stall-stall-body.out
check "stall after some body: the server closes the connection (eof $eof after ${secs}s)" \
	test "$eof" = 1
check "... the client saw the script's 200 head" grep -q $'^HTTP/1.1 200 OK\r$' "$out"
check "... and the start of the body" grep -q 'partial body' "$out"
check "... but not its end" no_final_chunk "$out"
got=$(logged_status stall-body)
check "... the access log says 504, with the bytes sent (got '$got')" \
	bash -c '[[ "$1" =~ ^504\ [1-9][0-9]*$ ]]' _ "$got"
sleep 0.3
check "the error log names the timeout, the script and the 504" \
	grep -q "cgi /quick-bin/stall.sh ($PH_DIR/cgi-bin/stall.sh): timed out after 1000 ms (cgi.timeout) after its response head; body cut, connection closed, logged as 504" \
	"$PH_DIR/stderr.log"
check "the stalled script's child (sleep 39) was killed" \
	bash -c '! pgrep -f "^sleep 39$" >/dev/null'

# A script that answers in full, then lingers past its timeout holding
# stderr: the answer stands (200 in the access log, the connection kept for
# the next request), and the script is killed.
w=' %{http_code} %{num_connects}\n'
out=$(curl -s -m 10 -w "$w" -H 'X-Request-Id: linger' "$PH_URL/quick-bin/linger.sh" \
	--next -s -m 10 -w "$w" "$PH_URL/cgi-bin/status404.sh" | tr '\n' ' ')
check "lingering script: its answer, then the next request on the same connection (got '$out')" \
	test "$out" = "done  200 1 no such thing  404 0 "
got=$(logged_status linger)
check "... the access log says 200 (got '$got')" test "${got% *}" = 200
sleep 0.3
check "... the error log says it was killed after its answer" \
	grep -q "cgi /quick-bin/linger.sh ($PH_DIR/cgi-bin/linger.sh): still running 1000 ms after its start (cgi.timeout), after its answer; killing it" \
	"$PH_DIR/stderr.log"
check "... and its child (sleep 38) was killed" \
	bash -c '! pgrep -f "^sleep 38$" >/dev/null'

# No zombie among the workers' children.
workers=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v m="$PH_PID" '$4 == m { print $1 }')
zombies() {
	local p w
	for w in $workers; do
		for p in /proc/[0-9]*/stat; do
			awk -v w="$w" '$4 == w && $3 == "Z" { print $1 }' "$p" 2>/dev/null
		done
	done
}
z=$(zombies)
check "no zombie child of a worker (workers: $(echo $workers)${z:+; found $z})" \
	test -n "$workers" -a -z "$z"

expect_status "$PH_URL/cgi-bin/env.sh" 200
ph_stop
finish
