# shellcheck shell=bash
# scripts/lib/deps.sh -- make sure Debian packages are installed.
#
#   ph_need_packages PKG...
#
# Checks each package with dpkg-query.  When all are installed it does
# nothing.  When some are missing: as root, runs `apt-get update` (once per
# run) and installs them; otherwise prints the command to run and exits 1.

# shellcheck disable=SC2034 # used by the calling scripts
PH_BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config
libyaml-dev libhttp-parser-dev libcriterion-dev zlib1g-dev libbrotli-dev
libcrypt-dev"

# shellcheck disable=SC2034
# Every tool a test uses is here: under CI=true a test skipped for a missing
# tool fails the run (tests/allowed-skips).  man-db (man --warnings),
# logrotate (logrotate -d), media-types (/etc/mime.types), util-linux
# (setpriv).
PH_TEST_PACKAGES="curl python3 wrk haproxy procps iproute2 groff-base valgrind
systemd man-db logrotate media-types util-linux
apache2-utils whois"

# Only for the browser test (make check-browser, which CI runs): headless
# Chromium renders the HTML status page, with a font for the screenshot.
# shellcheck disable=SC2034
PH_BROWSER_PACKAGES="chromium fonts-dejavu-core"

# Only for the fuzzing step (./configure --enable-fuzzing, make fuzz-smoke):
# clang with libFuzzer and the sanitizer runtimes.
# shellcheck disable=SC2034
PH_FUZZ_PACKAGES="clang libclang-rt-14-dev"

# Only for make check-container (tests/container/check.sh): rootful podman
# with runc (crun refuses hybrid cgroup hosts), catatonit for the pods'
# pause image, mmdebstrap to make the debian:bookworm-slim base image
# without a registry, python3-yaml for the manifests.
# shellcheck disable=SC2034
PH_CONTAINER_PACKAGES="podman runc catatonit conmon containernetworking-plugins
iptables mmdebstrap python3-yaml curl"

ph_apt_updated=no

ph_missing_packages() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		case $status in
		*"install ok installed"*) ;;
		*) printf '%s\n' "$pkg" ;;
		esac
	done
}

ph_need_packages() {
	local missing
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "note: dpkg-query not found, not checking packages; needed:" \
			"$*" >&2
		return 0
	fi
	missing=$(ph_missing_packages "$@" | tr '\n' ' ')
	missing=${missing% }
	if [ -z "$missing" ]; then
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: $missing" >&2
		echo "install them with:" >&2
		echo "  sudo apt-get install --no-install-recommends $missing" >&2
		exit 1
	fi
	echo "installing: $missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	if [ "$ph_apt_updated" != yes ]; then
		apt-get update
		ph_apt_updated=yes
	fi
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y --no-install-recommends $missing
}
