#!/usr/bin/env bash
# autoindex.sh -- directory listings for static routes with autoindex:
# sorted names, HTML-escaped text, %-encoded links, sizes, dotfiles hidden,
# index files still preferred, 403 where autoindex is off.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
pub=$PH_DIR/pub
mkdir -p "$pub/sub dir" "$pub/withindex" "$PH_DIR/www/plain"
printf 'abc' >"$pub/b.txt"
printf '12345' >"$pub/a&b <c>.txt"
printf 'x' >"$pub/.hidden"
printf 'idx' >"$pub/withindex/index.html"

ph_start 'listen: [127.0.0.1:@PORT@]
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
routes:
  - prefix: /files/
    static: {root: pub, index: [index.html], autoindex: true}' || finish

body=$PH_DIR/list.html
code=$(curl -s -m 10 -o "$body" -w '%{http_code} %{content_type}' "$PH_URL/files/")
check "listing: 200 text/html (got $code)" test "$code" = "200 text/html; charset=utf-8"
check "listing: title" grep -q '<title>Index of /files/</title>' "$body"
check "listing: escaped name" grep -qF 'a&amp;b &lt;c&gt;.txt</a>' "$body"
check "listing: encoded link" grep -qF 'href="a%26b%20%3Cc%3E.txt"' "$body"
check "listing: size" grep -qF 'a&amp;b &lt;c&gt;.txt</a></td><td>5</td>' "$body"
check "listing: directory with a slash" grep -qF 'href="sub%20dir/">sub dir/</a>' "$body"
check "listing: dotfiles hidden" bash -c "! grep -q hidden '$body'"
check "listing: parent link" grep -qF 'href="../"' "$body"
check "listing: sorted by name" python3 -c '
import re, sys
names = re.findall(r"<td><a href=\"([^\"]+)\"", open(sys.argv[1]).read())[1:]
sys.exit(0 if names == sorted(names) and len(names) == 4 else 1)' "$body"
check "listing: mtime shown" grep -Eq '<td>[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}</td>' "$body"

expect_status "$PH_URL/files/sub%20dir/" 200
check "index file preferred" test "$(curl -s -m 10 "$PH_URL/files/withindex/")" = idx
expect_status "$PH_URL/files/a%26b%20%3Cc%3E.txt" 200
expect_status "$PH_URL/plain/" 403
ph_stop
finish
