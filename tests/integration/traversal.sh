#!/usr/bin/env bash
# traversal.sh -- no request reaches a file outside the document root:
# dot segments (literal and %-encoded), encoded slashes, NUL, doubled
# slashes, symlinks pointing outside the root and symlink loops.
# shellcheck source=tests/integration/lib.sh disable=SC2016,SC2001
. "$(dirname "$0")/lib.sh"

ph_setup
secret='TOP-SECRET-5f3a9c'
printf '%s\n' "$secret" >"$PH_DIR/secret.txt"
mkdir -p "$PH_DIR/www/a" "$PH_DIR/outside"
printf '%s\n' "$secret" >"$PH_DIR/outside/other.txt"
printf 'inside\n' >"$PH_DIR/www/a/inside.txt"
ln -s ../secret.txt "$PH_DIR/www/link-file"
ln -s "$PH_DIR/secret.txt" "$PH_DIR/www/link-abs"
ln -s ../outside "$PH_DIR/www/link-dir"
ln -s loop-b "$PH_DIR/www/loop-a"
ln -s loop-a "$PH_DIR/www/loop-b"
ln -s self "$PH_DIR/www/self"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish

# The server itself works, so the refusals below mean something.
expect_status "$PH_URL/a/inside.txt" 200
expect_status "$PH_URL/a/../a/inside.txt" 200 --path-as-is

for target in \
	'/../secret.txt' \
	'/%2e%2e/secret.txt' \
	'/%2E%2E/secret.txt' \
	'/%2E%2E%2Fsecret.txt' \
	'/..%2fsecret.txt' \
	'/..%2Fsecret.txt' \
	'/a/../../secret.txt' \
	'/a/%2e%2e/%2e%2e/secret.txt' \
	'/a/..%2f..%2fsecret.txt' \
	'/.%2e/secret.txt' \
	'/%2e./secret.txt' \
	'/..\\secret.txt' \
	'/%5c..%5csecret.txt' \
	'/%00' \
	'/secret.txt%00' \
	'/a/inside.txt%00.html' \
	'//../secret.txt' \
	'///../../secret.txt' \
	'/./../secret.txt' \
	'/../www/../secret.txt' \
	'/link-file' \
	'/link-abs' \
	'/link-dir/other.txt' \
	'/link-dir/' \
	'/loop-a' \
	'/loop-a/x' \
	'/self' \
	'/a/../link-file'; do
	# Two separate requests: HTTP/1.0 with the raw target, and the same
	# with HTTP/1.1 and a Host.
	for ver in 'HTTP/1.0\r\n' 'HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n'; do
		out=$(raw_request "GET $target $ver\r\n" | tr -d '\0')
		code=$(head -n1 <<<"$out" | sed -n 's/^HTTP\/1\.[01] \([0-9][0-9][0-9]\).*/\1/p')
		name="GET $target (${ver%%\\r*})"
		if grep -q "$secret" <<<"$out"; then
			fail "$name does not serve the secret" "the response contains it"
		else
			pass "$name does not serve the secret"
		fi
		case $code in
		400 | 403 | 404) pass "$name is refused with $code" ;;
		*) fail "$name is refused with 400/403/404" "got ${code:-no response}" ;;
		esac
	done
done

# curl with --path-as-is, for good measure.
for target in '/../secret.txt' '/a/../../secret.txt' '/link-file'; do
	if curl -s -m 10 --path-as-is "$PH_URL$target" | grep -q "$secret"; then
		fail "curl --path-as-is $target does not serve the secret"
	else
		pass "curl --path-as-is $target does not serve the secret"
	fi
done

# After all that the server still serves.
expect_status "$PH_URL/a/inside.txt" 200

ph_stop TERM
check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
finish
