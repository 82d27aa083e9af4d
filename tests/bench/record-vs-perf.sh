#!/usr/bin/env bash
# wp-record --call-graph fp vs `perf record -g` (both frame pointers), same
# workload (tests/workloads/burn), same frequency, side by side:
#
#  slowdown      fixed work (burn -n, one thread per CPU) timed bare and
#                under each recorder; best of BENCH_REPS runs each,
#                interleaved; ratio to bare
#  recorder CPU  CPU time (user + system) of the recorder process itself
#                while it records a running burn (-p, 5 s): its own
#                overhead, measurable even on a busy machine (the sampling
#                cost in the kernel lands on the workload, in the slowdown)
#  bytes/sample  (size of a 6 s recording - size of a 2 s one) /
#                (samples of the 6 s one - samples of the 2 s one): the
#                marginal cost, without fixed headers, metadata and symbols
#  first sample  from the recorder's exec to the first sample's timestamp,
#                both on CLOCK_MONOTONIC: a perl wrapper reads the clock and
#                execs the recorder; wp stores sample times on
#                CLOCK_MONOTONIC, perf does with -k CLOCK_MONOTONIC (perf
#                script -F time). Median of BENCH_REPS runs; wp's time from
#                its own META start_monotonic_ns is shown too.
#
# Targets: slowdown no worse than perf's; bytes/sample <= perf's / 10;
# first sample <= 50 ms. BENCH_STRICT=1: exit 1 when a target is missed.
# Knobs: BENCH_FREQ (999), BENCH_ROUNDS (40), BENCH_REPS (7), BENCH_THREADS
# (one per CPU, so the recorder's own work competes with the workload).
# Wall times are noisy on a shared machine: the best of several runs is
# kept, and the three configurations are interleaved.
set -u
: "${WP_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${WP_BUILD:=$WP_SRC/build}"
: "${WP_BIN:=$WP_BUILD/bin}"
F=${BENCH_FREQ:-999}
ROUNDS=${BENCH_ROUNDS:-40}
REPS=${BENCH_REPS:-7}
THREADS=${BENCH_THREADS:-$(nproc)}
WL=$WP_BUILD/tests/workloads

die() { echo "record-vs-perf: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (BPF and perf events)"
command -v perf >/dev/null || die "perf is not installed (apt-get install linux-perf)"
[ -x "$WP_BIN/wp-record" ] && [ -x "$WL/burn" ] || die "build first (make all)"

T=$(mktemp -d "${TMPDIR:-/tmp}/wp-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
${CC:-cc} -std=gnu11 -O2 -I"$WP_SRC" -o "$T/wpd-times" "$WP_SRC/tests/bench/wpd-times.c" \
	"$WP_BUILD/lib/libwpd.a" -lzstd -lxxhash || die "cannot build wpd-times"

# monotonic ns, then exec the rest
mono_exec() {
	perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e '
		open(my $f, ">", shift) or die; printf $f "%.0f\n", clock_gettime(CLOCK_MONOTONIC) * 1e9;
		close $f; exec @ARGV or die "exec: $!"' "$@"
}
elapsed_of() { sed -n 's/^elapsed //p' "$1"; }
min() { sort -g | head -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
calcn() { calc "$@"; echo; }
perf_samples() { perf script -i "$1" -F tid 2>/dev/null | grep -c .; }

echo "# workload: burn; $THREADS thread(s) x $ROUNDS rounds for slowdown, 1 thread otherwise; -F $F Hz; $REPS runs; $(nproc) CPUs"

# ---- slowdown ----------------------------------------------------------
: >"$T/bare"; : >"$T/wp"; : >"$T/perf"
for ((i = 0; i < REPS; i++)); do
	"$WL/burn" -n "$ROUNDS" -t "$THREADS" -u >"$T/o" && elapsed_of "$T/o" >>"$T/bare"
	"$WP_BIN/wp-record" -q -f -F "$F" --call-graph fp -o "$T/s.wpd" -- "$WL/burn" -n "$ROUNDS" -t "$THREADS" -u >"$T/o" &&
		elapsed_of "$T/o" >>"$T/wp"
	perf record -q -g -F "$F" -o "$T/s.data" -- "$WL/burn" -n "$ROUNDS" -t "$THREADS" -u >"$T/o" 2>/dev/null &&
		elapsed_of "$T/o" >>"$T/perf"
done
bare=$(min <"$T/bare"); wpt=$(min <"$T/wp"); perft=$(min <"$T/perf")
# run-to-run noise: how far the bare runs' median is from their best
noise=$(calc "($(median <"$T/bare") - $bare) / $bare" 4)
[ -n "$bare" ] && [ -n "$wpt" ] && [ -n "$perft" ] || die "a slowdown run failed"
wp_slow=$(calc "$wpt / $bare" 4); perf_slow=$(calc "$perft / $bare" 4)

# ---- recorder CPU ----------------------------------------------------------
"$WL/burn" -s 0 -t "$THREADS" >/dev/null &
burner=$!
sleep 0.2
/usr/bin/time -f "%U %S" -o "$T/wt" "$WP_BIN/wp-record" -q -f -F "$F" --call-graph fp -d 5 -p $burner -o "$T/c.wpd" ||
	die "wp-record -p failed"
/usr/bin/time -f "%U %S" -o "$T/pt" perf record -q -g -F "$F" -p $burner -o "$T/c.data" -- sleep 5 \
	>/dev/null 2>&1 || die "perf record -p failed"
kill $burner; wait $burner 2>/dev/null
wp_cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$T/wt"); perf_cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$T/pt")
wp_cn=$("$T/wpd-times" "$T/c.wpd" | awk '{ print $2 }'); perf_cn=$(perf_samples "$T/c.data")

# ---- bytes per sample --------------------------------------------------
for s in 2 6; do
	"$WP_BIN/wp-record" -q -f -F "$F" --call-graph fp -o "$T/b$s.wpd" -- "$WL/burn" -s $s >/dev/null || die "wp-record failed"
	perf record -q -g -F "$F" -o "$T/b$s.data" -- "$WL/burn" -s $s >/dev/null 2>&1 || die "perf record failed"
done
wsz2=$(stat -c %s "$T/b2.wpd"); wsz6=$(stat -c %s "$T/b6.wpd")
wn2=$("$T/wpd-times" "$T/b2.wpd" | awk '{ print $2 }'); wn6=$("$T/wpd-times" "$T/b6.wpd" | awk '{ print $2 }')
psz2=$(stat -c %s "$T/b2.data"); psz6=$(stat -c %s "$T/b6.data")
pn2=$(perf_samples "$T/b2.data"); pn6=$(perf_samples "$T/b6.data")
wp_bps=$(calc "($wsz6 - $wsz2) / ($wn6 - $wn2)" 2)
perf_bps=$(calc "($psz6 - $psz2) / ($pn6 - $pn2)" 2)

# ---- time to first sample ----------------------------------------------
: >"$T/wpf"; : >"$T/wpm"; : >"$T/perff"
for ((i = 0; i < REPS; i++)); do
	mono_exec "$T/t0" "$WP_BIN/wp-record" -q -f -F "$F" --call-graph fp -o "$T/f.wpd" -- "$WL/burn" -s 0.3 >/dev/null
	t0=$(cat "$T/t0")
	read -r _ n _ first _ _ _ start < <("$T/wpd-times" "$T/f.wpd")
	[ "$n" -gt 0 ] && calcn "($first - $t0) / 1e6" 2 >>"$T/wpf" && calcn "($first - $start) / 1e6" 2 >>"$T/wpm"
	mono_exec "$T/t0" perf record -q -g -k CLOCK_MONOTONIC -F "$F" -o "$T/f.data" -- "$WL/burn" -s 0.3 >/dev/null 2>&1
	t0=$(cat "$T/t0")
	first=$(perf script -i "$T/f.data" -F time 2>/dev/null | head -1 | tr -d ' :')
	[ -n "$first" ] && calcn "($first * 1e9 - $t0) / 1e6" 2 >>"$T/perff"
done
wp_first=$(median <"$T/wpf"); wp_first_meta=$(median <"$T/wpm"); perf_first=$(median <"$T/perff")

# ---- report --------------------------------------------------------------
printf '\n%-34s %14s %14s %10s\n' "" "wp-record" "perf record -g" "wp/perf"
printf '%-34s %14s %14s %10s\n' "workload time, s (bare $(calc "$bare" 3))" "$(calc "$wpt" 3)" "$(calc "$perft" 3)" ""
printf '%-34s %14s\n' "  run-to-run noise (bare median/best)" "$(calc "$noise * 100" 1)%"
printf '%-34s %14s %14s %10s\n' "slowdown (time / bare)" "$wp_slow" "$perf_slow" "$(calc "($wp_slow - 1) / ($perf_slow - 1 + 1e-9)" 2)x overhead"
printf '%-34s %14s %14s %10s\n' "recorder CPU for 5 s, s" "$wp_cpu" "$perf_cpu" "$(calc "$wp_cpu / ($perf_cpu + 1e-9)" 2)"
printf '%-34s %14s %14s\n' "  (samples recorded)" "$wp_cn" "$perf_cn"
printf '%-34s %14s %14s %10s\n' "marginal bytes per sample" "$wp_bps" "$perf_bps" "$(calc "$wp_bps / $perf_bps" 4)"
printf '%-34s %14s %14s\n' "  (2 s / 6 s: bytes)" "$wsz2/$wsz6" "$psz2/$psz6"
printf '%-34s %14s %14s\n' "  (2 s / 6 s: samples)" "$wn2/$wn6" "$pn2/$pn6"
printf '%-34s %14s %14s %10s\n' "first sample after exec, ms" "$wp_first" "$perf_first" "$(calc "$wp_first / $perf_first" 3)"
printf '%-34s %14s\n' "  wp: after META start, ms" "$wp_first_meta"

missed=0
check() { # COND NAME
	if awk "BEGIN { exit !($1) }"; then echo "target met:    $2"; else echo "target MISSED: $2"; missed=1; fi
}
echo
check "$wp_slow <= $perf_slow + ($noise > 0.005 ? $noise : 0.005)" \
	"slowdown no worse than perf's ($wp_slow vs $perf_slow, within the run-to-run noise $(calc "$noise * 100" 1)%)"
check "$wp_bps * 10 <= $perf_bps" "bytes/sample <= 1/10 of perf's ($wp_bps vs $perf_bps)"
check "$wp_first <= 50" "first sample <= 50 ms ($wp_first ms)"
check "$wp_cpu <= $perf_cpu + 0.01" "recorder CPU no more than perf's ($wp_cpu s vs $perf_cpu s)"
[ "${BENCH_STRICT:-0}" = 1 ] && [ $missed = 1 ] && exit 1
exit 0
