# shellcheck shell=bash
# A small TAP producer for shell tests. Source it, call the checks, end
# with done_testing. Environment from the GNUmakefile: WP_BIN (tools),
# WP_BUILD (build dir), WP_SRC (source tree).
#
#   . "$WP_SRC/tests/lib/tap.sh"
#   ok "wp-report exits 0" wp-report -i x.wpd
#   is "$n" 3 "three lines"
#   within "$pct" 66.7 5 "hot share is 2/3 within 5 points"
#   done_testing

: "${WP_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${WP_BUILD:=$WP_SRC/build}"
: "${WP_BIN:=$WP_BUILD/bin}"
export PATH="$WP_BIN:$PATH"
WL="$WP_BUILD/tests/workloads"

_tap_n=0
_tap_failed=0
_tap_planned_skip=""

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/wp-test.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT

diag() { printf '# %s\n' "$*"; }

_tap_result() { # cond name
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		printf 'ok %d - %s\n' "$_tap_n" "$2"
	else
		printf 'not ok %d - %s\n' "$_tap_n" "$2"
		_tap_failed=$((_tap_failed + 1))
	fi
	return "$1"
}

# ok NAME CMD...: the command exits 0 (its output goes to $TMPD/out, err).
ok() {
	local name=$1; shift
	"$@" >"$TMPD/out" 2>"$TMPD/err"
	local rc=$?
	_tap_result $((rc != 0)) "$name" && return 0
	diag "  command: $*"; diag "  exit status: $rc"
	sed 's/^/#   stderr: /' "$TMPD/err" | head -20
	return 1
}

# fails NAME CMD...: the command exits non-zero (output in $TMPD/out, err).
fails() {
	local name=$1; shift
	"$@" >"$TMPD/out" 2>"$TMPD/err"
	local rc=$?
	_tap_result $((rc == 0)) "$name" && return 0
	diag "  command unexpectedly succeeded: $*"
	return 1
}

# is GOT WANT NAME
is() {
	[ "$1" = "$2" ]
	_tap_result $? "$3" && return 0
	diag "  got:  '$1'"; diag "  want: '$2'"
	return 1
}

# like TEXT REGEX NAME (grep -E)
like() {
	printf '%s' "$1" | grep -Eq -- "$2"
	_tap_result $? "$3" && return 0
	diag "  '$(printf '%s' "$1" | head -c 300)'"; diag "  does not match /$2/"
	return 1
}

# unlike TEXT REGEX NAME
unlike() {
	! printf '%s' "$1" | grep -Eq -- "$2"
	_tap_result $? "$3" && return 0
	diag "  text matches /$2/ and must not"
	return 1
}

# within GOT WANT TOL NAME: |GOT - WANT| <= TOL (decimals allowed)
within() {
	awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= t) }'
	_tap_result $? "$4" && return 0
	diag "  got $1, want $2 +/- $3"
	return 1
}

# cmp_ok GOT OP WANT NAME (numeric: -lt -le -gt -ge -eq -ne, decimals via awk)
cmp_ok() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (a == "") exit 1
		if (op == "<") exit !(a < b); if (op == "<=") exit !(a <= b)
		if (op == ">") exit !(a > b); if (op == ">=") exit !(a >= b)
		if (op == "==") exit !(a == b); if (op == "!=") exit !(a != b)
		exit 1 }'
	_tap_result $? "$4" && return 0
	diag "  got '$1', want $2 $3"
	return 1
}

# skip_all REASON: for a machine without the capability. In CI (CI set)
# a skip is a failure: recording tests must run for real there.
skip_all() {
	if [ -n "${CI:-}" ]; then
		echo "1..1"; echo "not ok 1 - cannot skip in CI: $*"; exit 1
	fi
	echo "1..0 # SKIP $*"; exit 0
}

# need_root: recording tests need CAP_BPF+CAP_PERFMON; this suite uses root.
need_root() {
	[ "$(id -u)" = 0 ] || skip_all "recording needs root (CAP_BPF and CAP_PERFMON)"
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" = 0 ]
	exit $?
}
