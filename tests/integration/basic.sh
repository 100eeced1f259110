#!/usr/bin/env bash
# basic.sh -- the server starts, serves the index, answers HEAD, 404, 405
# and the health check, and stops gracefully on TERM.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_start 'listen:
  - 127.0.0.1:@PORT@
workers: 2
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish

# GET /
headers=$PH_DIR/get.headers
body=$(curl -s -m 10 -D "$headers" "$PH_URL/" || true)
code=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$headers")
check "GET / is 200 (got ${code:-none})" test "$code" = 200
check "GET / serves the index" grep -q 'prefork-httpd test index' <<<"$body"
check "GET / has Date" grep -qi '^Date: ' "$headers"
check "GET / has Server" grep -qi '^Server: ' "$headers"
get_length=$(sed -n 's/^[Cc]ontent-[Ll]ength: *\([0-9]*\).*/\1/p' "$headers")
index_size=$(wc -c <"$PH_DIR/www/index.html" | tr -d ' ')
check "GET / Content-Length is the file size" test "$get_length" = "$index_size"

# HEAD /: the same headers, no body (HTTP/1.0, so the server closes).
raw_request 'HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n' >"$PH_DIR/head.out"
check "HEAD / is 200" grep -q '^HTTP/1\.[01] 200' "$PH_DIR/head.out"
check "HEAD / has Content-Length $index_size" \
	grep -qi "^Content-Length: *$index_size"$'\r'"\$" "$PH_DIR/head.out"
# Nothing may follow the blank line that ends the head.
check "HEAD / has no body" python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
end = d.find(b"\r\n\r\n")
sys.exit(0 if end >= 0 and len(d) == end + 4 else 1)' "$PH_DIR/head.out"

# Not found.
expect_status "$PH_URL/missing" 404

# POST on a static file: 405 with Allow.
headers=$PH_DIR/post.headers
code=$(curl -s -m 10 -o /dev/null -D "$headers" -w '%{http_code}' \
	-X POST --data 'x=1' "$PH_URL/" || true)
check "POST / is 405 (got ${code:-none})" test "$code" = 405
check "POST / has Allow with GET and HEAD" \
	grep -Eqi '^Allow:.*GET.*HEAD|^Allow:.*HEAD.*GET' "$headers"

# Health check.
expect_status "$PH_URL/healthz" 200
health=$(curl -s -m 10 "$PH_URL/healthz" || true)
check "/healthz says ok (got '$health')" test "$health" = ok

# Graceful stop.
ph_stop TERM
check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0

finish
