#!/usr/bin/env bash
# quit_inflight.sh -- QUIT during a slow download: the download completes
# with every byte, the master then exits 0, and the port is closed after.
# shellcheck source=tests/integration/lib.sh disable=SC2016,SC2001
. "$(dirname "$0")/lib.sh"

ph_setup
big=$PH_DIR/www/big.bin
size=$((32 * 1024 * 1024))
head -c "$size" /dev/urandom >"$big"
want=$(sha256sum <"$big" | cut -d' ' -f1)

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
timeouts: {graceful: 20s, send: 10s}
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
MASTER=$PH_PID

# The time the master exits (its /proc entry gone, or a zombie), taken by a
# watcher of its own: not after waiting for curl, which would time curl.
# It starts before the download and QUIT goes only once it is polling (its
# ready file): a slow start of python on a busy machine must not delay what
# it sees, nor let the download end before QUIT.
python3 - "$MASTER" "$PH_DIR/watcher.ready" >"$PH_DIR/master.exit" <<'PY' &
import sys, time
pid, ready, end = sys.argv[1], sys.argv[2], time.monotonic() + 60
first = True
while time.monotonic() < end:
    try:
        with open("/proc/%s/stat" % pid) as f:
            st = f.read()
        if st[st.rindex(")") + 2] == "Z":
            break
    except OSError:
        break
    if first:
        open(ready, "w").close()
        first = False
    time.sleep(0.01)
print("%.3f" % time.time())
PY
watcher=$!
for _ in $(seq 400); do
	[ -e "$PH_DIR/watcher.ready" ] && break
	sleep 0.05
done
check "the exit watcher runs before QUIT" test -e "$PH_DIR/watcher.ready"

# About 4 s at 8 MB/s: after QUIT the download has seconds to go, even
# when a busy machine delays the QUIT.
dl=$PH_DIR/download
curl -s -m 30 --limit-rate 8M -o "$dl" -w '%{http_code} %{size_download}\n' \
	"$PH_URL/big.bin" >"$PH_DIR/curl.out" 2>"$PH_DIR/curl.err" &
curl_pid=$!

# Wait until the download is under way.
started=no
for _ in $(seq 50); do
	if [ -s "$dl" ] && [ "$(stat -c %s "$dl")" -gt 1000000 ]; then
		started=yes
		break
	fi
	sleep 0.05
done
check "the download has started before QUIT" test "$started" = yes

t0=$(date +%s.%N)
kill -QUIT "$MASTER"
sleep 0.3
check "the master is still running while the download goes on" kill -0 "$MASTER"
partial=$(stat -c %s "$dl")
check "the download is not finished 0.3 s after QUIT ($partial of $size bytes)" \
	test "$partial" -lt "$size"

wait "$curl_pid" && curl_rc=0 || curl_rc=$?
read -r code got <"$PH_DIR/curl.out" || true
check "curl finished without error (exit $curl_rc)" test "$curl_rc" = 0
check "the download was 200 (got ${code:-none})" test "${code:-}" = 200
check "the download has all $size bytes (got ${got:-none})" test "${got:-}" = "$size"
have=$(sha256sum <"$dl" | cut -d' ' -f1)
check "the downloaded bytes are the file's (sha256)" test "$have" = "$want"

# The master exits by itself once the download is done.
exited=no
for _ in $(seq 50); do
	if ! kill -0 "$MASTER" 2>/dev/null; then
		exited=yes
		break
	fi
	sleep 0.1
done
check "the master exits within 5 s of the download's end" test "$exited" = yes
[ "$exited" = yes ] || kill "$watcher" 2>/dev/null
wait "$watcher" || true
t1=$(cat "$PH_DIR/master.exit")
ran=$(python3 -c "print('%.2f' % (${t1:-0} - $t0))")
check "the master waited for the download (ran >= 1 s after QUIT: ${ran} s)" \
	python3 -c "import sys; sys.exit(0 if ${t1:-0} - $t0 >= 1.0 else 1)"
ph_stop KILL # reaps it, or kills it if it is still there
check "the master's exit status is 0 (got $PH_EXIT)" test "$PH_EXIT" = 0

# After the stop nothing listens on the port.
refused=$(python3 - "$PH_PORT" <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print(type(e).__name__)
PY
)
check "a new connection after the stop is refused (got $refused)" test "$refused" = refused

finish
