#!/usr/bin/env bash
# browser.sh -- the HTML status page in a real browser (headless Chromium):
# what an operator sees when they open /server-status.  Not part of `make
# check` (Chromium is large): `make check-browser` runs it, and CI does.
#
# A pool of 3 workers, some traffic, and one slow download in progress.
# The browser asks with its own Accept header (no ?html): the page must
# come as HTML.  The rendered DOM (--dump-dom) must show the title, the
# totals and rates, the scoreboard, one row per worker with its state, and
# the download in the writing worker's row; the screenshot (--screenshot)
# is kept as BROWSER_OUT/status.png (default: the build directory) for a
# person to look at, and must be a PNG of the window's size with more
# than a blank page in it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
	echo "chromium not found: install Debian's chromium package" >&2
	exit 99 # a hard error, never a skip
fi
OUT=${BROWSER_OUT:-${top_builddir:-.}/tests}
mkdir -p "$OUT"

ph_setup
head -c $((64 * 1024 * 1024)) /dev/zero >"$PH_DIR/www/big.bin"
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 3
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
status: {path: /server-status, allow: [127.0.0.1/32]}' || finish

for _ in $(seq 20); do
	curl -s -o /dev/null -m 5 "$PH_URL/" || true
done
curl -s -o /dev/null -m 5 "$PH_URL/missing" || true
# A download that lasts (about 1 MB/s, 40 s at most; stopped at the end).
python3 - "$PH_PORT" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
end = time.time() + 40
while time.time() < end and s.recv(32768):
    time.sleep(0.03)
PY
slow=$!
trap 'kill "$slow" 2>/dev/null; ph_cleanup' EXIT
sleep 3 # the master's sample of the totals, for the recent rates

# browser ARG...: headless Chromium with a profile of its own, at most 90 s.
browser() {
	local profile
	profile=$(mktemp -d "$PH_DIR/chromium.XXXXXX")
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-dev-shm-usage \
		--hide-scrollbars --user-data-dir="$profile" "$@"
}

browser --window-size=1280,900 --dump-dom "$PH_URL/server-status" \
	>"$PH_DIR/dom.html" 2>"$PH_DIR/chromium.err"
check "the browser got the page ($(wc -c <"$PH_DIR/dom.html") bytes of DOM)" \
	test -s "$PH_DIR/dom.html"
check "the rendered page: title, totals, pool, one row per worker, the download" \
	python3 - "$PH_DIR/dom.html" <<'PY'
import re, sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.rows, self.row, self.cell = [], [], None, None
        self.title, self.in_title, self.body = "", False, False
    def handle_starttag(self, t, a):
        if t == "title":
            self.in_title = True
        if t == "tbody":
            self.body = True
        if t == "tr" and self.body:
            self.row = []
        if t == "td" and self.row is not None:
            self.cell = ""
    def handle_endtag(self, t):
        if t == "title":
            self.in_title = False
        if t == "td" and self.row is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        if t == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        if t == "tbody":
            self.body = False
    def handle_data(self, d):
        if self.in_title:
            self.title += d
        if self.cell is not None:
            self.cell += d
        self.text.append(d)

p = Page()
p.feed(open(sys.argv[1], encoding="utf-8").read())
text = " ".join(" ".join(p.text).split())
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(p.title == "prefork-httpd status", "title %r" % p.title)
for s in ("requests/s since start", "requests/s, last", "Workers", "Connections",
          "Pool", "started", "serving", "accepted", "keep-alive"):
    want(s in text, "text %r" % s)
want(re.search(r"started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", text), "the start as a date")
want(len(p.rows) == 3, "%d rows" % len(p.rows))
states = [r[3] for r in p.rows if len(r) == 12]
want(sorted(states).count("writing") >= 1, "states %r" % states)
big = [r for r in p.rows if len(r) == 12 and r[11].startswith("GET /big.bin")]
want(len(big) == 1 and big[0][3] == "writing", "the download's row: %r" % big)
if big:
    want(re.fullmatch(r"\d+\.\d{3}", big[0][9]) is not None, "its seconds %r" % big[0][9])
    want(big[0][6].endswith("MiB"), "its bytes sent so far %r" % big[0][6])
total = re.search(r"\b(\d+) requests\b", text)
want(total and int(total.group(1)) >= 21, "the requests so far (21 or more)")
for r in p.rows:
    print("# row: %s" % " | ".join(r))
for w in problems:
    print("# missing: %s" % w)
sys.exit(1 if problems else 0)
PY

browser --window-size=1280,900 --screenshot="$PH_DIR/status.png" \
	"$PH_URL/server-status" >/dev/null 2>>"$PH_DIR/chromium.err"
cp "$PH_DIR/status.png" "$OUT/status.png" 2>/dev/null || true
check "a screenshot of 1280x900 with something on it (kept as $OUT/status.png)" \
	python3 - "$PH_DIR/status.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(1)
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    if kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
colours = len(set(raw[i:i + 3] for i in range(0, len(raw), 4099)))
print("# %dx%d, depth %d, type %d, %d bytes, %d sampled colours" % (w, h, depth, ctype, len(data), colours))
sys.exit(0 if (w, h) == (1280, 900) and colours >= 4 else 1)
PY

kill "$slow" 2>/dev/null
wait "$slow" 2>/dev/null
ph_stop TERM
if [ "$PH_FAILED" -gt 0 ] && [ -s "$PH_DIR/chromium.err" ]; then
	echo "# --- chromium stderr (last 20 lines) ---"
	tail -n 20 "$PH_DIR/chromium.err" | sed 's/^/# /'
fi
finish
