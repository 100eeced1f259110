#!/usr/bin/env bash
# drain.sh -- a graceful stop (TERM, drain_delay 1s) loses nothing.
#
# 1. workers: 1, busy with a slow request (a CGI); 5 more connections send their
#    requests and wait in the accept queue; then TERM, and after drain_delay
#    the slow request ends.  It completes, and all 5 queued requests are
#    answered (with Connection: close) -- none is reset.
# 2. workers: 3: during drain_delay /healthz answers 503 "draining" while
#    other requests are still served; a POST whose body is still arriving
#    on a keep-alive connection when the stop comes is answered (with
#    Connection: close), not reset; an idle keep-alive connection is closed
#    as soon as its worker has the stop and is free (not after
#    timeouts.keepalive).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
# A request that keeps the only worker busy until the test releases it
# (at most 20 s): a CGI that waits for a file.  (A large file would not
# do: the kernel's socket buffers take megabytes at once, and the worker is
# free long before the client has read them.)
mkdir -p "$PH_DIR/cgi-bin"
cat >"$PH_DIR/cgi-bin/slow.sh" <<EOF
#!/bin/sh
: >"$PH_DIR/slow.started"
end=\$((\$(date +%s) + 20))
while [ ! -e "$PH_DIR/slow.release" ] && [ \$(date +%s) -lt \$end ]; do
	sleep 0.05
done
printf 'Content-Type: text/plain\r\n\r\nslow\n'
EOF
cp "$top_srcdir/tests/cgi-bin/sha256.py" "$PH_DIR/cgi-bin/"
chmod 755 "$PH_DIR/cgi-bin/slow.sh" "$PH_DIR/cgi-bin/sha256.py"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
timeouts: {drain_delay: 1s, graceful: 30s, keepalive: 10s}
routes:
  - prefix: /cgi-bin/
    cgi: {dir: cgi-bin, timeout: 30s}' || finish

curl -s -m 30 -o "$PH_DIR/slow.body" -w '%{http_code}\n' \
	"$PH_URL/cgi-bin/slow.sh" >"$PH_DIR/slow.out" 2>/dev/null &
slow=$!
wait_file() { # FILE: up to 20 s
	local end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ]; do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
check "the slow request holds the only worker" wait_file "$PH_DIR/slow.started"
# Five connections send a request each; they wait in the accept queue.
# (It creates queued.ready once all five have sent: on a busy machine
# python's start alone can outlast drain_delay.)
python3 - "$PH_PORT" "$PH_DIR/queued.ready" >"$PH_DIR/queued.out" <<'PY' &
import socket, sys, threading, time
port, ready = int(sys.argv[1]), sys.argv[2]
res = [None] * 5
sent = [threading.Event() for _ in range(5)]  # sent, or failed
def one(i):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
        sent[i].set()
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        status = head.split(" ", 2)[1] if head.startswith("HTTP/") else "none"
        close = "close" if "\r\nconnection: close" in head.lower() else "keep"
        res[i] = "%s %s" % (status, close)
    except ConnectionResetError:
        res[i] = "reset -"
    except Exception as e:
        res[i] = "%s -" % type(e).__name__
    finally:
        sent[i].set()
ts = [threading.Thread(target=one, args=(i,)) for i in range(5)]
for t in ts:
    t.start()
for e in sent:
    e.wait()
open(ready, "w").close()
for t in ts:
    t.join()
print("\n".join(res))
PY
queued=$!
check "the five queued connections sent their requests" wait_file "$PH_DIR/queued.ready"
sleep 0.2 # the requests reach the accept queue
kill -TERM "$PH_PID"
# Past drain_delay (1 s) the workers are told to stop; only then does the
# slow request end, and the worker answers the queued ones.
sleep 1.5
: >"$PH_DIR/slow.release"
wait "$queued" || true
wait "$slow" || true
echo "# queued connections (status connection):"
sed 's/^/#   /' "$PH_DIR/queued.out"
code=$(cat "$PH_DIR/slow.out")
check "the slow request in flight completes (got $code)" test "$code" = 200 -a "$(cat "$PH_DIR/slow.body")" = slow
check "all 5 queued requests are answered 200" test "$(grep -c '^200 ' "$PH_DIR/queued.out")" = 5
check "... with Connection: close" test "$(grep -c '^200 close$' "$PH_DIR/queued.out")" = 5
check "none of them was reset" test "$(grep -c '^reset' "$PH_DIR/queued.out")" = 0
ph_stop TERM
check "the server exits 0 (got $PH_EXIT)" test "$PH_EXIT" = 0

# --- 2: drain_delay, idle keep-alive, a POST in flight ----------------------------
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 3
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
timeouts: {drain_delay: 1s, graceful: 15s, keepalive: 10s}
routes:
  - prefix: /cgi-bin/
    cgi: {dir: cgi-bin, timeout: 10s}' || finish

# The client: K, a keep-alive connection left idle after one request; P,
# a keep-alive connection that sends a POST head and half of its body,
# then (after the TERM and the end of drain_delay) the rest.  It prints
# K's close time and P's answers.  The script sends TERM when told "go".
fifo=$PH_DIR/go
mkfifo "$fifo"
python3 - "$PH_PORT" "$fifo" >"$PH_DIR/inflight.out" 2>&1 <<'PY' &
import hashlib, socket, sys, time
port, fifo = int(sys.argv[1]), sys.argv[2]

def read_response(s):
    f = s.makefile("rb")
    line = f.readline()
    if not line:
        return None, {}, b""
    hdrs = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            n = int(f.readline().split(b";")[0], 16)
            if n == 0:
                f.readline()
                break
            body += f.read(n)
            f.readline()
    else:
        body = f.read(int(hdrs.get("content-length", "0")))
    return int(line.split()[1]), hdrs, body

k = socket.create_connection(("127.0.0.1", port), timeout=20)
k.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
st, _, _ = read_response(k)
print("K first", st)
p = socket.create_connection(("127.0.0.1", port), timeout=20)
p.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
st, _, _ = read_response(p)
print("P first", st)
body = bytes(range(256)) * 400
p.sendall(b"POST /cgi-bin/sha256.py HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body[:len(body) // 2])
time.sleep(0.2)
with open(fifo, "w") as g:
    g.write("go\n")  # the script sends TERM now
t0 = time.monotonic()
time.sleep(1.5)  # past drain_delay: the stop is under way
# P's worker is busy with P's POST until its body is complete: K, idle on
# any worker, is closed once its worker is free, at the latest right after
# P's answer, and never left until timeouts.keepalive (10 s).
try:
    p.sendall(body[len(body) // 2:])
    st, hdrs, rb = read_response(p)
    want = "sha256=" + hashlib.sha256(body).hexdigest()
    print("P post", st, hdrs.get("connection", "-"), "body-ok" if want.encode() in rb else "body-bad")
except ConnectionResetError:
    print("P post reset")
except Exception as e:
    print("P post", type(e).__name__)
k.settimeout(max(0.1, 3.0 - (time.monotonic() - t0)))
try:
    got = k.recv(100)
    print("K closed %.2f %s" % (time.monotonic() - t0, "eof" if not got else "data"))
except socket.timeout:
    print("K closed never")
except ConnectionResetError:
    print("K closed %.2f reset" % (time.monotonic() - t0))
PY
client=$!
read -r _ <"$fifo"
kill -TERM "$PH_PID"
sleep 0.2
# Both in one curl, well within drain_delay even on a busy machine.
codes=$(curl -s -m 2 -w '%{http_code} ' -o "$PH_DIR/health.body" "$PH_URL/healthz" \
	-o /dev/null "$PH_URL/index.html" || true)
read -r code code2 <<<"$codes"
check "/healthz answers 503 during drain_delay (got ${code:-none})" test "${code:-}" = 503
check "... with the body 'draining'" grep -qx draining "$PH_DIR/health.body"
check "other requests are still served during drain_delay (got ${code2:-none})" test "${code2:-}" = 200
wait "$client" || true
sed 's/^/# client: /' "$PH_DIR/inflight.out"
check "K and P were served before the stop" \
	test "$(grep -c '^[KP] first 200$' "$PH_DIR/inflight.out")" = 2
kline=$(grep '^K closed' "$PH_DIR/inflight.out" || true)
read -r _ _ kt kwhy <<<"$kline"
check "the idle keep-alive connection is closed when the stop reaches the workers ($kline)" \
	python3 -c "import sys; sys.exit(0 if '$kwhy' == 'eof' and 0.7 <= float('${kt:-99}') <= 2.5 else 1)"
pline=$(grep '^P post' "$PH_DIR/inflight.out" || true)
check "the POST in flight at the stop is answered 200 with its whole body read ($pline)" \
	test "$pline" = "P post 200 close body-ok"
ph_stop TERM
check "the server exits 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
finish
