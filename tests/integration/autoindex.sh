#!/usr/bin/env bash
# autoindex.sh -- directory listings for static routes with autoindex:
# sorted names, HTML-escaped text, %-encoded links, sizes, dotfiles hidden,
# index files still preferred, 403 where autoindex is off; a listing over
# the 1 MiB limit is cut between two entries, stays well-formed and says so.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
pub=$PH_DIR/pub
mkdir -p "$pub/sub dir" "$pub/withindex" "$PH_DIR/www/plain"
printf 'abc' >"$pub/b.txt"
printf '12345' >"$pub/a&b <c>.txt"
printf 'x' >"$pub/.hidden"
printf 'idx' >"$pub/withindex/index.html"
# Enough long names to pass the 1 MiB page limit: each '&' takes 5 bytes
# in the text and 3 in the link, so one entry is about 2 KB.
many=$PH_DIR/many
mkdir -p "$many"
amps=$(head -c 230 /dev/zero | tr '\0' '&')
for i in $(seq -w 1 700); do
	: >"$many/$i$amps"
done

ph_start 'listen: [127.0.0.1:@PORT@]
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
routes:
  - prefix: /files/
    static: {root: pub, index: [index.html], autoindex: true}
  - prefix: /many/
    static: {root: many, autoindex: true}' || finish

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

# --- a listing over the size limit: cut between two entries -----------------
big=$PH_DIR/many.html
code=$(curl -s -m 10 -o "$big" -w '%{http_code}' "$PH_URL/many/")
check "long listing: 200 (got $code)" test "$code" = 200
check "long listing: at most 1 MiB ($(wc -c <"$big") bytes)" \
	test "$(wc -c <"$big")" -le 1048576
# Every tag closed, in order; as many <a> as </a>; the rows shown are the
# first names in order; the page says how many of the 700 it shows and
# ends with the closing tags.
check "long listing: well-formed, cut between entries, says so" python3 - "$big" <<'PY'
import re, sys
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link"}
text = open(sys.argv[1], encoding="utf-8").read()

class Balance(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.opened, self.closed = [], [], 0, 0
        self.hrefs = []
    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.opened += 1
            self.hrefs.append(dict(attrs).get("href"))
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if tag == "a":
            self.closed += 1
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %s" % (tag, self.stack[-1:] or "nothing"))
        else:
            self.stack.pop()
    def handle_data(self, data):
        if "<" in data:
            self.errors.append("stray '<' in text: %r" % data[:40])

b = Balance()
b.feed(text)
b.close()
if b.rawdata:
    b.errors.append("unparsed at the end: %r" % b.rawdata[:60])
names = [h for h in b.hrefs if h != "../"]
m = re.search(r"</table>\n<p>This listing was truncated: (\d+) of (\d+) "
              r"entries shown\.</p>\n</body></html>\n\Z", text)
want = ["%03d%s" % (i, "%26" * 230) for i in range(1, len(names) + 1)]
problems = b.errors[:5]
if b.stack:
    problems.append("left open: %s" % b.stack)
if b.opened != b.closed or b.opened < 2:
    problems.append("%d <a> for %d </a>" % (b.opened, b.closed))
if m is None:
    problems.append("does not end with </table>, the note and </body></html>: %r" % text[-160:])
elif int(m.group(2)) != 700 or int(m.group(1)) != len(names) or not 0 < len(names) < 700:
    problems.append("note says %s of %s, %d rows listed" % (m.group(1), m.group(2), len(names)))
if names != want:
    problems.append("the rows are not the first %d names in order" % len(names))
for p in problems:
    print("#   " + p)
sys.exit(1 if problems else 0)
PY
check "long listing: the cut is logged" \
	grep -q 'autoindex: listing of /.* truncated at 1048576 bytes: [0-9]* of 700 entries shown' \
	"$PH_DIR/stderr.log"

expect_status "$PH_URL/files/sub%20dir/" 200
check "index file preferred" test "$(curl -s -m 10 "$PH_URL/files/withindex/")" = idx
expect_status "$PH_URL/files/a%26b%20%3Cc%3E.txt" 200
expect_status "$PH_URL/plain/" 403
ph_stop
finish
