#!/usr/bin/env bash
# handover.sh -- a reload or a recycle no client can see: the connections
# of a retiring worker move to a worker of the current generation.
#
# 1. Reload: 8 idle keep-alive connections, one with half a request head
#    and one in the middle of a slow request at the HUP.  After the old
#    generation is gone, every one of them is answered on the same
#    connection, without Connection: close; the slow request is answered
#    by the old worker (keep-alive), and its next request by the new
#    generation; nothing was closed.  The metrics count the hand-overs.
# 2. A reload whose configuration drops a listener: the idle connections
#    of that listener are closed (they cannot move), the others move.
# 3. Recycling (max_requests_per_worker: 5, one worker): a client that
#    sends 30 requests on one connection keeps it through five recycles.
# 4. Reloads every 150 ms while workers recycle every 10 requests: 8 busy
#    connections are never closed, and no hand-over fails.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
echo small >"$PH_DIR/www/small.txt"
mkdir -p "$PH_DIR/cgi-bin"
printf '#!/bin/sh\nsleep 1\nprintf "Content-Type: text/plain\\r\\nContent-Length: 5\\r\\n\\r\\nslow\\n"\n' \
	>"$PH_DIR/cgi-bin/slow.sh"
chmod 755 "$PH_DIR/cgi-bin/slow.sh"
P2=$(ph_free_port)

cat >"$PH_DIR/t.py" <<'PY'
import json, socket, sys, time
from phclient import read_response, report

mode, port, p2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
GET = b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"

def answer(s, wait=5.0):
    """(status, head) of one response with a Content-Length body."""
    st, head, _ = read_response(s, wait)
    return st, head

def go():
    print("go", flush=True)
    sys.stdin.readline()  # the script reloaded and waited for the old workers

def conn(p=port):
    return socket.create_connection(("127.0.0.1", p), timeout=5)

if mode == "reload":
    idle = []
    for _ in range(8):
        s = conn()
        s.sendall(GET)
        answer(s)
        idle.append(s)
    part = conn()
    part.sendall(GET[:17])
    slow = conn()
    slow.sendall(GET)
    answer(slow)
    slow.sendall(b"GET /cgi-bin/slow.sh HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    go()
    st, head = answer(slow)
    report(st == "200" and "connection: close" not in head,
           "a request in progress at the reload is answered, keep-alive", st)
    results = []
    for s in idle:
        s.sendall(GET)
        results.append(answer(s))
    ok = sum(1 for st, head in results if st == "200" and "connection: close" not in head)
    report(ok == 8, "8 idle connections are answered on after the old workers left",
           "%d of 8: %s" % (ok, sorted(set(st for st, _ in results))))
    part.sendall(GET[17:])
    st, head = answer(part)
    report(st == "200" and "connection: close" not in head,
           "a head half sent at the reload is finished and answered", st)
    slow.sendall(GET)
    st, head = answer(slow)
    report(st == "200", "the connection that was mid-request moved too", st)

elif mode == "listener":
    keep = [conn() for _ in range(3)]
    gone = [conn(p2) for _ in range(3)]
    for s in keep + gone:
        s.sendall(GET)
        answer(s)
    go()
    st = [answer(s, 1.0)[0] for s in gone]
    report(st == ["closed"] * 3,
           "connections of a listener the new configuration drops are closed", str(st))
    res = []
    for s in keep:
        s.sendall(GET)
        res.append(answer(s)[0])
    report(res == ["200"] * 3, "the other listener's connections moved", str(res))

elif mode == "churn":
    conns = [conn() for _ in range(8)]
    go()
    t_end = time.monotonic() + 4.0
    n = closed = 0
    bad = []
    while time.monotonic() < t_end and not closed:
        for s in conns:
            s.sendall(GET)
            st, head = answer(s)
            n += 1
            if st != "200":
                bad.append(st)
            if st == "closed" or "connection: close" in head.lower():
                closed += 1
    report(n >= 100 and not bad and closed == 0,
           "8 busy connections through reloads and recycles: all answered, none closed",
           "%d requests, %d closed, bad %s" % (n, closed, sorted(set(bad))))

elif mode == "recycle":
    s = conn()
    got = []
    for i in range(30):
        s.sendall(GET)
        got.append(answer(s)[0])
        time.sleep(0.05)
    report(got == ["200"] * 30, "30 requests on one connection through recycling",
           "%s" % sorted(set(got)))
PY

run() { # run MODE CHECKS ACTION: the helper's checks; ACTION when it says "go"
	ph_helper "$3" timeout 90 python3 "$PH_DIR/t.py" "$1" "$PH_PORT" "$P2"
	check "$1: the helper reported its $2 checks ($PH_HELPER_CHECKS)" \
		test "$PH_HELPER_CHECKS" -eq "$2"
}

# gone_after_hup: HUP, then wait until the log says the old generation left.
gone_after_hup() {
	local before
	before=$(grep -c 'is gone' "$PH_DIR/stderr.log" || true)
	kill -HUP "$PH_PID"
	for _ in $(seq 100); do
		[ "$(grep -c 'is gone' "$PH_DIR/stderr.log" || true)" -gt "$before" ] && return 0
		sleep 0.1
	done
	echo "# the old generation did not leave within 10 s" >&2
}

metric() {
	curl -s -m 5 "$PH_URL/metrics" | sed -n "s/^prefork_httpd_$1 \\([0-9]*\\)\$/\\1/p"
}

conf="listen: [127.0.0.1:@PORT@]
workers: 2
root: www
timeouts: {keepalive: 30s, header: 20s}
access_log: {path: \"off\"}
error_log: {path: stderr, level: info}
metrics: {path: /metrics, allow: [127.0.0.1/32]}
routes:
  - prefix: /cgi-bin/
    cgi: {dir: cgi-bin, timeout: 10s}"
if ph_start "$conf"; then
	run reload 4 gone_after_hup
	moved=$(metric handovers_total)
	check "the metrics count the moves (${moved:-none} >= 10)" test "${moved:-0}" -ge 10
	failed=$(metric handover_failures_total)
	check "... and no failure (${failed:-none})" test "${failed:-x}" = 0
	ph_stop TERM
	check "the server stops with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
fi

drop_listener() {
	sed -i "s|^listen: .*|listen: [127.0.0.1:$PH_PORT]|" "$PH_DIR/server.yaml"
	gone_after_hup
}
if ph_start "listen: [127.0.0.1:@PORT@, 127.0.0.1:$P2]
workers: 1
root: www
timeouts: {keepalive: 30s}
access_log: {path: \"off\"}"; then
	run listener 2 drop_listener
	ph_stop TERM
	check "the server stops with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
fi

if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
max_requests_per_worker: 5
root: www
timeouts: {keepalive: 30s}
access_log: {path: "off"}'; then
	run recycle 1 true
	recycles=$(grep -c 'asking to be recycled' "$PH_DIR/stderr.log" || true)
	check "the worker was recycled on the way ($recycles times)" test "$recycles" -ge 4
	ph_stop TERM
	check "the server stops with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
fi

# 4. Reloads and recycles together: a retiring worker may find no worker of
#    the current generation ready to take its connections (all starting or
#    retiring); it keeps them and tries again, rather than closing them.
hup_loop() {
	(for _ in $(seq 20); do kill -HUP "$PH_PID" 2>/dev/null; sleep 0.15; done) &
	HUP_PID=$!
}
if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
max_requests_per_worker: 10
limits: {keepalive_requests: 100000}
root: www
timeouts: {keepalive: 30s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
metrics: {path: /metrics, allow: [127.0.0.1/32]}'; then
	HUP_PID=
	run churn 1 hup_loop
	[ -z "$HUP_PID" ] || wait "$HUP_PID"
	recycles=$(grep -c 'asking to be recycled' "$PH_DIR/stderr.log" || true)
	reloads=$(grep -c 'reload: generation' "$PH_DIR/stderr.log" || true)
	check "workers were recycled ($recycles) and reloaded ($reloads) meanwhile" \
		test "$recycles" -ge 10 -a "$reloads" -ge 10
	failed=$(metric handover_failures_total)
	check "no hand-over failed (${failed:-none})" test "${failed:-x}" = 0
	ph_stop TERM
	check "the server stops with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
fi
finish
