#!/usr/bin/env bash
# configtest.sh -- the command line: -t on good and bad files (every error
# as FILE:LINE:COLUMN: message; a redirect.to with a line break or over
# 4096 bytes), -V, -h, --version, --help, an unknown option, and starting
# with a bad file.  -t also checks what would fail at start: log files that
# cannot be opened, a pid file whose directory is missing, addresses in use
# (TCP and unix); an address held by the running master of the same
# pid_file is not an error.
# shellcheck source=tests/integration/lib.sh disable=SC2016,SC2001
. "$(dirname "$0")/lib.sh"

ph_setup
good=$PH_DIR/good.yaml
bad=$PH_DIR/bad.yaml
out=$PH_DIR/out
err=$PH_DIR/err

cat >"$good" <<YAML
listen:
  - 127.0.0.1:$(ph_free_port)
workers: 2
root: www
index: [index.html]
timeouts: {keepalive: 5s, graceful: 30s}
access_log: {path: "off"}
health: {path: /healthz}
YAML

# Errors on lines 3 (col 10), 5 (col 1), 7 (col 14) and 9 (col 3).
cat >"$bad" <<'YAML'
listen:
  - 127.0.0.1:1
workers: four
root: www
colour: blue
timeouts:
  keepalive: 5 parsecs
  header: 10s
  bogus: 1s
YAML

# run ARG...: run the server; sets RC, output in $out and $err.
run() {
	timeout 10 "$PREFORK_HTTPD" "$@" >"$out" 2>"$err" && RC=0 || RC=$?
}
show() { sed 's/^/#   /' "$out" "$err"; }

# --- a good file ---------------------------------------------------------------
run -t -c "$good"
check "-t on a good file exits 0 (got $RC)" test "$RC" = 0
check "-t on a good file prints 'configuration ok'" grep -q 'configuration ok' "$out" "$err"

# --- a bad file ------------------------------------------------------------------
run -t -c "$bad"
show
check "-t on a bad file exits 1 (got $RC)" test "$RC" = 1
check "-t on a bad file does not say ok" eval '! grep -q "configuration ok" "$out" "$err"'
check "workers error at $bad:3:10" \
	grep -q "^$bad:3:10: .*workers.*four" "$err"
check "unknown key error at $bad:5:1" \
	grep -q "^$bad:5:1: .*colour" "$err"
check "bad duration error at $bad:7:14" \
	grep -q "^$bad:7:14: .*keepalive.*5 parsecs" "$err"
check "unknown nested key error at $bad:9:3" \
	grep -q "^$bad:9:3: .*bogus" "$err"
nerr=$(grep -c "^$bad:[0-9]*:[0-9]*: " "$err")
check "exactly 4 errors are reported (got $nerr)" test "$nerr" = 4
check "every stderr line is FILE:LINE:COL: message" \
	eval '! grep -v "^$bad:[0-9][0-9]*:[0-9][0-9]*: ." "$err"'

# A YAML syntax error also has a position.
printf 'listen:\n  - 127.0.0.1:1\nroot: [www\n' >"$PH_DIR/syntax.yaml"
run -t -c "$PH_DIR/syntax.yaml"
show
check "-t on a YAML syntax error exits 1 (got $RC)" test "$RC" = 1
check "the syntax error is FILE:LINE:COL: message" \
	grep -q "^$PH_DIR/syntax.yaml:[0-9][0-9]*:[0-9][0-9]*: ." "$err"

# redirect.to ends up in a Location header: a line break, or more than
# 4096 bytes, is refused by -t.
redir=$PH_DIR/redirect.yaml
long=$(head -c 5000 /dev/zero | tr '\0' a)
printf 'listen: [127.0.0.1:1]\nroot: www\nroutes:\n  - prefix: /a/\n    redirect: {to: "/x\\r\\nSet-Cookie: y=1"}\n  - prefix: /b/\n    redirect: {to: /%s}\n' \
	"$long" >"$redir"
run -t -c "$redir"
show | cut -c 1-200
check "-t on a redirect.to with CR LF or 5001 bytes exits 1 (got $RC)" test "$RC" = 1
check "the line break is reported at $redir:5:20" \
	grep -q "^$redir:5:20: routes\[0\]\.redirect\.to: control byte 0x0d" "$err"
check "the length is reported at $redir:7:20" \
	grep -q "^$redir:7:20: routes\[1\]\.redirect\.to: 5001 bytes long; at most 4096" "$err"

# A file that does not exist.
run -t -c "$PH_DIR/no-such.yaml"
check "-t on a missing file exits 1 (got $RC)" test "$RC" = 1
check "the missing file is named" grep -q "no-such.yaml" "$err"

# --- starting with a bad file ------------------------------------------------------
run -c "$bad"
check "starting with a bad file exits 1 (got $RC)" test "$RC" = 1
check "starting with a bad file prints the errors" \
	grep -q "^$bad:3:10: " "$err"

# --- -V, -h, unknown options ----------------------------------------------------------
run -V
check "-V exits 0 (got $RC)" test "$RC" = 0
check "-V prints the name and version ($(head -n1 "$out"))" \
	grep -Eq '^prefork-httpd [0-9]+\.[0-9]+' "$out"
if [ -n "${top_srcdir:-}" ] && [ -f "$top_srcdir/configure.ac" ]; then
	version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
	check "-V prints the configure version '$version'" \
		grep -Fq "prefork-httpd $version" "$out"
fi
run -h
check "-h exits 0 (got $RC)" test "$RC" = 0
check "-h prints usage" grep -qi '^usage:' "$out"
check "-h mentions -c, -t, -s, -V" \
	eval 'grep -q -- "-c" "$out" && grep -q -- "-t" "$out" && grep -q -- "-s" "$out" && grep -q -- "-V" "$out"'
run --version
check "--version exits 0 (got $RC)" test "$RC" = 0
check "--version prints the name and version ($(head -n1 "$out"))" \
	grep -Eq '^prefork-httpd [0-9]+\.[0-9]+' "$out"
run --help
check "--help exits 0 (got $RC)" test "$RC" = 0
check "--help prints usage on stdout" grep -qi '^usage:' "$out"
check "--help names --help and --version" \
	eval 'grep -q -- "--help" "$out" && grep -q -- "--version" "$out"'
run -Z
check "an unknown option exits 1 (got $RC)" test "$RC" = 1
check "an unknown option prints usage on stderr" grep -qi 'usage' "$err"
run --no-such-option
check "an unknown long option exits 1 (got $RC)" test "$RC" = 1
check "... naming it, with usage on stderr" \
	eval 'grep -q -- "--no-such-option" "$err" && grep -qi usage "$err"' 
run -c "$good" extra-argument
check "a stray argument exits 1 (got $RC)" test "$RC" = 1
run -s no-such-verb -c "$good"
check "-s with an unknown signal name exits 1 (got $RC)" test "$RC" = 1

# --- -t: what would fail at start ---------------------------------------------------
port_held=$(ph_free_port)
sock_held=$PH_DIR/held.sock
# Another program holds a TCP port and a unix socket.
python3 - "$port_held" "$sock_held" "$PH_DIR/holder.ready" <<'PY' &
import os, socket, sys, time
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", int(sys.argv[1])))
t.listen(5)
u = socket.socket(socket.AF_UNIX)
u.bind(sys.argv[2])
u.listen(5)
open(sys.argv[3], "w").close()
time.sleep(60)
PY
holder=$!
trap 'st=$?; kill "$holder" 2>/dev/null; (exit "$st"); ph_cleanup' EXIT
for _ in $(seq 300); do
	[ -e "$PH_DIR/holder.ready" ] && break
	sleep 0.05
done
check "another program holds 127.0.0.1:$port_held and $sock_held" test -e "$PH_DIR/holder.ready"

rt=$PH_DIR/runtime.yaml
cat >"$rt" <<YAML
listen:
  - 127.0.0.1:$port_held
  - unix:$sock_held
  - unix:$PH_DIR/free.sock
workers: 1
root: www
pid_file: $PH_DIR/no-such-dir/x.pid
access_log: {path: $PH_DIR/no-logs/access.log}
error_log: {path: $PH_DIR/error.log}
YAML
run -t -c "$rt"
show
check "-t: a file that would fail at start exits 1 (got $RC)" test "$RC" = 1
check "-t: the port in use, at $rt:2:5, with the reason" \
	grep -q "^$rt:2:5: listen: bind 127.0.0.1:$port_held: Address already in use" "$err"
check "-t: the unix socket in use, at $rt:3:5" \
	grep -q "^$rt:3:5: listen: bind unix:$sock_held: Address already in use" "$err"
check "-t: the pid file's missing directory, naming pid_file, at $rt:7:11" \
	grep -q "^$rt:7:11: pid_file: .*$PH_DIR/no-such-dir.*No such file or directory" "$err"
check "-t: the access log's missing directory, at $rt:8:20" \
	grep -q "^$rt:8:20: access_log.path: .*$PH_DIR/no-logs/access.log.*No such file or directory" "$err"
nerr=$(grep -c "^$rt:[0-9]*:[0-9]*: " "$err")
check "-t: exactly those 4 errors (got $nerr)" test "$nerr" = 4
check "-t: every line is FILE:LINE:COL: message" \
	eval '! grep -v "^$rt:[0-9][0-9]*:[0-9][0-9]*: ." "$err"'
check "-t: the free unix socket was tried and not left behind" test ! -e "$PH_DIR/free.sock"
check "-t: the holder's unix socket is still there" test -S "$sock_held"
check "-t: no pid file was written" test ! -e "$PH_DIR/no-such-dir"
# As at start: the master fails on the same pid file, and says which key.
sed -i "/^  - 127.0.0.1:$port_held\$/d; /^  - unix:/d" "$rt"
sed -i "s|^listen:\$|listen: [127.0.0.1:$(ph_free_port)]|" "$rt"
sed -i "s|^access_log: .*|access_log: off|" "$rt"
run -c "$rt"
sed 's/^/#   /' "$PH_DIR/error.log"
check "starting with that pid_file fails (status 2, got $RC)" test "$RC" = 2
check "... and the error log names pid_file with its position" \
	grep -q "$rt:[0-9]*:11: pid_file: open(\"$PH_DIR/no-such-dir/x.pid\"): No such file or directory" "$PH_DIR/error.log"

# The default pid file is next to the configuration file; a directory that
# does not take it is reported too (as nobody, where root could write).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && getent passwd nobody >/dev/null; then
	mkdir -m 755 "$PH_DIR/ro"
	chmod 755 "$PH_DIR"
	printf 'listen: [127.0.0.1:%s]\nroot: ../www\naccess_log: off\n' \
		"$(ph_free_port)" >"$PH_DIR/ro/server.yaml"
	out2=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$PREFORK_HTTPD" -t -c "$PH_DIR/ro/server.yaml" 2>&1) && rc=0 || rc=$?
	echo "# as nobody: $out2"
	check "-t as nobody, the config in a directory nobody cannot write: exit 1 (got $rc)" test "$rc" = 1
	check "... the default pid file is named, at the start of the file" \
		grep -q "^$PH_DIR/ro/server.yaml:1:1: pid_file: .*Permission denied (the default pid file" <<<"$out2"
	chmod 700 "$PH_DIR"
else
	echo "# not root, or no setpriv or nobody: the read-only default pid file is not tried"
fi

# An address held by the running master of the same pid_file is no error,
# TCP or unix (-t before a reload); nor is a stale unix socket file.
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
	"$PH_DIR/stale.sock"
ph_start 'listen: [127.0.0.1:@PORT@, "unix:@DIR@/live.sock"]
workers: 1
root: www
access_log: off
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
check "the running master writes its default pid file next to the file" \
	test "$(cat "$PH_DIR/prefork-httpd.pid" 2>/dev/null)" = "$PH_PID"
run -t -c "$PH_DIR/server.yaml"
show
check "-t on the running master's own file: exit 0 (got $RC)" test "$RC" = 0
check "... configuration ok" grep -q 'configuration ok' "$out"
check "... its unix socket is untouched" test -S "$PH_DIR/live.sock"
expect_status "$PH_URL/healthz" 200
sed "s|^listen: .*|listen: [127.0.0.1:$PH_PORT, \"unix:$PH_DIR/stale.sock\"]|" \
	"$PH_DIR/server.yaml" >"$PH_DIR/stale.yaml"
printf 'pid_file: other.pid\n' >>"$PH_DIR/stale.yaml"
run -t -c "$PH_DIR/stale.yaml"
show
check "-t with another pid_file: the master's port is in use (exit $RC)" test "$RC" = 1
check "... only that error, not the stale unix socket file" \
	test "$(grep -c ': listen: bind ' "$err")" = 1 -a "$(grep -c . "$err")" = 1
# Starting a second server on a unix socket in use fails, as -t said,
# instead of taking the path from the running one.
printf 'listen: ["unix:%s"]\nroot: www\naccess_log: off\npid_file: second.pid\n' \
	"$PH_DIR/live.sock" >"$PH_DIR/second.yaml"
run -c "$PH_DIR/second.yaml"
check "a second server on the live unix socket exits 2 (got $RC)" test "$RC" = 2
check "... Address already in use" grep -q "bind unix:$PH_DIR/live.sock: Address already in use" "$err"
check "the running master still answers on its unix socket" \
	test "$(curl -s -m 5 -o /dev/null -w '%{http_code}' --unix-socket "$PH_DIR/live.sock" http://x/healthz)" = 200
ph_stop TERM
check "TERM: the master removes its pid file" test ! -e "$PH_DIR/prefork-httpd.pid"

finish
