#!/usr/bin/env bash
# tests/install.sh -- the installed layout (not part of `make check`).
#
# Configures the source tree into a temporary build directory with
# --prefix=TMP/inst --sysconfdir=TMP/inst/etc, builds, runs `make install`
# and checks the files of docs/deployment.md's table, and that the install
# output says where logrotate looks.  Then starts the INSTALLED server with a
# copy of the INSTALLED server.yaml (only the listen address changed, to a
# free port; root still names the installed site) and checks that GET /
# serves www/index.html, that /hello/ is answered by the installed hello.so,
# that `-t` accepts the installed file, that its default pid file makes
# `-s reload` and `-s reopen` work with the installed file itself, and (as
# root) that the workers run as the file's `user`.  Socket activation: the
# installed server under systemd-socket-activate, listening on the addresses
# of the installed socket unit (the port changed alike), answers the first
# connection.  `make install DESTDIR=...` must lay out the same tree under
# DESTDIR, and `make uninstall` (with and without DESTDIR) must leave no
# files behind.
#
# Run from anywhere after autoreconf (configure must exist):
#   bash tests/install.sh
# Environment: MAKE_JOBS (default 2); PH_KEEP=1 keeps the temporary
# directory.  Prints "ok"/"not ok" lines, then "N passed, M failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prefork-httpd-install.XXXXXX")
build=$tmp/build
inst=$tmp/inst
dest=$tmp/dest
jobs=${MAKE_JOBS:-2}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup_tmp() {
	if [ "${PH_KEEP:-0}" = 1 ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup_tmp EXIT
chmod 755 "$tmp" # the workers of the installed server (its `user`) read the site

# step DESCRIPTION COMMAND...: run a build step, its output in $tmp/step.log
# (printed when it fails); exits 1 on failure.
step() {
	local what=$1
	shift
	echo "# $what"
	if ! "$@" >"$tmp/step.log" 2>&1; then
		tail -n 60 "$tmp/step.log" | sed 's/^/# /'
		if declare -F finish >/dev/null; then
			fail "$what"
			finish
		fi
		echo "not ok - $what"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

if [ ! -x "$top/configure" ]; then
	echo "$top/configure not found: run autoreconf -fi first" >&2
	exit 1
fi
if [ -f "$top/config.status" ]; then
	echo "$top is configured in place (make distclean there first):" \
		"a build in another directory is not possible" >&2
	exit 1
fi

# shellcheck disable=SC2317 # called through step
configure_build() {
	mkdir -p "$build" &&
		(cd "$build" && "$top/configure" --prefix="$inst" --sysconfdir="$inst/etc")
}
step "configure --prefix=$inst --sysconfdir=$inst/etc" configure_build
step "make -j$jobs" make -C "$build" -j"$jobs"
step "make install" make -C "$build" install
cp "$tmp/step.log" "$tmp/install.log"

# From here on: the helpers of the integration tests, with the installed
# server.  Their EXIT trap stops the server; the temporary tree goes too.
PREFORK_HTTPD=$inst/sbin/prefork-httpd
export PREFORK_HTTPD
# shellcheck source=tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
trap 'ph_cleanup; cleanup_tmp' EXIT

# mkvar NAME: the value of the make variable NAME in the build directory,
# fully expanded (e.g. pkglibdir).
mkvar() {
	# shellcheck disable=SC2016 # $(...) is make's
	printf 'ph-print-var:\n\t@echo $(%s)\n' "$1" |
		make -s -C "$build" -f Makefile -f - ph-print-var
}

# --- the layout ----------------------------------------------------------------

pkglibdir=$(mkvar pkglibdir)
unitdir=$(mkvar systemdsystemunitdir)
check "pkglibdir is $inst/lib/prefork-httpd (got '$pkglibdir')" \
	test "$pkglibdir" = "$inst/lib/prefork-httpd"
check "the systemd unit dir is under the prefix (got '$unitdir')" \
	test "$unitdir" = "$inst/lib/systemd/system"

expect_file() {
	check "installed: ${1#"$inst"/}" test -f "$1"
}
check "installed: sbin/prefork-httpd (executable)" test -x "$inst/sbin/prefork-httpd"
expect_file "$inst/etc/prefork-httpd/server.yaml"
expect_file "$inst/share/man/man8/prefork-httpd.8"
expect_file "$inst/share/man/man5/prefork-httpd.yaml.5"
expect_file "$inst/include/prefork-httpd.h"
expect_file "$pkglibdir/modules/hello.so"
expect_file "$pkglibdir/modules/echo.so"
expect_file "$unitdir/prefork-httpd.service"
expect_file "$unitdir/prefork-httpd.socket"
expect_file "$inst/etc/logrotate.d/prefork-httpd"
expect_file "$inst/share/prefork-httpd/www/index.html"
expect_file "$inst/share/prefork-httpd/www/style.css"
for f in README.md NEWS ChangeLog "$top"/docs/*.md; do
	expect_file "$inst/share/doc/prefork-httpd/${f##*/}"
done

conf=$inst/etc/prefork-httpd/server.yaml
check "server.yaml: root is the installed site" \
	grep -qx "root: $inst/share/prefork-httpd/www" "$conf"
check "the service runs the installed server with the installed file" \
	grep -qx "ExecStart=$inst/sbin/prefork-httpd -c $conf" \
	"$unitdir/prefork-httpd.service"
check "make install says that logrotate reads /etc/logrotate.d" \
	grep -q "^note: logrotate reads /etc/logrotate.d, not $inst/etc/logrotate.d" "$tmp/install.log"
check "... and how to link the file there" \
	grep -qF "ln -s $inst/etc/logrotate.d/prefork-httpd /etc/logrotate.d/prefork-httpd" "$tmp/install.log"
check "the installed server.yaml keeps its pid file in the run directory" \
	grep -qx "pid_file: $inst/var/run/prefork-httpd/prefork-httpd.pid" "$conf"
check "... which make install created" test -d "$inst/var/run/prefork-httpd"
check "the installed server.yaml runs the workers as a user" \
	grep -qx 'user: www-data' "$conf"
check "the logrotate file names the installed server" \
	grep -q "$inst/sbin/prefork-httpd -s reopen -c $conf" \
	"$inst/etc/logrotate.d/prefork-httpd"
check "the manual names the installed file" \
	grep -qF "$conf" "$inst/share/man/man8/prefork-httpd.8"
# shellcheck disable=SC2317 # called through check
header_compiles() {
	printf '#include <prefork-httpd.h>\n' |
		"${CC:-cc}" -std=c17 -fsyntax-only -I"$inst/include" -x c -
}
check "the installed header compiles on its own" header_compiles

# --- DESTDIR: the same tree, staged ------------------------------------------------

step "make install DESTDIR=$dest" make -C "$build" install DESTDIR="$dest"
check "make install DESTDIR= lays out the same tree" \
	diff -r "$inst" "$dest$inst"
left=$(find "$dest" ! -type d | grep -v "^$dest$inst/")
check "make install DESTDIR= writes nothing else under DESTDIR${left:+ (also: $(tr '\n' ' ' <<<"$left"))}" \
	test -z "$left"

# --- the installed server with the installed configuration -----------------

# -t binds 127.0.0.1:8080, which may be taken on this machine: then that
# must be the only complaint.
t_ok() { # OUTPUT: "FILE: configuration ok", or only 8080 in use
	grep -q "^$conf: configuration ok" <<<"$1" && return 0
	! grep -v "^$conf:[0-9]*:[0-9]*: listen: bind 127.0.0.1:8080: Address already in use" <<<"$1"
}
out=$("$PREFORK_HTTPD" -t -c "$conf" 2>&1)
check "-t -c $conf: ok (got '$out')" t_ok "$out"
out=$("$PREFORK_HTTPD" -t 2>&1)
check "-t without -c checks the installed file (got '$out')" t_ok "$out"

# The installed file, its listen address replaced, plus a route to the
# installed hello module.
text=$(sed 's|^  - 127\.0\.0\.1:8080$|  - 127.0.0.1:@PORT@|' "$conf")
check "server.yaml listens on 127.0.0.1:8080" grep -q '@PORT@' <<<"$text"
text+="
routes:
  - prefix: /hello/
    module: {path: $pkglibdir/modules/hello.so}"
if ph_start "$text"; then
	check "the running copy keeps the installed root" \
		grep -qx "root: $inst/share/prefork-httpd/www" "$PH_DIR/server.yaml"
	curl -s -m 10 -o "$PH_DIR/index.got" "$PH_URL/" || true
	check "GET / serves the bundled www/index.html" \
		cmp -s "$PH_DIR/index.got" "$top/www/index.html"
	expect_status "$PH_URL/style.css" 200
	body=$(curl -s -m 10 "$PH_URL/hello/?name=installed" || true)
	check "GET /hello/ is answered by the installed hello.so (got '$body')" \
		test "$body" = "Hello, installed!"
	check "the master writes the installed pid file" \
		test "$(cat "$inst/var/run/prefork-httpd/prefork-httpd.pid" 2>/dev/null)" = "$PH_PID"
	out=$("$PREFORK_HTTPD" -s reload -c "$conf" 2>&1)
	check "-s reload -c $conf reaches it (got '$out')" grep -q '^ok: generation 2 serving' <<<"$out"
	out=$("$PREFORK_HTTPD" -s reopen 2>&1)
	check "-s reopen without -c reaches it (got '$out')" grep -q '^ok' <<<"$out"
	if [ "$(id -u)" = 0 ]; then
		w=$(cut -d' ' -f1 "/proc/$PH_PID/task/$PH_PID/children")
		check "started as root, the workers run as www-data (worker $w: uid $(awk '$1 == "Uid:" {print $2}' "/proc/$w/status"))" \
			test "$(awk '$1 == "Uid:" {print $2}' "/proc/$w/status")" = "$(id -u www-data)"
	fi
	ph_stop TERM
	check "the server stops on TERM with status 0 (got $PH_EXIT)" \
		test "$PH_EXIT" = 0
fi

# --- socket activation with the installed socket unit -----------------------------

if ! command -v systemd-socket-activate >/dev/null 2>&1; then
	echo "# socket activation not tried: systemd-socket-activate not found (package systemd)"
else
	ph_setup
	port=$(ph_free_port)
	addrs=$(sed -n 's/^ListenStream=//p' "$unitdir/prefork-httpd.socket" |
		sed "s/:8080\$/:$port/")
	check "the socket unit listens on 8080, as the installed server.yaml" \
		grep -q ":$port\$" <<<"$addrs"
	sed "s/:8080\$/:$port/" "$conf" >"$PH_DIR/activated.yaml"
	args=()
	for a in $addrs; do
		args+=(-l "$a")
	done
	systemd-socket-activate "${args[@]}" "$PREFORK_HTTPD" -c "$PH_DIR/activated.yaml" \
		>"$PH_DIR/act.out" 2>"$PH_DIR/act.err" &
	PH_PID=$!
	for _ in $(seq 50); do # until it listens (it starts the server on the first connection)
		grep -q "Listening on" "$PH_DIR/act.err" && break
		sleep 0.1
	done
	code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)
	check "socket activation: the first connection is answered ($code)" test "$code" = 200
	for a in $addrs; do
		check "socket activation: the server took the socket for $a" \
			grep -q "using inherited listener $a\$" "$PH_DIR/act.err"
	done
	check "socket activation: no inherited socket was closed" \
		eval '! grep -q "is not in the configuration" "$PH_DIR/act.err"'
	ph_stop TERM
	check "socket activation: TERM stops it with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
	[ "$PH_FAILED" -eq 0 ] || sed 's/^/# act: /' "$PH_DIR/act.err" | tail -n 20
fi

# --- uninstall -----------------------------------------------------------------

step "make uninstall" make -C "$build" uninstall
left=$(find "$inst" ! -type d)
check "make uninstall leaves no files${left:+ (left: $(tr '\n' ' ' <<<"$left"))}" \
	test -z "$left"
step "make uninstall DESTDIR=$dest" make -C "$build" uninstall DESTDIR="$dest"
left=$(find "$dest" ! -type d)
check "make uninstall DESTDIR= leaves no files${left:+ (left: $(tr '\n' ' ' <<<"$left"))}" \
	test -z "$left"

finish
