#!/usr/bin/env bash
# timeouts.sh -- the deadlines of docs/http.md, seen from a client:
# timeouts.header (a head trickled a byte at a time is cut off, 408),
# timeouts.keepalive (an idle connection is closed silently),
# timeouts.body (a stalled body is cut off, 408), and TCP_DEFER_ACCEPT (a
# connection that never sends anything does not take the only worker).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
cat >"$PH_DIR/t.py" <<'PY'
import socket, sys, time

port = int(sys.argv[2])
H = b"Host: localhost\r\n"

def report(ok, name, detail=""):
    print(("PASS\t" if ok else "FAIL\t") + name + ("\t" + detail if detail else ""))
    sys.stdout.flush()

import phclient
from phclient import read_until_eof  # (bytes, eof, seconds)

def connect():
    return phclient.connect(port)

def get(path=b"/", wait=5.0):
    """One GET with Connection: close: (status, seconds)."""
    t0 = time.monotonic()
    s = connect()
    s.sendall(b"GET " + path + b" HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    out, _, _ = read_until_eof(s, wait)
    s.close()
    st = out.split(b" ")[1].decode() if out.startswith(b"HTTP/1.1 ") else "none"
    return st, time.monotonic() - t0

def trickle(s, data, gap, until):
    """Send data one byte every gap seconds until the server closes or
    until seconds pass; returns (bytes received, seconds from start)."""
    t0 = time.monotonic()
    out = b""
    s.setblocking(False)
    i = 0
    while time.monotonic() - t0 < until:
        try:
            c = s.recv(65536)
            if not c:
                return out, time.monotonic() - t0, True
            out += c
            continue
        except BlockingIOError:
            pass
        except ConnectionResetError:
            return out, time.monotonic() - t0, True
        try:
            s.send(data[i % len(data):i % len(data) + 1])
        except OSError:
            pass  # closed under us: the next recv says so
        i += 1
        time.sleep(gap)
    return out, time.monotonic() - t0, False

mode = sys.argv[1]

if mode == "header":
    # A head trickled one byte every 300 ms, never finished.
    s = connect()
    out, secs, closed = trickle(s, b"GET /index.html HTTP/1.1\r\nX-Slow: " + b"a" * 200, 0.3, 6.0)
    # The slow client is still connected (it has not closed its end):
    # the only worker must be free for the next client all the same.
    st, gsecs = get(b"/index.html")
    s.close()
    report(st == "200" and gsecs < 0.5,
           "after cutting off the slow head the only worker serves at once (%.2f s, %s)" % (gsecs, st))
    report(closed and 0.8 <= secs <= 3.0,
           "trickled head dropped after timeouts.header (1 s): %.2f s" % secs,
           "closed=%s" % closed)
    report(out == b"" or out.startswith(b"HTTP/1.1 408 "),
           "trickled head: 408 or a plain close (got %r)" % out[:30])
    report(b"Connection: close" in out or out == b"", "trickled head: 408 says Connection: close")

elif mode == "header-busy":
    # Two workers: one is held by a slow client, the other serves at once.
    s = connect()
    s.sendall(b"GET / HTTP/1.1\r\n")
    time.sleep(0.2)
    worst = 0.0
    for _ in range(5):
        st, secs = get(b"/index.html")
        worst = max(worst, secs)
        report(st == "200", "while a head trickles in, another client gets 200 (got %s)" % st)
    report(worst < 0.5, "... promptly (slowest %.3f s)" % worst)
    out, eof, secs = read_until_eof(s, 5.0)
    report(eof and out.startswith(b"HTTP/1.1 408 "),
           "the slow client then gets 408 and a close", repr(out[:40]))
    s.close()

elif mode == "keepalive":
    s = connect()
    s.sendall(b"GET /index.html HTTP/1.1\r\n" + H + b"\r\n")
    s.settimeout(3)
    first = b""
    while b"\r\n\r\n" not in first:
        first += s.recv(65536)
    hdr, _, body = first.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in hdr.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += s.recv(65536)
    report(b"Connection: keep-alive" in hdr, "the first response keeps the connection")
    out, eof, secs = read_until_eof(s, 6.0)
    report(eof and 0.8 <= secs <= 3.0,
           "idle keep-alive connection closed after timeouts.keepalive (1 s): %.2f s" % secs,
           "eof=%s" % eof)
    report(out == b"", "idle keep-alive close is silent (got %r)" % out[:40])
    s.close()
    # A keep-alive connection that is used again within the timeout stays.
    s = connect()
    ok = True
    for _ in range(3):
        s.sendall(b"GET /index.html HTTP/1.1\r\n" + H + b"\r\n")
        s.settimeout(3)
        got = b""
        try:
            while b"\r\n\r\n" not in got:
                c = s.recv(65536)
                if not c:
                    break
                got += c
        except socket.timeout:
            pass
        ok = ok and got.startswith(b"HTTP/1.1 200 ")
        time.sleep(0.6)
    report(ok, "requests 0.6 s apart keep one connection alive")
    s.close()

elif mode == "body":
    # Half of a declared body, then nothing.
    s = connect()
    s.sendall(b"POST /index.html HTTP/1.1\r\n" + H + b"Content-Length: 100\r\n\r\n" + b"x" * 50)
    out, eof, secs = read_until_eof(s, 8.0)
    report(eof and 0.8 <= secs <= 3.0,
           "stalled body dropped after timeouts.body (1 s): %.2f s" % secs, "eof=%s" % eof)
    report(out.startswith(b"HTTP/1.1 408 "), "stalled body: 408 (got %r)" % out[:30])
    s.close()
    # A body that keeps coming, each gap under timeouts.body, is read whole,
    # even though it takes longer than one timeouts.body in total.
    s = connect()
    s.sendall(b"POST /index.html HTTP/1.1\r\n" + H + b"Connection: close\r\nContent-Length: 4\r\n\r\n")
    for b in b"abcd":
        time.sleep(0.5)
        s.sendall(bytes([b]))
    out, eof, secs = read_until_eof(s, 5.0)
    report(out.startswith(b"HTTP/1.1 405 "),
           "a body sent with 0.5 s gaps (2 s in all) is read (405, got %r)" % out[:30])
    s.close()

elif mode == "silent":
    # With TCP_DEFER_ACCEPT, silent connections stay in the kernel.
    silent = [connect() for _ in range(3)]
    time.sleep(0.1)
    st, secs = get(b"/index.html")
    report(st == "200" and secs < 1.0,
           "3 silent connections, 1 worker: a request is answered in %.3f s (%s)" % (secs, st))
    st, secs = get(b"/index.html")
    report(st == "200" and secs < 1.0, "... and the next one too (%.3f s)" % secs)
    # Still so once the first SYN-ACK retransmission (1 s) has gone by: a
    # defer of 1 s would hand the silent connections to the worker then.
    time.sleep(2.5)
    st, secs = get(b"/index.html")
    report(st == "200" and secs < 1.0,
           "3 silent connections 2.5 s old: a request is answered in %.3f s (%s)" % (secs, st))
    for s in silent:
        s.close()

elif mode == "silent-nodefer-parked":
    # defer_accept: false: the silent connection is accepted at once and
    # waits in the worker's set; the worker goes on.
    s = connect()
    time.sleep(0.2)
    st, secs = get(b"/index.html")
    report(st == "200" and secs < 0.5,
           "defer_accept: false: a silent connection does not hold the only worker (%.2f s, %s)"
           % (secs, st))
    out, eof, _ = read_until_eof(s, 3.0)
    report(eof, "the waiting silent connection is closed at timeouts.header (got %r)" % out[:30])
    s.close()

PY

# t MODE: run one part of the helper against the running server.
t() { ph_results "t.py $1" timeout 120 python3 "$PH_DIR/t.py" "$1" "$PH_PORT"; }

config() { # config WORKERS [LISTEN_ENTRY]
	printf '%s\n' "listen:
  - ${2:-127.0.0.1:@PORT@}
workers: $1
root: www
index: [index.html]
timeouts: {header: 1s, body: 1s, keepalive: 1s}
access_log: {path: \"off\"}
error_log: {path: stderr, level: info}
health: {path: /healthz}"
}

# One worker: header, keep-alive, body, silent connections.
if ph_start "$(config 1)"; then
	t header
	t keepalive
	t body
	t silent
	expect_status "$PH_URL/index.html" 200
	ph_stop TERM
	check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
fi

# Two workers: a slow head does not hold up the other worker.
if ph_start "$(config 2)"; then
	t header-busy
	ph_stop TERM
fi

# The listen map form takes defer_accept: false: the silent connection
# then waits in the worker's set and does not hold the only worker.
if ph_start "$(config 1 '{address: "127.0.0.1:@PORT@", defer_accept: false}')"; then
	t silent-nodefer-parked
	ph_stop TERM
fi

finish
