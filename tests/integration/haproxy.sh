#!/usr/bin/env bash
# haproxy.sh -- two instances behind a real HAProxy on loopback.
#
# Run 1 (HTTP health checks, inter 200ms fall 1 rise 1, maxconn = workers,
# and HAProxy's defaults for server connections: keep-alive, http-reuse
# safe).  First pooled connections with no stop and no reload: for 6 s a
# load client sends for a second and pauses for a second in turn, while
# this script reads HAProxy's "show stat" and the instances' status pages.
# A and B must stay UP with no failed health check, every request must get
# 200, HAProxy's idle connections must wait in A and B while no worker
# serves them, and A (no PROXY header) must answer 3 or more requests per
# connection, HAProxy sending most of them on a connection it had used
# before.  A server whose idle connections held its workers fails the
# health checks in the pauses; one that closes every connection after its
# answer fails the reuse checks.
#
# Then, while a load client sends requests through HAProxy for about 10 s
# (keep-alive and one-request connections, from 127.0.0.2), instance A is
# stopped gracefully (TERM, drain_delay 1s: /healthz turns 503 and HAProxy
# takes A out before its listeners close) and started again, then instance
# B is reloaded (HUP) five times and upgraded (USR2, then QUIT to the old
# master).  The client must see no failed request
# and no status other than 200.  B's listener takes the PROXY protocol
# (send-proxy), so B's access log shows 127.0.0.2, the client, although
# HAProxy itself connects from 127.0.0.1.
#
# The instances' timeouts.keepalive (60 s) is longer than HAProxy 2.6 keeps
# an idle server connection (it closes those it does not need every
# pool-purge-delay, 5 s, part of them each time), so that HAProxy, not the
# server, closes idle connections (docs/deployment.md).
#
# Run 2 (agent-check only, agent-inter 200ms): HAProxy's own view, read
# from its stats socket: the agent's "up N%" sets the weight, and a
# graceful stop with drain_delay turns the server to DRAIN by itself.
#
# HAProxy is started by this script (-db, foreground) with a generated
# configuration and is only ever signalled by its PID.
# Helpers below are called through check.
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v haproxy >/dev/null 2>&1; then
	ph_skip_all "haproxy not found: install haproxy (scripts/lib/deps.sh lists it)"
fi
if ! python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null; then
	ph_skip_all "cannot bind 127.0.0.2 on this host"
fi

ph_setup
head -c 2048 /dev/urandom | base64 >"$PH_DIR/www/page.txt"

declare -A IPID=() # instance name -> master PID
HA_PID=

lb_cleanup() {
	local st=$? p
	for p in "${IPID[@]}" $HA_PID; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${IPID[@]}" $HA_PID; do
		[ -n "$p" ] || continue
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "$PH_FAILED" -gt 0 ] && [ -n "$PH_DIR" ]; then
		for f in "$PH_DIR"/*.err; do
			[ -s "$f" ] || continue
			echo "# --- $(basename "$f") (last 30 lines) ---"
			tail -n 30 "$f" | sed 's/^/# /'
		done
	fi
	(exit "$st")
	ph_cleanup
}
trap lb_cleanup EXIT

PA=$(ph_free_port)
PB=$(ph_free_port)
PF=$(ph_free_port)
AGA=$(ph_free_port)
AGB=$(ph_free_port)
WORKERS=4

# curl through B's PROXY listener (curl sends a v1 header itself).
curl_b() { curl -s --haproxy-protocol -m 2 "$@"; }

# inst_config NAME: the configuration of instance A or B.
inst_config() {
	local name=$1 listen agent
	if [ "$name" = a ]; then
		listen="[127.0.0.1:$PA]"
		agent=$AGA
	else
		listen="[{address: \"127.0.0.1:$PB\", proxy_protocol: true}]"
		agent=$AGB
	fi
	cat >"$PH_DIR/$name.yaml" <<EOF
listen: $listen
workers: $WORKERS
root: www
pid_file: $name.pid
access_log: {path: $name-access.log, format: json}
error_log: {path: stderr, level: info}
health: {path: /healthz}
timeouts: {drain_delay: 1s, graceful: 10s, keepalive: 60s}
agent_check: 127.0.0.1:$agent
status: {path: /server-status, allow: [127.0.0.1/32]}
EOF
}

# inst_up NAME: start instance NAME, wait until /healthz answers 200.
inst_up() {
	local name=$1 code url curlx=()
	inst_config "$name"
	"$PREFORK_HTTPD" -c "$PH_DIR/$name.yaml" >>"$PH_DIR/$name.out" 2>>"$PH_DIR/$name.err" &
	IPID[$name]=$!
	if [ "$name" = a ]; then url=http://127.0.0.1:$PA; else url=http://127.0.0.1:$PB; curlx=(--haproxy-protocol); fi
	for _ in $(seq 50); do
		code=$(curl -s "${curlx[@]}" -o /dev/null -m 1 -w '%{http_code}' "$url/healthz" || true)
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# inst_stop NAME [SIGNAL]: signal, wait (15 s at most), sets INST_EXIT.
# (A master started by an upgrade is not our child: its status is unknown,
# INST_EXIT is "exited" when it ended by itself.)
inst_stop() {
	local name=$1 sig=${2:-TERM} p=${IPID[$1]} gone=no
	kill -s "$sig" "$p" 2>/dev/null || true
	for _ in $(seq 150); do
		if ! kill -0 "$p" 2>/dev/null; then
			gone=yes
			break
		fi
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null && INST_EXIT=0 || INST_EXIT=$?
	if [ "$INST_EXIT" = 127 ] && [ "$gone" = yes ]; then
		INST_EXIT=exited
	fi
	IPID[$name]=
}

# ha_start CONFIG_TEXT: run HAProxy with it in the foreground, in the background.
ha_start() {
	printf '%s\n' "$1" >"$PH_DIR/haproxy.cfg"
	if ! haproxy -c -q -f "$PH_DIR/haproxy.cfg" >"$PH_DIR/haproxy-check.err" 2>&1; then
		fail "the HAProxy configuration is valid" "$(cat "$PH_DIR/haproxy-check.err")"
		return 1
	fi
	haproxy -db -f "$PH_DIR/haproxy.cfg" >>"$PH_DIR/haproxy.out" 2>>"$PH_DIR/haproxy.err" &
	HA_PID=$!
	return 0
}
ha_stop() {
	[ -n "$HA_PID" ] || return 0
	kill -USR1 "$HA_PID" 2>/dev/null || true # soft stop
	for _ in $(seq 50); do kill -0 "$HA_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$HA_PID" 2>/dev/null || true
	wait "$HA_PID" 2>/dev/null || true
	HA_PID=
}

# ha_cmd COMMAND: one command on HAProxy's stats socket; prints the answer.
ha_cmd() {
	python3 -c 'import sys; from phclient import haproxy_cmd
sys.stdout.write(haproxy_cmd(sys.argv[1], sys.argv[2]))' "$PH_DIR/haproxy.sock" "$1"
}
# ha_stat SERVER FIELD: a field of "show stat" for backend web.
ha_stat() {
	python3 -c 'import sys; from phclient import haproxy_stat
print(haproxy_stat(sys.argv[1], "web").get(sys.argv[2], {}).get(sys.argv[3], ""))' \
		"$PH_DIR/haproxy.sock" "$1" "$2"
}
ha_status_is() { [ "$(ha_stat "$1" status)" = "$2" ]; }
# ha_term_watch SERVER PID SECONDS: send TERM to PID, then read "show stat"
# every 20 ms (one process, so that the polling keeps up on a busy machine)
# until SERVER turns DOWN; prints "MS STATUS CHECK_STATUS CHECK_CODE" of
# that first DOWN snapshot (MS after the TERM), or "none" after SECONDS.
# CHECK_STATUS says why HAProxy took it down: L7STS with code 503 for a
# health check answered 503, L4CON for a refused connection.
ha_term_watch() {
	python3 - "$PH_DIR/haproxy.sock" "$@" <<'PY'
import os, signal, sys, time
from phclient import haproxy_stat
sock, srv, pid, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

def row():
    return haproxy_stat(sock, "web").get(srv, {})

row()  # the socket answers: start the clock
t0 = time.monotonic()
os.kill(pid, signal.SIGTERM)
while time.monotonic() - t0 < limit:
    r = row()
    if r.get("status", "").startswith("DOWN"):
        # "* " marks a check in progress; the status is the last one's.
        print(int((time.monotonic() - t0) * 1000), r["status"].split()[0],
              r.get("check_status", "").lstrip("* ") or "-", r.get("check_code") or "-")
        sys.exit(0)
    time.sleep(0.02)
print("none")
PY
}
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# The load client:
#   lbload.py PORT SECONDS KEEP FRESH SHORT IDLE [BUSY QUIET]
# sends GET /page.txt through HAProxy from 127.0.0.2 for SECONDS, from
# threads of four kinds: KEEP keep their connection and send without pause,
# FRESH open a connection per request and send "Connection: close", SHORT
# open a connection per request and close it after the answer (without
# "Connection: close"), IDLE keep their connection and send every 250 ms.
# With BUSY and QUIET (seconds), every thread sends only during the first
# BUSY seconds of each BUSY + QUIET.  Prints a JSON summary: requests,
# failures, non200, by_server (from HAProxy's X-Server), latencies (p50,
# p99, max, per kind of thread), the first errors and slow requests.
cat >"$PH_DIR/lbload.py" <<'PY'
import http.client, json, sys, threading, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
n_keep, n_fresh, n_short, n_idle = (int(a) for a in sys.argv[3:7])
busy, quiet = (float(a) for a in sys.argv[7:9]) if len(sys.argv) > 8 else (seconds, 0.0)
SRC = ("127.0.0.2", 0)
lock = threading.Lock()
stats = {"requests": 0, "failures": 0, "non200": 0, "by_server": {}, "errors": [],
         "max_latency_ms": 0, "slow": [], "kinds": {}}
latencies = {}  # kind of client -> milliseconds of each request
start = time.monotonic()
end = start + seconds

def pause():
    """In a quiet window, sleep until the next busy one."""
    if quiet > 0:
        at = (time.monotonic() - start) % (busy + quiet)
        if at >= busy:
            time.sleep(busy + quiet - at)

def record(kind, server, status, err, ms):
    t = time.monotonic() - start
    with lock:
        stats["requests"] += 1
        stats["max_latency_ms"] = max(stats["max_latency_ms"], int(ms))
        latencies.setdefault(kind, []).append(ms)
        if ms >= 500 and len(stats["slow"]) < 10:
            stats["slow"].append("%.3f %d ms from %s (%s)" % (t, ms, server, kind))
        if err is not None:
            stats["failures"] += 1
            if len(stats["errors"]) < 20:
                stats["errors"].append("%.3f %s (%s)" % (t, err, kind))
        elif status != 200:
            stats["non200"] += 1
            if len(stats["errors"]) < 20:
                stats["errors"].append("%.3f status %d from %s (%s)" % (t, status, server, kind))
        else:
            stats["by_server"][server] = stats["by_server"].get(server, 0) + 1

def one(conn, close, kind):
    t0 = time.monotonic()
    try:
        hdrs = {"User-Agent": "lbload"}
        if close:
            hdrs["Connection"] = "close"
        conn.request("GET", "/page.txt", headers=hdrs)
        r = conn.getresponse()
        body = r.read()
        ok = r.status != 200 or len(body) > 2000
        record(kind, r.getheader("X-Server", "?"), r.status,
               None if ok else "short body %d" % len(body), (time.monotonic() - t0) * 1000)
        return r.status == 200
    except Exception as e:  # every exception is a failed request
        record(kind, "?", 0, "%s: %s" % (type(e).__name__, e), (time.monotonic() - t0) * 1000)
        return False

def keepalive(kind, gap):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=SRC)
    while time.monotonic() < end:
        pause()
        if not one(conn, False, kind):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=SRC)
        time.sleep(gap)
    conn.close()

def fresh(kind, close):
    while time.monotonic() < end:
        pause()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=SRC)
        one(conn, close, kind)
        conn.close()
        time.sleep(0.002)

threads = [threading.Thread(target=keepalive, args=("keep", 0.002)) for _ in range(n_keep)]
threads += [threading.Thread(target=fresh, args=("fresh", True)) for _ in range(n_fresh)]
threads += [threading.Thread(target=fresh, args=("short", False)) for _ in range(n_short)]
threads += [threading.Thread(target=keepalive, args=("idle", 0.25)) for _ in range(n_idle)]
for t in threads:
    t.start()
for t in threads:
    t.join()

def pct(v, q):
    return round(v[min(len(v) - 1, len(v) * q // 100)], 1) if v else -1

every = sorted(x for v in latencies.values() for x in v)
stats["p50_ms"], stats["p99_ms"] = pct(every, 50), pct(every, 99)
for kind, v in latencies.items():
    v.sort()
    stats["kinds"][kind] = {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
json.dump(stats, sys.stdout)
PY
# lb_load ARGS... NAME: lbload.py ARGS (after PORT), into NAME.json.
lb_load() {
	local name=${*: -1}
	python3 "$PH_DIR/lbload.py" "$PF" "${@:1:$#-1}" >"$PH_DIR/$name.json" 2>"$PH_DIR/$name.err"
}
# load_summary NAME: one line about NAME.json, and its first errors.
load_summary() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("requests=%d failures=%d non200=%d p50_ms=%s p99_ms=%s max_latency_ms=%d by_server=%s" % (
    d["requests"], d["failures"], d["non200"], d["p50_ms"], d["p99_ms"], d["max_latency_ms"],
    ",".join("%s:%d" % kv for kv in sorted(d["by_server"].items()))))
for e in d["errors"]:
    print("    " + e)
for k, v in sorted(d["kinds"].items()):
    print("    %s: %d requests, p50 %s ms, p99 %s ms" % (k, v["n"], v["p50_ms"], v["p99_ms"]))
for e in d["slow"]:
    print("    slow: " + e)' "$PH_DIR/$1.json" 2>/dev/null || echo "no summary: $(cat "$PH_DIR/$1.err")"
}
# load_counts NAME: "REQUESTS FAILURES NON200 MAX_LATENCY_MS" ("0 -1 -1 -1" without a summary).
load_counts() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["requests"], d["failures"], d["non200"], d["max_latency_ms"])' "$PH_DIR/$1.json" 2>/dev/null || echo "0 -1 -1 -1"
}

# lbwatch.py: both sides of the server connections, read without going
# through HAProxy.
#   lbwatch.py snap SOCK PA PB: one JSON object, for A and B, of the
#     instances' status page counters (AcceptedConns, TotalRequests) and
#     HAProxy's counters for the server (chkfail: failed health checks,
#     chkdown: UP to DOWN transitions, connect: connections HAProxy
#     opened, reuse: requests it sent on a connection it had already used).
#   lbwatch.py watch SOCK PA PB SECONDS: for SECONDS, "show stat" every
#     100 ms (every sample where A or B is not UP is listed in "down") and
#     the status pages every 300 ms; prints the sample counts, "down", and
#     per instance the largest ConnsTotal, ConnsKeepAlive and ConnsQueued
#     seen, "idle_held" the largest ConnsKeepAlive seen while no worker
#     but the one serving the status page was busy (idle connections
#     that hold no worker), and "pool" HAProxy's largest idle pool for the
#     server (idle_conn_cur + safe_conn_cur).
# B's status page is asked through its PROXY listener (a v1 header first).
cat >"$PH_DIR/lbwatch.py" <<'PY'
import json, socket, sys, time
from phclient import haproxy_stat

mode, sock = sys.argv[1], sys.argv[2]
ports = {"a": int(sys.argv[3]), "b": int(sys.argv[4])}

def ha_rows():
    return {k: r for k, r in haproxy_stat(sock, "web").items() if k in ports}

def num(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return -1

def status_page(name):
    s = socket.create_connection(("127.0.0.1", ports[name]), timeout=2)
    if name == "b":
        s.sendall(b"PROXY TCP4 127.0.0.1 127.0.0.1 40000 %d\r\n" % ports[name])
    s.sendall(b"GET /server-status HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n")
    out = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        out += c
    s.close()
    kv = {}
    for line in out.decode("utf-8", "replace").split("\r\n\r\n", 1)[-1].splitlines():
        k, sep, v = line.partition(": ")
        if sep:
            kv[k] = num(v.strip())
    return kv

if mode == "snap":
    try:
        rows = ha_rows()
    except OSError as e:
        print("show stat: %s" % e, file=sys.stderr)
        rows = {}
    out = {}
    for n in ports:
        try:
            page = status_page(n)
        except OSError as e:
            print("status page of %s: %s" % (n, e), file=sys.stderr)
            page = {}
        r = rows.get(n, {})
        out[n] = {"accepted": page.get("AcceptedConns", -1),
                  "requests": page.get("TotalRequests", -1)}
        for f in ("chkfail", "chkdown", "connect", "reuse"):
            out[n][f] = num(r.get(f))
    json.dump(out, sys.stdout)
    sys.exit(0)

seconds = float(sys.argv[5])
res = {"ha_samples": 0, "page_samples": 0, "down": [], "errors": [],
       "max": {n: {"ConnsTotal": -1, "ConnsKeepAlive": -1, "ConnsQueued": -1,
                   "idle_held": -1, "pool": -1} for n in ports}}
t0 = time.monotonic()
i = 0
while time.monotonic() - t0 < seconds:
    t = time.monotonic() - t0
    try:
        rows = ha_rows()
        res["ha_samples"] += 1
        for n in ports:
            r = rows.get(n, {})
            st = r.get("status", "missing")
            if not st.startswith("UP"):
                res["down"].append("%.2f %s %s %s %s" % (t, n, st, r.get("check_status", "").lstrip("* "),
                                                         r.get("check_code", "")))
            m = res["max"][n]
            m["pool"] = max(m["pool"], num(r.get("idle_conn_cur")) + num(r.get("safe_conn_cur")))
        for n in ports if i % 3 == 0 else ():
            page = status_page(n)
            m = res["max"][n]
            for k in ("ConnsTotal", "ConnsKeepAlive", "ConnsQueued"):
                m[k] = max(m[k], page.get(k, -1))
            if 0 <= page.get("BusyWorkers", -1) <= 1:
                m["idle_held"] = max(m["idle_held"], page.get("ConnsKeepAlive", -1))
            res["page_samples"] += 1
    except OSError as e:
        if len(res["errors"]) < 10:
            res["errors"].append("%.2f %s" % (t, e))
    i += 1
    time.sleep(0.1)
json.dump(res, sys.stdout)
PY

HA_GLOBAL="global
    stats socket $PH_DIR/haproxy.sock mode 600 level admin
    maxconn 200
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout queue 10s
    timeout http-keep-alive 4s
    retries 3
    option redispatch
frontend fe
    bind 127.0.0.1:$PF
    default_backend web
    http-response set-header X-Server %s"

# ------------------------------------------------------------------------------
# Run 1: health checks; pooled connections; then, under load, stop and
# restart A, reload B five times and upgrade it.
# ------------------------------------------------------------------------------
inst_up a || fail "instance A starts"
inst_up b || fail "instance B starts"
ha_start "$HA_GLOBAL
backend web
    balance leastconn
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 200ms fall 1 rise 1 maxconn $WORKERS
    server a 127.0.0.1:$PA check
    server b 127.0.0.1:$PB check send-proxy" || finish

check "HAProxy sees A up" wait_for 5 ha_status_is a UP
check "HAProxy sees B up (health check with the PROXY header)" wait_for 5 ha_status_is b UP

# --- Pooled server connections: no stop, no reload ---------------------------
# HAProxy keeps its server connections alive (its defaults: http-reuse
# safe) and shares them between client connections; between requests they
# wait in the servers' wait sets.  For 6 s, a second of load and a second
# of quiet in turn: 4 clients that keep their connection and send without
# pause, 16 that keep theirs and send every 250 ms, one that makes a
# connection per request.  In the quiet seconds HAProxy's pooled
# connections sit idle in A and B while it checks them every 200 ms: a
# server whose idle connections held its workers would fail those checks.
lbw() { python3 "$PH_DIR/lbwatch.py" "$1" "$PH_DIR/haproxy.sock" "$PA" "$PB" "${@:2}"; }
STEADY_SECONDS=6
lbw snap >"$PH_DIR/steady-before.json" 2>>"$PH_DIR/lbwatch.err" || true
lb_load "$STEADY_SECONDS" 4 0 1 16 1 1 steady &
steady=$!
lbw watch "$STEADY_SECONDS" >"$PH_DIR/steady-watch.json" 2>>"$PH_DIR/lbwatch.err" || true
wait "$steady" || true
lbw snap >"$PH_DIR/steady-after.json" 2>>"$PH_DIR/lbwatch.err" || true
load_summary steady | sed 's/^/# pooled: load: /'
declare -A SW=() # what the snapshots and the watch saw (-1: not seen)
while read -r k v; do SW[$k]=$v; done < <(python3 - "$PH_DIR" <<'PY' 2>>"$PH_DIR/lbwatch.err"
import json, sys
d = sys.argv[1]
def load(name):
    try:
        return json.load(open(d + "/" + name))
    except (OSError, ValueError) as e:
        print("%s: %s" % (name, e), file=sys.stderr)
        return {}
b, a, w = load("steady-before.json"), load("steady-after.json"), load("steady-watch.json")
def delta(n, f):
    x, y = a.get(n, {}).get(f, -1), b.get(n, {}).get(f, -1)
    return x - y if min(x, y) >= 0 else -1
for n in "ab":
    for f in ("accepted", "requests", "chkfail", "chkdown", "connect", "reuse"):
        print(f + "_" + n, delta(n, f))
    for k, v in w.get("max", {}).get(n, {}).items():
        print(k + "_" + n, v)
print("ha_samples", w.get("ha_samples", -1))
print("page_samples", w.get("page_samples", -1))
print("down", len(w.get("down", [])))
notes = w.get("down", [])[:5] + w.get("errors", [])[:5]
if notes:
    print("notes", "; ".join(notes))
PY
)
sw() { echo "${SW[$1]:--1}"; }
for n in a b; do
	echo "# pooled: $n: $(sw requests_$n) requests on $(sw accepted_$n) connections accepted;" \
		"HAProxy: connect $(sw connect_$n), reuse $(sw reuse_$n), idle pool up to $(sw pool_$n)," \
		"chkfail $(sw chkfail_$n), chkdown $(sw chkdown_$n); server: ConnsTotal up to $(sw ConnsTotal_$n)," \
		"ConnsKeepAlive up to $(sw ConnsKeepAlive_$n) ($(sw idle_held_$n) with no worker busy but the status page's)," \
		"ConnsQueued up to $(sw ConnsQueued_$n)"
done
[ -z "${SW[notes]:-}" ] || echo "# pooled: samples not UP, errors: ${SW[notes]}"
read -r requests failures non200 _ < <(load_counts steady)
check "pooled: the client sent many requests (got $requests)" test "$requests" -ge 300
check "pooled: every request through HAProxy got 200 (failed $failures, other status $non200)" \
	test "$failures" = 0 -a "$non200" = 0
check "pooled: HAProxy showed A and B UP in every 'show stat' sample (not UP in $(sw down) of $(sw ha_samples))" \
	test "$(sw ha_samples)" -ge 20 -a "$(sw down)" = 0
# Between two samples a server can go DOWN and UP again (rise 1): HAProxy's
# own counters see it.
check "pooled: HAProxy counted no failed health check and no DOWN (chkfail $(sw chkfail_a)+$(sw chkfail_b), chkdown $(sw chkdown_a)+$(sw chkdown_b))" \
	test "$(sw chkfail_a)$(sw chkfail_b)$(sw chkdown_a)$(sw chkdown_b)" = 0000
check "pooled: HAProxy kept idle server connections in its pool (up to $(sw pool_a) for A, $(sw pool_b) for B)" \
	test "$(sw pool_a)" -ge 1 -a "$(sw pool_b)" -ge 1
# (So the pauses did have idle pooled connections in the servers, and the
# health checks above were answered beside them.)
check "pooled: HAProxy's idle connections waited in A and B with no worker busy but the status page's (up to $(sw idle_held_a) and $(sw idle_held_b))" \
	test "$(sw idle_held_a)" -ge 1 -a "$(sw idle_held_b)" -ge 1
# A takes no PROXY header, so HAProxy may send any request on any of its
# idle connections to A.  (Towards B, a connection carries the PROXY
# header of one client connection and serves only that one.)
check "pooled: A kept HAProxy's connections alive: $(sw requests_a) requests on $(sw accepted_a) connections (3 or more each)" \
	test "$(sw accepted_a)" -ge 1 -a "$(sw requests_a)" -ge $((3 * $(sw accepted_a)))
check "pooled: HAProxy sent most requests to A on a connection it had used before (reuse $(sw reuse_a), connect $(sw connect_a))" \
	test "$(sw reuse_a)" -gt "$(sw connect_a)" -a "$(sw connect_a)" -ge 1

LOAD_SECONDS=10
lb_load "$LOAD_SECONDS" 4 4 0 0 load &
load=$!

sleep 1.5
# A: graceful stop.  Its /healthz says 503 for drain_delay (1 s); with
# inter 200ms fall 1 HAProxy takes it out well before the listeners close.
# DOWN alone says little: a stop without drain_delay closes A's listener,
# and HAProxy marks a refused connection (L4CON) DOWN as well.  A drained
# A is taken out by a layer-7 health check that got 503, while its
# listener is still open.
read -r ms _ why code < <(ha_term_watch a "${IPID[a]}" 3 || echo none)
echo "# A DOWN ${ms:-never} ms after TERM; check_status ${why:-?}, check_code ${code:-?}"
grep -h 'Server web/a is DOWN' "$PH_DIR/haproxy.err" 2>/dev/null | tail -n 1 | sed 's/^/# HAProxy: /'
check "HAProxy marks A down during A's drain_delay: its health check got 503 (L7STS 503, got: ${why:-not DOWN} ${code:-})" \
	test "${why:-} ${code:-}" = "L7STS 503"
inst_stop a TERM
check "A exits 0 after its graceful stop (got $INST_EXIT)" test "$INST_EXIT" = 0
# ... and starts again on the same port.
inst_up a || fail "instance A starts again"
check "HAProxy sees A up again" wait_for 3 ha_status_is a UP

# B: five reloads, each waited for through B's status page.
for i in 1 2 3 4 5; do
	kill -HUP "${IPID[b]}"
	gen() { grep -qx "Generation: $(($1 + 1))" < <(curl_b "http://127.0.0.1:$PB/server-status"); }
	check "B reload $i: generation $((i + 1)) serves" wait_for 5 gen "$i"
	sleep 0.3
done
check "HAProxy kept B up through the reloads" ha_status_is b UP

# B: binary upgrade (USR2), then QUIT to the old master.  The new master
# serves on the same port, so the balancer should see B up all along.
old_b=${IPID[b]}
kill -USR2 "$old_b"
new_b=
for _ in $(seq 50); do
	new_b=$(cat "$PH_DIR/b.pid" 2>/dev/null || true)
	[ -n "$new_b" ] && [ "$new_b" != "$old_b" ] && break
	sleep 0.1
done
check "B upgrade: a new master runs (pid ${new_b:-none})" test -n "$new_b" -a "$new_b" != "$old_b"
sleep 0.5
kill -QUIT "$old_b"
down=0
codes=
for _ in $(seq 12); do
	ha_status_is b UP || down=$((down + 1))
	codes="$codes $(curl_b -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PB/healthz" || true)"
	sleep 0.1
done
echo "# B /healthz during the old master's drain_delay:$codes"
check "B upgrade: HAProxy keeps B UP while the old master drains (DOWN in $down of 12 samples)" \
	test "$down" = 0
check "B upgrade: /healthz on B's port stays 200 while the new master serves (got$codes)" \
	grep -Eqx '( 200)+' <<<"$codes"
wait "$old_b" 2>/dev/null || true
IPID[b]=$new_b # not our child: stopped by PID below

wait "$load" || true
summary=$(load_summary load)
while IFS= read -r line; do echo "# load: $line"; done <<<"$summary"
read -r requests failures non200 _ < <(load_counts load)
check "the client sent many requests (got $requests)" test "$requests" -ge 500
check "0 failed requests through HAProxy (got $failures)" test "$failures" = 0
check "0 answers other than 200 (got $non200)" test "$non200" = 0
check "both instances served some of the load" \
	grep -Eq 'by_server=a:[0-9]+,b:[0-9]+' <<<"$summary"

ha_stop
inst_stop b TERM
check "B (the upgraded master) exits by itself (got $INST_EXIT)" test "$INST_EXIT" = exited
inst_stop a TERM

# B's access log: the client behind HAProxy is 127.0.0.2 (from the PROXY
# header), although HAProxy's connections come from 127.0.0.1.
check "B's access log: every load request shows the client 127.0.0.2" python3 - "$PH_DIR/b-access.log" <<'PY'
import json, sys
n = bad = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["user_agent"] != "lbload":
        continue
    n += 1
    if e["remote"] != "127.0.0.2":
        bad += 1
print("# B logged %d load requests, %d with another address" % (n, bad))
sys.exit(0 if n > 100 and bad == 0 else 1)
PY

# ------------------------------------------------------------------------------
# Run 2: agent-check only.  HAProxy follows the agent's weight, and a
# graceful stop turns the server to DRAIN by itself.
# ------------------------------------------------------------------------------
rm -f "$PH_DIR/haproxy.sock"
inst_up a || fail "instance A starts (run 2)"
inst_up b || fail "instance B starts (run 2)"
ha_start "$HA_GLOBAL
backend web
    balance leastconn
    default-server weight 100 agent-inter 200ms
    server a 127.0.0.1:$PA agent-check agent-port $AGA
    server b 127.0.0.1:$PB agent-check agent-port $AGB send-proxy" || finish

weight_is() { [ "$(ha_stat "$1" weight)" = "$2" ]; }
# Without "check" HAProxy's status column says "no check" until the agent
# changes it; the agent's weight and maxconn show in "weight" and "slim".
check "agent: A is served (status 'no check', got '$(ha_stat a status)')" \
	wait_for 5 ha_status_is a "no check"
check "agent: 'up 100%' (all idle) gives A the full weight 100" wait_for 3 weight_is a 100
slim=$(ha_stat a slim)
check "agent: 'maxconn:$WORKERS' becomes A's connection limit (got $slim)" test "$slim" = "$WORKERS"
# Keep all of A's workers busy with slow downloads: the agent says "up 1%".
head -c $((16 * 1024 * 1024)) /dev/zero >"$PH_DIR/www/big.bin"
slow=()
for _ in $(seq "$WORKERS"); do
	curl -s -o /dev/null -m 30 --limit-rate 100k "http://127.0.0.1:$PA/big.bin" &
	slow+=($!)
done
check "agent: with every worker of A busy, its weight drops to 1" wait_for 3 weight_is a 1
kill "${slow[@]}" 2>/dev/null || true
wait "${slow[@]}" 2>/dev/null || true
check "agent: the weight comes back to 100 once A is idle" wait_for 3 weight_is a 100

t0=$(date +%s%N)
kill -TERM "${IPID[a]}"
check "agent: HAProxy marks A DRAIN by itself during drain_delay" \
	wait_for 1 ha_status_is a "DRAIN (agent)"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# A shown as '$(ha_stat a status)' ${ms} ms after TERM"
ha_cmd "show servers state web" >"$PH_DIR/state-drain.txt"
check "agent: 'show servers state' has A's drain flag (srv_admin_state & 8)" python3 - "$PH_DIR/state-drain.txt" <<'PY'
import sys
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) > 6 and f[1] == "web" and f[3] == "a":
        print("# show servers state: a srv_op_state=%s srv_admin_state=%s" % (f[5], f[6]))
        sys.exit(0 if int(f[6]) & 8 else 1)
sys.exit(1)
PY
check "agent: B is not affected (got '$(ha_stat b status)')" ha_status_is b "no check"
inst_stop a TERM
check "A exits 0 (got $INST_EXIT)" test "$INST_EXIT" = 0
ha_stop
inst_stop b TERM

finish
