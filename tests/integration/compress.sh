#!/usr/bin/env bash
# compress.sh -- compressed answers: negotiation, precompressed siblings,
# variants made by the server, Vary, ETags, ranges and conditionals on the
# variant, per-route rules.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
www=$PH_DIR/www
mkdir -p "$www/assets"
python3 - "$www" <<'PY'
import sys
words = ["<div class=item>", "static", "site", "compress", "prefork", "</div>\n"]
text = "".join(words[(i * 7) % 6] + " " for i in range(12000))
open(sys.argv[1] + "/big.html", "w").write(text)
open(sys.argv[1] + "/pre.html", "w").write(text.upper())
open(sys.argv[1] + "/assets/site.css", "w").write("body { color: red; }\n" * 200)
open(sys.argv[1] + "/assets/page.html", "w").write(text)
open(sys.argv[1] + "/small.html", "w").write("<p>small</p>\n" * 4)
PY
gzip -1 -n -k "$www/pre.html"           # a sibling made by the deploy
cp "$www/pre.html" "$www/stale.html"
gzip -1 -n -c "$www/pre.html" >"$www/stale.html.gz"
touch -d '2001-01-01 00:00' "$www/stale.html.gz"   # older than its file
printf '\211PNG\r\n\032\n' >"$www/img.png"
head -c 4000 /dev/zero >>"$www/img.png"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: {path: "off"}
compress: {encodings: [br, gzip], types: [text/html, text/css], min_size: 100}
routes:
  - prefix: /assets/
    static: {root: www/assets}
    compress: {encodings: [gzip], types: [text/css]}' || finish

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
header() {
	sed -n "s/^$1: *//Ip" "$H" | tr -d '\r' | head -n 1
}
differs() { # A B: the files are not the same
	! cmp -s "$1" "$2"
}
gunzip_is() { # FILE ORIGINAL: FILE is a gzip stream of ORIGINAL
	python3 -c 'import gzip,sys; sys.exit(gzip.decompress(open(sys.argv[1],"rb").read()) != open(sys.argv[2],"rb").read())' "$1" "$2"
}

# --- negotiation --------------------------------------------------------------
fetch "$PH_URL/big.html"
check "no Accept-Encoding: 200 (got $CODE)" test "$CODE" = 200
check "no Accept-Encoding: no Content-Encoding" test -z "$(header Content-Encoding)"
check "no Accept-Encoding: the file as it is" cmp -s "$B" "$www/big.html"
check "no Accept-Encoding: Vary: Accept-Encoding" test "$(header Vary)" = Accept-Encoding
etag_id=$(header ETag)

fetch -H 'Accept-Encoding: gzip' "$PH_URL/big.html"
check "gzip: Content-Encoding gzip (got '$(header Content-Encoding)')" \
	test "$(header Content-Encoding)" = gzip
check "gzip: Vary" test "$(header Vary)" = Accept-Encoding
check "gzip: Content-Type of the file" test "$(header Content-Type)" = "text/html; charset=utf-8"
check "gzip: Content-Length is the compressed size" \
	test "$(header Content-Length)" = "$(stat -c %s "$B")"
check "gzip: smaller than the file" test "$(stat -c %s "$B")" -lt "$(stat -c %s "$www/big.html")"
check "gzip: decodes to the file" gunzip_is "$B" "$www/big.html"
etag_gz=$(header ETag)
cp "$B" "$PH_DIR/big.gz"

fetch -H 'Accept-Encoding: gzip, deflate, br' "$PH_URL/big.html"
check "gzip, br: br, the rule's first (got '$(header Content-Encoding)')" \
	test "$(header Content-Encoding)" = br
etag_br=$(header ETag)
fetch --compressed -H 'Accept-Encoding: br' "$PH_URL/big.html"
check "br: decodes to the file" cmp -s "$B" "$www/big.html"
fetch -H 'Accept-Encoding: br;q=0.5, gzip' "$PH_URL/big.html"
check "q-values: gzip weighs more" test "$(header Content-Encoding)" = gzip
fetch -H 'Accept-Encoding: *;q=0.1, br;q=0' "$PH_URL/big.html"
check "*: gzip, br refused" test "$(header Content-Encoding)" = gzip
fetch -H 'Accept-Encoding: gzip;q=0.5, identity' "$PH_URL/big.html"
check "identity weighs more: none" test -z "$(header Content-Encoding)"
fetch -H 'Accept-Encoding: zstd, deflate' "$PH_URL/big.html"
check "nothing offered: none" test -z "$(header Content-Encoding)"
check "three strong ETags, one per coding" \
	test "$etag_id" != "$etag_gz" -a "$etag_gz" != "$etag_br" -a "$etag_id" != "$etag_br"

# --- min_size and identity;q=0 -------------------------------------------------
fetch -H 'Accept-Encoding: gzip' "$PH_URL/small.html"
check "under min_size: sent as it is" test -z "$(header Content-Encoding)"
check "under min_size: Vary all the same" test "$(header Vary)" = Accept-Encoding
fetch -H 'Accept-Encoding: gzip, identity;q=0' "$PH_URL/small.html"
check "identity;q=0: compressed even under min_size" test "$(header Content-Encoding)" = gzip
check "identity;q=0: decodes" gunzip_is "$B" "$www/small.html"

# --- types ---------------------------------------------------------------------
fetch -H 'Accept-Encoding: gzip' "$PH_URL/img.png"
check "image/png: not compressed" test -z "$(header Content-Encoding)"
check "image/png: no Vary" test -z "$(header Vary)"

# --- precompressed siblings ------------------------------------------------------
fetch -H 'Accept-Encoding: gzip' "$PH_URL/pre.html"
check "sibling: Content-Encoding gzip" test "$(header Content-Encoding)" = gzip
check "sibling: the bytes of pre.html.gz" cmp -s "$B" "$www/pre.html.gz"
fetch -H 'Accept-Encoding: gzip' "$PH_URL/stale.html"
check "stale sibling: still gzip" test "$(header Content-Encoding)" = gzip
check "stale sibling: not its bytes" differs "$B" "$www/stale.html.gz"
check "stale sibling: made from the file" gunzip_is "$B" "$www/stale.html"

# --- conditionals, ranges, HEAD on the variant ---------------------------------------
fetch -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag_gz" "$PH_URL/big.html"
check "If-None-Match with the gzip ETag: 304 (got $CODE)" test "$CODE" = 304
check "304 has Vary" test "$(header Vary)" = Accept-Encoding
fetch -H 'Accept-Encoding: br' -H "If-None-Match: $etag_gz" "$PH_URL/big.html"
check "the gzip ETag does not match br: 200 (got $CODE)" test "$CODE" = 200
gzlen=$(stat -c %s "$PH_DIR/big.gz")
fetch -H 'Accept-Encoding: gzip' -H 'Range: bytes=10-19' "$PH_URL/big.html"
check "Range on gzip: 206 (got $CODE)" test "$CODE" = 206
check "Range on gzip: Content-Range of the variant ($(header Content-Range))" \
	test "$(header Content-Range)" = "bytes 10-19/$gzlen"
check "Range on gzip: those bytes of the gzip answer" \
	cmp -s "$B" <(tail -c +11 "$PH_DIR/big.gz" | head -c 10)
fetch -I -H 'Accept-Encoding: gzip' "$PH_URL/big.html"
check "HEAD gzip: Content-Length of the variant" test "$(header Content-Length)" = "$gzlen"
check "HEAD gzip: no body (the output is the head alone)" cmp -s "$B" "$H"

# --- a route's own rule ------------------------------------------------------------
fetch -H 'Accept-Encoding: br, gzip' "$PH_URL/assets/site.css"
check "route rule: gzip only (got '$(header Content-Encoding)')" \
	test "$(header Content-Encoding)" = gzip
check "route rule: decodes" gunzip_is "$B" "$www/assets/site.css"
fetch -H 'Accept-Encoding: br' "$PH_URL/assets/site.css"
check "route rule: br not offered" test -z "$(header Content-Encoding)"
fetch -H 'Accept-Encoding: gzip' "$PH_URL/assets/page.html"
check "route rule: text/html not in its types" test -z "$(header Content-Encoding)"
fetch -H 'Accept-Encoding: gzip' "$PH_URL/big.css"
check "a missing file: 404 (got $CODE)" test "$CODE" = 404

# --- a new version of the file gets a new variant -----------------------------------
printf '<p>%s</p>\n' "$(head -c 3000 /dev/zero | tr '\0' n)" >"$www/big.html"
sleep 1.2 # entries are checked again once a second
fetch -H 'Accept-Encoding: gzip' "$PH_URL/big.html"
check "changed file: the new content, compressed" gunzip_is "$B" "$www/big.html"
check "changed file: a new ETag" test "$(header ETag)" != "$etag_gz"

ph_stop
finish
