#!/usr/bin/env bash
# static.sh -- static files: Content-Type, HEAD, 404, 405 with Allow,
# directory redirects and index files, 403 without an index, validators,
# Date and Server on every response, 304, 206 and 416.
# shellcheck source=tests/integration/lib.sh disable=SC2016,SC2001
. "$(dirname "$0")/lib.sh"

ph_setup
www=$PH_DIR/www
printf 'body { color: red; }\n' >"$www/style.css"
printf '<p>page</p>\n' >"$www/page.html"
printf '\211PNG\r\n\032\n0123456789' >"$www/image.png"
printf 'opaque bytes\n' >"$www/blob.zzqx"
printf '0123456789abcdefghijklmnopqrstuvwxyz' >"$www/digits.txt"
mkdir -p "$www/dir" "$www/noindex"
printf '<p>dir index</p>\n' >"$www/dir/index.html"
printf 'not an index\n' >"$www/noindex/file.txt"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish

n=0
# fetch [CURL_ARG...] URL: GET into $PH_DIR/r$n.{h,b}; sets H, B, CODE.
fetch() {
	n=$((n + 1))
	H=$PH_DIR/r$n.h
	B=$PH_DIR/r$n.b
	CODE=$(curl -s -m 10 -D "$H" -o "$B" -w '%{http_code}' "$@" || true)
	: >>"$H"
	: >>"$B"
}
# header NAME: the value of header NAME in $H (no CR).
header() {
	sed -n "s/^$1: *//Ip" "$H" | tr -d '\r' | head -n 1
}
has_date_server() { # NAME
	check "$1 has Date" grep -qi '^Date: ' "$H"
	check "$1 has Server" grep -qi '^Server: ' "$H"
}

# --- Content-Type --------------------------------------------------------
for spec in "page.html text/html" "style.css text/css" "image.png image/png" \
	"blob.zzqx application/octet-stream"; do
	read -r file type <<<"$spec"
	set -- "$file" "$type"
	fetch "$PH_URL/$1"
	ct=$(header Content-Type)
	check "GET /$1 is 200 (got $CODE)" test "$CODE" = 200
	check "GET /$1 Content-Type is $2 (got '$ct')" \
		test "${ct%%;*}" = "$2"
	check "GET /$1 body is the file" cmp -s "$B" "$www/$1"
	has_date_server "GET /$1"
done

# --- HEAD ------------------------------------------------------------------
fetch "$PH_URL/style.css"
get_ct=$(header Content-Type)
get_len=$(header Content-Length)
get_etag=$(header ETag)
raw_request 'HEAD /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
	>"$PH_DIR/head.out"
H=$PH_DIR/head.out
check "HEAD /style.css is 200" grep -q '^HTTP/1\.1 200' "$H"
check "HEAD Content-Type matches GET ($get_ct)" test "$(header Content-Type)" = "$get_ct"
check "HEAD Content-Length matches GET ($get_len)" test "$(header Content-Length)" = "$get_len"
check "HEAD ETag matches GET ($get_etag)" test "$(header ETag)" = "$get_etag"
check "HEAD has no body" python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
end = d.find(b"\r\n\r\n")
sys.exit(0 if end >= 0 and len(d) == end + 4 else 1)' "$H"

# --- errors ----------------------------------------------------------------
fetch "$PH_URL/missing.html"
check "GET /missing.html is 404 (got $CODE)" test "$CODE" = 404
has_date_server "404"
for m in POST PUT DELETE; do
	fetch -X "$m" --data x=1 "$PH_URL/page.html"
	allow=$(header Allow)
	check "$m /page.html is 405 (got $CODE)" test "$CODE" = 405
	check "$m /page.html Allow lists GET and HEAD (got '$allow')" \
		eval '[[ $allow == *GET* && $allow == *HEAD* ]]'
	has_date_server "405 for $m"
done

# --- directories -----------------------------------------------------------
fetch "$PH_URL/dir"
loc=$(header Location)
check "GET /dir is 301 (got $CODE)" test "$CODE" = 301
check "GET /dir Location is /dir/ (got '$loc')" \
	eval '[[ $loc == /dir/ || $loc == "$PH_URL/dir/" ]]'
has_date_server "301"
fetch "$PH_URL/dir?a=1&b=two"
loc=$(header Location)
check "GET /dir?a=1&b=two is 301 (got $CODE)" test "$CODE" = 301
check "GET /dir?a=1&b=two keeps the query (got '$loc')" \
	eval '[[ $loc == "/dir/?a=1&b=two" || $loc == "$PH_URL/dir/?a=1&b=two" ]]'
fetch "$PH_URL/dir/"
check "GET /dir/ is 200 (got $CODE)" test "$CODE" = 200
check "GET /dir/ serves dir/index.html" cmp -s "$B" "$www/dir/index.html"
check "GET /dir/ is text/html" eval '[[ $(header Content-Type) == text/html* ]]'
fetch "$PH_URL/noindex/"
check "GET /noindex/ (no index file) is 403 (got $CODE)" test "$CODE" = 403
check "GET /noindex/ lists nothing" eval '! grep -q file.txt "$B"'
has_date_server "403"

# --- validators and conditionals -------------------------------------------
fetch "$PH_URL/digits.txt"
etag=$(header ETag)
lm=$(header Last-Modified)
check "GET /digits.txt has ETag (got '$etag')" test -n "$etag"
check "GET /digits.txt has Last-Modified (got '$lm')" test -n "$lm"
fetch -H "If-None-Match: $etag" "$PH_URL/digits.txt"
check "If-None-Match with the ETag is 304 (got $CODE)" test "$CODE" = 304
check "304 has no body" test ! -s "$B"
check "304 keeps the ETag" test "$(header ETag)" = "$etag"
has_date_server "304"
fetch -H 'If-None-Match: "no-such-tag"' "$PH_URL/digits.txt"
check "If-None-Match with another ETag is 200 (got $CODE)" test "$CODE" = 200
fetch -H "If-Modified-Since: $lm" "$PH_URL/digits.txt"
check "If-Modified-Since Last-Modified is 304 (got $CODE)" test "$CODE" = 304

# --- ranges ----------------------------------------------------------------
fetch -H 'Range: bytes=10-15' "$PH_URL/digits.txt"
check "Range bytes=10-15 is 206 (got $CODE)" test "$CODE" = 206
check "206 body is abcdef (got '$(cat "$B")')" test "$(cat "$B")" = abcdef
cr=$(header Content-Range)
check "206 Content-Range is bytes 10-15/36 (got '$cr')" test "$cr" = 'bytes 10-15/36'
check "206 Content-Length is 6" test "$(header Content-Length)" = 6
fetch -H 'Range: bytes=-4' "$PH_URL/digits.txt"
check "Range bytes=-4 is 206 with the last 4 bytes" \
	test "$CODE:$(cat "$B")" = 206:wxyz
fetch -H 'Range: bytes=100-200' "$PH_URL/digits.txt"
cr=$(header Content-Range)
check "Range bytes=100-200 is 416 (got $CODE)" test "$CODE" = 416
check "416 Content-Range is bytes */36 (got '$cr')" test "$cr" = 'bytes */36'
has_date_server "416"
fetch -H 'Range: bytes=0-3' -H 'If-Range: "stale"' "$PH_URL/digits.txt"
check "Range with a stale If-Range is 200 with the whole file (got $CODE)" \
	test "$CODE:$(wc -c <"$B" | tr -d ' ')" = 200:36

# --- a bad request still has Date and Server ------------------------------
raw_request 'GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n' >"$PH_DIR/bad.out"
H=$PH_DIR/bad.out
check "a malformed request gets a 400" grep -q '^HTTP/1\.[01] 400' "$H"
check "400 has Date" grep -qi '^Date: ' "$H"
check "400 has Server" grep -qi '^Server: ' "$H"

ph_stop TERM
check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
finish
