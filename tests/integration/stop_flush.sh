#!/usr/bin/env bash
# stop_flush.sh -- at a graceful stop the master exits only once the
# connections its workers closed have sent what the kernel still held for
# them: in a container, the last process's exit takes the network namespace
# and those connections with it (tests/container/check.sh sees the
# truncated download there).  Here: a slow client of a large file, TERM
# while it reads; the worker finishes writing and exits, the master waits
# (and says so) until the client has everything, then exits 0.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
size=$((16 * 1024 * 1024))
head -c "$size" /dev/urandom >"$PH_DIR/www/big.bin"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
root: www
timeouts: {drain_delay: 0s, graceful: 20s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
MASTER=$PH_PID

# Reads about 5 MB/s through a small receive buffer: some 3 s for 16 MB.
# Prints "<bytes> <time of EOF, ns since the epoch>".
python3 - "$PH_PORT" "$PH_DIR/reading" >"$PH_DIR/client.out" 2>"$PH_DIR/client.err" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(65536)
head, _, body = buf.partition(b"\r\n\r\n")
got = len(body)
open(sys.argv[2], "w").close()
while True:
    b = s.recv(65536)
    if not b:
        break
    got += len(b)
    time.sleep(0.0125)
print(got, time.time_ns())
PY
client=$!

for _ in $(seq 100); do
	[ -e "$PH_DIR/reading" ] && break
	sleep 0.05
done
check "the download is under way before TERM" test -e "$PH_DIR/reading"
sleep 0.2
kill -TERM "$MASTER"
t0=$(date +%s%N)
for _ in $(seq 200); do
	kill -0 "$MASTER" 2>/dev/null || break
	sleep 0.05
done
master_end=$(date +%s%N)
wait "$client"
read -r got client_end <"$PH_DIR/client.out" || true
if kill -0 "$MASTER" 2>/dev/null; then
	fail "the master exits within 10 s of TERM"
else
	wait "$MASTER" && rc=0 || rc=$?
	PH_PID=
	check "the master exited 0 after TERM (status $rc)" test "$rc" = 0
fi
check "the client got the whole file ($got of $size bytes)" test "${got:-0}" = "$size"
lead=$(((${client_end:-0} - master_end) / 1000000))
check "the master exited only after the client had read everything ($lead ms before)" \
	test "$lead" -le 100
check "the master waited for the closed connection and said so" \
	grep -q 'closed connections still have bytes to send; waiting' "$PH_DIR/stderr.log"
check "... and saw it finish" \
	grep -q 'closed connections have sent everything' "$PH_DIR/stderr.log"
echo "# TERM to master exit: $(((master_end - t0) / 1000000)) ms"
finish
