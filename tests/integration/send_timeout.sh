#!/usr/bin/env bash
# send_timeout.sh -- timeouts.send bounds every wait for a client to take
# bytes, large files (sendfile) included: two clients that ask for a big
# file and never read cannot hold a 2-worker pool for longer than that,
# and their connections are closed with the file cut (ss from iproute2).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
truncate -s 64M "$PH_DIR/www/big.bin"
echo small >"$PH_DIR/www/small.txt"
cat >"$PH_DIR/t.py" <<'PY'
import socket, subprocess, sys, time
from phclient import read_until_eof

port = int(sys.argv[1])

def report(ok, name):
    print(("PASS" if ok else "FAIL") + "\t" + name, flush=True)

stalled = []
for _ in range(2):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    stalled.append(s)
time.sleep(0.2)
t = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
out, _, _ = read_until_eof(s, 20)
secs = time.monotonic() - t
report(out.startswith(b"HTTP/1.1 200"), "an ordinary request is answered (%r)" % out[:15])
# timeouts.send is 2 s: the workers are free 2 s after the clients stopped
# taking bytes, plus the moment it takes to fill the socket buffers.
report(secs < 4.0, "... within timeouts.send of the stall, not a multiple of it (%.1f s)" % secs)
# The stalled connections were closed by the server (with the file cut:
# what the kernel still holds for them is all they get): their server
# ends wait in FIN-WAIT-1 for the client to read.
out = subprocess.run(["ss", "-Htn", "state", "fin-wait-1", "sport = :%d" % port],
                     capture_output=True, text=True).stdout
peers = {"127.0.0.1:%d" % st.getsockname()[1] for st in stalled}
closed = len([l for l in out.splitlines() if l.split() and l.split()[-1] in peers])
report(closed == 2, "both stalled downloads were closed by the server (%d)" % closed)
for st in stalled:
    st.close()
PY

if ! ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
timeouts: {send: 2s}
access_log: {path: "off"}'; then
	finish
fi
n=0
while IFS=$'\t' read -r verdict name; do
	n=$((n + 1))
	case $verdict in
	PASS) pass "$name" ;;
	FAIL) fail "$name" ;;
	*) fail "helper output" "$verdict $name" ;;
	esac
done < <(timeout 60 python3 "$PH_DIR/t.py" "$PH_PORT" ||
	printf 'FAIL\thelper exited with status %s\n' "$?")
check "the helper reported its checks ($n)" test "$n" -eq 3
check "the error log says the send timed out" grep -q "send timed out" "$PH_DIR/stderr.log"
ph_stop TERM
finish
