#!/usr/bin/env bash
# slowloris.sh -- slow request heads are parked: a crowd of clients that
# trickle their heads does not starve ordinary clients; a slow head that
# completes within timeouts.header is answered; one that does not gets 408.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
cat >"$PH_DIR/t.py" <<'PY'
import socket, sys, threading, time

mode, port = sys.argv[1], int(sys.argv[2])
HEAD = b"GET /index.html HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n\r\n"

def report(ok, name):
    print(("PASS" if ok else "FAIL") + "\t" + name, flush=True)

def get(timeout=5.0):
    t = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
        s.close()
        return data.split(b"\r\n", 1)[0], time.time() - t
    except OSError as e:
        return str(e).encode(), time.time() - t

if mode == "crowd":
    # 16 clients trickle a valid head one byte every 0.3 s and never finish
    # within the test; an ordinary client must still be answered promptly.
    stop = threading.Event()
    socks = []
    def slow():
        s = socket.create_connection(("127.0.0.1", port))
        socks.append(s)
        for b in HEAD[:-2]:
            if stop.is_set():
                return
            try:
                s.send(bytes([b]))
            except OSError:
                return
            time.sleep(0.3)
    threads = [threading.Thread(target=slow, daemon=True) for _ in range(16)]
    for th in threads:
        th.start()
    time.sleep(1.0)
    lat, bad = [], 0
    end = time.time() + 3.0
    while time.time() < end:
        line, secs = get()
        if line.startswith(b"HTTP/1.1 200"):
            lat.append(secs)
        else:
            bad += 1
    stop.set()
    lat.sort()
    worst = lat[-1] if lat else 99
    print("# ordinary client: %d requests, %d failures, max %.3f s" % (len(lat), bad, worst))
    report(len(lat) > 10 and bad == 0,
           "16 slow heads, 2 workers: ordinary requests succeed (%d ok, %d failed)" % (len(lat), bad))
    report(worst < 1.0, "... each within 1 s (max %.3f s)" % worst)
    for s in socks:
        s.close()

elif mode == "complete":
    # A head that trickles in but completes within timeouts.header: 200.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    req = b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    t = time.time()
    for i in range(0, len(req), 3):
        s.send(req[i:i + 3])
        time.sleep(0.05)
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    report(data.startswith(b"HTTP/1.1 200"),
           "a slow head completed within timeouts.header is answered 200 (%.1f s, %r)"
           % (time.time() - t, data[:20]))

elif mode == "expire":
    # A head that does not complete in time: 408 and a close.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t = time.time()
    s.send(b"GET /index.html HTTP/1.1\r\nHo")
    data = b""
    s.settimeout(6)
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    except OSError:
        pass
    secs = time.time() - t
    report(data.startswith(b"HTTP/1.1 408") and 1.5 <= secs <= 5.0,
           "an unfinished head gets 408 after timeouts.header (%.1f s, %r)" % (secs, data[:20]))
PY

t() { ph_results "t.py $1" timeout 60 python3 "$PH_DIR/t.py" "$1" "$PH_PORT"; }

if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
timeouts: {header: 2s}
access_log: {path: "off"}
metrics: {path: /metrics}'; then
	t crowd
	t complete
	t expire
	parked=$(curl -s "$PH_URL/metrics" | sed -n 's/^prefork_httpd_head_timeouts_total \([0-9]*\)$/\1/p')
	check "head timeouts are counted in the metrics (${parked:-none})" test "${parked:-0}" -ge 1
	ph_stop TERM
	check "the server stops with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
fi

finish
