#!/usr/bin/env bash
# forwarded.sh -- trusted_proxies: the client behind a trusted proxy comes
# from X-Forwarded-For (the rightmost hop that is not a trusted proxy) or
# Forwarded (RFC 7239); from a peer that is not trusted both are ignored.
# The access log and the status/metrics allow lists use the client found
# so: a spoofed X-Forwarded-For from an untrusted peer opens nothing.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null; then
	ph_skip_all "cannot bind 127.0.0.2 on this host"
fi

LOG=
ph_setup
LOG=$PH_DIR/access.log
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
index: [index.html]
access_log: {path: access.log, format: json}
error_log: {path: stderr, level: info}
health: {path: /healthz}
trusted_proxies: [127.0.0.1/32, 10.0.0.0/8]
status: {path: /server-status, allow: [203.0.113.0/24]}
metrics: {path: /metrics, allow: [203.0.113.0/24]}' || finish

# logged_remote ID: the "remote" of the access log line with request_id ID.
logged_remote() { ph_logged_remote "$LOG" "$1"; }

# case NAME WANT [CURL_ARG...]: a request with those arguments is logged
# with the client WANT.  Its line is found by the X-Request-Id of the
# answer: the one sent from a trusted proxy, or the server's own for an
# untrusted peer (whose id is not taken).
n=0
case_remote() {
	local name=$1 want=$2 id code got
	shift 2
	n=$((n + 1))
	code=$(curl -s -o /dev/null -D "$PH_DIR/case.h" -m 5 -w '%{http_code}' \
		-H "X-Request-Id: fwd-$n" "$@" "$PH_URL/" || true)
	id=$(tr -d '\r' <"$PH_DIR/case.h" | sed -n 's/^X-Request-Id: //Ip')
	got=$(logged_remote "$id")
	check "$name: logged as $want (got $got, status $code)" test "$got/$code" = "$want/200"
}

FROM2=(--interface 127.0.0.2)

case_remote "no header, from 127.0.0.1" 127.0.0.1
case_remote "XFF 203.0.113.7 from a trusted proxy" 203.0.113.7 -H 'X-Forwarded-For: 203.0.113.7'
case_remote "XFF with hops: the rightmost untrusted one" 203.0.113.7 \
	-H 'X-Forwarded-For: 198.51.100.1, 203.0.113.7, 10.1.2.3'
case_remote "XFF: a spoofed leftmost hop is ignored" 203.0.113.8 \
	-H 'X-Forwarded-For: 203.0.113.99, 203.0.113.8'
case_remote "XFF in two header lines (one list)" 203.0.113.10 \
	-H 'X-Forwarded-For: 198.51.100.1' -H 'X-Forwarded-For: 203.0.113.10, 10.0.0.1'
case_remote "XFF with an IPv6 client" 2001:db8::5 -H 'X-Forwarded-For: 2001:db8::5'
case_remote "XFF where every hop is a trusted proxy: the leftmost" 10.0.0.7 \
	-H 'X-Forwarded-For: 10.0.0.7, 10.0.0.8'
case_remote "XFF with garbage at the rightmost untrusted place: the peer" 127.0.0.1 \
	-H 'X-Forwarded-For: 203.0.113.7, not-an-address'
case_remote "Forwarded: for=203.0.113.9" 203.0.113.9 -H 'Forwarded: for=203.0.113.9;proto=http'
case_remote "Forwarded: for=\"[2001:db8::1]:4711\"" 2001:db8::1 \
	-H 'Forwarded: for="[2001:db8::1]:4711"'
case_remote "Forwarded with two elements" 203.0.113.11 \
	-H 'Forwarded: for=198.51.100.1, for=203.0.113.11;by=10.0.0.1'
case_remote "Forwarded: for=unknown: the peer" 127.0.0.1 -H 'Forwarded: for=unknown'
case_remote "XFF from an untrusted peer (127.0.0.2) is ignored" 127.0.0.2 \
	"${FROM2[@]}" -H 'X-Forwarded-For: 203.0.113.7'
case_remote "Forwarded from an untrusted peer (127.0.0.2) is ignored" 127.0.0.2 \
	"${FROM2[@]}" -H 'Forwarded: for=203.0.113.7'

# --- the allow lists use the resolved client ------------------------------------
# Only 203.0.113.0/24 may see the status page and the metrics.
for path in /server-status /metrics; do
	expect_status "$PH_URL$path" 403
	expect_status "$PH_URL$path" 200 -H 'X-Forwarded-For: 203.0.113.7'
	expect_status "$PH_URL$path" 403 -H 'X-Forwarded-For: 198.51.100.1'
	# A client cannot put itself in the list through a trusted proxy by
	# prepending an allowed address: the rightmost untrusted hop counts.
	expect_status "$PH_URL$path" 403 -H 'X-Forwarded-For: 203.0.113.7, 198.51.100.1'
	# An untrusted peer's spoofed header counts for nothing.
	expect_status "$PH_URL$path" 403 "${FROM2[@]}" -H 'X-Forwarded-For: 203.0.113.7'
	expect_status "$PH_URL$path" 403 "${FROM2[@]}" -H 'Forwarded: for=203.0.113.7'
done
# The status page shows the resolved client of the request in hand.
text=$(curl -s -m 5 -H 'X-Forwarded-For: 203.0.113.7' "$PH_URL/server-status" || true)
check "the status page shows the resolved client 203.0.113.7" \
	grep -Eq ' 203\.0\.113\.7 GET /server-status' <<<"$text"

# Queue time from X-Request-Start, sent by a trusted proxy (127.0.0.1) 250 ms
# "ago"; the metrics (reached as a client of the allowed block) count it.
# The stamp is taken just before the request goes, in the same process: a
# separate python and curl could be that far apart on a busy machine.
python3 - "$PH_PORT" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.connect()
c.request("GET", "/index.html",
          headers={"X-Request-Start": "t=%d" % ((time.time() - 0.25) * 1000)})
c.getresponse().read()
PY
curl -s -o /dev/null -H "X-Request-Start: t=garbage" "$PH_URL/index.html"
sleep 0.2
metrics=$(curl -s -H 'X-Forwarded-For: 203.0.113.9' "$PH_URL/metrics")
count=$(sed -n 's/^prefork_httpd_queue_time_seconds_count \([0-9]*\)$/\1/p' <<<"$metrics")
le=$(sed -n 's/^prefork_httpd_queue_time_seconds_bucket{le="0.5"} \([0-9]*\)$/\1/p' <<<"$metrics")
le1=$(sed -n 's/^prefork_httpd_queue_time_seconds_bucket{le="0.1"} \([0-9]*\)$/\1/p' <<<"$metrics")
check "X-Request-Start from a trusted proxy is counted once (count ${count:-none})" test "${count:-0}" = 1
check "... as about 250 ms: in le=0.5, not in le=0.1 (${le:-none}, ${le1:-none})" \
	test "${le:-0}/${le1:-0}" = "1/0"

ph_stop TERM
check "the server exits 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
finish
