#!/usr/bin/env bash
# configtest.sh -- the command line: -t on good and bad files (every error
# as FILE:LINE:COLUMN: message; a redirect.to with a line break or over
# 4096 bytes), -V, -h, an unknown option, and starting with a bad file.
# shellcheck source=tests/integration/lib.sh disable=SC2016,SC2001
. "$(dirname "$0")/lib.sh"

ph_setup
good=$PH_DIR/good.yaml
bad=$PH_DIR/bad.yaml
out=$PH_DIR/out
err=$PH_DIR/err

cat >"$good" <<'YAML'
listen:
  - 127.0.0.1:1
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
run -Z
check "an unknown option exits 1 (got $RC)" test "$RC" = 1
check "an unknown option prints usage on stderr" grep -qi 'usage' "$err"
run -c "$good" extra-argument
check "a stray argument exits 1 (got $RC)" test "$RC" = 1
run -s no-such-verb -c "$good"
check "-s with an unknown signal name exits 1 (got $RC)" test "$RC" = 1

finish
