#!/usr/bin/env bash
# docs.sh -- the manual pages format without warnings, `prefork-httpd -h`
# is short and its options are in the SYNOPSIS, and the generated systemd
# units pass `systemd-analyze verify` (skipped where it cannot run).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

top_builddir=${top_builddir:-.}
man8=$top_builddir/docs/prefork-httpd.8
man5=$top_builddir/docs/prefork-httpd.yaml.5
service=$top_builddir/conf/prefork-httpd.service
socket=$top_srcdir/conf/prefork-httpd.socket
logrotate=$top_builddir/conf/logrotate.d/prefork-httpd

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

# The sample configuration still loads.
out=$("$PREFORK_HTTPD" -t -c "$top_srcdir/conf/server.yaml" 2>&1)
status=$?
check "conf/server.yaml passes -t" test "$status" = 0
[ "$status" = 0 ] || printf '#   %s\n' "$out"

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
