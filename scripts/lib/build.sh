# shellcheck shell=bash
# scripts/lib/build.sh -- configure and build in a VPATH build directory.
#
# Expects the current directory to be the top of the source tree.
# Environment:
#   BUILD_DIR         build directory (default: build), relative to the top
#                     of the tree or absolute
#   CONFIGURE_FLAGS   extra arguments for ./configure (word-split)
#   MAKE_JOBS         parallel jobs (default: 2)

ph_build() {
	local top build flags stamp
	top=$(pwd)
	BUILD_DIR=${BUILD_DIR:-build}
	case $BUILD_DIR in
	/*) build=$BUILD_DIR ;;
	*) build=$top/$BUILD_DIR ;;
	esac
	# shellcheck disable=SC2034 # used by the calling script
	PH_BUILD=$build
	flags=${CONFIGURE_FLAGS:-}

	if [ ! -x configure ] || [ configure.ac -nt configure ] ||
		[ Makefile.am -nt configure ]; then
		echo "+ autoreconf -fi" >&2
		autoreconf -fi
	fi

	mkdir -p "$build"
	# Re-run configure when there is no Makefile yet, when configure is
	# newer than it, or when CONFIGURE_FLAGS changed since the last run.
	stamp=$build/.configure-flags
	if [ ! -f "$build/Makefile" ] || [ configure -nt "$build/Makefile" ] ||
		[ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$flags" ]; then
		echo "+ (cd $build && $top/configure $flags)" >&2
		# shellcheck disable=SC2086 # CONFIGURE_FLAGS is a list of words
		(cd "$build" && "$top/configure" $flags)
		printf '%s' "$flags" >"$stamp"
	fi

	echo "+ make -C $build -j${MAKE_JOBS:-2}" >&2
	make -C "$build" -j"${MAKE_JOBS:-2}"
}
