#!/usr/bin/env bash
# modules.sh -- C handler modules in a running server: hello (query and
# option), echo (headers and body), a module that aborts (the worker dies,
# the connection closes, the next request is served by a new worker), an
# ABI mismatch refused at start and by -t, a reload with a rebuilt module.
#
# Modules are loaded by the master (modules_load after config_load): a
# route whose module "is not loaded" is a failure, not a reason to skip.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

mods=$top_builddir/modules
tmods=$top_builddir/tests/modules
CC=${CC:-cc}

ph_setup
mkdir -p "$PH_DIR/mods"
# A module we rebuild during the test: its answer names its build.
cat >"$PH_DIR/ver.c" <<'C'
#include <prefork-httpd.h>
static int h(struct ph_request *q, struct ph_response *r)
{
	(void)q;
	return ph_response_print(r, "build " BUILD "\n");
}
const struct ph_module prefork_httpd_module = { PH_MODULE_ABI, "ver", 0, h, 0 };
C
build_ver() { # BUILD
	"$CC" -shared -fPIC -I"$top_srcdir/src" -DBUILD="\"$1\"" \
		-o "$PH_DIR/mods/ver.so.tmp" "$PH_DIR/ver.c" &&
		mv -f "$PH_DIR/mods/ver.so.tmp" "$PH_DIR/mods/ver.so"
}
check "test module builds" build_ver one

config='listen: [127.0.0.1:@PORT@]
workers: 2
root: www
pid_file: @DIR@/server.pid
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}
routes:
  - prefix: /hello/
    module: {path: '$mods'/hello/hello.so, options: {greeting: Bonjour}}
  - prefix: /echo/
    module: {path: '$mods'/echo/echo.so}
  - prefix: /abort/
    module: {path: '$tmods'/abort.so}
  - prefix: /ver/
    module: {path: mods/ver.so}'

ph_start "$config" || finish

body=$(curl -s -m 10 "$PH_URL/hello/?name=Ada")
notloaded=$(grep 'is not loaded' "$PH_DIR/stderr.log" | head -n 3)
check "the master loaded every route's module (no 'is not loaded' in the log${notloaded:+: $notloaded})" \
	test -z "$notloaded"
check "hello: greeting option and name parameter (got '$body')" \
	test "$body" = "Bonjour, Ada!"
body=$(curl -s -m 10 "$PH_URL/hello/")
check "hello: default name (got '$body')" test "$body" = "Bonjour, world!"
# A module's answer keeps the connection: the second request reuses it.
reuse=$(curl -sv -m 10 "$PH_URL/hello/" "$PH_URL/hello/?name=b" 2>&1 |
	grep -c 'Re-using existing connection' || true)
check "hello: keep-alive after a module answer (reused: $reuse)" test "$reuse" = 1

curl -s -m 10 -H 'X-Echo: 42' --data-binary 'the body' \
	"$PH_URL/echo/path?q=1" >"$PH_DIR/echo.out"
check "echo: request line" grep -qx 'POST /echo/path?q=1 HTTP/1.1' "$PH_DIR/echo.out"
check "echo: a header" grep -qx 'X-Echo: 42' "$PH_DIR/echo.out"
check "echo: the body" test "$(tail -n 1 "$PH_DIR/echo.out")" = "the body"
head -c 300000 /dev/urandom >"$PH_DIR/big"
curl -s -m 20 --data-binary "@$PH_DIR/big" "$PH_URL/echo/" >"$PH_DIR/big.out"
check "echo: a 300 kB body comes back whole" \
	cmp -s "$PH_DIR/big" <(tail -c 300000 "$PH_DIR/big.out")

# abort(): the worker dies mid-request; the client sees the close.
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$PH_URL/abort/" || true)
check "abort: connection closed without an answer (got $code)" test "$code" = 000
ok=no
for _ in $(seq 50); do
	b=$(curl -s -m 2 "$PH_URL/hello/?name=again" || true)
	if [ "$b" = "Bonjour, again!" ]; then ok=yes; break; fi
	sleep 0.1
done
check "after abort: the next requests are served (new worker)" test $ok = yes
check "after abort: the master saw the worker die" \
	grep -qi 'signal 6\|SIGABRT\|Aborted' "$PH_DIR/stderr.log"

# Reload with a rebuilt module (new inode, same path).
check "ver: first build" test "$(curl -s -m 10 "$PH_URL/ver/")" = "build one"
build_ver two
kill -HUP "$PH_PID"
got=
for _ in $(seq 50); do
	got=$(curl -s -m 2 "$PH_URL/ver/" || true)
	[ "$got" = "build two" ] && break
	sleep 0.1
done
check "reload: the rebuilt module answers (got '$got')" test "$got" = "build two"
expect_status "$PH_URL/healthz" 200
ph_stop

# ABI mismatch: -t and the start both refuse, naming the file.
cfg_bad='listen: [127.0.0.1:@PORT@]
root: www
health: {path: /healthz}
routes:
  - prefix: /bad/
    module: {path: '$tmods'/badabi.so}'
printf '%s\n' "${cfg_bad//@PORT@/1}" >"$PH_DIR/bad.yaml"
out=$("$PREFORK_HTTPD" -t -c "$PH_DIR/bad.yaml" 2>&1)
rc=$?
check "-t refuses an ABI mismatch (status $rc)" test $rc -ne 0
check "-t names the ABI problem" \
	grep -qF "$tmods/badabi.so: ABI 2, this server speaks 1" <<<"$out"
"$PREFORK_HTTPD" -c "$PH_DIR/bad.yaml" >"$PH_DIR/bad.out" 2>&1 &
bad_pid=$!
for _ in $(seq 30); do kill -0 $bad_pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $bad_pid 2>/dev/null; then
	kill -TERM $bad_pid
	wait $bad_pid
	fail "start refuses an ABI mismatch" "the server kept running"
else
	wait $bad_pid && rc=0 || rc=$?
	check "start refuses an ABI mismatch (status $rc)" test $rc -ne 0
	check "the start error names the ABI problem" \
		grep -qF "badabi.so: ABI 2, this server speaks 1" "$PH_DIR/bad.out"
fi
finish
