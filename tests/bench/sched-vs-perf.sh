#!/usr/bin/env bash
# The cost of recording scheduler events, on a workload that does little
# else than switch: `perf bench sched pipe` (two tasks ping-ponging through
# pipes, pinned to one CPU: two context switches per operation), run
#
#   bare          no recorder
#   wp            wp-record -a (the default: off-CPU intervals with their
#                 user stacks at every switch-out; kernel stacks for the
#                 intervals of at least --min-block, taken at switch-in, and
#                 for sampled shorter ones)
#   wp-all        wp-record -a --off-cpu-kernel-stacks all (kernel stacks
#                 at every switch-out)
#   wp-on-cpu     wp-record -a --no-off-cpu (samples only: the reference)
#   perf          perf record -e sched:sched_switch -g -a
#
# wp records with --call-graph fp, as perf -g does (frame pointers).
#
# Reported: usecs/op (best of BENCH_REPS runs each, interleaved: the
# machine may be shared), the cost each recorder adds per operation and
# per context switch, wp's over perf's, the events each one lost (wp: the
# lost.* counters; perf: LOST records), and the run time of wp's programs
# per invocation (kernel.bpf_stats_enabled; steadier than wall time on a
# busy machine). Then the CPU-bound workload (burn -n, one thread per CPU)
# with off-CPU recording on and off: its slowdown.
#
# Target: wp (the default) adds at most half of what perf adds per switch,
# and at most 2.5 us per switch, and loses nothing silently.
# BENCH_STRICT=1: exit 1 when a target is missed.
# Knobs: BENCH_LOOPS (200000), BENCH_REPS (5), BENCH_ROUNDS (40).
set -u
: "${WP_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${WP_BUILD:=$WP_SRC/build}"
: "${WP_BIN:=$WP_BUILD/bin}"
LOOPS=${BENCH_LOOPS:-200000}
REPS=${BENCH_REPS:-5}
ROUNDS=${BENCH_ROUNDS:-40}
WL=$WP_BUILD/tests/workloads
WPR=$WP_BIN/wp-record
WPREP=$WP_BIN/wp-report

die() { echo "sched-vs-perf: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (BPF and perf events)"
command -v perf >/dev/null || die "perf is not installed (apt-get install linux-perf)"
perf bench sched pipe -l 10 >/dev/null 2>&1 || die "perf bench sched pipe does not run"
if [ ! -x "$WPR" ] || [ ! -x "$WL/burn" ]; then die "build first (make all)"; fi

T=$(mktemp -d "${TMPDIR:-/tmp}/wp-bench.XXXXXX")
stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
trap 'echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null; rm -rf "$T"' EXIT

calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
min() { sort -g | head -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
uop() { awk '/usecs\/op/ { print $1 }' "$1"; }
BENCH=(taskset -c 0 perf bench sched pipe -l "$LOOPS")
wp_lost() { # FILE: "SUM (name=n,...)" of the lost.* counters not zero
	"$WPREP" --json -n 0 "$1" 2>/dev/null |
	perl -MJSON::PP -0777 -ne 'my $j = decode_json($_); my ($n, @k) = (0);
		for (sort keys %{$j->{lost}}) { my $v = $j->{lost}{$_}; $n += $v; push @k, "$_=$v" if $v }
		print "$n", (@k ? " (" . join(",", @k) . ")" : ""), "\n"'
}
perf_lost() { # FILE: LOST records and lost samples perf counted
	perf report -i "$1" --stats 2>/dev/null |
	awk '/LOST(_SAMPLES)? events:/ { n += $3 } END { print n + 0 }'
}

echo "# perf bench sched pipe -l $LOOPS on CPU 0 ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)); best of $REPS runs"
for c in bare wp wp-all wp-on-cpu perf; do : >"$T/$c"; : >"$T/$c.lost"; done
for ((i = 0; i < REPS; i++)); do
	"${BENCH[@]}" >"$T/o" 2>&1 && uop "$T/o" >>"$T/bare"
	"$WPR" -q -a -f --call-graph fp -o "$T/w.wpd" -- "${BENCH[@]}" >"$T/o" 2>&1 &&
		uop "$T/o" >>"$T/wp" && wp_lost "$T/w.wpd" >>"$T/wp.lost"
	"$WPR" -q -a -f --call-graph fp --off-cpu-kernel-stacks all -o "$T/l.wpd" -- "${BENCH[@]}" >"$T/o" 2>&1 &&
		uop "$T/o" >>"$T/wp-all" && wp_lost "$T/l.wpd" >>"$T/wp-all.lost"
	"$WPR" -q -a -f --call-graph fp --no-off-cpu -o "$T/n.wpd" -- "${BENCH[@]}" >"$T/o" 2>&1 &&
		uop "$T/o" >>"$T/wp-on-cpu" && wp_lost "$T/n.wpd" >>"$T/wp-on-cpu.lost"
	perf record -q -e sched:sched_switch -g -a -o "$T/p.data" -- "${BENCH[@]}" >"$T/o" 2>&1 &&
		uop "$T/o" >>"$T/perf" && perf_lost "$T/p.data" >>"$T/perf.lost"
done
for c in bare wp wp-all wp-on-cpu perf; do
	[ -s "$T/$c" ] || die "the $c runs failed"
	eval "best_${c//-/_}=$(min <"$T/$c")"
done
# shellcheck disable=SC2154 # best_* are set by the eval above
{
bare=$best_bare
noise=$(calc "($(median <"$T/bare") - $bare) / $bare * 100" 1)
perf_add=$(calc "$best_perf - $bare")
printf '\n%-12s %10s %12s %14s %10s %12s\n' "" "usecs/op" "added/op" "added/switch" "vs perf" \
	"lost events"
printf '%-12s %10s %12s %14s %10s %12s\n' bare "$(calc "$bare")" "" "" "" ""
for c in wp wp-all wp-on-cpu perf; do
	v=$(eval echo "\$best_${c//-/_}")
	printf '%-12s %10s %12s %14s %10s %12s\n' "$c" "$(calc "$v")" "$(calc "$v - $bare")" \
		"$(calc "($v - $bare) / 2")" "$(calc "($v - $bare) / $perf_add" 2)" \
		"$(sort -g "$T/$c.lost" | tail -1 | cut -d' ' -f1)"
done
echo "(added per switch: two context switches per operation; lost: the most of any run"
echo " (wp: lost.* of the file, perf: LOST records);"
echo " run-to-run noise of the bare runs, median over best: $noise%)"
wp_add=$(calc "$best_wp - $bare"); all_add=$(calc "$best_wp_all - $bare")
echo "usecs/op of every run:"
for c in bare wp wp-all wp-on-cpu perf; do echo "  $c: $(tr '\n' ' ' <"$T/$c")"; done
}

# ---- per-invocation cost of wp's programs, from the kernel's own clock ------
echo 1 >/proc/sys/kernel/bpf_stats_enabled || echo "# (cannot enable kernel.bpf_stats_enabled)"
echo
echo "# run time of wp's scheduler programs (kernel.bpf_stats_enabled)"
progs() { # LABEL wp-record options...: the programs' ns per run
	local label=$1 sw wk
	shift
	"$WPR" -v -a -f "$@" -o "$T/s.wpd" -- "${BENCH[@]}" >"$T/o" 2>&1
	sed -n 's/^wp-record: \(wp_switch\|wp_waking\): \([0-9]*\) runs, \([0-9]*\) ns per run.*/\1 \3/p' "$T/o" \
		>"$T/prog"
	sw=$(awk '$1 == "wp_switch" { print $2 }' "$T/prog")
	wk=$(awk '$1 == "wp_waking" { print $2 }' "$T/prog")
	printf '%-44s %8s ns  (sched_switch %s ns, sched_waking %s ns)\n' \
		"$label" "$(calc "${sw:-0} + ${wk:-0}" 0)" "${sw:-?}" "${wk:-?}"
}
progs "default, per switch"
progs "--off-cpu-kernel-stacks all, per switch" --off-cpu-kernel-stacks all
progs "--off-cpu-kernel-sample 0, per switch" --off-cpu-kernel-sample 0
# Where the kernel walk costs the most: every interval walked, at switch-out
# (all) or from the sleeping thread at switch-in (the default's long
# intervals'): --min-block 0 makes every interval long (and takes every
# waker's stacks too: compare sched_switch).
progs "every interval walked at switch-out" --off-cpu-kernel-stacks all --min-block 0
progs "every interval walked at switch-in" --min-block 0
echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null

# ---- a CPU-bound workload: off-CPU recording on vs off --------------------
THREADS=$(nproc)
: >"$T/cb.bare"; : >"$T/cb.on"; : >"$T/cb.off"
for ((i = 0; i < REPS; i++)); do
	"$WL/burn" -n "$ROUNDS" -t "$THREADS" -u >"$T/o" && sed -n 's/^elapsed //p' "$T/o" >>"$T/cb.bare"
	"$WPR" -q -f -o "$T/c.wpd" -- "$WL/burn" -n "$ROUNDS" -t "$THREADS" -u >"$T/o" &&
		sed -n 's/^elapsed //p' "$T/o" >>"$T/cb.on"
	"$WPR" -q -f --no-off-cpu -o "$T/c.wpd" -- "$WL/burn" -n "$ROUNDS" -t "$THREADS" -u >"$T/o" &&
		sed -n 's/^elapsed //p' "$T/o" >>"$T/cb.off"
done
cbb=$(min <"$T/cb.bare"); cbon=$(min <"$T/cb.on"); cboff=$(min <"$T/cb.off")
echo
echo "# CPU-bound: burn -n $ROUNDS -t $THREADS, best of $REPS"
printf '%-44s %8s s  (slowdown %s)\n' "bare" "$(calc "$cbb")" "1.000"
printf '%-44s %8s s  (slowdown %s)\n' "wp-record, off-CPU on (default)" "$(calc "$cbon")" "$(calc "$cbon / $cbb")"
printf '%-44s %8s s  (slowdown %s)\n' "wp-record --no-off-cpu" "$(calc "$cboff")" "$(calc "$cboff / $cbb")"

missed=0
check() { # COND NAME
	if awk "BEGIN { exit !($1) }"; then echo "target met:    $2"; else echo "target MISSED: $2"; missed=1; fi
}
echo
check "$wp_add * 2 <= $perf_add" "wp (default) adds at most half of perf's cost ($wp_add vs $perf_add usecs/op)"
check "$wp_add / 2 <= 2.5" "wp (default) adds at most 2.5 usecs per switch ($(calc "$wp_add / 2") usecs)"
echo "(wp --off-cpu-kernel-stacks all adds $all_add usecs/op, $(calc "$all_add / $perf_add" 2) x perf's)"
for c in wp wp-all wp-on-cpu; do
	# every loss is counted in the file (lost.*): which ones
	echo "wp losses ($c), worst run: $(sort -g "$T/$c.lost" | tail -1)"
done
echo "perf losses, worst run: $(sort -g "$T/perf.lost" | tail -1)"
[ "${BENCH_STRICT:-0}" = 1 ] && [ $missed = 1 ] && exit 1
exit 0
