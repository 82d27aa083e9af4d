#!/usr/bin/env bash
# Offline tools' throughput: wp-convert -f folded and wp-report on a
# synthetic recording of BENCH_SAMPLES samples (default 5,000,000) over 64
# threads and 4096 distinct stacks of a real binary (the report fixture
# program, so symbols are resolved for real). Best of BENCH_REPS runs.
#
# Target: >= 1,000,000 samples/s for each tool. BENCH_STRICT=1: exit 1
# when it is missed.
set -u
: "${WP_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${WP_BUILD:=$WP_SRC/build}"
: "${WP_BIN:=$WP_BUILD/bin}"
N=${BENCH_SAMPLES:-5000000}
REPS=${BENCH_REPS:-3}
TARGET=1000000

die() { echo "offline-throughput: $*" >&2; exit 1; }
gen=$WP_BUILD/tests/unit/report_fixture.t
[ -x "$gen" ] && [ -x "$WP_BIN/wp-convert" ] && [ -x "$WP_BIN/wp-report" ] ||
	die "build first (make offline tests)"

T=$(mktemp -d "${TMPDIR:-/tmp}/wp-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
WP_FIXTURE_DIR=$T WP_FIXTURE_BIG=$N "$gen" >/dev/null 2>&1 || die "cannot write the recording"

now() { date +%s%N; }
best() { # CMD...: best wall time in ns over REPS runs
	local b=0 i s e
	for ((i = 0; i < REPS; i++)); do
		s=$(now)
		"$@" >/dev/null 2>&1 || die "failed: $*"
		e=$(now)
		if [ "$b" = 0 ] || [ $((e - s)) -lt "$b" ]; then b=$((e - s)); fi
	done
	echo "$b"
}

rc=0
printf '%-22s %12s %10s %14s\n' tool samples seconds samples/s
for t in "wp-convert -f folded" "wp-report"; do
	ns=$(best $WP_BIN/$t "$T/big.wpd")
	rate=$(awk -v n="$N" -v t="$ns" 'BEGIN { printf "%.0f", n / (t / 1e9) }')
	printf '%-22s %12d %10.3f %14d\n' "$t" "$N" "$(awk -v t="$ns" 'BEGIN { print t / 1e9 }')" "$rate"
	if [ "$rate" -lt "$TARGET" ]; then
		echo "offline-throughput: $t: $rate samples/s is below the target $TARGET" >&2
		rc=1
	fi
done
printf 'file: %d bytes, %.2f bytes/sample\n' "$(wc -c <"$T/big.wpd")" \
	"$(awk -v s="$(wc -c <"$T/big.wpd")" -v n="$N" 'BEGIN { print s / n }')"
[ "${BENCH_STRICT:-0}" = 1 ] && exit $rc
exit 0
