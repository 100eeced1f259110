#!/usr/bin/env bash
# access.sh -- a route's access rules (by the client address, after PROXY
# and trusted proxies; the first match wins) and HTTP Basic authentication
# against an htpasswd file with bcrypt, sha-512-crypt and yescrypt hashes;
# the file is read again on reload; no credentials in the logs.
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"

for tool in htpasswd mkpasswd; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool not found: install apache2-utils and whois" >&2
		exit 99
	fi
done

ph_setup
www=$PH_DIR/www
mkdir -p "$www/staff" "$PH_DIR/conf"
printf 'staff only\n' >"$www/staff/index.html"
printf 'page\n' >"$www/page.txt"
pw=$PH_DIR/conf/htpasswd
htpasswd -B -b -c "$pw" alice 'Al1ce pass' 2>/dev/null       # bcrypt
htpasswd -5 -b "$pw" bob 'b0b:colon' 2>/dev/null               # sha-512-crypt
printf 'carol:%s\n' "$(mkpasswd -m yescrypt 'car0l')" >>"$pw"  # yescrypt
check "htpasswd -B made a bcrypt hash" grep -q '^alice:\$2y\$' "$pw"
check "htpasswd -5 made a sha-512-crypt hash" grep -q '^bob:\$6\$' "$pw"
check "mkpasswd made a yescrypt hash" grep -q '^carol:\$y\$' "$pw"
pp_port=$(ph_free_port)

ph_start "listen:
  - 127.0.0.1:@PORT@
  - {address: 127.0.0.1:$pp_port, proxy_protocol: true}
workers: 2
root: www
pid_file: @DIR@/server.pid
access_log: {path: @DIR@/access.log, format: combined}
trusted_proxies: [127.0.0.9/32]
routes:
  - prefix: /staff/
    static: {root: www/staff}
    access: {allow: [127.0.0.0/8], auth: {realm: staff, htpasswd: conf/htpasswd}}
  - prefix: /ten/
    static: {}
    access: {allow: [10.0.0.0/8]}
  - prefix: /notme/
    static: {}
    access: {deny: [127.0.0.1]}
  - prefix: /first/
    static: {}
    access: {deny: [127.0.0.1], allow: [127.0.0.0/8]}" || finish

n=0
fetch() {
	n=$((n + 1))
	H=$PH_DIR/r$n.h
	B=$PH_DIR/r$n.b
	CODE=$(curl -s -m 10 -D "$H" -o "$B" -w '%{http_code}' "$@" || true)
	: >>"$H"
	: >>"$B"
}
header() {
	sed -n "s/^$1: *//Ip" "$H" | tr -d '\r' | head -n 1
}

# --- addresses --------------------------------------------------------------------
expect_status "$PH_URL/ten/page.txt" 403
expect_status "$PH_URL/notme/page.txt" 403
expect_status "$PH_URL/first/page.txt" 403
expect_status "$PH_URL/page.txt" 200
# from 127.0.0.2 (a loopback address of its own): the deny does not hold it
fetch --interface 127.0.0.2 "$PH_URL/notme/page.txt"
check "from 127.0.0.2: /notme/ lets it in (got $CODE)" test "$CODE" = 200
fetch --interface 127.0.0.2 "$PH_URL/first/page.txt"
check "from 127.0.0.2: /first/ allows it after the deny (got $CODE)" test "$CODE" = 200
fetch --interface 127.0.0.2 "$PH_URL/ten/page.txt"
check "from 127.0.0.2: /ten/ still refuses (got $CODE)" test "$CODE" = 403
# behind a trusted proxy, the client it names is the one checked
fetch --interface 127.0.0.9 -H 'X-Forwarded-For: 10.1.2.3' "$PH_URL/ten/page.txt"
check "trusted proxy for 10.1.2.3: /ten/ allows (got $CODE)" test "$CODE" = 200
fetch -H 'X-Forwarded-For: 10.1.2.3' "$PH_URL/ten/page.txt"
check "an untrusted X-Forwarded-For changes nothing (got $CODE)" test "$CODE" = 403
# through a PROXY header, the client it names
out=$(raw_request -p "$pp_port" 'PROXY TCP4 10.9.9.9 127.0.0.1 4000 80\r\nGET /ten/page.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
check "PROXY from 10.9.9.9: /ten/ allows" grep -q '^HTTP/1.1 200' <<<"$out"
out=$(raw_request -p "$pp_port" 'PROXY TCP4 10.9.9.9 127.0.0.1 4000 80\r\nGET /notme/page.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
check "PROXY from 10.9.9.9: /notme/ allows" grep -q '^HTTP/1.1 200' <<<"$out"

# --- Basic authentication -----------------------------------------------------------
fetch "$PH_URL/staff/"
check "no credentials: 401 (got $CODE)" test "$CODE" = 401
check "401: WWW-Authenticate" \
	test "$(header WWW-Authenticate)" = 'Basic realm="staff", charset="UTF-8"'
check "401: the connection stays" test "$(header Connection)" = keep-alive
for cred in 'alice:Al1ce pass' 'bob:b0b:colon' 'carol:car0l'; do
	fetch -u "$cred" "$PH_URL/staff/"
	check "${cred%%:*} with the password: 200 (got $CODE)" test "$CODE" = 200
	check "${cred%%:*}: the page" cmp -s "$B" "$www/staff/index.html"
done
for cred in 'alice:al1ce pass' 'bob:b0b' 'carol:' 'dave:car0l' 'dave:Al1ce pass' 'alice'; do
	fetch -u "$cred" "$PH_URL/staff/"
	check "'$cred': 401 (got $CODE)" test "$CODE" = 401
done
fetch -H 'Authorization: Basic !!!' "$PH_URL/staff/"
check "malformed credentials: 401 (got $CODE)" test "$CODE" = 401
fetch -H 'Authorization: Bearer abc' "$PH_URL/staff/"
check "another scheme: 401 (got $CODE)" test "$CODE" = 401
fetch --interface 127.0.0.9 -H 'X-Forwarded-For: 192.0.2.1' -u 'alice:Al1ce pass' "$PH_URL/staff/"
check "the right password from a refused address: 403 (got $CODE)" test "$CODE" = 403

# --- reload reads the file again ------------------------------------------------------
htpasswd -B -b "$pw" alice 'new pass' 2>/dev/null
fetch -u 'alice:new pass' "$PH_URL/staff/"
check "before reload: the old file holds (got $CODE)" test "$CODE" = 401
out=$("$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" 2>&1) && rc=0 || rc=$?
check "reload: exit 0 (got $rc: $out)" test "$rc" = 0
fetch -u 'alice:new pass' "$PH_URL/staff/"
check "after reload: the new password (got $CODE)" test "$CODE" = 200
fetch -u 'alice:Al1ce pass' "$PH_URL/staff/"
check "after reload: not the old one (got $CODE)" test "$CODE" = 401
# a file in htpasswd's MD5 form: the reload is refused, with where and why
cp "$pw" "$PH_DIR/conf/htpasswd.good"
htpasswd -m -b "$pw" dave 'd4ve' 2>/dev/null
out=$("$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" 2>&1) && rc=0 || rc=$?
echo "# -s reload said: $out"
check "reload with an apr1 hash: exit 1 (got $rc)" test "$rc" = 1
check "reload with an apr1 hash: says which line and what to do" \
	grep -q "server.yaml:12:.*routes\[0\]\.access\.auth\.htpasswd: .*/conf/htpasswd:4: user \"dave\": .*htpasswd -B" <<<"$out"
fetch -u 'alice:new pass' "$PH_URL/staff/"
check "the running configuration goes on (got $CODE)" test "$CODE" = 200

ph_stop
# --- the logs ------------------------------------------------------------------------
check "access log: the user of a 200" grep -q '^127\.0\.0\.1 - alice \[.*"GET /staff/ HTTP/1.1" 200 ' "$PH_DIR/access.log"
check "access log: carol too" grep -q ' - carol \[' "$PH_DIR/access.log"
check "access log: no user on a 401" grep -q '^127\.0\.0\.1 - - \[.*"GET /staff/ HTTP/1.1" 401 ' "$PH_DIR/access.log"
leaks=0
for secret in 'Al1ce pass' 'b0b:colon' 'car0l' 'new pass' "$(printf 'alice:new pass' | base64)" 'Authorization'; do
	if grep -qF "$secret" "$PH_DIR/access.log" "$PH_DIR/stdout.log" "$PH_DIR/stderr.log"; then
		leaks=$((leaks + 1))
		echo "# found in the logs: $secret"
	fi
done
check "no password and no Authorization value in any log" test "$leaks" = 0
check "the logs are not empty (the check above saw them)" test -s "$PH_DIR/access.log"
finish
