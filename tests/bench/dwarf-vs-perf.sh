#!/usr/bin/env bash
# wp-record --call-graph dwarf vs `perf record --call-graph dwarf`, same
# workload, same frequency, side by side. The workload is
# tests/workloads/deep.c built with -O2 -fomit-frame-pointer (the case
# dwarf unwinding is for: frame pointers lose its call chain).
#
#  slowdown      fixed work (deep -n, one thread per CPU) timed bare and
#                under each recorder (wp fp, wp dwarf, perf dwarf); best of
#                BENCH_REPS runs each, interleaved; ratio to bare
#  BPF cost      the sampling program's own run time per run and per
#                sample recorded (kernel.bpf_stats_enabled, read from the
#                program's fdinfo), fp vs dwarf
#  bytes/sample  (size of a 6 s recording - size of a 2 s one) /
#                (samples of the 6 s one - samples of the 2 s one); file
#                sizes of the 6 s recordings
#  unwinding     wp-record unwinds dwarf dumps as it records (the file
#                then holds ordinary stacks): its unwinding time per stack
#                and in all (the file's STATS unwind.*), stacks complete;
#                the same with --keep-dumps (USTACK_DUMP records, unwound by
#                wp-report: its time per stack); whole report time; perf
#                report on perf's for comparison
#  recorder CPU  CPU time (user + system) of the recording process alone
#                while it records a running deep (-p PID) for 6 s: wp fp,
#                wp dwarf (unwinding included), wp dwarf --keep-dumps,
#                perf record --call-graph dwarf; best of BENCH_CPU_REPS (2)
#
# Target: smaller files than perf's dwarf mode. BENCH_STRICT=1: exit 1
# when missed. Knobs: BENCH_FREQ (999), BENCH_ROUNDS (1500), BENCH_REPS
# (5), BENCH_THREADS (one per CPU), BENCH_SIZE (dwarf stack bytes for
# both tools, 8192: perf's default and wp's).
set -u
: "${WP_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${WP_BUILD:=$WP_SRC/build}"
: "${WP_BIN:=$WP_BUILD/bin}"
F=${BENCH_FREQ:-999}
ROUNDS=${BENCH_ROUNDS:-1500}
REPS=${BENCH_REPS:-5}
THREADS=${BENCH_THREADS:-$(nproc)}
SIZE=${BENCH_SIZE:-8192}

die() { echo "dwarf-vs-perf: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (BPF and perf events)"
command -v perf >/dev/null || die "perf is not installed (apt-get install linux-perf)"
[ -x "$WP_BIN/wp-record" ] && [ -x "$WP_BIN/wp-report" ] || die "build first (make all)"

T=$(mktemp -d "${TMPDIR:-/tmp}/wp-bench.XXXXXX")
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
trap 'sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS" 2>/dev/null; rm -rf "$T"' EXIT
${CC:-cc} -O2 -g -fomit-frame-pointer -o "$T/deep" "$WP_SRC/tests/workloads/deep.c" -lpthread ||
	die "cannot build the workload"
${CC:-cc} -std=gnu11 -O2 -I"$WP_SRC" -o "$T/wpd-times" "$WP_SRC/tests/bench/wpd-times.c" \
	"$WP_BUILD/lib/libwpd.a" -lzstd -lxxhash || die "cannot build wpd-times"

elapsed_of() { sed -n 's/^elapsed //p' "$1"; }
min() { sort -g | head -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
perf_samples() { perf script -i "$1" -F tid 2>/dev/null | grep -c .; }
wp_samples() { "$T/wpd-times" "$1" | awk '{ print $2 }'; }
# perf records no scheduler events here: neither does wp, when it can
NOOFF=
"$WP_BIN/wp-record" --help 2>/dev/null | grep -q -- --no-off-cpu && NOOFF=--no-off-cpu
WPR() { "$WP_BIN/wp-record" -q -f -F "$F" $NOOFF "$@"; }
PERF() { perf record -q -F "$F" --call-graph "dwarf,$SIZE" "$@"; }

echo "# workload: deep (-O2 -fomit-frame-pointer); $THREADS thread(s) x $ROUNDS rounds for slowdown, 1 thread otherwise; -F $F Hz; dwarf stack size $SIZE bytes; $REPS runs; $(nproc) CPUs"

# ---- slowdown ----------------------------------------------------------------
: >"$T/bare"; : >"$T/wpfp"; : >"$T/wpdw"; : >"$T/perf"
for ((i = 0; i < REPS; i++)); do
	"$T/deep" -n "$ROUNDS" -t "$THREADS" >"$T/o" && elapsed_of "$T/o" >>"$T/bare"
	WPR --call-graph fp -o "$T/s.wpd" -- "$T/deep" -n "$ROUNDS" -t "$THREADS" >"$T/o" && elapsed_of "$T/o" >>"$T/wpfp"
	WPR --call-graph "dwarf,$SIZE" -o "$T/s.wpd" -- "$T/deep" -n "$ROUNDS" -t "$THREADS" >"$T/o" &&
		elapsed_of "$T/o" >>"$T/wpdw"
	PERF -o "$T/s.data" -- "$T/deep" -n "$ROUNDS" -t "$THREADS" >"$T/o" 2>/dev/null &&
		elapsed_of "$T/o" >>"$T/perf"
done
bare=$(min <"$T/bare"); wpfp=$(min <"$T/wpfp"); wpdw=$(min <"$T/wpdw"); perft=$(min <"$T/perf")
[ -n "$bare" ] && [ -n "$wpfp" ] && [ -n "$wpdw" ] && [ -n "$perft" ] || die "a slowdown run failed"
noise=$(calc "($(median <"$T/bare") - $bare) / $bare" 4)

# ---- BPF cost per run and per sample --------------------------------------------
# bpf_cost MODE: "ns_per_run runs samples" of the perf_event program of a
# wp-record recording deep for 3 s (its fdinfo, while it runs)
bpf_cost() {
	local pid fd info
	"$WP_BIN/wp-record" -q -f -F "$F" $NOOFF --call-graph "$1" -o "$T/bpf.wpd" -- "$T/deep" -d 3 >/dev/null &
	pid=$!
	sleep 2.5
	for fd in "/proc/$pid/fdinfo/"*; do
		info=$(cat "$fd" 2>/dev/null)
		# BPF_PROG_TYPE_PERF_EVENT is 7
		if printf '%s\n' "$info" | grep -q '^prog_type:[[:space:]]*7$'; then
			printf '%s\n' "$info" | awk '/^run_time_ns:/ { t = $2 } /^run_cnt:/ { n = $2 }
				END { printf "%s %s\n", n ? t / n : 0, n }' >"$T/cost"
			break
		fi
	done
	wait $pid
	read -r nsrun runs <"$T/cost"
	echo "$nsrun $runs $(wp_samples "$T/bpf.wpd")"
}
sysctl -q -w kernel.bpf_stats_enabled=1 || die "cannot enable kernel.bpf_stats_enabled"
: >"$T/cost"
read -r fp_run fp_runs fp_n < <(bpf_cost fp)
read -r dw_run dw_runs dw_n < <(bpf_cost "dwarf,$SIZE")
sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS"
fp_per=$(calc "$fp_run * $fp_runs / ($fp_n + 1e-9)" 0)
dw_per=$(calc "$dw_run * $dw_runs / ($dw_n + 1e-9)" 0)

# ---- bytes per sample -------------------------------------------------------------
for s in 2 6; do
	WPR --call-graph "dwarf,$SIZE" -o "$T/b$s.wpd" -- "$T/deep" -d $s >/dev/null || die "wp-record failed"
	WPR --call-graph "dwarf,$SIZE" --keep-dumps -o "$T/k$s.wpd" -- "$T/deep" -d $s >/dev/null ||
		die "wp-record --keep-dumps failed"
	WPR --call-graph fp -o "$T/f$s.wpd" -- "$T/deep" -d $s >/dev/null || die "wp-record failed"
	PERF -o "$T/b$s.data" -- "$T/deep" -d $s >/dev/null 2>&1 || die "perf record failed"
done
wsz2=$(stat -c %s "$T/b2.wpd"); wsz6=$(stat -c %s "$T/b6.wpd")
fsz2=$(stat -c %s "$T/f2.wpd"); fsz6=$(stat -c %s "$T/f6.wpd")
psz2=$(stat -c %s "$T/b2.data"); psz6=$(stat -c %s "$T/b6.data")
wn2=$(wp_samples "$T/b2.wpd"); wn6=$(wp_samples "$T/b6.wpd")
ksz2=$(stat -c %s "$T/k2.wpd"); ksz6=$(stat -c %s "$T/k6.wpd")
kn2=$(wp_samples "$T/k2.wpd"); kn6=$(wp_samples "$T/k6.wpd")
keep_bps=$(calc "($ksz6 - $ksz2) / ($kn6 - $kn2)" 1)
fn2=$(wp_samples "$T/f2.wpd"); fn6=$(wp_samples "$T/f6.wpd")
pn2=$(perf_samples "$T/b2.data"); pn6=$(perf_samples "$T/b6.data")
wp_bps=$(calc "($wsz6 - $wsz2) / ($wn6 - $wn2)" 1)
fp_bps=$(calc "($fsz6 - $fsz2) / ($fn6 - $fn2)" 1)
perf_bps=$(calc "($psz6 - $psz2) / ($pn6 - $pn2)" 1)

# ---- unwinding ---------------------------------------------------------------------
s0=$(date +%s.%N)
"$WP_BIN/wp-report" -n 5 "$T/b6.wpd" >"$T/rep" 2>/dev/null || die "wp-report failed"
wp_rt=$(calc "$(date +%s.%N) - $s0" 3)
read -r stacks complete us < <(sed -n 's/^# unwind: *\([0-9]*\) stacks[a-z -]*, \([0-9]*\) complete.*, \([0-9.]*\) us per stack$/\1 \2 \3/p' "$T/rep")
# recorded_ns: the recorder's unwinding time, in all
rec_s=$("$WP_BIN/wp-report" --json -n 0 "$T/b6.wpd" 2>/dev/null |
	perl -MJSON::PP -0777 -ne 'my $u = decode_json($_)->{unwind} || {}; printf "%.3f", ($u->{recorded_ns} || 0) / 1e9')
"$WP_BIN/wp-report" -n 5 "$T/k6.wpd" >"$T/krep" 2>/dev/null || die "wp-report failed"
read -r kstacks kcomplete kus < <(sed -n 's/^# unwind: *\([0-9]*\) stacks[a-z -]*, \([0-9]*\) complete.*, \([0-9.]*\) us per stack$/\1 \2 \3/p' "$T/krep")
s0=$(date +%s.%N)
perf report -i "$T/b6.data" --stdio >"$T/prep" 2>/dev/null || die "perf report failed"
perf_rt=$(calc "$(date +%s.%N) - $s0" 3)
wp_full=$("$WP_BIN/wp-convert" -f folded --on-cpu --unit samples "$T/b6.wpd" 2>/dev/null |
	awk '/main;deep_a;deep_b;deep_c;deep_leaf/ { f += $NF } { n += $NF } END { printf "%.1f", n ? 100 * f / n : 0 }')
perf_full=$(perf script -i "$T/b6.data" -F ip,sym 2>/dev/null | awk '
	/^$/ { if (n) { t++; if (s ~ /deep_leaf.*deep_c.*deep_b.*deep_a.*main/) f++ } s = ""; n = 0; next }
	{ s = s " " $2; n++ } END { if (n) { t++; if (s ~ /deep_leaf.*deep_c.*deep_b.*deep_a.*main/) f++ }
	printf "%.1f", t ? 100 * f / t : 0 }')

# ---- recorder CPU ----------------------------------------------------------------------
# cpu_of CMD...: user + system seconds of CMD alone (GNU time)
cpu_of() { /usr/bin/time -f "%U %S" -o "$T/time" "$@" >/dev/null 2>&1; awk '{ print $1 + $2 }' "$T/time"; }
CPU_REPS=${BENCH_CPU_REPS:-2}
: >"$T/c_fp"; : >"$T/c_dw"; : >"$T/c_keep"; : >"$T/c_perf"
if command -v /usr/bin/time >/dev/null; then
	for ((i = 0; i < CPU_REPS; i++)); do
		"$T/deep" -d 30 >/dev/null &
		dp=$!
		sleep 0.3
		cpu_of "$WP_BIN/wp-record" -q -f -F "$F" $NOOFF -d 6 --call-graph fp -o "$T/c.wpd" -p $dp >>"$T/c_fp"
		cpu_of "$WP_BIN/wp-record" -q -f -F "$F" $NOOFF -d 6 --call-graph "dwarf,$SIZE" \
			-o "$T/c.wpd" -p $dp >>"$T/c_dw"
		cpu_of "$WP_BIN/wp-record" -q -f -F "$F" $NOOFF -d 6 --call-graph "dwarf,$SIZE" \
			--keep-dumps -o "$T/c.wpd" -p $dp >>"$T/c_keep"
		cpu_of perf record -q -F "$F" --call-graph "dwarf,$SIZE" -o "$T/c.data" -p $dp -- sleep 6 \
			>>"$T/c_perf"
		kill $dp 2>/dev/null; wait $dp 2>/dev/null
	done
fi
c_fp=$(min <"$T/c_fp"); c_dw=$(min <"$T/c_dw"); c_keep=$(min <"$T/c_keep"); c_perf=$(min <"$T/c_perf")

# ---- report --------------------------------------------------------------------------
printf '\n%-36s %12s %12s %12s %10s\n' "" "wp fp" "wp dwarf" "perf dwarf" "wp/perf"
printf '%-36s %12s %12s %12s\n' "workload time, s (bare $(calc "$bare" 3))" "$(calc "$wpfp" 3)" \
	"$(calc "$wpdw" 3)" "$(calc "$perft" 3)"
printf '%-36s %12s\n' "  run-to-run noise (bare median/best)" "$(calc "$noise * 100" 1)%"
printf '%-36s %12s %12s %12s %10s\n' "slowdown (time / bare)" "$(calc "$wpfp / $bare" 4)" \
	"$(calc "$wpdw / $bare" 4)" "$(calc "$perft / $bare" 4)" \
	"$(calc "($wpdw - $bare) / ($perft - $bare + 1e-9)" 2)x"
printf '%-36s %12s %12s\n' "BPF program, ns per run" "$(calc "$fp_run" 0)" "$(calc "$dw_run" 0)"
printf '%-36s %12s %12s\n' "BPF program, ns per sample recorded" "$fp_per" "$dw_per"
printf '%-36s %12s %12s\n' "  (runs / samples recorded)" "$fp_runs/$fp_n" "$dw_runs/$dw_n"
printf '%-36s %12s %12s %12s %10s\n' "marginal bytes per sample" "$fp_bps" "$wp_bps" "$perf_bps" \
	"$(calc "$wp_bps / $perf_bps" 4)"
printf '%-36s %12s %12s\n' "  wp dwarf --keep-dumps" "" "$keep_bps"
printf '%-36s %12s %12s %12s %10s\n' "file size, 6 s, bytes" "$fsz6" "$wsz6" "$psz6" "$(calc "$wsz6 / $psz6" 4)"
printf '%-36s %12s %12s %12s\n' "  (samples, 2 s / 6 s)" "$fn2/$fn6" "$wn2/$wn6" "$pn2/$pn6"
printf '%-36s %12s %12s %12s\n' "samples with main..deep_leaf, %" "" "$wp_full" "$perf_full"
printf '%-36s %12s %12s\n' "stacks unwound complete" "" "$complete/$stacks"
printf '%-36s %12s %12s\n' "unwinding in wp-record, us per stack" "" "$us ($(calc "1e6 / ($us + 1e-9)" 0)/s)"
printf '%-36s %12s %12s\n' "  in all, s (for $stacks stacks)" "" "$rec_s"
printf '%-36s %12s %12s\n' "--keep-dumps: in wp-report, us/stack" "" "$kus ($kcomplete/$kstacks complete)"
printf '%-36s %12s %12s %12s %10s\n' "recorder CPU s, 6 s of -p (best)" "$c_fp" "$c_dw" "$c_perf" \
	"$(calc "$c_dw / ($c_perf + 1e-9)" 2)x"
printf '%-36s %12s %12s\n' "  wp dwarf --keep-dumps" "" "$c_keep"
printf '%-36s %s\n' "  wp-report's unwind: line" "$(sed -n 's/^# unwind: *//p' "$T/rep")"
printf '%-36s %12s %12s %12s\n' "report time, s (wp-report / perf report)" "" "$wp_rt" "$perf_rt"

missed=0
check() { # COND NAME
	if awk "BEGIN { exit !($1) }"; then echo "target met:    $2"; else echo "target MISSED: $2"; missed=1; fi
}
echo
check "$wp_bps < $perf_bps" "bytes/sample smaller than perf's dwarf mode ($wp_bps vs $perf_bps)"
check "$wsz6 < $psz6" "file smaller than perf's dwarf mode ($wsz6 vs $psz6 bytes)"
[ "${BENCH_STRICT:-0}" = 1 ] && [ $missed = 1 ] && exit 1
exit 0
