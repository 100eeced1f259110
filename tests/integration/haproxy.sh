#!/usr/bin/env bash
# haproxy.sh -- two instances behind a real HAProxy on loopback.
#
# Run 1 (HTTP health checks, inter 200ms fall 1 rise 1, maxconn = workers):
# while a load client sends requests through HAProxy for about 10 s
# (keep-alive and one-request connections, from 127.0.0.2), instance A is
# stopped gracefully (TERM, drain_delay 1s: /healthz turns 503 and HAProxy
# takes A out before its listeners close) and started again, then instance
# B is reloaded (HUP) five times and upgraded (USR2, then QUIT to the old
# master).  The client must see no failed request
# and no status other than 200.  B's listener takes the PROXY protocol
# (send-proxy), so B's access log shows 127.0.0.2, the client, although
# HAProxy itself connects from 127.0.0.1.
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
	local name=$1 listen port agent
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
timeouts: {drain_delay: 1s, graceful: 10s, keepalive: 5s}
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
	python3 - "$PH_DIR/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    out += c
sys.stdout.write(out.decode("utf-8", "replace"))
PY
}
# ha_stat SERVER FIELD: a field of "show stat" for backend web.
ha_stat() {
	ha_cmd "show stat" | python3 -c '
import csv, sys
srv, field = sys.argv[1], sys.argv[2]
lines = sys.stdin.read().lstrip("# ").splitlines()
for row in csv.DictReader(lines):
    if row.get("pxname") == "web" and row.get("svname") == srv:
        print(row.get(field, ""))' "$1" "$2"
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
import csv, os, signal, socket, sys, time
sock, srv, pid, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

def row():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(sock)
    s.sendall(b"show stat\n")
    out = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        out += c
    s.close()
    lines = out.decode("utf-8", "replace").lstrip("# ").splitlines()
    for r in csv.DictReader(lines):
        if r.get("pxname") == "web" and r.get("svname") == srv:
            return r
    return {}

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
    option http-server-close
    retries 3
    option redispatch
frontend fe
    bind 127.0.0.1:$PF
    default_backend web
    http-response set-header X-Server %s"

# ------------------------------------------------------------------------------
# Run 1: health checks; stop and restart A, reload B five times under load.
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

LOAD_SECONDS=10
python3 - "$PF" "$LOAD_SECONDS" >"$PH_DIR/load.json" 2>"$PH_DIR/load.err" <<'PY' &
import http.client, json, socket, sys, threading, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
SRC = ("127.0.0.2", 0)
lock = threading.Lock()
stats = {"requests": 0, "failures": 0, "non200": 0, "by_server": {}, "errors": [],
         "max_latency_ms": 0}
end = time.monotonic() + seconds

def record(server, status, err, ms):
    with lock:
        stats["requests"] += 1
        stats["max_latency_ms"] = max(stats["max_latency_ms"], int(ms))
        if err is not None:
            stats["failures"] += 1
            if len(stats["errors"]) < 20:
                stats["errors"].append("%.3f %s" % (time.monotonic() - (end - seconds), err))
        elif status != 200:
            stats["non200"] += 1
            if len(stats["errors"]) < 20:
                stats["errors"].append("%.3f status %d from %s" % (time.monotonic() - (end - seconds), status, server))
        else:
            stats["by_server"][server] = stats["by_server"].get(server, 0) + 1

def one(conn, close):
    t0 = time.monotonic()
    try:
        hdrs = {"User-Agent": "lbload"}
        if close:
            hdrs["Connection"] = "close"
        conn.request("GET", "/page.txt", headers=hdrs)
        r = conn.getresponse()
        body = r.read()
        ok = r.status != 200 or len(body) > 2000
        record(r.getheader("X-Server", "?"), r.status,
               None if ok else "short body %d" % len(body), (time.monotonic() - t0) * 1000)
        return r.status == 200
    except Exception as e:  # every exception is a failed request
        record("?", 0, "%s: %s" % (type(e).__name__, e), (time.monotonic() - t0) * 1000)
        return False

def keepalive():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=SRC)
    while time.monotonic() < end:
        if not one(conn, False):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=SRC)
        time.sleep(0.002)
    conn.close()

def fresh():
    while time.monotonic() < end:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=SRC)
        one(conn, True)
        conn.close()
        time.sleep(0.002)

threads = [threading.Thread(target=keepalive) for _ in range(4)]
threads += [threading.Thread(target=fresh) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
json.dump(stats, sys.stdout)
PY
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
summary=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("requests=%d failures=%d non200=%d max_latency_ms=%d by_server=%s" % (
    d["requests"], d["failures"], d["non200"], d["max_latency_ms"],
    ",".join("%s:%d" % kv for kv in sorted(d["by_server"].items()))))
for e in d["errors"]:
    print("    " + e)' "$PH_DIR/load.json" 2>/dev/null || echo "no summary: $(cat "$PH_DIR/load.err")")
echo "# load: $summary"
read -r requests failures non200 < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["requests"], d["failures"], d["non200"])' "$PH_DIR/load.json" 2>/dev/null || echo "0 -1 -1")
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
