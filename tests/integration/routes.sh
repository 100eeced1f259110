#!/usr/bin/env bash
# routes.sh -- route selection (longest prefix first, fixed paths before
# routes, the top-level root without a match), redirect with the rest of
# the path and the query kept as Apache's Redirect does (also for the
# longest redirect.to, 4096 bytes), or a fixed target with keep_path:
# false, return with and without a body, per-route headers.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
mkdir -p "$PH_DIR/public/deep" "$PH_DIR/www/other"
echo "public file" >"$PH_DIR/public/file.txt"
echo "deep file" >"$PH_DIR/public/deep/file.txt"
echo "top file" >"$PH_DIR/www/other/file.txt"
# A redirect.to of exactly 4096 bytes, the longest accepted.
long_to=/$(head -c 4095 /dev/zero | tr '\0' a)

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
routes:
  - prefix: /static/
    static: {root: public}
    headers: {Cache-Control: "public, max-age=3600", X-Route: static}
  - prefix: /static/deep/secret
    return: {status: 403, body: "longest prefix wins\n"}
  - prefix: /old/
    redirect: {to: /new/, status: 301}
    headers: {X-Route: old}
  - prefix: /temp
    redirect: {to: "/target?fixed=1", status: 307}
  - prefix: /fixed/
    redirect: {to: /landing.html, keep_path: false}
  - prefix: /noslash
    redirect: {to: "https://example.test/x#top", status: 308}
  - prefix: /robots.txt
    return: {status: 200, body: "User-agent: *\nDisallow:\n"}
    headers: {X-Route: robots}
  - prefix: /gone
    return: {status: 204}
  - prefix: /long
    redirect: {to: '"$long_to"'}' || finish

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

fetch "$PH_URL/static/file.txt"
check "static route: 200 (got $CODE)" test "$CODE" = 200
check "static route: file from its own root" grep -qx "public file" "$B"
check "static route: Cache-Control header" \
	test "$(header Cache-Control)" = "public, max-age=3600"
check "static route: X-Route header" test "$(header X-Route)" = static
fetch "$PH_URL/static/deep/file.txt"
check "shorter prefix still serves beside a longer one" grep -qx "deep file" "$B"
fetch "$PH_URL/static/deep/secret/x"
check "longest prefix wins: 403 (got $CODE)" test "$CODE" = 403
check "longest prefix wins: its body" grep -qx "longest prefix wins" "$B"
fetch "$PH_URL/static/missing"
check "static route: 404 (got $CODE)" test "$CODE" = 404
check "route headers on errors too" test "$(header X-Route)" = static

fetch "$PH_URL/other/file.txt"
check "no route: the top-level root" grep -qx "top file" "$B"
check "no route: no route header" test -z "$(header X-Route)"
fetch "$PH_URL/static"
check "prefix /static/ does not match /static (got $CODE)" test "$CODE" = 404

fetch "$PH_URL/old/page.html?q=1"
check "redirect: 301 (got $CODE)" test "$CODE" = 301
check "redirect: the rest of the path and the query are kept (got $(header Location))" \
	test "$(header Location)" = "/new/page.html?q=1"
check "redirect: route header" test "$(header X-Route)" = old
fetch "$PH_URL/old/a/b/c.txt?a=1&b=2"
check "redirect: deeper paths too (got $(header Location))" \
	test "$(header Location)" = "/new/a/b/c.txt?a=1&b=2"
fetch "$PH_URL/old/"
check "redirect without query" test "$(header Location)" = "/new/"
fetch "$PH_URL/old/sp%20ace%3Fq%25.html"
check "redirect: the rest is %-encoded again (got $(header Location))" \
	test "$(header Location)" = "/new/sp%20ace%3Fq%25.html"
fetch "$PH_URL/temp?z=9"
check "redirect 307 (got $CODE)" test "$CODE" = 307
check "redirect: query appended with &" \
	test "$(header Location)" = "/target?fixed=1&z=9"
fetch "$PH_URL/temp/more?z=9"
check "redirect: the rest goes before the target's own query (got $(header Location))" \
	test "$(header Location)" = "/target/more?fixed=1&z=9"
fetch "$PH_URL/fixed/any/page.html?q=1"
check "keep_path: false: the fixed target, query kept (got $(header Location))" \
	test "$(header Location)" = "/landing.html?q=1"
fetch "$PH_URL/noslash/deep?q=1"
check "redirect: prefix without slash, absolute target with a fragment (got $(header Location))" \
	test "$(header Location)" = "https://example.test/x/deep?q=1#top"

fetch "$PH_URL/long?q=1"
check "redirect.to of 4096 bytes: 302 (got $CODE)" test "$CODE" = 302
check "redirect.to of 4096 bytes: the whole Location, query kept" \
	test "$(header Location)" = "$long_to?q=1"

fetch "$PH_URL/robots.txt"
check "return: 200 (got $CODE)" test "$CODE" = 200
check "return: body" cmp -s "$B" <(printf 'User-agent: *\nDisallow:\n')
check "return: Content-Length" test "$(header Content-Length)" = 24
check "return: route header" test "$(header X-Route)" = robots
fetch "$PH_URL/gone"
check "return 204 (got $CODE)" test "$CODE" = 204
check "return 204: no body" test ! -s "$B"
check "return 204: no Content-Length" test -z "$(header Content-Length)"

fetch -X POST --data-binary 'ignored' "$PH_URL/robots.txt"
check "return answers any method (got $CODE)" test "$CODE" = 200

expect_status "$PH_URL/healthz" 200
ph_stop
finish
