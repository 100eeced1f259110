#!/usr/bin/env bash
# fairness.sh -- connections of one worker take turns.  A client that
# pipelines slow requests without pause delays another connection of the
# same worker by one request at most; 33 connections opened at once and
# each sending one request of a conformance run are all answered at once
# by 2 workers, with the right status.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
echo small >"$PH_DIR/www/small.txt"
printf 'x%.0s' $(seq 100) >"$PH_DIR/www/hundred.txt"
mkdir -p "$PH_DIR/cgi-bin"
printf '#!/bin/sh\nsleep 0.3\nprintf "Content-Type: text/plain\\r\\nContent-Length: 5\\r\\n\\r\\nslow\\n"\n' \
	>"$PH_DIR/cgi-bin/slow.sh"
chmod 755 "$PH_DIR/cgi-bin/slow.sh"

cat >"$PH_DIR/t.py" <<'PY'
import socket, sys, threading, time
from phclient import read_response, report

mode, port = sys.argv[1], int(sys.argv[2])

def read_answers(s, count, stamps, wait=10.0, head_only=False):
    """Read count responses (Content-Length bodies); stamp each one's end."""
    buf = b""
    while len(stamps) < count:
        st, head, buf = read_response(s, wait, buf, body=not head_only)
        if not st.isdigit():
            return
        stamps.append((time.monotonic(), st))

if mode == "pipeline":
    slow = b"GET /cgi-bin/slow.sh HTTP/1.1\r\nHost: x\r\n\r\n"
    a = socket.create_connection(("127.0.0.1", port))
    b = socket.create_connection(("127.0.0.1", port))
    time.sleep(0.2)
    a_stamps, b_stamps = [], []
    ta = threading.Thread(target=read_answers, args=(a, 5, a_stamps))
    ta.start()
    t0 = time.monotonic()
    a.sendall(slow * 5)
    time.sleep(0.1)  # A's first request is being served
    b.sendall(b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    read_answers(b, 1, b_stamps)
    ta.join()
    rel = lambda v: "%.2f" % (v - t0)
    got = "A at %s, B at %s" % ([rel(t) for t, _ in a_stamps],
                                [rel(t) for t, _ in b_stamps])
    report(len(a_stamps) == 5 and len(b_stamps) == 1,
           "all 5 pipelined requests and the other one are answered", got)
    # B's answer comes right after A's first, long before A's second
    # (half a slow request: the two answers' stamps are taken by two
    # threads, so "before A's second" alone would be a race).
    report(len(b_stamps) == 1 and len(a_stamps) >= 2 and
           b_stamps[0][0] < a_stamps[0][0] + (a_stamps[1][0] - a_stamps[0][0]) / 2,
           "the other connection waits for one pipelined request at most", got)

elif mode == "crowd33":
    H = "Host: x\r\n"
    cases = [
        ("GET /small.txt HTTP/1.1\r\n" + H + "\r\n", "200"),
        ("HEAD /small.txt HTTP/1.1\r\n" + H + "\r\n", "200"),
        ("GET /missing.txt HTTP/1.1\r\n" + H + "\r\n", "404"),
        ("POST /small.txt HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n", "405"),
        ("GET /hundred.txt HTTP/1.1\r\n" + H + "Range: bytes=0-9\r\n\r\n", "206"),
        ("GET /hundred.txt HTTP/1.1\r\n" + H + "Range: bytes=500-600\r\n\r\n", "416"),
        ("GET /small.txt HTTP/1.1\r\n" + H + "If-None-Match: *\r\n\r\n", "304"),
        ("GET /small.txt HTTP/1.0\r\n\r\n", "200"),
        ("GET http://x/small.txt HTTP/1.1\r\n" + H + "\r\n", "200"),
        ("OPTIONS * HTTP/1.1\r\n" + H + "\r\n", "200"),
        ("GET /small.txt HTTP/1.1\r\n\r\n", "400"),                 # no Host
        ("GET /small.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400"),
        ("GET /small.txt HTTP/1.1\r\n" + H + " folded\r\n\r\n", "400"),
        ("GET /%2e%2e/etc/passwd HTTP/1.1\r\n" + H + "\r\n", "40"),
        ("GET /small.txt HTTP/2.0\r\n" + H + "\r\n", "505"),
        ("BREW /small.txt HTTP/1.1\r\n" + H + "\r\n", "501"),
        ("GET /small.txt HTTP/1.1\r\n" + H + "Expect: teapot\r\n\r\n", "417"),
        ("GET /" + "a" * 9000 + " HTTP/1.1\r\n" + H + "\r\n", "414"),
        ("POST /small.txt HTTP/1.1\r\n" + H + "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "400"),
        ("GET /small.txt HTTP/1.1\r\n" + H + "X: " + "y" * 17000 + "\r\n\r\n", "431"),
    ]
    while len(cases) < 33:
        cases.append(("GET /small.txt HTTP/1.1\r\n" + H + "\r\n", "200"))
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in cases]
    results = [None] * len(cases)
    def one(i):
        st = []
        t = time.monotonic()
        socks[i].sendall(cases[i][0].encode())
        read_answers(socks[i], 1, st, wait=5.0,
                     head_only=cases[i][0].startswith("HEAD"))
        results[i] = (st[0][1] if st else "none", time.monotonic() - t)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(len(cases))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    bad = ["%d: %s for %s" % (i, r[0], cases[i][1]) for i, r in enumerate(results)
           if not r[0].startswith(cases[i][1])]
    worst = max(r[1] for r in results)
    report(not bad, "33 connections at once: every answer as expected", "; ".join(bad))
    report(worst < 1.0, "... each within 1 s", "slowest %.2f s" % worst)
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
	done < <(timeout 60 python3 "$PH_DIR/t.py" "$1" "$PH_PORT" ||
		printf 'FAIL\thelper %s exited with status %s\n' "$1" "$?")
	check "$1: the helper reported its 2 checks ($n)" test "$n" -eq 2
}

if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
access_log: {path: "off"}
routes:
  - prefix: /cgi-bin/
    cgi: {dir: cgi-bin, timeout: 10s}'; then
	t pipeline
	ph_stop TERM
fi

if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: {path: "off"}'; then
	t crowd33
	ph_stop TERM
fi
finish
