#!/usr/bin/env bash
# proxyproto.sh -- a listener with proxy_protocol: true, spoken to with raw
# sockets.  Valid headers (v1 TCP4, TCP6, UNKNOWN; v2 PROXY over IPv4 and
# IPv6, LOCAL) are taken and the access log shows the client the header
# names (or the real peer for UNKNOWN and LOCAL); an invalid signature,
# garbage and a plain HTTP request are closed without an answer; a
# truncated header is closed after timeouts.header; the header and the
# request work in one packet, split byte by byte, and with a pause between
# them.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
PP=$(ph_free_port)
LOG=$PH_DIR/access.log
ph_start "listen:
  - 127.0.0.1:@PORT@
  - {address: \"127.0.0.1:$PP\", proxy_protocol: true}
workers: 2
root: www
index: [index.html]
access_log: {path: access.log, format: json}
error_log: {path: stderr, level: info}
health: {path: /healthz}
# The clients the PROXY headers name are trusted only so that their
# X-Request-Id is kept: each test finds its log line by it.
trusted_proxies: [127.0.0.1/32, 198.51.100.0/24, 203.0.113.0/24, 192.0.2.0/24, \"2001:db8::/32\"]
timeouts: {header: 1s, keepalive: 2s}" || finish

# pp [-d DELAY_MS] [-p PAUSE_MS] HEADER_HEX REQUEST_TEXT: open a connection to
# the PROXY listener, send the header (hex) and the request (\r\n escapes)
# -- in one send, byte by byte every DELAY_MS, or with PAUSE_MS between
# header and request -- and print "STATUS CLOSED_WITHOUT_ANSWER SECONDS"
# (STATUS 0 when nothing came back).
pp() {
	local delay=0 pause=-1 opt OPTIND=1
	while getopts 'd:p:' opt; do
		case $opt in
		d) delay=$OPTARG ;;
		p) pause=$OPTARG ;;
		*) return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	python3 - "$PP" "$delay" "$pause" "$1" "${2:-}" <<'PY'
import socket, sys, time
port, delay, pause = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
head = bytes.fromhex(sys.argv[4])
req = sys.argv[5].encode("latin-1").decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port), timeout=5)
t0 = time.monotonic()
try:
    if delay > 0:
        for b in head + req:
            s.send(bytes([b]))
            time.sleep(delay / 1000)
    elif pause >= 0:
        s.sendall(head)
        time.sleep(pause / 1000)
        if req:
            s.sendall(req)
    else:
        s.sendall(head + req)
except OSError:
    pass
out = b""
closed = False
try:
    while True:
        c = s.recv(65536)
        if not c:
            closed = True
            break
        out += c
except socket.timeout:
    pass
except ConnectionResetError:
    closed = True
el = time.monotonic() - t0
status = 0
if out.startswith(b"HTTP/1."):
    status = int(out.split(b" ", 2)[1])
print(status, "yes" if closed and not out else "no", "%.2f" % el)
PY
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# logged_remote ID: the "remote" of the access log line with request_id ID.
logged_remote() { ph_logged_remote "$LOG" "$1"; }
req() { printf 'GET / HTTP/1.1\\r\\nHost: t\\r\\nX-Request-Id: %s\\r\\nConnection: close\\r\\n\\r\\n' "$1"; }

# v2 header: signature, version/command, family, length, addresses.
SIG=0d0a0d0a000d0a515549540a
v2_tcp4=${SIG}2111000c$(printf '%02x' 203 0 113 9 127 0 0 1)9c40$(printf '%04x' "$PP")
v2_tcp6=${SIG}21210024$(printf '20010db8%024x' 9)$(printf '%032x' 1)9c40$(printf '%04x' "$PP")
v2_local=${SIG}20000000
v2_tlv=${SIG}21110013$(printf '%02x' 192 0 2 44 127 0 0 1)9c40$(printf '%04x' "$PP")04000474657374
# (a v2 header with a 7-byte TLV of an unknown type after the addresses)

# --- valid headers, header and request in one packet ------------------------------
check_case() { # NAME HEADER_HEX ID WANT_REMOTE [pp options...]
	local name=$1 h=$2 id=$3 want=$4 out st rem
	shift 4
	out=$(pp "$@" "$h" "$(req "$id")")
	read -r st _ _ <<<"$out"
	check "$name: 200 (got $st)" test "$st" = 200
	rem=$(logged_remote "$id")
	check "$name: the access log shows $want (got $rem)" test "$rem" = "$want"
}
check_case "v1 TCP4" "$(hex "PROXY TCP4 198.51.100.1 127.0.0.1 40000 $PP"$'\r\n')" pp-v1-tcp4 198.51.100.1
check_case "v1 TCP6" "$(hex "PROXY TCP6 2001:db8::7 ::1 40000 $PP"$'\r\n')" pp-v1-tcp6 2001:db8::7
check_case "v1 UNKNOWN (the real peer)" "$(hex $'PROXY UNKNOWN\r\n')" pp-v1-unknown 127.0.0.1
check_case "v1 UNKNOWN with addresses (ignored)" \
	"$(hex $'PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n')" pp-v1-unknown2 127.0.0.1
check_case "v2 PROXY TCP4" "$v2_tcp4" pp-v2-tcp4 203.0.113.9
check_case "v2 PROXY TCP6" "$v2_tcp6" pp-v2-tcp6 2001:db8::9
check_case "v2 PROXY TCP4 with a TLV" "$v2_tlv" pp-v2-tlv 192.0.2.44
check_case "v2 LOCAL (the real peer)" "$v2_local" pp-v2-local 127.0.0.1

# --- the same, split ---------------------------------------------------------
check_case "v1 TCP4 byte by byte" "$(hex "PROXY TCP4 198.51.100.2 127.0.0.1 40000 $PP"$'\r\n')" \
	pp-v1-bytes 198.51.100.2 -d 3
check_case "v2 TCP4 byte by byte" "$v2_tcp4" pp-v2-bytes 203.0.113.9 -d 3
# A balancer sends the header as soon as it is connected and the request
# when its client has sent it: a pause between the two is normal.
check_case "v1 TCP4, then the request 300 ms later" \
	"$(hex "PROXY TCP4 198.51.100.3 127.0.0.1 40000 $PP"$'\r\n')" pp-v1-pause 198.51.100.3 -p 300
check_case "v2 TCP4, then the request 300 ms later" "$v2_tcp4" pp-v2-pause 203.0.113.9 -p 300

# Keep-alive behind a PROXY header: both requests carry the header's client.
out=$(python3 - "$PP" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"PROXY TCP4 198.51.100.4 127.0.0.1 40000 %d\r\n" % port)
codes = []
for i, rid in enumerate((b"pp-ka-1", b"pp-ka-2")):
    time.sleep(0.2)
    s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nX-Request-Id: " + rid + b"\r\n\r\n")
    f = s.makefile("rb")
    line = f.readline()
    codes.append(line.split()[1].decode() if line else "0")
    n = 0
    while True:
        h = f.readline()
        if h.lower().startswith(b"content-length:"):
            n = int(h.split(b":")[1])
        if h in (b"\r\n", b""):
            break
    f.read(n)
print(" ".join(codes))
PY
)
check "keep-alive after a PROXY header: 200 200 (got $out)" test "$out" = "200 200"
rem1=$(logged_remote pp-ka-1)
rem2=$(logged_remote pp-ka-2)
check "keep-alive: both requests logged with 198.51.100.4 (got $rem1 $rem2)" \
	test "$rem1 $rem2" = "198.51.100.4 198.51.100.4"

# --- refused -----------------------------------------------------------------
refused() { # NAME HEADER_HEX [REQUEST]
	local out st closed el
	out=$(pp "$2" "${3:-}")
	read -r st closed el <<<"$out"
	check "$1: closed without an answer (status $st, closed-without-answer $closed, ${el} s)" \
		test "$st/$closed" = "0/yes"
}
refused "invalid v1 signature" "$(hex "PROXZ TCP4 198.51.100.1 127.0.0.1 40000 $PP"$'\r\n')" "$(req pp-bad1)"
refused "garbage" "$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^../ff/')" "$(req pp-bad2)"
refused "v1 with a bad address" "$(hex "PROXY TCP4 198.51.100.300 127.0.0.1 40000 $PP"$'\r\n')" "$(req pp-bad3)"
refused "v1 with a port over 65535" "$(hex "PROXY TCP4 198.51.100.1 127.0.0.1 65536 $PP"$'\r\n')" "$(req pp-bad4)"
refused "v2 with version 3" "${SIG}3111000c$(printf '%02x' 203 0 113 9 127 0 0 1)9c400050" "$(req pp-bad5)"
refused "v2 UDP (refused)" "${SIG}2112000c$(printf '%02x' 203 0 113 9 127 0 0 1)9c400050" "$(req pp-bad6)"
refused "a plain HTTP request on the PROXY listener" "" "$(req pp-plain)"

# Truncated header, then silence: closed after timeouts.header (1 s).
read -r st closed el <<<"$(pp -p 0 "$(hex 'PROXY TCP4 198.51.100.1 127.')")"
check "truncated header: closed without an answer (status $st, $closed)" test "$st/$closed" = "0/yes"
check "truncated header: closed after about timeouts.header (1 s; took $el s)" \
	python3 -c "import sys; sys.exit(0 if 0.8 <= $el <= 2.5 else 1)"

check "none of the refused requests reached the log" \
	test "$(grep -c '"request_id":"pp-bad\|"request_id":"pp-plain' "$LOG" || true)" = 0
# The plain listener next to it is not affected.
expect_status "$PH_URL/" 200

ph_stop TERM
check "the server exits 0 (got $PH_EXIT)" test "$PH_EXIT" = 0

# --- proxy_protocol_from: only the balancers may connect -----------------------
for allow in 10.0.0.0/8 127.0.0.1/32; do
	PP=$(ph_free_port)
	ph_start "listen:
  - 127.0.0.1:@PORT@
  - {address: \"127.0.0.1:$PP\", proxy_protocol: true}
workers: 1
root: www
proxy_protocol_from: [$allow]
access_log: {path: access.log, format: json}
timeouts: {header: 1s}" || finish
	read -r st closed el <<<"$(pp "$(hex "PROXY TCP4 198.51.100.5 127.0.0.1 40000 $PP"$'\r\n')" "$(req pp-from)")"
	if [ "$allow" = 10.0.0.0/8 ]; then
		check "proxy_protocol_from [10.0.0.0/8]: 127.0.0.1 is closed without an answer (status $st, $closed)" \
			test "$st/$closed" = "0/yes"
	else
		check "proxy_protocol_from [127.0.0.1/32]: 127.0.0.1 is served (status $st)" test "$st" = 200
	fi
	ph_stop TERM
done
finish
