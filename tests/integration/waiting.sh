#!/usr/bin/env bash
# waiting.sh -- a connection with no complete request in hand holds no
# worker.  With one worker, a connection waits in each state a connection
# can wait in: nothing sent yet (with and without TCP_DEFER_ACCEPT), a
# PROXY header still arriving, a request head still arriving, idle between
# keep-alive requests, and a pipelined follow-up behind an answer.  In each
# case an ordinary request on another connection is answered at once, and
# the waiting connection is then served when it completes its request.
# 200 clients that keep their connections open are all answered, and each
# answers again on the same connection.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
echo small >"$PH_DIR/www/small.txt"
PP=$(ph_free_port)
ND=$(ph_free_port)
cat >"$PH_DIR/t.py" <<'PY'
import socket, sys, time
from phclient import read_response, read_until_eof, report

port, pp, nd = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
GET = b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
PROXY = b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n"

def conn(p=None):
    return socket.create_connection(("127.0.0.1", p or port), timeout=10)

def read_answer(s, wait=5.0):
    """One response with a Content-Length body: (status, seconds)."""
    t = time.monotonic()
    st = read_response(s, wait)[0]
    return (st if st.isdigit() else "none"), time.monotonic() - t

def ordinary(p=None):
    s = conn(p)
    if p == pp:
        s.sendall(PROXY)
    t = time.monotonic()
    s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    st, _ = read_answer(s)
    s.close()
    return st, time.monotonic() - t

def waiting_case(name, start, finish, p=None):
    """start(s) puts s in its waiting state; finish(s) completes the request."""
    s = conn(p)
    start(s)
    time.sleep(0.3)
    st, secs = ordinary(p)
    report(st == "200" and secs < 1.0,
           "%s: another client is answered meanwhile" % name, "%s in %.2f s" % (st, secs))
    finish(s)
    st, _ = read_answer(s)
    report(st == "200", "%s: then its own request is answered" % name, st)
    s.close()

waiting_case("nothing sent yet", lambda s: None, lambda s: s.sendall(GET))
waiting_case("nothing sent yet, defer_accept: false", lambda s: None,
             lambda s: s.sendall(GET), nd)
waiting_case("a PROXY header arriving", lambda s: s.sendall(PROXY[:11]),
             lambda s: s.sendall(PROXY[11:] + GET), pp)
waiting_case("a request head arriving", lambda s: s.sendall(GET[:20]),
             lambda s: s.sendall(GET[20:]))

def idle_start(s):
    s.sendall(GET)
    read_answer(s)
waiting_case("idle keep-alive", idle_start, lambda s: s.sendall(GET))

def pipelined_start(s):
    s.sendall(GET + GET[:10])
    read_answer(s)
waiting_case("a pipelined follow-up arriving", pipelined_start,
             lambda s: s.sendall(GET[10:]))

# A client that sends its request and shuts its side (printf | nc) gets
# the answer and then the close at once, not after timeouts.keepalive.
s = conn()
s.sendall(GET)
s.shutdown(socket.SHUT_WR)
t = time.monotonic()
data, eof, _ = read_until_eof(s, 4.0)
report(data.startswith(b"HTTP/1.1 200") and eof and time.monotonic() - t < 1.0,
       "a client that shut its side after its request: answered, then closed at once",
       "eof %s after %.2f s" % (eof, time.monotonic() - t))
s.close()

# A crowd: 200 connections at once, one request each, then a second one
# on each, all kept open in between.
crowd = []
for _ in range(200):
    crowd.append(conn())
t = time.monotonic()
for s in crowd:
    s.sendall(GET)
first = [read_answer(s)[0] for s in crowd]
t1 = time.monotonic() - t
report(first.count("200") == 200 and t1 < 3.0,
       "200 keep-alive clients: all answered within 3 s",
       "%d of 200 in %.2f s" % (first.count("200"), t1))
time.sleep(0.5)
for s in crowd:
    s.sendall(GET)
second = [read_answer(s)[0] for s in crowd]
report(second.count("200") == 200,
       "... and all answered again on the same connections",
       "%d of 200" % second.count("200"))
for s in crowd:
    s.close()
PY

n=0
if ph_start "listen:
  - 127.0.0.1:@PORT@
  - {address: \"127.0.0.1:$PP\", proxy_protocol: true}
  - {address: \"127.0.0.1:$ND\", defer_accept: false}
workers: 1
root: www
timeouts: {header: 5s, keepalive: 5s}
access_log: {path: \"off\"}"; then
	while IFS=$'\t' read -r verdict name; do
		n=$((n + 1))
		case $verdict in
		PASS) pass "$name" ;;
		FAIL) fail "$name" ;;
		*) fail "helper output" "$verdict $name" ;;
		esac
	done < <(timeout 120 python3 "$PH_DIR/t.py" "$PH_PORT" "$PP" "$ND" ||
		printf 'FAIL\thelper exited with status %s\n' "$?")
	ph_stop TERM
	check "the server exits 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
fi
check "the helper reported all its checks ($n)" test "$n" -eq 15
finish
