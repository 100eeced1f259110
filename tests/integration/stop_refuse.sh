#!/usr/bin/env bash
# stop_refuse.sh -- a graceful stop strands nobody.  Two workers, one busy
# with a slow download; QUIT (drain_delay 0.5s).  During drain_delay new
# connections are served; once it is over, a new connection is refused at
# once (a balancer retries elsewhere) instead of waiting in a queue that
# no worker will ever accept from; the download in flight completes, and
# the server exits 0.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
head -c $((48 * 1024 * 1024)) /dev/zero >"$PH_DIR/www/big.bin"
echo small >"$PH_DIR/www/small.txt"

cat >"$PH_DIR/t.py" <<'PY'
import socket, sys, time
from phclient import report
port = int(sys.argv[1])

def fetch():
    """(outcome, seconds) of one request on a new connection."""
    t = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        d = s.recv(100)
        s.close()
        return (d[9:12].decode() if d.startswith(b"HTTP/1.1 ") else "eof"), time.monotonic() - t
    except ConnectionRefusedError:
        return "refused", time.monotonic() - t
    except socket.timeout:
        return "timeout", time.monotonic() - t
    except OSError as e:
        return type(e).__name__, time.monotonic() - t

# The download: read slowly, so one worker stays busy sending it.
dl = socket.create_connection(("127.0.0.1", port), timeout=30)
dl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
dl.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
got = dl.recv(65536)
time.sleep(0.3)
print("go", flush=True)
sys.stdin.readline()  # QUIT sent
st, secs = fetch()
report(st == "200", "during drain_delay a new request is answered", "%s in %.2f s" % (st, secs))
time.sleep(1.5)  # drain_delay is over
st, secs = fetch()
report(st == "refused" and secs < 1.0,
       "after drain_delay a new connection is refused at once", "%s in %.2f s" % (st, secs))
total = len(got)
dl.settimeout(20)
while True:
    c = dl.recv(1 << 20)
    if not c:
        break
    total += len(c)
head, _, _ = got.partition(b"\r\n\r\n")
report(total - len(head) - 4 == 48 * 1024 * 1024,
       "the download in flight completes", "%d bytes" % total)
PY

n=0
if ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
timeouts: {drain_delay: 500ms, graceful: 30s, send: 20s}
access_log: {path: "off"}'; then
	ph_helper 'kill -QUIT "$PH_PID"' timeout 60 python3 "$PH_DIR/t.py" "$PH_PORT"
	n=$PH_HELPER_CHECKS
	ph_stop TERM
	check "the server exits 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
fi
check "the helper reported its 3 checks ($n)" test "$n" -eq 3
finish
