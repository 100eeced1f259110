#!/usr/bin/env bash
# spa.sh -- a single-page application's fallback, cache headers, and the
# MIME types of the configuration.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
www=$PH_DIR/www
mkdir -p "$www/app/static" "$www/app/empty" "$www/assets"
printf '<div id=root></div>\n' >"$www/app/index.html"
printf 'console.log(1)\n' >"$www/app/static/main.js"
printf 'SECRET=1\n' >"$www/app/.env"
printf 'body{}\n' >"$www/assets/a.css"
printf '\0asm' >"$www/assets/m.wasm"
printf 'x' >"$www/assets/README"
printf 'y' >"$www/assets/data.zzq"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
access_log: {path: "off"}
types: {wasm: application/wasm, zzq: application/x-zzq, css: text/x-mine}
default_type: text/plain
routes:
  - prefix: /app/
    static: {root: www/app, fallback: /app/index.html, cache_control: "no-cache"}
  - prefix: /assets/
    static: {root: www/assets, expires: 1h}' || finish

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

# --- fallback --------------------------------------------------------------------
for p in /app/ /app/users/42 /app/deep/client/route /app/static/missing.js; do
	fetch "$PH_URL$p"
	check "GET $p: 200 (got $CODE)" test "$CODE" = 200
	check "GET $p: the app's index" cmp -s "$B" "$www/app/index.html"
done
fetch -I "$PH_URL/app/some/route"
check "HEAD of a missing path: 200 (got $CODE)" test "$CODE" = 200
fetch "$PH_URL/app/static/main.js"
check "an existing file is itself" cmp -s "$B" "$www/app/static/main.js"
fetch "$PH_URL/app/empty/"
check "a directory without index: 403, no fallback (got $CODE)" test "$CODE" = 403
fetch "$PH_URL/app/static"
check "a directory without its /: 301 (got $CODE)" test "$CODE" = 301
fetch -X POST -d x "$PH_URL/app/missing"
check "POST: 405, no fallback (got $CODE)" test "$CODE" = 405
fetch "$PH_URL/app/.env"
check "a dotfile: 404, no fallback (got $CODE)" test "$CODE" = 404
check "a dotfile: not the index" test "$(cat "$B")" != "$(cat "$www/app/index.html")"
fetch "$PH_URL/app/.git/HEAD"
check "under a dot directory: 404 (got $CODE)" test "$CODE" = 404
fetch --path-as-is "$PH_URL/app/../../etc/passwd"
check "traversal: refused, no fallback (got $CODE)" test "$CODE" = 403
fetch "$PH_URL/app/%2e%2e/%2e%2e/etc/passwd"
check "encoded traversal: refused (got $CODE)" test "$CODE" = 403

# --- cache headers -------------------------------------------------------------------
fetch "$PH_URL/app/users/1"
check "cache_control on the fallback" test "$(header Cache-Control)" = no-cache
fetch "$PH_URL/app/static/main.js"
check "cache_control on a file" test "$(header Cache-Control)" = no-cache
check "cache_control: no Expires" test -z "$(header Expires)"
fetch "$PH_URL/assets/a.css"
check "expires: Cache-Control max-age" test "$(header Cache-Control)" = max-age=3600
check "expires: an Expires an hour after Date" python3 - "$(header Date)" "$(header Expires)" <<'PY'
import sys
from email.utils import parsedate_to_datetime as p
d = (p(sys.argv[2]) - p(sys.argv[1])).total_seconds()
sys.exit(0 if 3599 <= d <= 3601 else 1)
PY
fetch -H "If-None-Match: $(header ETag)" "$PH_URL/assets/a.css"
check "304 carries them too (got $CODE)" test "$CODE" = 304 -a "$(header Cache-Control)" = max-age=3600
fetch "$PH_URL/assets/none.css"
check "not on a 404" test "$CODE" = 404 -a -z "$(header Cache-Control)"

# --- types ---------------------------------------------------------------------------
fetch "$PH_URL/assets/m.wasm"
check "wasm: application/wasm ($(header Content-Type))" test "$(header Content-Type)" = application/wasm
fetch "$PH_URL/assets/data.zzq"
check "a new extension ($(header Content-Type))" test "$(header Content-Type)" = application/x-zzq
fetch "$PH_URL/assets/a.css"
check "an extension redefined, with charset ($(header Content-Type))" \
	test "$(header Content-Type)" = "text/x-mine; charset=utf-8"
fetch "$PH_URL/assets/README"
check "default_type for no extension ($(header Content-Type))" \
	test "$(header Content-Type)" = "text/plain; charset=utf-8"
fetch "$PH_URL/app/static/main.js"
check "the others as before ($(header Content-Type))" \
	test "$(header Content-Type)" = "text/javascript; charset=utf-8"

ph_stop
finish
