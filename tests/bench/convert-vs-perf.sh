#!/usr/bin/env bash
# Converting a recording vs perf's own tools, on equivalent recordings of
# the same workload (tests/workloads/burn, one thread per CPU, -F Hz for
# BENCH_SECONDS): `perf record -g` and wp-record, then
#
#   perf script        > /dev/null   (the text every perf-based converter parses)
#   perf report --stdio > /dev/null
#   wp-convert -f folded, -f svg, -f pprof, -f speedscope
#   wp-convert -f svg --no-inline (no DWARF: the start-up is symbol tables only)
#
# best CPU time (perf stat's task-clock: a shared machine's load does not
# inflate it the way it does wall time) of BENCH_REPS runs, events/s (samples in the
# file over that time), the wall time of that run and peak RSS (GNU time's
# %M). Then the same wp-convert formats on a
# synthetic recording of BENCH_SAMPLES samples (default 5,000,000; 64
# threads, 4096 stacks of a real binary: tests/unit/report_fixture.c), where
# start-up costs vanish and streaming shows: memory must stay flat.
#
# Targets: wp-convert -f svg >= 10x perf script's events/s and >= 1,000,000
# samples/s on the synthetic file. BENCH_STRICT=1: exit 1 when one is missed.
set -u
: "${WP_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${WP_BUILD:=$WP_SRC/build}"
: "${WP_BIN:=$WP_BUILD/bin}"
F=${BENCH_FREQ:-1999}
SECS=${BENCH_SECONDS:-30}
REPS=${BENCH_REPS:-3}
N=${BENCH_SAMPLES:-5000000}
THREADS=${BENCH_THREADS:-$(nproc)}
WL=$WP_BUILD/tests/workloads
TIME=/usr/bin/time

die() { echo "convert-vs-perf: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (BPF and perf events)"
command -v perf >/dev/null || die "perf is not installed (apt-get install linux-perf)"
[ -x "$TIME" ] || die "GNU time is not installed (apt-get install time)"
[ -x "$WP_BIN/wp-record" ] && [ -x "$WP_BIN/wp-convert" ] && [ -x "$WL/burn" ] ||
	die "build first (make all tests)"

T=$(mktemp -d "${TMPDIR:-/tmp}/wp-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

# best of REPS: "cpu_seconds peak_kb wall_seconds" of CMD... (stdout to /dev/null)
best() {
	local i b="" w="" kb=0 e m c
	for ((i = 0; i < REPS; i++)); do
		# CPU time from perf stat (task-clock, in ms), peak RSS from GNU time
		perf stat -x, -e task-clock -o "$T/ps" -- "$TIME" -f "%e %M" -o "$T/t" "$@" \
			>/dev/null 2>"$T/err" || die "failed: $* ($(tail -1 "$T/err"))"
		read -r e m < <(tail -1 "$T/t")
		c=$(awk -F, '$3 ~ /task-clock/ { printf "%.4f", $1 / 1000 }' "$T/ps")
		if [ -z "$b" ] || awk -v a="$c" -v b="$b" 'BEGIN { exit !(a < b) }'; then
			b=$c
			w=$e
		fi
		[ "$m" -gt "$kb" ] && kb=$m
	done
	echo "$b $kb $w"
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'; }
row() { # NAME EVENTS "CPU_SECONDS KB WALL"
	local s kb w
	read -r s kb w <<<"$3"
	printf '%-30s %10d %9.4f %12s %7.2f %10d\n' "$1" "$2" "$s" "$(rate "$2" "$s")" "$w" "$kb"
}
secs() { echo "${1%% *}"; } # the CPU seconds of best's output

echo "# workload: burn -t $THREADS -s $SECS, -F $F Hz; best of $REPS; $(nproc) CPUs"
perf record -q -g -F "$F" -o "$T/perf.data" -- "$WL/burn" -t "$THREADS" -s "$SECS" >/dev/null 2>&1 ||
	die "perf record failed"
"$WP_BIN/wp-record" -q -F "$F" --call-graph fp -o "$T/wp.wpd" -- "$WL/burn" -t "$THREADS" -s "$SECS" >/dev/null ||
	die "wp-record failed"
np=$(perf script -i "$T/perf.data" -F tid 2>/dev/null | grep -c .)
nw=$("$WP_BIN/wp-report" --json -n 1 "$T/wp.wpd" 2>/dev/null |
	perl -MJSON::PP -0777 -ne 'print decode_json($_)->{samples}')
echo "# samples: perf.data $np, wp.wpd $nw; files: perf.data $(wc -c <"$T/perf.data") bytes, wp.wpd $(wc -c <"$T/wp.wpd") bytes"
printf '%-30s %10s %9s %12s %7s %10s\n' tool events cpu_s events/s wall_s peak_kb
ps=$(best perf script -i "$T/perf.data")
pr=$(best perf report --stdio -i "$T/perf.data")
row "perf script" "$np" "$ps"
row "perf report --stdio" "$np" "$pr"
declare -A wp
for f in folded svg pprof speedscope; do
	wp[$f]=$(best "$WP_BIN/wp-convert" -f "$f" -o "$T/out.$f" "$T/wp.wpd")
	row "wp-convert -f $f" "$nw" "${wp[$f]}"
done
wp[svgni]=$(best "$WP_BIN/wp-convert" -f svg --no-inline -o "$T/out.svgni" "$T/wp.wpd")
row "wp-convert -f svg --no-inline" "$nw" "${wp[svgni]}"
ps_rate=$(rate "$np" "$(secs "$ps")")
pr_rate=$(rate "$np" "$(secs "$pr")")
svg_rate=$(rate "$nw" "$(secs "${wp[svg]}")")
rc=0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
echo "# wp-convert -f svg vs perf script: $(ratio "$svg_rate" "$ps_rate")x events/s; vs perf report --stdio: $(ratio "$svg_rate" "$pr_rate")x"
echo "# wp-convert -f folded vs perf script: $(ratio "$(rate "$nw" "$(secs "${wp[folded]}")")" "$ps_rate")x; -f svg --no-inline vs perf script: $(ratio "$(rate "$nw" "$(secs "${wp[svgni]}")")" "$ps_rate")x"
if awk -v a="$svg_rate" -v b="$ps_rate" 'BEGIN { exit !(a < 10 * b) }'; then
	echo "convert-vs-perf: wp-convert -f svg is less than 10x perf script" >&2
	rc=1
fi

# ---- the synthetic recording: throughput and flat memory ------------------------
gen=$WP_BUILD/tests/unit/report_fixture.t
if [ -x "$gen" ] && WP_FIXTURE_DIR="$T/big" WP_FIXTURE_BIG="$N" "$gen" >/dev/null 2>&1; then
	echo "# synthetic: $N samples, 64 threads, 4096 stacks ($(wc -c <"$T/big/big.wpd") bytes)"
	printf '%-30s %10s %9s %12s %7s %10s\n' tool samples cpu_s samples/s wall_s peak_kb
	for f in folded svg pprof; do
		r=$(best "$WP_BIN/wp-convert" -f "$f" -o "$T/big.$f" "$T/big/big.wpd")
		row "wp-convert -f $f" "$N" "$r"
		[ "$f" = svg ] && big_svg=$r
	done
	if [ "$(rate "$N" "$(secs "$big_svg")")" -lt 1000000 ]; then
		echo "convert-vs-perf: -f svg below 1,000,000 samples/s" >&2
		rc=1
	fi
	# memory must not grow with the samples: a tenth of them, same peak;
	# the difference in time is the per-sample cost without start-up
	if WP_FIXTURE_DIR="$T/small" WP_FIXTURE_BIG=$((N / 10)) "$gen" >/dev/null 2>&1; then
		r=$(best "$WP_BIN/wp-convert" -f svg -o "$T/small.svg" "$T/small/big.wpd")
		row "wp-convert -f svg (N/10)" $((N / 10)) "$r"
		echo "# -f svg marginal: $(rate $((N - N / 10)) "$(awk -v a="$(secs "$big_svg")" -v b="$(secs "$r")" 'BEGIN { print a - b }')") samples/s; peak memory $(echo "$r" | cut -d" " -f2) KB at N/10, $(echo "$big_svg" | cut -d" " -f2) KB at N"
	fi
else
	echo "convert-vs-perf: cannot write the synthetic recording (make tests)" >&2
fi
[ "${BENCH_STRICT:-0}" = 1 ] && exit $rc
exit 0
