#!/usr/bin/env bash
# errorpages.sh -- error_pages: the server's own errors get the operator's
# page with their status and headers; a route's or host's page comes
# first; a CGI script's own error body is kept; a missing page file is a
# configuration error.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"

ph_setup
www=$PH_DIR/www
mkdir -p "$PH_DIR/errors" "$PH_DIR/cgi" "$www/dir" "$PH_DIR/host"
printf '<h1>custom 404</h1>\n' >"$PH_DIR/errors/404.html"
printf 'custom 5xx\n' >"$PH_DIR/errors/50x.txt"
printf '<h1>custom 405</h1>\n' >"$PH_DIR/errors/405.html"
printf '<h1>custom 400</h1>\n' >"$PH_DIR/errors/400.html"
printf '<h1>custom 408</h1>\n' >"$PH_DIR/errors/408.html"
printf '<h1>custom 414</h1>\n' >"$PH_DIR/errors/414.html"
printf '<h1>custom 413</h1>\n' >"$PH_DIR/errors/413.html"
printf '<h1>custom 431</h1>\n' >"$PH_DIR/errors/431.html"
printf '<h1>route 404</h1>\n' >"$PH_DIR/errors/route404.html"
printf '<h1>host 4xx</h1>\n' >"$PH_DIR/errors/host4xx.html"
printf 'host site\n' >"$PH_DIR/host/index.html"
printf 'hello\n' >"$www/hello.txt"
cp "$top_srcdir/tests/cgi-bin/status404.sh" "$top_srcdir/tests/cgi-bin/crash.sh" \
	"$PH_DIR/cgi/"
chmod 755 "$PH_DIR"/cgi/*.sh

conf='listen: [127.0.0.1:@PORT@]
workers: 1
root: www
access_log: {path: "off"}
timeouts: {header: 1s}
limits: {uri_bytes: 1k, body_bytes: 1k, header_bytes: 4k}
error_pages:
  404: errors/404.html
  5xx: errors/50x.txt
  405: errors/405.html
  400: errors/400.html
  408: errors/408.html
  414: errors/414.html
  413: errors/413.html
  431: errors/431.html
routes:
  - prefix: /cgi/
    cgi: {dir: cgi, timeout: 5s}
  - prefix: /r/
    static: {root: www}
    error_pages: {404: errors/route404.html}
  - prefix: /gone
    return: {status: 404, body: "the operator wrote this\n"}
hosts:
  - names: [pages.test]
    root: host
    error_pages: {4xx: errors/host4xx.html}'
ph_start "$conf" || finish

n=0
fetch() {
	n=$((n + 1))
	H=$PH_DIR/r$n.h
	B=$PH_DIR/r$n.b
	CODE=$(curl -s -m 10 -D "$H" -o "$B" -w '%{http_code}' "$@" || true)
	: >>"$H"
	: >>"$B"
}
header() {
	sed -n "s/^$1: *//Ip" "$H" | tr -d '\r' | head -n 1
}

fetch "$PH_URL/missing.html"
check "404: status kept (got $CODE)" test "$CODE" = 404
check "404: the page's body" cmp -s "$B" "$PH_DIR/errors/404.html"
check "404: its type" test "$(header Content-Type)" = "text/html; charset=utf-8"
check "404: its length" test "$(header Content-Length)" = "$(stat -c %s "$PH_DIR/errors/404.html")"
check "404: the connection stays" test "$(header Connection)" = keep-alive

fetch -I "$PH_URL/missing.html"
check "HEAD 404: the page's length" \
	test "$(header Content-Length)" = "$(stat -c %s "$PH_DIR/errors/404.html")"

fetch -X POST -d x "$PH_URL/hello.txt"
check "405: status kept (got $CODE)" test "$CODE" = 405
check "405: the page" cmp -s "$B" "$PH_DIR/errors/405.html"
check "405: Allow kept" test "$(header Allow)" = "GET, HEAD"

fetch "$PH_URL/dir/"
check "403 without a page: status (got $CODE)" test "$CODE" = 403
check "403 without a page: the built-in body" grep -q '403 Forbidden' "$B"

fetch -H 'Range: bytes=99-' "$PH_URL/hello.txt"
check "416 without a page: built-in" grep -q '416' "$B"

# errors answered before any handler
long=$(head -c 2000 /dev/zero | tr '\0' a)
fetch "$PH_URL/$long"
check "414 from the request limits (got $CODE)" test "$CODE" = 414
check "414: the page" cmp -s "$B" "$PH_DIR/errors/414.html"
fetch -X POST --data-binary "@$PH_DIR/errors/50x.txt" -H 'Content-Length: 5000' \
	"$PH_URL/hello.txt"
check "413 for a body over limits.body_bytes (got $CODE)" test "$CODE" = 413
check "413: the page" cmp -s "$B" "$PH_DIR/errors/413.html"
fetch -H "X-Big: $(head -c 5000 /dev/zero | tr '\0' b)" "$PH_URL/hello.txt"
check "431 for a head over limits.header_bytes (got $CODE)" test "$CODE" = 431
check "431: the page" cmp -s "$B" "$PH_DIR/errors/431.html"
raw_request 'GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n' >"$PH_DIR/bad.out"
check "400 for a bad path: the page" grep -q 'custom 400' "$PH_DIR/bad.out"
check "400: status kept" grep -q '^HTTP/1.1 400 ' "$PH_DIR/bad.out"
raw_request 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n' >"$PH_DIR/bad2.out"
check "400 from the parser: the page" grep -q 'custom 400' "$PH_DIR/bad2.out"
raw_request -t 3 'GET / HTTP/1.1\r\nHost: x\r\n' >"$PH_DIR/slow.out"
check "408 at timeouts.header: status kept" grep -q '^HTTP/1.1 408 ' "$PH_DIR/slow.out"
check "408: the page" grep -q 'custom 408' "$PH_DIR/slow.out"

# CGI: the server's 502 gets the page; a script's own 404 body is its own
fetch "$PH_URL/cgi/crash.sh"
check "CGI crash: 502 (got $CODE)" test "$CODE" = 502
check "CGI crash: the 5xx page" cmp -s "$B" "$PH_DIR/errors/50x.txt"
check "5xx page: its type" test "$(header Content-Type)" = "text/plain; charset=utf-8"
fetch "$PH_URL/cgi/status404.sh"
check "CGI's own 404: status (got $CODE)" test "$CODE" = 404
check "CGI's own 404: its own body" grep -qx 'no such thing' "$B"
fetch "$PH_URL/gone"
check "a return route's own 404: status (got $CODE)" test "$CODE" = 404
check "a return route's own 404: its own body" grep -qx 'the operator wrote this' "$B"
fetch "$PH_URL/cgi/none.sh"
check "no such script: the 404 page" cmp -s "$B" "$PH_DIR/errors/404.html"

# a route's page first, then the host's, then the top level's
fetch "$PH_URL/r/missing"
check "route page (got $CODE)" cmp -s "$B" "$PH_DIR/errors/route404.html"
fetch -H 'Host: pages.test' "$PH_URL/missing"
check "host page (4xx) before the top level's 404 (got $CODE)" \
	cmp -s "$B" "$PH_DIR/errors/host4xx.html"
check "host page: status kept" test "$CODE" = 404
fetch -H 'Host: other.test' "$PH_URL/missing"
check "another host: the top level's page" cmp -s "$B" "$PH_DIR/errors/404.html"

# the page is read through the file cache: a change shows within a second
printf '<h1>new 404</h1>\n' >"$PH_DIR/errors/404.html"
sleep 1.2
fetch "$PH_URL/missing.html"
check "a changed page is served" grep -q 'new 404' "$B"
ph_stop

# a page that does not exist is a configuration error
printf '%s\n' "${conf//@PORT@/1}" | sed 's|errors/405.html|errors/none.html|' \
	>"$PH_DIR/bad.yaml"
out=$("$PREFORK_HTTPD" -t -c "$PH_DIR/bad.yaml" 2>&1)
rc=$?
check "missing page: -t exits 1 (got $rc)" test "$rc" = 1
check "missing page: FILE:LINE:COL message" \
	grep -q "bad.yaml:10:8: error_pages.405: .*/errors/none.html: No such file or directory" <<<"$out"

finish
