#!/usr/bin/env bash
# keepalive_adaptive.sh -- adaptive keep-alive with 2 workers.
#
# 8 keep-alive clients, each sending requests in a loop for 4 s: the pool
# is saturated (connections wait in the accept queue), so a connection that
# has had its turn is closed after an answer and its worker goes to a
# waiting one.  Every client is served (none starves: each completes many
# requests and waits less than a second for any of them), and
# prefork_httpd_keepalive_busy_closes_total counts the closes.  With 2
# clients the pool is never saturated: the counter stays 0 and each client
# keeps its one connection.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
timeouts: {keepalive: 5s}
limits: {keepalive_requests: 1000000}   # so that only saturation closes
metrics: {path: /metrics, allow: [127.0.0.1/32]}' || finish

# load CLIENTS SECONDS: per client "requests connections max_latency_ms errors".
load() {
	python3 - "$PH_PORT" "$1" "$2" <<'PY'
import http.client, sys, threading, time
port, clients, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
start = threading.Barrier(clients)
res = [None] * clients

def client(i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    reqs = conns = errors = 0
    worst = 0.0
    start.wait()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if conn.sock is None:
            conns += 1  # http.client opens a new connection for this request
        t0 = time.monotonic()
        try:
            conn.request("GET", "/index.html")
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                errors += 1
            reqs += 1
        except Exception:
            errors += 1
            conn.close()
        worst = max(worst, time.monotonic() - t0)
    conn.close()
    res[i] = (reqs, conns, int(worst * 1000), errors)

ts = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for r in res:
    print(*r)
PY
}
busy_closes() {
	curl -s -m 5 "$PH_URL/metrics" | awk '$1 == "prefork_httpd_keepalive_busy_closes_total" { print $2 }'
}

# --- 2 clients, 2 workers: not saturated ----------------------------------------
before=$(busy_closes)
check "the counter is exported (got '${before:-none}')" test -n "$before"
load 2 2 >"$PH_DIR/two.out"
echo "# 2 clients (requests connections max_ms errors):"
sed 's/^/#   /' "$PH_DIR/two.out"
after=$(busy_closes)
check "2 clients: no busy close ($before -> $after)" test "$after" = "$before"
check_lines "2 clients: each kept one connection for all its requests" \
	"$PH_DIR/two.out" 2 '$1 >= 100 && $2 == 1 && $4 == 0'

# --- 8 clients, 2 workers: saturated ---------------------------------------------
load 8 4 >"$PH_DIR/eight.out"
echo "# 8 clients (requests connections max_ms errors):"
sed 's/^/#   /' "$PH_DIR/eight.out"
lines=$(wc -l <"$PH_DIR/eight.out")
check "8 clients: 8 results" test "$lines" = 8
check_lines "8 clients: no errors" "$PH_DIR/eight.out" 8 '$4 == 0'
K=100
check_lines "8 clients: every client completed at least $K requests (none starves)" \
	"$PH_DIR/eight.out" 8 "\$1 >= $K"
check_lines "8 clients: no request of any client waited 1 s or more" \
	"$PH_DIR/eight.out" 8 '$3 < 1000'
check_lines "8 clients: the connections were reused (more requests than connections)" \
	"$PH_DIR/eight.out" 8 '$1 > $2'
final=$(busy_closes)
check "8 clients: keepalive_busy_closes_total grew ($after -> $final)" \
	test "${final:-0}" -gt "${after:-0}"

# --- idle keep-alive connections while a connection waits -------------------------
# Two clients each make one request and keep their connection open, idle
# (as a balancer's connection pool does); a third client then connects.
# Both workers sit in an idle keep-alive wait, so the third waits in the
# accept queue.  A saturated pool should hand an idle worker's connection
# back rather than keep the newcomer waiting for timeouts.keepalive (5 s).
out=$(python3 - "$PH_PORT" <<'PY'
import http.client, sys, time
port = int(sys.argv[1])
idle = []
for _ in range(2):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/index.html")
    c.getresponse().read()
    idle.append(c)
time.sleep(0.2)
t0 = time.monotonic()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("GET", "/index.html", headers={"Connection": "close"})
r = c.getresponse()
r.read()
print(r.status, int((time.monotonic() - t0) * 1000))
PY
)
read -r code ms <<<"$out"
check "a new connection is served within 1 s while both workers hold idle keep-alive connections (got ${code:-none} after ${ms:-?} ms)" \
	test "${code:-0}" = 200 -a "${ms:-99999}" -lt 1000

ph_stop TERM
check "the server exits 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
finish
