#!/bin/bash
# Wall-clock analysis on sched.wpd (tests/unit/report_fixture.c, write_sched:
# every number below is built into it): header totals, --threads (text and
# JSON), the off-CPU views, --on-cpu/--off-cpu, calibration, and folded
# output with [off-cpu:REASON] leaves in every unit, --per-thread, filters.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$WP_SRC/tests/offline/fixture.sh"
export TZ=UTC
S="$FX/sched.wpd"

hdr() { sed -n "s/^# $1: *//p" "$TMPD/out"; }
# section TITLE-REGEX: the rows (not '#') after the header line matching it
section() {
	awk -v re="$1" '/^# / && $0 ~ re { on = 1; next } on && /^# (top|threads:)/ { on = 0 }
		on && !/^#/' "$TMPD/out"
}
# trow TID: a --threads row without the comm, by tid
trow() { awk -v t="$1" '!/^#/ && $2 == t { $NF = ""; sub(/ $/, ""); print }' "$TMPD/out"; }
j() { jget "$TMPD/json" "$1"; }

# ---- the header -------------------------------------------------------------
ok "wp-report on sched.wpd" wp-report "$S"
is "$(cat "$TMPD/err")" "" "nothing on stderr"
is "$(hdr on-CPU)" "180.505 ms (2 threads exact, from the scheduler; 1 estimated from samples)" \
	"header: on-CPU total, exact and estimated threads"
is "$(hdr off-CPU)" "970.000 ms: sleep 300.000 ms, blocked 568.000 ms, preempted 52.000 ms, other 30.000 ms, unknown 20.000 ms; 15 intervals, 58.000 ms waiting for a CPU" \
	"header: off-CPU total by reason, run queue"
like "$(cat "$TMPD/out")" "# top 13 of 13 functions by self share of wall-clock time \(on-CPU and off-CPU\)" \
	"the function table is by wall-clock time"

# ---- the function table by time -----------------------------------------------
frow() { awk -v f="$1" '!/^#/ && $5 == f && NF == 6 { print $1, $2, $3, $4, $6 }' "$TMPD/out"; }
is "$(frow '[off-cpu:blocked]')" "50.69 50.69 568.000 568.000 -" "[off-cpu:blocked]: self 568 ms"
is "$(frow '[off-cpu:sleep]')" "26.77 26.77 300.000 300.000 -" "[off-cpu:sleep]: 300 ms"
is "$(frow fx_b)" "5.35 9.82 60.000 110.000 report_fixture.t" \
	"fx_b: 60 ms on-CPU (6 samples calibrated to 10 ms) + 50 ms preempted under it"
is "$(frow fx_main)" "0.00 98.22 0.000 1100.505 report_fixture.t" \
	"fx_main: everything but the stackless 20 ms"

# ---- off-CPU views -------------------------------------------------------------
section "blocking stacks" >"$TMPD/stacks"
is "$(head -1 "$TMPD/stacks" | tr -s ' ')" " 568.000 58.56 4 blocked fx_main;fx_a;fx_kinner_[k]" \
	"top blocking stack: A's and C's blocked time merged"
is "$(sed -n 2p "$TMPD/stacks" | tr -s ' ')" " 300.000 30.93 7 sleep fx_main;fx_rec;fx_kentry_[k];fx_kinner_[k]" \
	"then the sleeping stack (an interval and aggregates, A and B)"
is "$(awk '{ print $4 }' "$TMPD/stacks" | tr '\n' ' ')" "blocked sleep preempted other unknown preempted " \
	"six stacks by time, each with its reason"
is "$(sed -n 5p "$TMPD/stacks" | tr -s ' ')" " 20.000 2.06 1 unknown [no stack]" \
	"an interval without a stack"
section "blocking threads" >"$TMPD/bthreads"
is "$(awk '{ print $2 ":" $3 }' "$TMPD/bthreads" | tr '\n' ' ')" "600:600.000 700:270.000 601:100.000 " \
	"blocking threads by off-CPU time"
is "$(head -1 "$TMPD/bthreads" | tr -s ' ')" " 600 600 600.000 200.000 300.000 50.000 30.000 20.000 56.000 fx-sched-a" \
	"blocking thread A: by reason and run queue"
section "wakers" >"$TMPD/wakers"
is "$(head -1 "$TMPD/wakers" | tr -s ' ')" " 299.000 1 600 601 fx-sched-b2 fx_main;fx_b;fx_c" \
	"top waker: B, its name at the wakeup, its stack, 300 ms minus the run-queue 1 ms"
is "$(sed -n 2p "$TMPD/wakers" | tr -s ' ')" " 100.000 1 600 600 fx-sched-a fx_main;fx_c" "then A"

ok "--limit 2" wp-report -n 2 "$S"
is "$(section 'blocking stacks' | wc -l)" 2 "--limit applies to blocking stacks"
is "$(section 'blocking threads' | wc -l)" 2 "and to blocking threads"
like "$(cat "$TMPD/out")" "top 2 of 6 blocking stacks" "the total is said"

# ---- --threads -------------------------------------------------------------------
ok "--threads" wp-report --threads "$S"
is "$(trow 600 | tr -s ' ')" "600 600 100.000 10 600.000 200.000 300.000 50.000 30.000 20.000 56.000 1000.000 300.000 70.00% no" \
	"thread A: on 100 ms exact, off 600 by reason, runq, lifetime 1 s, 300 ms unaccounted, 70%"
is "$(trow 601 | tr -s ' ')" "600 601 50.505* 5 100.000 100.000 0.000 0.000 0.000 0.000 0.000 500.000 349.495 30.10% yes" \
	"thread B: on-CPU estimated (*), lifetime from TASK THREAD to TASK EXIT"
is "$(trow 700 | tr -s ' ')" "700 700 30.000 0 270.000 0.000 268.000 2.000 0.000 0.000 2.000 300.000 0.000 100.00% yes" \
	"thread C: fully accounted, exited"
is "$(awk '!/^#/ && $2 == 601 { print $NF }' "$TMPD/out")" fx-sched-b2 "B: its latest name"
like "$(cat "$TMPD/out")" "# \*: estimated from samples \(99 Hz\)" "the estimate is explained"
unlike "$(cat "$TMPD/out")" "functions by|blocking stacks" "--threads: the thread table only"
ok "--threads --comm" wp-report --threads --comm fx-sched-b "$S"
is "$(awk '!/^#/ { print $2 }' "$TMPD/out" | tr '\n' ' ')" "601 " \
	"--comm selects a thread by any name it had"
like "$(cat "$TMPD/out")" "threads: 1 of 3" "1 of 3 threads"
ok "--threads --pid" wp-report --threads --pid 600 "$S"
is "$(awk '!/^#/ { print $2 }' "$TMPD/out" | tr '\n' ' ')" "600 601 " "--pid 600: A and B"

# ---- JSON ----------------------------------------------------------------------------
ok "--json" wp-report --json "$S"
cp "$TMPD/out" "$TMPD/json"
is "$(j '$d->{oncpu_ns}') $(j '$d->{offcpu_ns}') $(j '$d->{runq_ns}')" "180505051 970000000 58000000" \
	"json: oncpu_ns, offcpu_ns, runq_ns"
is "$(j '$d->{offcpu_by_reason}')" \
	'{"blocked":568000000,"other":30000000,"preempted":52000000,"sleep":300000000,"unknown":20000000}' \
	"json: offcpu_by_reason"
is "$(j '$d->{scheduler}') $(j '$d->{oncpu_exact}') $(j '$d->{unit}')" "true false ns" \
	"json: scheduler, oncpu_exact, unit ns"
is "$(j 'join ",", @{$d->{kinds}}')" "on-cpu,off-cpu" "json: both kinds"
is "$(j '$d->{calibrated_threads}')" 1 "json: one thread calibrated"
is "$(j '$d->{selected_total}')" 1120505051 "json: the shares' base, ns"
is "$(j 'scalar @{$d->{threads}}')" 3 "json: three threads"
is "$(j '$d->{threads}[0]')" \
	'{"comm":"fx-sched-a","coverage":0.7,"end_ns":1001000000000,"exited":false,"lifetime_ns":1000000000,"offcpu_by_reason_ns":{"blocked":300000000,"other":30000000,"preempted":50000000,"sleep":200000000,"unknown":20000000},"offcpu_intervals":10,"offcpu_kernel_not_walked_ns":0,"offcpu_ns":600000000,"oncpu_exact":true,"oncpu_ns":100000000,"oncpu_samples":10,"pid":600,"runq_ns":56000000,"start_ns":1000000000000,"switches":7,"tid":600,"unaccounted_ns":300000000}' \
	"json: thread A, every field"
is "$(j '$d->{threads}[1]{oncpu_ns} . " " . $d->{threads}[1]{unaccounted_ns} . " " . $d->{threads}[1]{coverage}')" \
	"50505051 349494949 0.30101" "json: thread B estimated, unaccounted, coverage"
is "$(j '$d->{threads}[2]{coverage} . " " . $d->{threads}[2]{exited}')" "1 1" "json: thread C"
is "$(j '$d->{blocking_stacks}[0]')" \
	'{"count":4,"kernel_frames":1,"pct":58.5567,"reason":"blocked","runq_ns":1000000,"stack":["fx_main","fx_a","fx_kinner"],"total_ns":568000000}' \
	"json: top blocking stack"
is "$(j '$d->{blocking_threads}[1]{tid} . " " . $d->{blocking_threads}[1]{offcpu_ns}')" "700 270000000" \
	"json: blocking threads"
is "$(j '$d->{wakers}[0]')" \
	'{"comm":"fx-sched-b2","count":1,"kernel_frames":0,"pid":600,"stack":["fx_main","fx_b","fx_c"],"tid":601,"total_ns":299000000}' \
	"json: top waker"
is "$(j '$d->{offcpu_selected_ns}')" 970000000 "json: offcpu_selected_ns"

ok "--json --tid 600" wp-report --json --tid 600 "$S"
cp "$TMPD/out" "$TMPD/json"
is "$(j '$d->{offcpu_selected_ns}') $(j 'scalar @{$d->{threads}}') $(j 'scalar @{$d->{wakers}}')" \
	"600000000 1 1" "json: filters apply to the views and the threads"
is "$(j '$d->{offcpu_ns}')" 970000000 "json: the header totals are the file's"

# ---- --on-cpu, --off-cpu, calibration ----------------------------------------
ok "--on-cpu" wp-report --on-cpu "$S"
row() { awk -v f="$1" '!/^#/ && $5 == f { print $1, $2, $3, $4 }' "$TMPD/out"; }
is "$(row fx_b)" "40.00 40.00 6 6" "--on-cpu: samples, as without scheduler data"
unlike "$(cat "$TMPD/out")" "blocking|off-cpu:" "--on-cpu: no off-CPU views"
ok "--off-cpu" wp-report --off-cpu "$S"
like "$(cat "$TMPD/out")" "functions by self share of off-CPU time" "--off-cpu: off-CPU time only"
is "$(frow '[off-cpu:blocked]')" "58.56 58.56 568.000 568.000 -" "--off-cpu: shares of 970 ms"
is "$(frow fx_b)" "0.00 5.15 0.000 50.000 report_fixture.t" "--off-cpu: fx_b only under preemption"
ok "--off-cpu --json" wp-report --off-cpu --json "$S"
cp "$TMPD/out" "$TMPD/json"
is "$(j '$d->{selected_total}') $(j '$d->{samples_selected}')" "970000000 0" "--off-cpu: no samples"
ok "--no-calibrate" wp-report --no-calibrate "$S"
is "$(frow fx_b)" "5.40 9.86 60.606 110.606 report_fixture.t" \
	"--no-calibrate: 6 samples x 1e9/99 ns"
ok "--no-calibrate --json" wp-report --no-calibrate --json "$S"
cp "$TMPD/out" "$TMPD/json"
is "$(j '$d->{calibrated_threads}') $(j '$d->{threads}[0]{oncpu_ns}')" "0 100000000" \
	"--no-calibrate: thread times stay exact"

# ---- a file without scheduler data --------------------------------------------------
ok "simple.wpd" wp-report "$FX/simple.wpd"
is "$(hdr on-CPU)" "3030.303 ms (estimated: 300 samples at 99 Hz)" "no scheduler: on-CPU estimated"
is "$(hdr off-CPU)" "unknown: no scheduler data in the file" "no scheduler: off-CPU unknown"
ok "simple.wpd --json" wp-report --json "$FX/simple.wpd"
cp "$TMPD/out" "$TMPD/json"
is "$(j '$d->{offcpu_ns}') $(j '$d->{offcpu_by_reason}') $(j '$d->{unit}')" "null null samples" \
	"json: off-CPU null, unit samples"
is "$(j 'exists $d->{threads} ? "yes" : "no"') $(j 'exists $d->{wakers} ? "yes" : "no"')" "no no" \
	"json: no threads or off-CPU views without scheduler data"
ok "simple.wpd --threads --json" wp-report --threads --json "$FX/simple.wpd"
cp "$TMPD/out" "$TMPD/json"
is "$(j '$d->{threads}[0]{oncpu_ns} . " " . $d->{threads}[0]{oncpu_exact}')" "3030303030 0" \
	"--threads --json: estimated on-CPU"
is "$(j '$d->{threads}[0]{offcpu_ns}') $(j '$d->{threads}[0]{coverage}')" "null null" \
	"off-CPU and coverage unknown, not zero"
ok "simple.wpd --threads" wp-report --threads "$FX/simple.wpd"
is "$(awk '!/^#/ { print $3, $5, $12, $NF }' "$TMPD/out")" "3030.303* - - fx-main" \
	"text: '-' for unknown off-CPU time and lifetime"
ok "simple.wpd --threads --json" wp-report --threads --json "$FX/simple.wpd"
cp "$TMPD/out" "$TMPD/json"
is "$(j '$d->{threads}[0]{lifetime_ns}')" null "json: no lifetime without scheduler data"

# ---- folded: combined, units ------------------------------------------------------
ok "folded, default" wp-convert -f folded "$S"
cp "$TMPD/out" "$TMPD/all.folded"
is "$(cat "$TMPD/all.folded")" "fx-sched-a;[no stack];[off-cpu:unknown] 20000
fx-sched-a;fx_main;fx_a;fx_b 60000
fx-sched-a;fx_main;fx_a;fx_b;[off-cpu:preempted] 50000
fx-sched-a;fx_main;fx_a;fx_kinner_[k];[off-cpu:blocked] 300000
fx-sched-a;fx_main;fx_c 40000
fx-sched-a;fx_main;fx_c;[off-cpu:other] 30000
fx-sched-a;fx_main;fx_rec;fx_kentry_[k];fx_kinner_[k];[off-cpu:sleep] 200000
fx-sched-b2;fx_main;fx_rec;fx_kentry_[k];fx_kinner_[k];[off-cpu:sleep] 100000
fx-sched-b;fx_main;fx_c 50505
fx-sched-c;fx_main;fx_a;fx_kinner_[k];[off-cpu:blocked] 268000
fx-sched-c;fx_main;fx_c;[off-cpu:preempted] 2000" \
	"default: on- and off-CPU in us, off-CPU stacks end in [off-cpu:REASON]"
is "$(grep -cvE '^(.*) ([0-9]+)$' "$TMPD/all.folded")" 0 "every line matches ^(.*) (\\d+)\$"
ok "folded --unit ns" wp-convert -f folded --unit ns "$S"
is "$(awk '{ s += $NF } END { print s }' "$TMPD/out")" 1120505051 \
	"ns: calibrated on-CPU + off-CPU = all of it"
is "$(grep -c 'off-cpu:' "$TMPD/out")" 8 "ns: 8 off-CPU stacks"
is "$(grep 'fx-sched-a;fx_main;fx_a;fx_b ' "$TMPD/out")" "fx-sched-a;fx_main;fx_a;fx_b 60000000" \
	"ns: A's 6 samples calibrated to 60 ms"
ok "folded --unit ns --no-calibrate" wp-convert -f folded --unit ns --no-calibrate "$S"
is "$(grep 'fx-sched-a;fx_main;fx_a;fx_b ' "$TMPD/out")" "fx-sched-a;fx_main;fx_a;fx_b 60606061" \
	"--no-calibrate: 6 x 1e9/99 ns"
ok "folded --unit ms" wp-convert -f folded --unit ms "$S"
is "$(grep -E '^fx-sched-(b;|c;.*preempted)' "$TMPD/out")" "fx-sched-b;fx_main;fx_c 51
fx-sched-c;fx_main;fx_c;[off-cpu:preempted] 2" "ms: rounded to the nearest (50.505 -> 51)"
ok "folded --unit samples -v" wp-convert -v -f folded --unit samples "$S"
is "$(grep -E '^fx-sched-a;fx_main;fx_a;fx_b' "$TMPD/out" | tr '\n' '|')" \
	"fx-sched-a;fx_main;fx_a;fx_b 6|fx-sched-a;fx_main;fx_a;fx_b;[off-cpu:preempted] 5|" \
	"samples: on-CPU counts; off-CPU time at the period (50 ms x 99 Hz = 4.95 -> 5)"
is "$(grep 'fx-sched-c;fx_main;fx_a' "$TMPD/out")" \
	"fx-sched-c;fx_main;fx_a;fx_kinner_[k];[off-cpu:blocked] 27" "samples: 268 ms -> 26.532 -> 27"
is "$(grep -c 'fx-sched-c;fx_main;fx_c' "$TMPD/out")" 0 "samples: 2 ms rounds to 0: left out"
like "$(cat "$TMPD/err")" "1 stack left out: 2000000 ns in all" "-v: the dropped time is said"
is "$(awk '{ s += $NF } END { print s }' "$TMPD/out")" 112 "samples: 15 + 97 converted"

# ---- folded: selection, per thread, filters -------------------------------------------
ok "folded --on-cpu" wp-convert -f folded --on-cpu "$S"
is "$(cat "$TMPD/out")" "fx-sched-a;fx_main;fx_a;fx_b 6
fx-sched-a;fx_main;fx_c 4
fx-sched-b;fx_main;fx_c 5" "--on-cpu: samples by default"
ok "folded --on-cpu --unit us" wp-convert -f folded --on-cpu --unit us "$S"
is "$(awk '{ s += $NF } END { print s }' "$TMPD/out")" 150505 "--on-cpu --unit us: 150.505 ms"
ok "folded --off-cpu" wp-convert -f folded --off-cpu "$S"
is "$(grep -vc 'off-cpu:' "$TMPD/out")" 0 "--off-cpu: off-CPU stacks only"
is "$(awk '{ s += $NF } END { print s }' "$TMPD/out")" 970000 "--off-cpu: 970 ms in us"
ok "folded --on-cpu --off-cpu" wp-convert -f folded --on-cpu --off-cpu "$S"
cp "$TMPD/out" "$TMPD/both.folded"
ok "both options: the default" cmp "$TMPD/both.folded" "$TMPD/all.folded"
ok "folded --per-thread" wp-convert -f folded --per-thread "$S"
is "$(cut -d';' -f1 "$TMPD/out" | sort -u | tr '\n' ' ')" \
	"fx-sched-a-600 fx-sched-b-601 fx-sched-b2-601 fx-sched-c-700 " "--per-thread: roots comm-TID"
is "$(grep '^fx-sched-b-601;' "$TMPD/out")" "fx-sched-b-601;fx_main;fx_c 50505" \
	"--per-thread: the rest of the line unchanged"
ok "folded --tid 601" wp-convert -f folded --tid 601 "$S"
is "$(cat "$TMPD/out")" "fx-sched-b2;fx_main;fx_rec;fx_kentry_[k];fx_kinner_[k];[off-cpu:sleep] 100000
fx-sched-b;fx_main;fx_c 50505" "--tid: on- and off-CPU of that thread"
ok "folded --comm fx-sched-b2" wp-convert -f folded --comm fx-sched-b2 "$S"
is "$(awk '{ print $NF }' "$TMPD/out")" 100000 "--comm: the name at the time of the interval"
ok "folded --pid 700 --off-cpu --unit ms" wp-convert -f folded --pid 700 --off-cpu --unit ms "$S"
is "$(awk '{ s += $NF } END { print s }' "$TMPD/out")" 270 "--pid 700: C's 270 ms"
ok "folded on an on-CPU-only file" wp-convert -f folded "$FX/simple.wpd"
is "$(awk '{ s += $NF } END { print s }' "$TMPD/out")" 300 "no off-CPU data: samples by default"
ok "folded --unit us on an on-CPU-only file" wp-convert -f folded --unit us "$FX/simple.wpd"
is "$(cat "$TMPD/out")" "fx-main;fx_main;fx_a;fx_b 2020202
fx-main;fx_main;fx_c 1010101" "--unit us: samples weigh the period, 1e9/99 ns"
ok "folded --off-cpu on an on-CPU-only file" wp-convert -f folded --off-cpu "$FX/simple.wpd"
is "$(cat "$TMPD/out")" "" "--off-cpu without off-CPU data: empty"
like "$(cat "$TMPD/err")" "no samples selected" "and warned about"

# ---- usage ----------------------------------------------------------------------
wp-convert -f folded --unit s "$S" >/dev/null 2>"$TMPD/err"
is "$?" 2 "--unit s: usage error"
wp-report --threads=yes "$S" >/dev/null 2>&1
is "$?" 2 "--threads takes no argument"
ok "wp-report --help" wp-report --help
like "$(cat "$TMPD/out")" "--off-cpu" "--help: --off-cpu"
like "$(cat "$TMPD/out")" "--threads" "--help: --threads"
ok "wp-convert --help" wp-convert --help
like "$(cat "$TMPD/out")" "--per-thread" "--help: --per-thread"

done_testing
