#!/usr/bin/env bash
# conn_limit.sh -- limits.connections_per_worker, and a retiring worker's
# connections.
#
# 1. workers: 2, connections_per_worker: 3: six idle keep-alive clients are
#    spread 3 and 3 (a full worker stops accepting, the other takes them).
#    A seventh client is then answered: every worker being full, one idle
#    connection is closed to take it.  With one worker, that is its oldest
#    idle connection, never one with a request head in progress, and the
#    others keep working.
# 2. A graceful stop retires the only worker: a request head that was
#    arriving is answered when it completes, with Connection: close, and an
#    idle keep-alive connection is closed at once, not after
#    timeouts.keepalive.  (A reload moves them instead: handover.sh.)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
ADMIN_PORT=$(ph_free_port)
echo small >"$PH_DIR/www/small.txt"
cat >"$PH_DIR/t.py" <<'PY'
import json, socket, sys, time, urllib.request
from phclient import read_response, report

mode, port, admin = sys.argv[1], int(sys.argv[2]), sys.argv[3]
GET = b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"

def answer(s, wait=3.0):
    """One response: (status, head) or ("none", "") when closed/silent."""
    st, head, _ = read_response(s, wait)
    return (st, head) if st.isdigit() else ("none", "")

def closed(s, wait=1.0):
    s.settimeout(wait)
    try:
        return s.recv(100) == b""
    except socket.timeout:
        return False
    except OSError:
        return True

def held():
    """Connections each worker holds, from the admin listener (whose own
    connection is not one of them)."""
    with urllib.request.urlopen("http://127.0.0.1:%s/server-status?json" % admin,
                                timeout=5) as r:
        d = json.load(r)
    return sorted(x["held"] for x in d["slots"])

def idle_clients(n):
    out = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(GET)
        answer(s)
        out.append(s)
        time.sleep(0.05)
    return out

def newcomer():
    n = socket.create_connection(("127.0.0.1", port), timeout=5)
    t = time.monotonic()
    n.sendall(GET)
    st, _ = answer(n, 5.0)
    return n, st, time.monotonic() - t

if mode == "spread":
    idle = idle_clients(6)
    h = held()
    report(h == [3, 3], "6 idle connections: 3 held by each worker", "held %s" % h)
    n, st, secs = newcomer()
    report(st == "200", "a 7th client is answered with every worker full",
           "%s in %.2f s" % (st, secs))
    gone = [i for i, s in enumerate(idle) if closed(s, 0.3)]
    report(len(gone) == 1, "... one idle connection was closed for it", "closed %s" % gone)
    h = held()
    report(max(h) <= 3, "no worker holds more than 3", "held %s" % h)

elif mode == "evict":
    idle = idle_clients(3)
    n, st, secs = newcomer()
    report(st == "200", "a full worker: a new client is answered",
           "%s in %.2f s" % (st, secs))
    report(closed(idle[0]), "... the oldest idle connection was closed for it")
    alive = 0
    for s in idle[1:]:
        s.sendall(GET)
        alive += answer(s)[0] == "200"
    report(alive == 2, "... the younger ones still answer", "%d of 2" % alive)
    for s in idle + [n]:
        s.close()
    time.sleep(0.2)
    # A head in progress is never the one closed, even when oldest.
    p = socket.create_connection(("127.0.0.1", port), timeout=5)
    p.sendall(GET[:15])
    time.sleep(0.1)
    idle = idle_clients(2)
    n, st, secs = newcomer()
    p.sendall(GET[15:])
    pst, _ = answer(p)
    report(st == "200" and pst == "200" and closed(idle[0]),
           "a head in progress is not closed to make room; the oldest idle one is",
           "new %s, head %s" % (st, pst))

elif mode == "retire":
    k = socket.create_connection(("127.0.0.1", port), timeout=5)
    k.sendall(GET)
    answer(k)
    p = socket.create_connection(("127.0.0.1", port), timeout=5)
    p.sendall(GET[:15])
    time.sleep(0.2)
    print("go", flush=True)  # the script stops the server now
    sys.stdin.readline()
    t = time.monotonic()
    kc = closed(k, 3.0)
    report(kc and time.monotonic() - t < 2.0,
           "retire: the idle keep-alive connection is closed at once",
           "closed %s after %.2f s" % (kc, time.monotonic() - t))
    p.sendall(GET[15:])
    st, head = answer(p)
    report(st == "200" and "connection: close" in head,
           "retire: the head that was arriving is answered with Connection: close",
           "%s %r" % (st, head[:80]))
PY

run() { # run MODE CHECKS [ACTION]: the helper's checks; ACTION when it says "go"
	ph_helper "${3:-:}" timeout 60 python3 "$PH_DIR/t.py" "$1" "$PH_PORT" "$ADMIN_PORT"
	check "$1: the helper reported its $2 checks ($PH_HELPER_CHECKS)" \
		test "$PH_HELPER_CHECKS" -eq "$2"
}

if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
limits: {connections_per_worker: 3}
timeouts: {keepalive: 30s}
access_log: {path: "off"}
admin: {listen: 127.0.0.1:'"$ADMIN_PORT"'}
status: {path: /server-status, allow: [127.0.0.1/32]}'; then
	run spread 4
	ph_stop TERM
fi

if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
limits: {connections_per_worker: 3}
timeouts: {keepalive: 30s}
access_log: {path: "off"}'; then
	run evict 4
	ph_stop TERM
fi

stop() { kill -TERM "$PH_PID"; }
if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
timeouts: {keepalive: 30s, header: 10s}
access_log: {path: "off"}'; then
	run retire 2 stop
	ph_stop TERM
fi
finish
