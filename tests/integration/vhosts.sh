#!/usr/bin/env bash
# vhosts.sh -- host blocks chosen by Host: exact names, then the longest
# wildcard; the port and case do not matter; the authority of an
# absolute-form target counts; no match serves the top level.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
mkdir -p "$PH_DIR/sites/ex" "$PH_DIR/sites/static" "$PH_DIR/sites/other"
printf 'top site\n' >"$PH_DIR/www/index.html"
printf 'example site\n' >"$PH_DIR/sites/ex/index.html"
printf 'static site\n' >"$PH_DIR/sites/static/index.html"
printf 'other home\n' >"$PH_DIR/sites/other/home.html"
printf 'other index\n' >"$PH_DIR/sites/other/index.html"
mkdir -p "$PH_DIR/cgi-bin"
cp "$top_srcdir/tests/cgi-bin/env.sh" "$PH_DIR/cgi-bin/"
chmod 755 "$PH_DIR/cgi-bin/env.sh"
hello=$top_builddir/modules/hello/hello.so

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
access_log: {path: "off"}
routes:
  - prefix: /top/
    return: {status: 200, body: "top route\n"}
hosts:
  - names: [example.test, "*.example.test"]
    root: sites/ex
    routes:
      - prefix: /api/
        return: {status: 200, body: "example api\n"}
      - prefix: /cgi-bin/
        cgi: {dir: cgi-bin}
      - prefix: /hello/
        module: {path: '"$hello"', options: {greeting: Howdy}}
  - names: ["*.static.example.test"]
    root: sites/static
  - names: [other.test, "[::1]"]
    root: sites/other
    index: [home.html]' || finish

body() { # HOST PATH: the body answered for Host: HOST
	curl -s -m 10 -H "Host: $1" "$PH_URL$2"
}
expect_body() { # HOST PATH WANT
	local got
	got=$(body "$1" "$2")
	check "Host: $1, $2 -> '$3' (got '$got')" test "$got" = "$3"
}

expect_body example.test / 'example site'
expect_body EXAMPLE.Test:8080 / 'example site'
expect_body example.test. / 'example site'
expect_body www.example.test / 'example site'
expect_body a.b.example.test / 'example site'
expect_body static.example.test / 'example site'
expect_body img.static.example.test / 'static site'
expect_body x.y.static.example.test:1 / 'static site'
expect_body other.test / 'other home'
expect_body '[::1]:8080' / 'other home'
expect_body unknown.test / 'top site'
expect_body example.test.evil / 'top site'
expect_body 127.0.0.1 / 'top site'
# each host has its own routes; the top level's are not theirs
expect_body example.test /api/x 'example api'
expect_body www.example.test /api/ 'example api'
expect_body unknown.test /top/ 'top route'
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: example.test' "$PH_URL/top/")
check "example.test has no /top/ route: 404 (got $code)" test "$code" = 404
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: other.test' "$PH_URL/api/x")
check "other.test has no /api/ route: 404 (got $code)" test "$code" = 404
# CGI and modules in a host's routes: the host's document root, its module
out=$(body example.test /cgi-bin/env.sh)
check "CGI in a host: DOCUMENT_ROOT is the host's root" \
	grep -qx "DOCUMENT_ROOT=$PH_DIR/sites/ex" <<<"$out"
out=$(body example.test /hello/)
check "a module in a host's routes answers (got '$out')" grep -q Howdy <<<"$out"
# the built-in pages answer on every host
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: example.test' "$PH_URL/healthz")
check "health on a host: 200 (got $code)" test "$code" = 200
# HTTP/1.0 without Host: the top level
out=$(raw_request 'GET / HTTP/1.0\r\n\r\n')
check "HTTP/1.0 without Host: the top level" grep -q '^top site' <<<"$out"
# absolute-form: its authority is the host
out=$(raw_request 'GET http://other.test/ HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n')
check "absolute-form target: its authority wins" grep -q '^other home' <<<"$out"
# keep-alive: each request is placed by its own Host
out=$(raw_request 'GET / HTTP/1.1\r\nHost: example.test\r\n\r\nGET / HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n')
check "two hosts on one connection" python3 -c '
import sys
d = sys.stdin.read()
a, b = d.find("example site"), d.find("other home")
sys.exit(0 if 0 <= a < b else 1)' <<<"$out"

ph_stop
finish
