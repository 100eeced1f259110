#!/usr/bin/env bash
# park_split.sh -- a request head read exactly as if it arrived whole,
# whatever the split and the pauses between its pieces: a head that waits
# in a worker's set and then grows past a read's worth of bytes loses
# nothing, a head over limits.header_bytes gets 431 and never a 408, and
# bytes hidden in a body are never answered as a request of their own.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
echo small >"$PH_DIR/www/small.txt"
cat >"$PH_DIR/t.py" <<'PY'
import re, socket, sys, time
from phclient import read_until_eof, report

port = int(sys.argv[2])

def send_in_two(first, second, pause=0.5, wait=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(first)
    time.sleep(pause)
    try:
        s.sendall(second)
    except OSError:
        pass
    out, _, _ = read_until_eof(s, wait)
    s.close()
    return out

def statuses(out):
    # bodies here end in a newline, so every status line starts a line
    return [m.decode() for m in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", out)]

# 1. The hidden request: the head's first part waits, then 4096 bytes end it
#    and start a POST whose body carries a request line.
first = b"GET /small.txt HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 14000
hidden = b"\r\n\r\nGET /smuggled-via-park HTTP/1.1\r\nHost: x\r\n\r\n"
rest = b"\r\n\r\nPOST /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
body_len = 4096 - len(rest) - len(b"Content-Length: 0000\r\n\r\n")
rest += b"Content-Length: %04d\r\n\r\n" % body_len
second = rest + hidden + b"Z" * (body_len - len(hidden))
assert len(second) == 4096, len(second)
out = send_in_two(first, second)
got = statuses(out)
report(got[:1] == ["200"], "the parked head is answered 200", "got %s" % got)
report(len(got) == 2 and got[1] in ("404", "405"),
       "the POST after it is read as a POST, body and all", "got %s" % got)
report(b"smuggled" not in out, "nothing hidden in the body is answered")

# 2. Valid and oversized heads sent in two parts with a pause, the second
#    part carrying a pipelined request after the head (4096 bytes or more).
def head_of(size, close=b""):
    base = b"GET /small.txt HTTP/1.1\r\nHost: x\r\n" + close + b"X-Pad: "
    return base + b"a" * (size - len(base) - 4) + b"\r\n\r\n"

tail = head_of(4000, b"Connection: close\r\n")
for size, want in ((15039, ["200", "200"]), (16384, ["200", "200"]), (17039, ["431"])):
    h = head_of(size)
    assert len(h) == size
    for cut in (14000, size - 4096, size - 1):
        got = statuses(send_in_two(h[:cut], h[cut:] + tail, pause=0.3))
        report(got == want, "a %d-byte head cut at %d, then a pipelined request: %s"
               % (size, cut, " ".join(want)), "got %s" % got)
PY

t() {
	local n=0
	while IFS=$'\t' read -r verdict name; do
		n=$((n + 1))
		case $verdict in
		PASS) pass "$name" ;;
		FAIL) fail "$name" ;;
		*) fail "helper output" "$verdict $name" ;;
		esac
	done < <(timeout 120 python3 "$PH_DIR/t.py" "$1" "$PH_PORT" ||
		printf 'FAIL\thelper %s exited with status %s\n' "$1" "$?")
	check "the helper reported its checks ($n)" test "$n" -ge 12
}

if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
limits: {header_bytes: 16k}
timeouts: {header: 3s}
access_log: {path: "@DIR@/access.log"}'; then
	t split
	ph_stop TERM
	check "nothing hidden in a body was logged as a request" \
		bash -c "! grep -q smuggled '$PH_DIR/access.log'"
fi

finish
