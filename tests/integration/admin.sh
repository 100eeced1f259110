#!/usr/bin/env bash
# admin.sh -- the admin listener and the agent-check responder, served by
# their own process: they answer while both workers are busy with slow
# downloads, /readyz turns 503 when connections wait for a worker, the
# agent line follows the idle share, clients that stall on the admin
# listener do not delay /healthz or the agent line, and both say
# "draining" during a graceful stop (drain_delay 5s, room for the checks
# made meanwhile on a loaded machine) while /healthz still says the
# process is alive.  After a reload it serves the new configuration; the
# master replaces a killed admin process.
# The helpers below are called through check and wait_for.
# shellcheck disable=SC2317
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
# Large enough that a rate-limited download keeps a worker busy.
head -c $((32 * 1024 * 1024)) /dev/zero >"$PH_DIR/www/big.bin"
ADMIN_PORT=$(ph_free_port)
AGENT_PORT=$(ph_free_port)
while [ "$AGENT_PORT" = "$ADMIN_PORT" ]; do AGENT_PORT=$(ph_free_port); done
ADMIN=http://127.0.0.1:$ADMIN_PORT

ph_start "listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: {path: \"off\"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
timeouts: {drain_delay: 5s, graceful: 10s}
admin: {listen: 127.0.0.1:$ADMIN_PORT}
agent_check: 127.0.0.1:$AGENT_PORT
status: {path: /server-status, allow: [127.0.0.1/32]}
metrics: {path: /metrics, allow: [127.0.0.1/32]}" || finish
MASTER=$PH_PID

# agent_line: what the agent-check port answers, without the newline.
agent_line() {
	python3 - "$AGENT_PORT" 2>/dev/null <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
data = b""
while True:
    chunk = s.recv(256)
    if not chunk:
        break
    data += chunk
print(data.decode("ascii", "replace").rstrip("\n"))
PY
}
# admin_get PATH: "CODE BODY" from the admin listener, 2 s at most.
admin_get() {
	curl -s -m 2 -w ' %{http_code}' "$ADMIN$1" 2>/dev/null | python3 -c '
import sys
d = sys.stdin.read()
body, _, code = d.rpartition(" ")
print(code, body.strip())'
}
# wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
agent_is() { [[ "$(agent_line)" =~ $1 ]]; }
# admin_says PATH "CODE BODY"
admin_says() { [ "$(admin_get "$1")" = "$2" ]; }

# --- all idle --------------------------------------------------------------
check "admin process answers /healthz" wait_for 5 admin_says /healthz "200 ok"
check "/readyz is 200 ready" test "$(admin_get /readyz)" = "200 ready"
line=$(agent_line || true)
check "agent: up with maxconn:2 (got '$line')" grep -Eqx 'up [0-9]+% maxconn:2' <<<"$line"
check "agent: 100% when both workers are idle" wait_for 3 agent_is '^up 100% maxconn:2$'
code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$ADMIN/server-status" || true)
check "admin: status page at /server-status (got $code)" test "$code" = 200
code=$(curl -s -o "$PH_DIR/admin.prom" -m 2 -w '%{http_code}' "$ADMIN/metrics" || true)
check "admin: /metrics (got $code)" test "$code" = 200
check "admin: metrics are valid" python3 "$(dirname "$0")/promcheck.py" check "$PH_DIR/admin.prom"
check "admin: the process_* figures of the master and the workers" \
	test "$(grep -Ec '^process_(cpu_seconds_total|resident_memory_bytes)\{process="(master|workers)"\} ' "$PH_DIR/admin.prom")" = 4
check "admin: ?auto" grep -Eq '^Total Accesses: [0-9]+$' <(curl -s -m 2 "$ADMIN/server-status?auto")
check "admin: HTML for a browser" grep -q '<title>prefork-httpd status</title>' \
	<(curl -s -m 2 -H 'Accept: text/html' "$ADMIN/server-status")
code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$ADMIN/" || true)
check "admin: / is 404 (got $code)" test "$code" = 404

# --- stalled clients do not delay a health check ---------------------------
# Five connections to the admin listener that send one byte and stall (and
# two to the agent port that send nothing), then /healthz and the agent
# line on new connections: each must come back at once, well under the 2 s
# that a stalled connection may take, not after it.
stalled_probe() {
	python3 - "$ADMIN_PORT" "$AGENT_PORT" <<'PY'
import socket, sys, time
from phclient import connect, read_until_eof
admin, agent = int(sys.argv[1]), int(sys.argv[2])
stalled = []
for _ in range(5):
    s = connect(admin)
    s.sendall(b"G")
    stalled.append(s)
stalled += [connect(agent) for _ in range(2)]
time.sleep(0.3)  # accepted by now, each holding a partial request
t0 = time.monotonic()
s = connect(admin)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
resp, eof, _ = read_until_eof(s, 5)
health_ms = (time.monotonic() - t0) * 1000
t0 = time.monotonic()
line, _, _ = read_until_eof(connect(agent), 5)
agent_ms = (time.monotonic() - t0) * 1000
ok = resp.startswith(b"HTTP/1.1 200 ") and resp.endswith(b"\r\n\r\nok\n") and eof
print("healthz=%s %.0f ms, agent=%r %.0f ms" % (
    "200" if ok else repr(resp[:40]), health_ms, line.decode(errors="replace"),
    agent_ms))
for x in stalled:
    x.close()
sys.exit(0 if ok and health_ms < 1000 and line.startswith(b"up ")
         and agent_ms < 1000 else 1)
PY
}
out=$(stalled_probe) && rc=0 || rc=$?
check "with 5 stalled admin connections, /healthz and the agent line answer in < 1 s ($out)" \
	test "$rc" = 0

# --- both workers busy with slow downloads ----------------------------------
downloads=()
for _ in 1 2; do
	curl -s -o /dev/null -m 60 --limit-rate 20k "$PH_URL/big.bin" &
	downloads+=($!)
done
busy() { grep -qx 'BusyWorkers: 2' < <(curl -s -m 2 "$ADMIN/server-status"); }
check "status (admin listener): 2 busy workers" wait_for 5 busy
# A request to the workers now waits in the accept queue.
curl -s -o "$PH_DIR/queued.out" -m 60 -w '%{http_code}' "$PH_URL/healthz" >"$PH_DIR/queued.code" &
queued=$!
code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$PH_URL/healthz" || true)
check "the worker listener does not answer within 1 s (got ${code:-none})" test "$code" = 000
t0=$(date +%s%N)
got=$(admin_get /healthz)
ms=$((($(date +%s%N) - t0) / 1000000))
check "admin /healthz answers while every worker is busy (got '$got', ${ms} ms)" \
	test "$got" = "200 ok"
check "/readyz is 503 busy with a queued connection" \
	wait_for 3 admin_says /readyz "503 busy"
check "agent: 1% when no worker is idle" wait_for 3 agent_is '^up 1% maxconn:2$'
curl -s -m 2 -o "$PH_DIR/busy.prom" "$ADMIN/metrics" || true
check "metrics: the queued connection is counted" grep -Eq \
	"^prefork_httpd_listen_queue_depth\\{listener=\"127.0.0.1:$PH_PORT\"\\} [1-9]" "$PH_DIR/busy.prom"
check "metrics: 2 workers writing" grep -qx 'prefork_httpd_workers{state="writing"} 2' "$PH_DIR/busy.prom"
kill "${downloads[@]}" 2>/dev/null || true
wait "${downloads[@]}" 2>/dev/null || true
wait "$queued" || true
check "the queued request is served once a worker is free" test "$(cat "$PH_DIR/queued.code")" = 200
check "/readyz is 200 again" wait_for 5 admin_says /readyz "200 ready"

# --- a reload: the admin process follows the new configuration -----------------
sed -i 's|^status: {path: /server-status,|status: {path: /status2,|' "$PH_DIR/server.yaml"
kill -HUP "$MASTER"
status2() { [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$ADMIN/status2")" = 200 ]; }
check "after a reload the admin listener serves the new status path" wait_for 5 status2
check "... for generation 2" grep -qx 'Generation: 2' < <(curl -s -m 2 "$ADMIN/status2")
check "... and /healthz still answers" admin_says /healthz "200 ok"

# --- the admin process is supervised -------------------------------------------
admin_pid() { # the process other than the master listening on the admin port
	ss -Hltnp "sport = :$ADMIN_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' |
		cut -d= -f2 | grep -vx "$MASTER" | head -n1
}
apid=$(admin_pid || true)
check "an admin process other than the master holds the admin port" test -n "$apid"
if [ -n "$apid" ]; then
	kill -KILL "$apid"
	replaced() {
		local p
		p=$(admin_pid)
		[ -n "$p" ] && [ "$p" != "$apid" ] && admin_says /healthz "200 ok"
	}
	check "a killed admin process is replaced" wait_for 5 replaced
fi

# --- graceful stop: drain ----------------------------------------------------------
# One process sends the TERM and looks during drain_delay (5 s): a curl and
# a python per look take longer than that on a busy machine.
ph_results drain-probe python3 - "$MASTER" "$AGENT_PORT" "$ADMIN_PORT" "$PH_PORT" <<'PY'
import http.client, os, signal, socket, sys, time
pid, agent, admin, port = (int(a) for a in sys.argv[1:5])

def report(ok, name):
    print(("PASS" if ok else "FAIL") + "\t" + name, flush=True)

def agent_line():
    try:
        s = socket.create_connection(("127.0.0.1", agent), timeout=2)
        data = b""
        while True:
            c = s.recv(256)
            if not c:
                break
            data += c
        s.close()
        return data.decode("ascii", "replace").rstrip("\n")
    except OSError as e:
        return "%s" % type(e).__name__

def get(p, path):  # "CODE BODY"
    try:
        c = http.client.HTTPConnection("127.0.0.1", p, timeout=2)
        c.request("GET", path)
        r = c.getresponse()
        return "%d %s" % (r.status, r.read().decode("latin-1").strip())
    except (OSError, http.client.HTTPException) as e:
        return "000 %s" % type(e).__name__

os.kill(pid, signal.SIGTERM)
t0 = time.monotonic()
line = agent_line()
while line != "drain" and time.monotonic() - t0 < 1.0:
    time.sleep(0.05)
    line = agent_line()
report(line == "drain", "agent: drain during drain_delay (got %r)" % line)
got = get(admin, "/readyz")
report(got == "503 draining", "/readyz is 503 draining (got %r)" % got)
got = get(admin, "/healthz")
report(got == "200 ok", "/healthz is still 200 while draining (got %r)" % got)
got = get(port, "/").split()[0]
report(got == "200", "the workers still serve during drain_delay (got %s)" % got)
print("# looked %.2f s into drain_delay (5 s)" % (time.monotonic() - t0))
PY
ph_stop TERM
check "the server exits 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
check "no process listens on the admin port after the stop" \
	test -z "$(ss -Hltn "sport = :$ADMIN_PORT" 2>/dev/null)"

finish
