#!/usr/bin/env bash
# tests/install.sh -- the installed layout (not part of `make check`).
#
# Configures the source tree into a temporary build directory with
# --prefix=TMP/inst --sysconfdir=TMP/inst/etc, builds, runs `make install`
# and checks the files of docs/deployment.md's table.  Then starts the
# INSTALLED server with a copy of the INSTALLED server.yaml (only the
# listen address changed, to a free port; root still names the installed
# site) and checks that GET / serves www/index.html, that /hello/ is
# answered by the installed hello.so and that `-t` accepts the installed
# file.  `make install DESTDIR=...` must lay out the same tree under
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

out=$("$PREFORK_HTTPD" -t -c "$conf" 2>&1)
check "-t -c $conf: ok (got '$out')" grep -q 'configuration ok' <<<"$out"
out=$("$PREFORK_HTTPD" -t 2>&1)
check "-t without -c checks the installed file (got '$out')" \
	grep -q "^$conf: configuration ok" <<<"$out"

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
	ph_stop TERM
	check "the server stops on TERM with status 0 (got $PH_EXIT)" \
		test "$PH_EXIT" = 0
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
