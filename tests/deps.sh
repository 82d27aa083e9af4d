#!/bin/sh
# Install every Debian package wp needs to build and test. Idempotent and
# quiet when everything is present (make deps, called by check and demo).
set -eu

# build: compiler, BPF toolchain, libraries
PKGS="gcc make pkg-config clang llvm bpftool libbpf-dev libelf-dev libdw-dev
zlib1g-dev libzstd-dev libxxhash-dev libcapstone-dev"
# tests and benchmarks: TAP harness, perf to compare against, JSON parsing
PKGS="$PKGS perl linux-perf"
# tests/names: a C++ compiler (demangling), binutils' addr2line (benchmark)
PKGS="$PKGS g++ binutils"
# the converters' real clients: headless Chromium (speedscope, SVG), go tool
# pprof, xmllint; node + npm for tests/js (speedscope, playwright-core:
# npm is Debian's package unless the installed nodejs brings its own);
# GNU time for peak memory in benchmarks
PKGS="$PKGS chromium golang-go libxml2-utils nodejs time"

# tests/js/node_modules from the lock file (npm registry), again when the
# lock file changed (a copy of it marks what node_modules holds)
js_deps() {
	dir=$(cd "$(dirname "$0")" && pwd)/js
	cmp -s "$dir/package-lock.json" "$dir/node_modules/.wp-lock" && return 0
	command -v npm >/dev/null || return 0
	echo "deps: npm ci in tests/js" >&2
	npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null &&
		cp "$dir/package-lock.json" "$dir/node_modules/.wp-lock"
}

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
command -v npm >/dev/null || missing="$missing npm"
if [ -z "$missing" ]; then
	js_deps
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
js_deps
