#!/usr/bin/env bash
# privileges.sh -- started as root: workers drop to `user` (the master stays
# root to bind on reload and to reopen logs); `user: root` needs
# `allow_root: true`; SIGUSR1 and `-s reopen` reopen a rotated access log
# in a root-owned directory although the workers could not open it
# themselves.  Skipped when not run as root or without a user "nobody".
# shellcheck source=tests/integration/lib.sh disable=SC2016
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	ph_skip_all "not run as root: the workers cannot change user"
fi
if ! getent passwd nobody >/dev/null; then
	ph_skip_all "no user nobody on this host"
fi
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

ph_setup
chmod 755 "$PH_DIR" # nobody reads the site
mkdir -m 755 "$PH_DIR/logs" "$PH_DIR/run"

# ids PID: "real effective saved fs" uids, then the same for gids.
uids() { awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$1/status"; }
gids() { awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$1/status"; }
workers_of() {
	local pid
	for pid in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		grep -q ') Z ' "/proc/$pid/stat" 2>/dev/null || echo "$pid"
	done
}
# wait_grep PATTERN FILE SECONDS
wait_grep() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -q "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# --- user: root ---------------------------------------------------------------
cat >"$PH_DIR/root.yaml" <<YAML
listen: [127.0.0.1:$(ph_free_port)]
workers: 1
user: root
root: www
access_log: {path: "off"}
YAML
timeout 10 "$PREFORK_HTTPD" -c "$PH_DIR/root.yaml" >"$PH_DIR/root.out" 2>&1 && rc=0 || rc=$?
echo "# user: root without allow_root: exit $rc: $(grep -i root "$PH_DIR/root.out" | tail -n 1)"
check "user: root without allow_root is refused at start with exit 1 (got $rc)" test "$rc" = 1
check "... saying to set allow_root" grep -q 'allow_root' "$PH_DIR/root.out"

ph_start 'listen: [127.0.0.1:@PORT@]
workers: 1
user: root
allow_root: true
root: www
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
w=$(workers_of "$PH_PID" | head -n 1)
check "user: root with allow_root: true starts, the worker runs as root ($(uids "$w"))" \
	test "$(uids "$w")" = "0 0 0 0"
ph_stop TERM

# --- user: nobody ----------------------------------------------------------------
ph_start 'listen: [127.0.0.1:@PORT@]
workers: 2
user: nobody
pid_file: @DIR@/run/server.pid
root: www
access_log: {path: @DIR@/logs/access.log, format: combined}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish
MASTER=$PH_PID
ws=$(workers_of "$MASTER")
echo "# master $MASTER uids: $(uids "$MASTER")"
for w in $ws; do
	echo "# worker $w uids: $(uids "$w"), gids: $(gids "$w"), groups: $(awk '$1 == "Groups:" { $1 = ""; print }' "/proc/$w/status")"
done
check "2 workers" test "$(wc -w <<<"$ws")" = 2
for w in $ws; do
	check "worker $w runs as nobody (uids $(uids "$w"))" \
		test "$(uids "$w")" = "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID"
	check "worker $w has nobody's group (gids $(gids "$w"))" \
		test "$(gids "$w")" = "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID"
	check "worker $w has no supplementary group but nobody's" \
		test "$(awk '$1 == "Groups:" { $1 = ""; print }' "/proc/$w/status" | tr -d ' ')" = "$NOBODY_GID"
done
check "the master stays root (uids $(uids "$MASTER"))" test "$(uids "$MASTER")" = "0 0 0 0"
expect_status "$PH_URL/index.html" 200
check "the access log receives lines" wait_grep 'GET /index.html ' "$PH_DIR/logs/access.log" 5
if command -v setpriv >/dev/null 2>&1; then
	check "the log directory is root's: nobody could not create a file in it" \
		eval '! setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups touch "$PH_DIR/logs/probe" 2>/dev/null'
else
	skip "the log directory is root's: nobody could not create a file in it" \
		"setpriv not found: install util-linux"
fi

# --- SIGUSR1 after a logrotate-style rename ------------------------------------------
mv "$PH_DIR/logs/access.log" "$PH_DIR/logs/access.log.1"
kill -USR1 "$MASTER"
check "USR1: the master logs the reopen" wait_grep 'log files reopened' "$PH_DIR/stderr.log" 5
sleep 0.2
size1=$(stat -c %s "$PH_DIR/logs/access.log.1")
for w in 1 2 3 4; do
	curl -s -m 5 -o /dev/null "$PH_URL/after-usr1-$w" || true
done
check "USR1: a new access.log is created and receives the requests" \
	wait_grep 'GET /after-usr1-4 ' "$PH_DIR/logs/access.log" 5
check "USR1: every worker writes to the new file (4 of 4 lines)" \
	test "$(grep -c 'GET /after-usr1-' "$PH_DIR/logs/access.log")" = 4
sleep 1.5 # past the access log's flush delay
check "USR1: the old file stops growing ($size1 -> $(stat -c %s "$PH_DIR/logs/access.log.1") bytes)" \
	test "$(stat -c %s "$PH_DIR/logs/access.log.1")" = "$size1"
check "USR1: the old file has none of the new requests" \
	eval '! grep -q after-usr1 "$PH_DIR/logs/access.log.1"'
echo "# new access.log: owner $(stat -c %U "$PH_DIR/logs/access.log"), mode $(stat -c %a "$PH_DIR/logs/access.log")"

# --- -s reopen ---------------------------------------------------------------------
mv "$PH_DIR/logs/access.log" "$PH_DIR/logs/access.log.2"
out=$("$PREFORK_HTTPD" -s reopen -c "$PH_DIR/server.yaml" 2>&1) && rc=0 || rc=$?
check "-s reopen exits 0 ($out)" test "$rc" = 0
size2=$(stat -c %s "$PH_DIR/logs/access.log.2")
for w in 1 2 3 4; do
	curl -s -m 5 -o /dev/null "$PH_URL/after-reopen-$w" || true
done
check "-s reopen: a new access.log receives the requests" \
	wait_grep 'GET /after-reopen-4 ' "$PH_DIR/logs/access.log" 5
check "-s reopen: 4 of 4 lines in it" \
	test "$(grep -c 'GET /after-reopen-' "$PH_DIR/logs/access.log")" = 4
sleep 1.5
check "-s reopen: the previous file stops growing" \
	test "$(stat -c %s "$PH_DIR/logs/access.log.2")" = "$size2"
check "-s reopen: no new line went to the older files" \
	eval '! grep -q after-reopen "$PH_DIR/logs/access.log.1" "$PH_DIR/logs/access.log.2"'

# --- a reload keeps the drop (the master binds a new port as root) -------------------
sed -e "s/^workers: 2$/workers: 1/" "$PH_DIR/server.yaml" >"$PH_DIR/s.tmp"
mv -f "$PH_DIR/s.tmp" "$PH_DIR/server.yaml"
out=$("$PREFORK_HTTPD" -s reload -c "$PH_DIR/server.yaml" 2>&1) && rc=0 || rc=$?
check "-s reload as root exits 0 ($out)" test "$rc" = 0
w=$(workers_of "$MASTER" | head -n 1)
check "the reloaded worker runs as nobody too ($(uids "$w"))" \
	test "$(uids "$w")" = "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID"
expect_status "$PH_URL/index.html" 200

ph_stop TERM
check "TERM: status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0
finish
