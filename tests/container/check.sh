#!/usr/bin/env bash
# tests/container/check.sh -- `make check-container`: build the OCI image
# from Containerfile with podman and test it, run by `podman run` and by
# `podman kube play` on deploy/kubernetes/.
#
# For each: the page and the metrics through the published ports, the CPU
# quota seen by `workers: auto`, the non-root user; then the stop that
# Kubernetes sends (TERM, through podman stop / podman pod stop) while
# clients send requests: /healthz turns 503 first, no request fails, a
# download in flight finishes, and the container exits 0 within the grace
# period.  Prints the image build time, the image size (it must be under
# 100 MB) and the time from start to the first answered request.
#
# Needs root (rootful podman) and Debian's podman, runc, catatonit and
# mmdebstrap (installed through scripts/lib/deps.sh when missing).  No
# registry is used: when the image debian:bookworm-slim is absent it is
# made with mmdebstrap from Debian's packages and imported (the tarball is
# kept as $top_builddir/tests/container/bookworm-slim.tar for the next run).
#
# Environment: top_srcdir, top_builddir (set by make; default: this tree
# and its build/), PACKAGE_VERSION (default: from configure.ac).
# Everything of a run is named ph-check-PID and removed at the end; the
# image prefork-httpd:VERSION stays.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
version=${PACKAGE_VERSION:-$(sed -n 's/^AC_INIT(\[prefork-httpd\], \[\([^]]*\)\].*/\1/p' \
	"$top_srcdir/configure.ac")}
here=$top_srcdir/tests/container
work=$top_builddir/tests/container
image=prefork-httpd:$version
base=debian:bookworm-slim
run=ph-check-$$
t_all=$(date +%s%N)

passed=0
failed=0
pass() {
	passed=$((passed + 1))
	echo "ok - $1"
}
fail() {
	failed=$((failed + 1))
	echo "not ok - $1"
	if [ $# -gt 1 ]; then
		shift
		printf '    %s\n' "$@"
	fi
}
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}
# Milliseconds since the time T (date +%s%N).
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

if [ "$(id -u)" -ne 0 ]; then
	echo "check-container: needs root (rootful podman; CI runs it as root)" >&2
	exit 1
fi
cd "$top_srcdir" || exit 1
# shellcheck source=scripts/lib/deps.sh
. "$top_srcdir/scripts/lib/deps.sh"
# shellcheck disable=SC2086 # one word per package
ph_need_packages $PH_CONTAINER_PACKAGES
mkdir -p "$work"

# --- podman on these machines --------------------------------------------
#
# crun (podman's first choice) refuses the hybrid cgroup v1/v2 layout, and
# without systemd as init the systemd cgroup manager is not available:
# --runtime runc --cgroup-manager cgroupfs.  Podman's default rlimits
# (nofile 1048576) are above what root may set here without
# CAP_SYS_RESOURCE, so runc fails with "error setting rlimit type 7:
# operation not permitted"; nproc must stay at or below 32768 (the limit
# podman itself runs with).  The limits go into a containers.conf of this
# run, since `podman kube play` has no --ulimit; by hand, `podman run
# --ulimit nofile=N:N --ulimit nproc=N:N` does the same.
hard_limit() { # hard_limit FLAG CAP: ulimit -H FLAG, at most CAP
	local v
	v=$(ulimit -H "$1")
	if [ "$v" = unlimited ] || [ "$v" -gt "$2" ]; then v=$2; fi
	echo "$v"
}
nofile=$(hard_limit -n 65536)
nproc=$(hard_limit -u 32768)
export CONTAINERS_CONF=$work/containers.conf
cat >"$CONTAINERS_CONF" <<EOF
# Written by tests/container/check.sh for its podman commands.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
EOF
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)
pm() { "${PODMAN[@]}" "$@"; }

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	pm rm -f -t 0 "$run-run" >/dev/null 2>&1
	if [ -f "$work/kube/deployment.yaml" ]; then
		pm kube down "$work/kube/deployment.yaml" >/dev/null 2>&1
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_answer URL T0 LIMIT_S: wait for URL to answer 200; print the
# milliseconds since T0, or return 1 after LIMIT_S seconds.
wait_answer() {
	local end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$end" ]; do
		if [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$1" || true)" = 200 ]; then
			ms_since "$2"
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# since_started CONTAINER T0 MS: milliseconds from the container's start
# (its process started by the runtime) to the moment T0 + MS.
since_started() {
	local started
	started=$(pm inspect --format '{{.State.StartedAt.UnixNano}}' "$1")
	echo $((($2 + $3 * 1000000 - started) / 1000000))
}

# --- the base image --------------------------------------------------------

if ! pm image exists "$base"; then
	tar=$work/bookworm-slim.tar
	t0=$(date +%s%N)
	if [ ! -s "$tar" ]; then
		echo "# $base is absent: making it with mmdebstrap (minbase, no docs)"
		# The same exclusions as Debian's official -slim images.
		if ! mmdebstrap --variant=minbase --mode=root --format=tar \
			--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
			--dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-include=/usr/share/doc/*/copyright' \
			--dpkgopt='path-exclude=/usr/share/man/*' \
			--dpkgopt='path-exclude=/usr/share/info/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			--dpkgopt='path-exclude=/usr/share/groff/*' \
			--dpkgopt='path-exclude=/usr/share/lintian/*' \
			--dpkgopt='path-exclude=/usr/share/linda/*' \
			bookworm "$tar.tmp" \
			"deb http://deb.debian.org/debian bookworm main" \
			"deb http://deb.debian.org/debian bookworm-updates main" \
			"deb http://deb.debian.org/debian-security bookworm-security main" \
			>"$work/mmdebstrap.log" 2>&1; then
			fail "mmdebstrap makes the base image" "$(tail -n 5 "$work/mmdebstrap.log")"
			rm -f "$tar.tmp"
			finish
		fi
		mv "$tar.tmp" "$tar"
	fi
	if ! pm import --change 'CMD ["bash"]' "$tar" "$base" >"$work/import.log" 2>&1; then
		fail "podman import makes $base" "$(tail -n 5 "$work/import.log")"
		finish
	fi
	echo "# base image $base made in $(ms_since "$t0") ms"
fi

# --- the image ---------------------------------------------------------------

rev=$(git -C "$top_srcdir" rev-parse HEAD 2>/dev/null || echo unknown)
old_id=$(pm image inspect --format '{{.Id}}' "$image" 2>/dev/null)
t0=$(date +%s%N)
# --layers=false: no intermediate images kept (half a gigabyte for each
# change of the sources); CI starts without a cache anyway.
if pm build --pull=never --layers=false -f "$top_srcdir/Containerfile" \
	--build-arg VERSION="$version" --build-arg REVISION="$rev" \
	--annotation org.opencontainers.image.version="$version" \
	--annotation org.opencontainers.image.revision="$rev" \
	-t "$image" "$top_srcdir" >"$work/build.log" 2>&1; then
	build_ms=$(ms_since "$t0")
	pass "podman build -t $image ($build_ms ms)"
else
	fail "podman build -t $image" "$(tail -n 20 "$work/build.log")"
	finish
fi

# The image of the previous run, now untagged, goes.
new_id=$(pm image inspect --format '{{.Id}}' "$image")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
	pm rmi "$old_id" >/dev/null 2>&1
fi

size=$(pm image inspect --format '{{.Size}}' "$image")
size_mb=$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }')
check "image size $size_mb MB < 100 MB" test "$size" -lt 100000000
label=$(pm image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "$image")
check "label org.opencontainers.image.version is $version (got $label)" test "$label" = "$version"
ann=$(pm image inspect --format '{{index .Annotations "org.opencontainers.image.version"}}' "$image")
check "annotation org.opencontainers.image.version is $version (got $ann)" test "$ann" = "$version"
user=$(pm image inspect --format '{{.Config.User}}' "$image")
# shellcheck disable=SC2016 # the script of bash -c
check "the image runs as a numeric non-root user (got $user)" \
	bash -c '[[ $1 =~ ^[1-9][0-9]*(:[0-9]+)?$ ]]' _ "$user"
sig=$(pm image inspect --format '{{.Config.StopSignal}}' "$image")
check "the stop signal is SIGTERM (got $sig)" test "$sig" = SIGTERM
out=$(pm run --rm "$image" -t -c /etc/prefork-httpd/server.yaml 2>&1)
check "the image's own server.yaml is valid (prefork-httpd -t: $out)" \
	test "$out" = "/etc/prefork-httpd/server.yaml: configuration ok"

# --- the drain, common to both runs -------------------------------------------

# expect_drain JSON GRACE_S DRAIN_S: the checks on drain.py's report.
expect_drain() {
	local v
	v=$(python3 - "$1" "$2" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
grace, drain = float(sys.argv[2]), float(sys.argv[3])
def f(x): return "none" if x is None else "%.2f" % x
checks = [
    ("requests were sent during the stop (%d, %d health checks)"
     % (r["requests"], r["health_checks"]), r["requests"] > 0),
    ("no request failed (%d ok of %d, %d retried on a reused connection): %s"
     % (r["ok"], r["requests"], r["retried"], r["failures"][:3]),
     r["ok"] == r["requests"] and not r["failures"]),
    ("/healthz turned 503 within 1 s of the stop (at %s s)" % f(r["first_503"]),
     r["first_503"] is not None and r["first_503"] < 1.0),
    ("the listeners closed after drain_delay %g s, 503 first (closed at %s s)"
     % (drain, f(r["closed"])),
     r["first_503"] is not None and r["closed"] is not None
     and r["closed"] > r["first_503"] and r["closed"] >= drain - 0.3),
    ("the stop ended with status 0 within the grace period %g s (at %s s)%s"
     % (grace, f(r["stop_ended"]), " " + r["stop_stderr"].strip() if r["stop_status"] else ""),
     r["stop_status"] == 0 and r["stop_ended"] is not None
     and r["stop_ended"] < grace),
]
if r["slow"] is not None:
    s = r["slow"]
    checks.append(("a download in flight when the listeners closed finished whole (%s)" % s,
                   s.get("status") == 200 and s.get("got") == s.get("length")
                   and (s.get("ended") or 0) > drain))
for name, ok in checks:
    print(("ok" if ok else "not ok") + "\t" + name)
print("timing\t%s\t%s" % (f(r["first_503"]), f(r["stop_ended"])))
PY
)
	while IFS=$'\t' read -r res name rest; do
		case $res in
		ok) pass "$name" ;;
		"not ok") fail "$name" ;;
		timing) drain_503=$name drain_exit=$rest ;;
		esac
	done <<<"$v"
	if [ -z "$v" ]; then
		fail "drain.py's report can be read" "$(head -c 2000 "$1")"
	fi
}

# expect_metrics PROM WANT_WORKERS
expect_metrics() {
	local got
	check "the metrics are valid Prometheus text" \
		python3 "$top_srcdir/tests/integration/promcheck.py" check "$1"
	got=$(python3 "$top_srcdir/tests/integration/promcheck.py" value "$1" \
		prefork_httpd_workers_configured 2>/dev/null)
	check "workers: auto gave $2 workers (got ${got:-none})" \
		test "${got%.*}" = "$2"
}

# The grace period of the manifests, used for both runs.
grace=$(python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
print(d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"])' \
	"$top_srcdir/deploy/kubernetes/deployment.yaml")
drain=2
ncpu=$(nproc)

# --- podman run ----------------------------------------------------------------

echo "# podman run: $image with --cpus 1, drain_delay ${drain}s"
rdir=$work/run
rm -rf "$rdir"
mkdir -p "$rdir/big"
sed "s/^\( *drain_delay:\).*/\1 ${drain}s/" "$top_srcdir/conf/container.yaml" >"$rdir/server.yaml"
grep -q "drain_delay: ${drain}s" "$rdir/server.yaml" || fail "the test configuration sets drain_delay"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$rdir/big/big.bin"
chmod -R a+rX "$rdir"
p_http=$(free_port)
p_admin=$(free_port)
url=http://127.0.0.1:$p_http
t0=$(date +%s%N)
if ! pm run -d --name "$run-run" --cpus 1 \
	-p "127.0.0.1:$p_http:8080" -p "127.0.0.1:$p_admin:9901" \
	-v "$rdir/server.yaml:/etc/prefork-httpd/server.yaml:ro" \
	-v "$rdir/big:/usr/share/prefork-httpd/www/big:ro" \
	"$image" >"$rdir/run.log" 2>&1; then
	fail "podman run $image" "$(cat "$rdir/run.log")"
	finish
fi
if run_first=$(wait_answer "$url/" "$t0" 30); then
	run_inner=$(since_started "$run-run" "$t0" "$run_first")
	pass "podman run: first answer $run_first ms after podman run ($run_inner ms after the container started)"
else
	fail "podman run: an answer within 30 s" "$(pm logs "$run-run" 2>&1 | tail -n 20)"
	finish
fi
curl -s -m 5 -o "$rdir/index.html" "$url/"
check "the page is www/index.html" cmp -s "$rdir/index.html" "$top_srcdir/www/index.html"
check "/healthz answers ok" test "$(curl -s -m 5 "$url/healthz")" = ok
curl -s -m 5 -o "$rdir/metrics.prom" "http://127.0.0.1:$p_admin/metrics"
# --cpus 1: one worker (the host has $ncpu CPUs).
expect_metrics "$rdir/metrics.prom" 1
# shellcheck disable=SC2016 # awk's $2
uid=$(pm exec "$run-run" awk '/^Uid:/ {print $2}' /proc/1/status)
check "the master runs as uid 10001, not root (got ${uid:-none})" test "$uid" = 10001
out=$(pm exec "$run-run" prefork-httpd -s reload -c /etc/prefork-httpd/server.yaml 2>&1)
check "prefork-httpd -s reload in the container exits 0" test $? -eq 0
[ -n "$out" ] && echo "# $out"

python3 "$here/drain.py" --url "$url" --after-503 1.0 --slow /big/big.bin:2 \
	--timeout "$((grace + 15))" -- "${PODMAN[@]}" stop -t "$grace" "$run-run" \
	>"$rdir/drain.json"
expect_drain "$rdir/drain.json" "$grace" "$drain"
run_503=$drain_503 run_exit=$drain_exit
code=$(pm inspect --format '{{.State.ExitCode}}' "$run-run")
check "podman run: the container exited with status 0 (got $code)" test "$code" = 0
pm logs "$run-run" >"$rdir/container.log" 2>&1
check "podman run: the log shows the graceful stop" \
	grep -q "graceful stop: health answers 503 for 2000 ms" "$rdir/container.log"
check "podman run: access log lines are JSON on stdout" \
	grep -q '^{"time":.*"user_agent":"drain.py"' "$rdir/container.log"
check "podman run: no worker exited on its own" \
	bash -c "! grep -q 'exited on its own' '$rdir/container.log'"
pm rm -f "$run-run" >/dev/null 2>&1

# --- podman kube play ------------------------------------------------------------

# Test copies of the manifests: one replica (podman would publish every
# replica on the same host ports), the container ports published on
# 127.0.0.1 (podman has no Service), a name of this run, and drain_delay
# ${drain}s in the ConfigMap.  The rest is as shipped.
kdir=$work/kube
rm -rf "$kdir"
mkdir -p "$kdir"
k_http=$(free_port)
k_admin=$(free_port)
python3 - "$top_srcdir/deploy/kubernetes" "$kdir" "$run" "$k_http" "$k_admin" "$drain" <<'PY'
import sys, yaml
src, dst, name, p_http, p_admin, drain = sys.argv[1:]
d = yaml.safe_load(open(src + "/deployment.yaml"))
d["metadata"]["name"] = name
d["spec"]["replicas"] = 1
c = d["spec"]["template"]["spec"]["containers"][0]
hp = {"http": int(p_http), "admin": int(p_admin)}
for p in c["ports"]:
    p["hostIP"] = "127.0.0.1"
    p["hostPort"] = hp[p["name"]]
yaml.safe_dump(d, open(dst + "/deployment.yaml", "w"))
cm = yaml.safe_load(open(src + "/configmap.yaml"))
conf = cm["data"]["server.yaml"]
lines = [l for l in conf.splitlines() if l.strip().startswith("drain_delay:")]
assert len(lines) == 1, "one drain_delay line in the ConfigMap"
cm["data"]["server.yaml"] = conf.replace(
    lines[0], lines[0].split(":")[0] + ": %ss" % drain)
yaml.safe_dump(cm, open(dst + "/configmap.yaml", "w"))
open(dst + "/server.yaml", "w").write(cm["data"]["server.yaml"])
limit = str(c["resources"]["limits"]["cpu"])
cpus = float(limit[:-1]) / 1000 if limit.endswith("m") else float(limit)
import math
open(dst + "/cpu-limit", "w").write("%d\n" % math.ceil(cpus))
PY
[ -s "$kdir/deployment.yaml" ] || { fail "the test copies of the manifests"; finish; }
out=$(pm run --rm -v "$kdir/server.yaml:/etc/prefork-httpd/server.yaml:ro" \
	"$image" -t -c /etc/prefork-httpd/server.yaml 2>&1)
check "the ConfigMap's server.yaml is valid in the image (prefork-httpd -t: $out)" \
	test "$out" = "/etc/prefork-httpd/server.yaml: configuration ok"

echo "# podman kube play: deploy/kubernetes/deployment.yaml with configmap.yaml"
url=http://127.0.0.1:$k_http
t0=$(date +%s%N)
if ! pm kube play --configmap "$kdir/configmap.yaml" "$kdir/deployment.yaml" \
	>"$kdir/play.log" 2>&1; then
	fail "podman kube play" "$(tail -n 20 "$kdir/play.log")"
	finish
fi
pod=$run-pod-0
ctr=$pod-prefork-httpd
if kube_first=$(wait_answer "$url/" "$t0" 30); then
	kube_inner=$(since_started "$ctr" "$t0" "$kube_first")
	pass "kube play: first answer $kube_first ms after podman kube play ($kube_inner ms after the container started)"
else
	fail "kube play: an answer within 30 s" "$(pm logs "$ctr" 2>&1 | tail -n 20)"
	finish
fi
curl -s -m 5 -o "$kdir/index.html" "$url/"
check "kube play: the page is www/index.html" cmp -s "$kdir/index.html" "$top_srcdir/www/index.html"
check "kube play: readiness probe GET /healthz on port http answers 200" \
	test "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$url/healthz")" = 200
check "kube play: liveness probe GET /healthz on port admin answers 200" \
	test "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$k_admin/healthz")" = 200
curl -s -m 5 -o "$kdir/metrics.prom" "http://127.0.0.1:$k_admin/metrics"
limit=$(cat "$kdir/cpu-limit")
want=$((limit < ncpu ? limit : ncpu))
expect_metrics "$kdir/metrics.prom" "$want"
ro=$(pm inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$ctr")
check "kube play: the root file system is read-only (readOnlyRootFilesystem)" test "$ro" = true
out=$(pm exec "$ctr" prefork-httpd -s reload -c /etc/prefork-httpd/server.yaml 2>&1)
check "kube play: prefork-httpd -s reload through exec exits 0 (pid_file in the emptyDir)" test $? -eq 0
[ -n "$out" ] && echo "# $out"

# As the kubelet does: TERM to the server's container, KILL after the
# grace period; the pod's infra container (its network namespace and, here,
# the published ports) goes after.  (podman pod stop would stop the infra
# container at the same time, and take the ports away at once.)
python3 "$here/drain.py" --url "$url" --after-503 1.0 \
	--timeout "$((grace + 15))" -- "${PODMAN[@]}" stop -t "$grace" "$ctr" \
	>"$kdir/drain.json"
expect_drain "$kdir/drain.json" "$grace" "$drain"
kube_503=$drain_503 kube_exit=$drain_exit
code=$(pm inspect --format '{{.State.ExitCode}}' "$ctr")
check "kube play: the container exited with status 0 (got $code)" test "$code" = 0
pm logs "$ctr" >"$kdir/container.log" 2>&1
check "kube play: the log shows the graceful stop" \
	grep -q "graceful stop: health answers 503 for 2000 ms" "$kdir/container.log"
pm kube down "$kdir/deployment.yaml" >/dev/null 2>&1

# --- the manifests as shipped ----------------------------------------------------

if python3 "$here/manifests.py" "$top_srcdir/deploy/kubernetes" "$version" \
	>"$kdir/manifests.out" 2>&1; then
	pass "deploy/kubernetes/*.yaml pass the structural checks ($(tail -n 1 "$kdir/manifests.out"))"
else
	fail "deploy/kubernetes/*.yaml pass the structural checks" "$(grep -v '^ok' "$kdir/manifests.out")"
fi

echo "# image $image: $size_mb MB, built in ${build_ms:-?} ms"
echo "# start to first answer: podman run ${run_first:-?} ms, kube play ${kube_first:-?} ms"
echo "#   (from the container's start: ${run_inner:-?} ms, ${kube_inner:-?} ms)"
echo "# TERM to 503: ${run_503:-?} s / ${kube_503:-?} s; TERM to exit: ${run_exit:-?} s / ${kube_exit:-?} s (drain_delay ${drain}s)"
echo "# check-container took $(($(ms_since "$t_all") / 1000)) s"
finish
