#!/usr/bin/env bash
# docs.sh -- the manual pages format without warnings, `prefork-httpd -h`
# is short and its options are in the SYNOPSIS, and the generated systemd
# units pass `systemd-analyze verify` (skipped where it cannot run).  The
# units agree with the installed server.yaml: a configuration error stops
# the service once (nothing but ExecStart= reads the file, and exit status
# 1 prevents a restart), the pid file's directory is writable under the
# unit's ProtectSystem=strict, and the socket unit listens where the
# installed file does.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

top_builddir=${top_builddir:-.}
man8=$top_builddir/docs/prefork-httpd.8
man5=$top_builddir/docs/prefork-httpd.yaml.5
service=$top_builddir/conf/prefork-httpd.service
socket=$top_srcdir/conf/prefork-httpd.socket
logrotate=$top_builddir/conf/logrotate.d/prefork-httpd
installed_conf=$top_builddir/conf/server.yaml.install

if ! command -v groff >/dev/null 2>&1; then
	echo "groff not found: install groff-base" >&2
	exit 99
fi

# --- the manual pages ----------------------------------------------------------

for page in "$man8" "$man5"; do
	name=$(basename "$page")
	if [ ! -f "$page" ]; then
		fail "$name exists" "not found: $page (run make first)"
		continue
	fi
	warnings=$(groff -man -ww -z "$page" 2>&1)
	check "$name: groff -man -ww reports nothing" test -z "$warnings"
	[ -z "$warnings" ] || printf '#   %s\n' "$warnings"
	check "$name: no @substitution@ left" \
		bash -c '! grep -n "@[a-zA-Z_]*@" "$1"' _ "$page"
	if command -v man >/dev/null 2>&1; then
		# "cannot adjust line" only says that a long installed path
		# (FILES) does not fit the terminal width: not a markup problem.
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null |
			grep -v 'cannot adjust line')
		check "$name: man --warnings -l reports nothing" test -z "$out"
		[ -z "$out" ] || printf '#   %s\n' "$out"
	else
		skip "$name: man --warnings -l reports nothing" "man not found: install man-db"
	fi
done

# --- prefork-httpd -h against the SYNOPSIS ------------------------------------

help=$("$PREFORK_HTTPD" -h 2>&1)
status=$?
check "-h exits 0" test "$status" = 0
lines=$(printf '%s\n' "$help" | wc -l)
check "-h prints at most 24 lines (got $lines)" test "$lines" -le 24

# The SYNOPSIS as formatted: from its heading to the next one.
synopsis=$(groff -man -Tascii -P-cbou "$man8" 2>/dev/null |
	sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d')
check "the SYNOPSIS is not empty" test -n "$synopsis"
opts=$(printf '%s\n' "$help" | grep -oE '(\[|^ +)-[A-Za-z]' | tr -d ' [' | sort -u)
check "-h lists options" test -n "$opts"
for opt in $opts; do
	check "$opt from -h is in the SYNOPSIS" grep -q -- "\[$opt\b" <<<"$synopsis"
	check "$opt from -h is in OPTIONS" grep -Eq -- "^\.BI? \\\\$opt\b" "$man8"
done
# And the other way round: the SYNOPSIS promises nothing -h does not know.
sopts=$(grep -o '\[-[A-Za-z]' <<<"$synopsis" | cut -c2- | sort -u)
check "the SYNOPSIS lists options" test -n "$sopts"
for opt in $sopts; do
	check "$opt from the SYNOPSIS is in -h" grep -q -- "\[$opt\b" <<<"$help"
done

# --- the generated units --------------------------------------------------------

check "the service unit is generated" test -f "$service"
check "the logrotate file is generated" test -f "$logrotate"
check "no @substitution@ left in the service" \
	bash -c '! grep -n "@[a-zA-Z_]*@" "$1"' _ "$service"
check "no @substitution@ left in the logrotate file" \
	bash -c '! grep -n "@[a-zA-Z_]*@" "$1"' _ "$logrotate"
check "the service is Type=notify" grep -qx 'Type=notify' "$service"
check "the service reloads with HUP" \
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$service"

# TimeoutStopSec must leave room for the default graceful timeout.
graceful=$(sed -n 's/^ *graceful: *\([0-9]*\)s.*/\1/p' "$top_srcdir/conf/server.yaml")
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$service")
check "TimeoutStopSec ($stop) > timeouts.graceful (${graceful:-?}s)" \
	test "${stop:-0}" -gt "${graceful:-0}"

# The sample configuration passes -t: a copy next to a www/, on a free port
# (-t tries the binds, and 8080 may be taken here; the source tree may be
# read-only, and the default pid file goes next to the file).
ph_setup
mkdir -p "$PH_DIR/conf"
sed "s|^  - 127\.0\.0\.1:8080\$|  - 127.0.0.1:$(ph_free_port)|" \
	"$top_srcdir/conf/server.yaml" >"$PH_DIR/conf/server.yaml"
check "conf/server.yaml listens on 127.0.0.1:8080" \
	eval '! cmp -s "$top_srcdir/conf/server.yaml" "$PH_DIR/conf/server.yaml"'
out=$("$PREFORK_HTTPD" -t -c "$PH_DIR/conf/server.yaml" 2>&1)
status=$?
check "conf/server.yaml passes -t" test "$status" = 0
[ "$status" = 0 ] || printf '#   %s\n' "$out"

# --- the units and the installed server.yaml -------------------------------------

check "no ExecStartPre= (RestartPreventExitStatus= does not apply to it)" \
	eval '! grep -q "^ExecStartPre=" "$service"'
check "exit status 1 (a configuration error) prevents a restart" \
	grep -qx 'RestartPreventExitStatus=1' "$service"
check "ExecStart= runs the server with the installed file" \
	grep -q '^ExecStart=.*/prefork-httpd -c .*/prefork-httpd/server.yaml$' "$service"
if [ ! -f "$installed_conf" ]; then
	fail "the installed server.yaml is generated" "not found: $installed_conf (make check builds it)"
else
	# Where the unit may write: ReadWritePaths= and /run/RuntimeDirectory=.
	writable=$(sed -n 's/^ReadWritePaths=//p' "$service" | tr ' ' '\n' | sed 's/^-//')
	writable+=$'\n'$(sed -n 's|^RuntimeDirectory=|/run/|p' "$service")
	pid_file=$(sed -n 's/^pid_file: *//p' "$installed_conf")
	check "the installed server.yaml sets pid_file ($pid_file)" test -n "$pid_file"
	check "... in a directory the unit may write (${pid_file%/*})" \
		grep -qxF "${pid_file%/*}" <<<"$writable"
	check "the installed server.yaml sets the workers' user" \
		grep -q '^user: [a-z_][a-z0-9_-]*$' "$installed_conf"
	check "the installed server.yaml names the installed site" \
		grep -q '^root: /.*/www$' "$installed_conf"
	check "it says nothing of the source tree (scripts/run, ../www, conf/)" \
		eval '! grep -nE "scripts/run|\.\./www|conf/" "$installed_conf"'
	conf_addrs=$(sed -n '/^listen:/,/^[a-z]/s/^  - \(.*\)$/\1/p' "$installed_conf" | sort)
	unit_addrs=$(sed -n 's/^ListenStream=//p' "$socket" | sort)
	check "the socket unit listens where the installed server.yaml does ($unit_addrs)" \
		test -n "$unit_addrs" -a "$unit_addrs" = "$conf_addrs"
fi

if command -v logrotate >/dev/null 2>&1; then
	ph_setup
	if logrotate -d -s "$PH_DIR/logrotate.state" "$logrotate" >"$PH_DIR/logrotate.out" 2>&1; then
		pass "logrotate -d accepts the logrotate file"
	else
		fail "logrotate -d accepts the logrotate file" "$(tail -n 20 "$PH_DIR/logrotate.out")"
	fi
else
	skip "logrotate -d accepts the logrotate file" "logrotate not found: install logrotate"
fi

# systemd-analyze verify, where it works at all: try a trivial unit first.
ph_setup
mkdir -p "$PH_DIR/units"
cat >"$PH_DIR/units/ph-probe.service" <<'UNIT'
[Service]
ExecStart=/bin/true
UNIT
if ! command -v systemd-analyze >/dev/null 2>&1; then
	for unit in prefork-httpd.service prefork-httpd.socket; do
		skip "systemd-analyze verify $unit" "systemd-analyze not found: install systemd"
	done
elif ! systemd-analyze verify "$PH_DIR/units/ph-probe.service" \
	>"$PH_DIR/probe.log" 2>&1; then
	sed 's/^/#   /' "$PH_DIR/probe.log" | head -5
	for unit in prefork-httpd.service prefork-httpd.socket; do
		skip "systemd-analyze verify $unit" \
			"systemd-analyze verify fails even on a trivial unit here: $(head -n 1 "$PH_DIR/probe.log")"
	done
else
	# The installed paths do not exist here: point Exec* at the built binary.
	sed -E "s|^(Exec[A-Za-z]*=)[^ ]*/prefork-httpd|\1$PREFORK_HTTPD|" \
		"$service" >"$PH_DIR/units/prefork-httpd.service"
	cp "$socket" "$PH_DIR/units/prefork-httpd.socket"
	for unit in prefork-httpd.service prefork-httpd.socket; do
		# --man=no: the manual pages are checked above, not installed here.
		out=$(cd "$PH_DIR/units" && systemd-analyze verify --man=no "./$unit" 2>&1)
		status=$?
		# Only complaints about these units count, not about the host's.
		mine=$(grep -i 'prefork-httpd' <<<"$out" || true)
		check "systemd-analyze verify $unit" \
			test "$status" = 0 -a -z "$mine"
		[ -z "$out" ] || printf '#   %s\n' "$out"
	done
fi

finish
