#!/usr/bin/env bash
# portinuse.sh -- a listen address that is taken: exit status 2 and a
# message naming the address and the reason.
# shellcheck source=tests/integration/lib.sh disable=SC2016,SC2001
. "$(dirname "$0")/lib.sh"

ph_setup
port=$(ph_free_port)

# Hold the port with a listening socket of our own.
python3 - "$port" "$PH_DIR/holder.ready" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
open(sys.argv[2], "w").close()
time.sleep(60)
PY
holder=$!
stop_holder() {
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
}
# shellcheck disable=SC2154 # holder_status is set inside the trap
trap 'holder_status=$?; stop_holder; (exit "$holder_status"); ph_cleanup' EXIT
for _ in $(seq 50); do
	[ -e "$PH_DIR/holder.ready" ] && break
	sleep 0.1
done
check "the port $port is held" test -e "$PH_DIR/holder.ready"

cat >"$PH_DIR/server.yaml" <<YAML
listen: [127.0.0.1:$port]
workers: 1
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
YAML
timeout 10 "$PREFORK_HTTPD" -c "$PH_DIR/server.yaml" \
	>"$PH_DIR/stdout.log" 2>"$PH_DIR/stderr.log" && rc=0 || rc=$?
sed 's/^/# /' "$PH_DIR/stderr.log"
check "the server exits with status 2 (got $rc)" test "$rc" = 2
check "stderr names 127.0.0.1:$port" grep -q "127\.0\.0\.1:$port" "$PH_DIR/stderr.log"
check "stderr says 'Address already in use'" \
	grep -q 'Address already in use' "$PH_DIR/stderr.log"
check "the holder still has the port" kill -0 "$holder"

# Two listeners, the second taken: still status 2, nothing left behind.
free=$(ph_free_port)
cat >"$PH_DIR/server2.yaml" <<YAML
listen: [127.0.0.1:$free, 127.0.0.1:$port]
workers: 1
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
YAML
timeout 10 "$PREFORK_HTTPD" -c "$PH_DIR/server2.yaml" \
	>"$PH_DIR/stdout.log" 2>"$PH_DIR/stderr.log" && rc=0 || rc=$?
check "with a free and a taken address: status 2 (got $rc)" test "$rc" = 2
check "... naming 127.0.0.1:$port" grep -q "127\.0\.0\.1:$port" "$PH_DIR/stderr.log"
check "... and the free port $free is not left open" \
	eval '! curl -s -m 2 -o /dev/null "http://127.0.0.1:$free/"'

stop_holder
finish
