#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# Off-CPU recording against a workload known by construction: wallclock's
# worker repeats 10 ms of CPU, a 20 ms nanosleep, and a 30 ms wait in
# read() on a pipe that the feeder thread fills (docs/offcpu.md). The
# waits have fixed lengths whatever the machine's load; the CPU part is
# checked against the thread's own CPU clock.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

# thr FILE TID FIELD [options]: a field of the thread's row
thr() {
	jval "$1" 'my ($t) = grep { $_->{tid} == '"$2"' } @{$j->{threads}}; $t->{'"$3"'}' "${@:4}"
}
# stack_ns FILE TID FUNCTION [runq]: off-CPU ns of the thread's stacks
# through FUNCTION (the part waiting for a CPU after the wakeup: runq)
stack_ns() {
	jval "$1" 'my $n = 0; for my $b (@{$j->{blocking_stacks}}) {
		$n += $b->{'"${4:-total}"'_ns} if grep { $_ eq "'"$3"'" } @{$b->{stack}} } $n' -t "$2"
}
# stack_has FILE TID FUNCTION FRAME: the stacks through FUNCTION contain FRAME
stack_has() {
	jval "$1" 'my $ok = 0; for my $b (@{$j->{blocking_stacks}}) {
		my %f = map { $_ => 1 } @{$b->{stack}};
		$ok = 1 if $f{"'"$3"'"} && $f{"'"$4"'"} } $ok' -t "$2"
}
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }
# kframes FILE TID FUNCTION: the kernel frames of the thread's biggest
# sleep stack through FUNCTION that has them, without the scheduler's own functions
# (__sched: a stack taken from a sleeping thread leaves them out)
kframes() {
	jval "$1" 'my ($b) = grep { my $s = $_->{stack}; $_->{reason} eq "sleep" &&
		(grep { $_ eq "'"$3"'" } @$s) && !grep { $_ eq "[kernel stack not walked]" } @$s }
		@{$j->{blocking_stacks}};
		my @s = @{$b->{stack}}; my @k = @s[@s - $b->{kernel_frames} .. $#s];
		join ";", grep { !/^(__)?schedule$|^do_nanosleep$/ } @k' -t "$2"
}
# steal: time the hypervisor took from this machine's CPUs (all of them,
# USER_HZ ticks). A thread's CPU clock leaves out the steal time of its runs
# (paravirtual time accounting); its time on a CPU as the switches show it
# does not, so the two differ by up to the steal time.
steal() { awk '/^cpu /{ print $9 }' /proc/stat; }
# oncpu_ok FILE TID CPU_SECONDS STEAL_TICKS LABEL: wp's on-CPU time of the
# thread is its CPU clock, -5% .. +5% plus the steal time
oncpu_ok() {
	local d st
	d=$(calc "$(thr "$1" "$2" oncpu_ns) / 1e9 - $3")
	st=$(calc "$4 / $(getconf CLK_TCK)")
	diag "$5: on-CPU - CPU clock = $d s; steal during the run $st s"
	cmp_ok "$d" ">=" "$(calc "-($3 * 0.05 + 0.002)")" "$5: on-CPU >= the thread's CPU time (-5%)"
	cmp_ok "$d" "<=" "$(calc "$3 * 0.05 + 0.002 + $st")" "$5: on-CPU <= its CPU time (+5%, + steal)"
}

# nw FILE TID: the thread's off-CPU ns under [kernel stack not walked]
nw() {
	jval "$1" 'my $n = 0; for my $b (@{$j->{blocking_stacks}}) {
		$n += $b->{total_ns} if grep { $_ eq "[kernel stack not walked]" } @{$b->{stack}} } $n' -t "$2"
}
# walked FILE TID FUNCTION: "intervals ns" of the thread's stacks through
# FUNCTION that have kernel frames (taken, not the not-walked mark)
walked() {
	jval "$1" 'my ($c, $n) = (0, 0); for my $b (@{$j->{blocking_stacks}}) {
		next unless grep { $_ eq "'"$3"'" } @{$b->{stack}};
		next if !$b->{kernel_frames} || grep { $_ eq "[kernel stack not walked]" } @{$b->{stack}};
		$c += $b->{count}; $n += $b->{total_ns} } "$c $n"' -t "$2"
}

# ---- the default: intervals of 1 ms and more one by one ---------------------
# Their kernel stacks are taken when the thread wakes (it has not run since:
# the stack it slept on); shorter intervals' are sampled.
s0=$(steal)
ok "records wallclock" wp-record -q -o "$TMPD/w.wpd" -- "$WL/wallclock" -s 3 -p
s1=$(steal)
cp "$TMPD/out" "$TMPD/w.out"
worker=$(sed -n 's/^worker //p' "$TMPD/w.out")
feeder=$(sed -n 's/^feeder //p' "$TMPD/w.out")
wcpu=$(sed -n 's/^worker_cpu //p' "$TMPD/w.out")
rounds=$(sed -n 's/^rounds //p' "$TMPD/w.out")
W=$TMPD/w.wpd
is "$(jval "$W" '$j->{scheduler}')" true "the file has scheduler data"
cmp_ok "$rounds" ">=" 20 "the worker did enough rounds to judge ($rounds)"
is "$(thr "$W" "$worker" comm)" worker "the worker thread is named"
is "$(thr "$W" "$feeder" comm)" feeder "the feeder thread is named"
is "$(thr "$W" "$worker" oncpu_exact)" true "the worker's on-CPU time is exact"

oncpu=$(thr "$W" "$worker" oncpu_ns)
lifetime=$(thr "$W" "$worker" lifetime_ns)
offcpu=$(thr "$W" "$worker" offcpu_ns)
diag "worker: on-CPU $oncpu ns (its clock: $wcpu s), off-CPU $offcpu ns, lifetime $lifetime ns, $rounds rounds"
oncpu_ok "$W" "$worker" "$wcpu" $((s1 - s0)) "exact on-CPU time"
within "$(thr "$W" "$worker" coverage)" 1 0.05 "coverage: on-CPU + off-CPU = the thread's wall time (+/-5%)"
cmp_ok "$(calc "($lifetime - $oncpu - $offcpu) / $lifetime")" "<" 0.001 \
	"... to 0.1%: every switch accounted, nothing counted twice"
within "$(calc "$lifetime / 1e9")" 3.03 0.2 "its lifetime is the run's (3 s)"
for t in $(jval "$W" 'join " ", map { $_->{tid} } @{$j->{threads}}'); do
	within "$(thr "$W" "$t" coverage)" 1 0.001 "thread $t: coverage 100%"
done

# The split of the waits, by stack: both are sleeps (a pipe read sleeps
# interruptibly); the nanosleep goes through nap(), the read through
# wait_pipe(). A wait is its length, up to the wakeup; a busy machine adds
# the time waiting for a CPU after it (runq), measured apart.
split() { # FILE TID: "nap_wait pipe_wait nap_total pipe_total"
	local n p nr pr
	n=$(stack_ns "$1" "$2" nap); nr=$(stack_ns "$1" "$2" nap runq)
	p=$(stack_ns "$1" "$2" wait_pipe); pr=$(stack_ns "$1" "$2" wait_pipe runq)
	echo "$((n - nr)) $((p - pr)) $n $p"
}
read -r nap pipe napt pipet < <(split "$W" "$worker")
diag "worker: nanosleep $nap ns + $((napt - nap)) runq, pipe $pipe ns + $((pipet - pipe)) runq"
within "$(calc "100 * $nap / ($nap + $pipe)")" 40 4 "sleep vs pipe waits 2:3 (+/-4 points)"
within "$(calc "$nap / 1e6 / $rounds")" 20.5 1 "20 ms per nanosleep (to the wakeup)"
within "$(calc "$pipe / 1e6 / $rounds")" 30.5 1.5 "30 ms per pipe wait (to the wakeup)"
cmp_ok "$(calc "100 * $napt / ($napt + $pipet)")" "<=" 100 \
	"with the run-queue tails: $(calc "100 * $napt / ($napt + $pipet)")% (load-dependent)"
slept=$(jval "$W" 'my $n = 0; for my $b (@{$j->{blocking_stacks}}) {
	$n += $b->{total_ns} if $b->{reason} eq "sleep" && grep { $_ eq "nap" || $_ eq "wait_pipe" } @{$b->{stack}} } $n' -t "$worker")
within "$(calc "$slept / ($napt + $pipet)")" 1 0.02 "both waits are of reason sleep (a pipe read is interruptible)"
is "$(stack_has "$W" "$worker" wait_pipe anon_pipe_read)$(stack_has "$W" "$worker" wait_pipe vfs_read)" \
	11 "the pipe wait's kernel stack: vfs_read -> anon_pipe_read"
is "$(stack_has "$W" "$worker" nap hrtimer_nanosleep)" 1 "the nanosleep's kernel stack: hrtimer_nanosleep"
# (but for a preemption of under 1 ms in there, now and then on a busy
# machine, and for the waits whose switch-in the kernel did not trace:
# then counted in lost.offcpu_stack, docs/offcpu.md)
lost_stacks=$(jval "$W" '$j->{lost}{offcpu_stack}')
for fn in nap wait_pipe; do
	r=$(calc "$(walked "$W" "$worker" $fn | cut -d' ' -f2) / $(stack_ns "$W" "$worker" $fn)")
	if awk "BEGIN { exit !($r >= 0.99) }"; then
		_tap_result 0 "every $fn wait (>= --min-block) has its kernel stack ($r of the time)"
	else
		cmp_ok "$lost_stacks" ">" 0 "$fn: $r of the time with a kernel stack, the rest counted lost"
	fi
done
wnw=$(thr "$W" "$worker" offcpu_kernel_not_walked_ns)
is "$wnw" "$(nw "$W" "$worker")" "not walked: the thread's total is its [kernel stack not walked] stacks' ($wnw ns)"
# each of them under --min-block (1 ms): their total under count x 1 ms
wnwc=$(jval "$W" 'my $n = 0; for my $b (@{$j->{blocking_stacks}}) {
	$n += $b->{count} if grep { $_ eq "[kernel stack not walked]" } @{$b->{stack}} } $n' -t "$worker")
cmp_ok "$wnw" "<" "$(calc "$wnwc * 1e6")" "... short waits only ($wnwc intervals)"

# Wakers: the feeder ends every pipe wait, in feed_pipe(); timers end the
# nanosleeps (no waking thread).
is "$(jval "$W" 'join ",", sort { $a <=> $b } keys %{{ map { $_->{tid} => 1 } @{$j->{wakers}} }}' -t "$worker")" \
	"$feeder" "the worker is woken by the feeder only"
fw=$(jval "$W" 'my $n = 0; for (@{$j->{wakers}}) { $n += $_->{count} if grep { $_ eq "feed_pipe" } @{$_->{stack}} } $n' -t "$worker")
within "$fw" "$rounds" 2 "the feeder woke it from feed_pipe() once per round ($fw)"
fwns=$(jval "$W" 'my $n = 0; $n += $_->{total_ns} for @{$j->{wakers}}; $n' -t "$worker")
within "$(calc "$fwns / $pipe")" 1 0.02 "the feeder's wakeups end the pipe waits (their time to the wakeup)"

# ---- everything aggregated in the kernel (min-block 1 s) --------------------
# Each short interval is summed in a kernel map drained once a second: the
# totals must be as exact as one by one.
s0=$(steal)
# No kernel stack sampling: every interval is aggregated, none walked.
ok "records wallclock, every interval aggregated" \
	wp-record -q --min-block 1000000 --off-cpu-kernel-sample 0 -o "$TMPD/a.wpd" -- \
	"$WL/wallclock" -s 2 -p
s1=$(steal)
cp "$TMPD/out" "$TMPD/a.out"
worker=$(sed -n 's/^worker //p' "$TMPD/a.out")
wcpu=$(sed -n 's/^worker_cpu //p' "$TMPD/a.out")
A=$TMPD/a.wpd
is "$(jval "$A" '$j->{read}{finished}')" true "the file is complete"
within "$(thr "$A" "$worker" coverage)" 1 0.001 "aggregated: coverage 100%"
oncpu_ok "$A" "$worker" "$wcpu" $((s1 - s0)) "aggregated"
read -r nap pipe _ _ < <(split "$A" "$worker")
within "$(calc "100 * $nap / ($nap + $pipe)")" 40 4 "aggregated: sleep vs pipe waits 2:3 (+/-4 points)"
# nothing walked: every interval is marked, but for the thread's first (from
# its creation to its first run, no stack at all)
anw=$(thr "$A" "$worker" offcpu_kernel_not_walked_ns)
is "$anw" "$(nw "$A" "$worker")" "not walked: the thread's total is its [kernel stack not walked] stacks'"
cmp_ok "$(calc "$anw / $(thr "$A" "$worker" offcpu_ns)")" ">" 0.99 "not walked: all of its off-CPU time"
is "$(walked "$A" "$worker" nap)$(walked "$A" "$worker" wait_pipe)" "0 00 0" "no kernel frames at all"
is "$(jval "$A" '$j->{offcpu_kernel_not_walked_ns}')" "$(jval "$A" 'my $n = 0; $n += $_->{offcpu_kernel_not_walked_ns} for @{$j->{threads}}; $n')" \
	"the header's not-walked total is the threads'"
folded_nw=$(wp-convert -f folded --off-cpu --unit ns -o - "$A" 2>/dev/null |
	awk '/\[kernel stack not walked\]/ { n += $NF } END { printf "%.0f", n }')
is "$folded_nw" "$(jval "$A" '$j->{offcpu_kernel_not_walked_ns}')" "folded output: the same time under [kernel stack not walked]"

# ---- every interval one by one (no aggregation) -----------------------------
ok "records wallclock, no aggregation" \
	wp-record -q --no-off-cpu-aggregation -o "$TMPD/n.wpd" -- "$WL/wallclock" -s 1 -p
worker=$(sed -n 's/^worker //p' "$TMPD/out")
within "$(thr "$TMPD/n.wpd" "$worker" coverage)" 1 0.001 "one by one: coverage 100%"

# ---- sampled kernel stacks of short waits ---------------------------------------
# Every interval short (min-block 1 s), a kernel walk at marks 50 to 150 ms
# apart (uniform: 100 ms on average) along the thread's short-wait time, of
# the wait each mark falls in. The waits (20 and 30 ms, plus short
# preemptions) are all shorter than the gaps, so there is one walk per mark:
# the short-wait time / 100 ms; the count of a renewal process with such
# gaps varies by sqrt(n) x 0.29 (about 1.2 for the ~17 marks of 2 s): +/-5
# is well beyond chance.
ok "records wallclock, short waits' kernel stacks sampled every 100 ms" \
	wp-record -q --min-block 1000000 --off-cpu-kernel-sample 100000 -o "$TMPD/s.wpd" -- \
	"$WL/wallclock" -s 2 -p
sworker=$(sed -n 's/^worker //p' "$TMPD/out")
S=$TMPD/s.wpd
read -r wn wns < <(jval "$S" 'my ($c, $n) = (0, 0); for my $b (@{$j->{blocking_stacks}}) {
	next if !$b->{kernel_frames} || grep { $_ eq "[kernel stack not walked]" || $_ eq "[no stack]" } @{$b->{stack}};
	$c += $b->{count}; $n += $b->{total_ns} } "$c $n"' -t "$sworker")
snw=$(thr "$S" "$sworker" offcpu_kernel_not_walked_ns)
expect=$(calc "($wns + $snw) / 100e6")
diag "sampled: $wn walks ($wns ns), $snw ns not walked: ($wns + $snw) / 100 ms = $expect"
within "$wn" "$expect" 5 "one walk per 100 ms of short-wait time, on average"
is "$snw" "$(nw "$S" "$sworker")" "not walked: the thread's total is its [kernel stack not walked] stacks'"
within "$(thr "$S" "$sworker" coverage)" 1 0.001 "sampled: coverage 100%"
is "$(stack_has "$S" "$sworker" wait_pipe anon_pipe_read)$(stack_has "$S" "$sworker" nap hrtimer_nanosleep)" \
	11 "sampled pipe waits and nanosleeps have their kernel stacks"

# ---- --off-cpu-kernel-stacks all: the walk at every switch-out -----------------
# The same stacks as the default's, taken from the sleeping thread when it
# switches back in (the scheduler's own frames aside).
ok "records wallclock, kernel stacks at every switch-out" \
	wp-record -q --off-cpu-kernel-stacks all -o "$TMPD/k.wpd" -- "$WL/wallclock" -s 1 -p
kworker=$(sed -n 's/^worker //p' "$TMPD/out")
K=$TMPD/k.wpd
is "$(thr "$K" "$kworker" offcpu_kernel_not_walked_ns)" 0 "all: no interval without its kernel stack"
is "$(stack_has "$K" "$kworker" wait_pipe anon_pipe_read)$(stack_has "$K" "$kworker" nap hrtimer_nanosleep)" \
	11 "all: the waits have their kernel stacks"
worker=$(sed -n 's/^worker //p' "$TMPD/w.out")
for fn in wait_pipe nap; do
	a=$(kframes "$K" "$kworker" $fn)
	like "$a" "entry_SYSCALL_64" "$fn: kernel frames taken at switch-out: $a"
	is "$(kframes "$W" "$worker" $fn)" "$a" \
		"$fn: the default's, taken from the sleeping thread at switch-in, are the same"
	is "$(kframes "$S" "$sworker" $fn)" "$a" "$fn: and so are the sampled short waits'"
done
within "$(thr "$K" "$kworker" coverage)" 1 0.001 "all: coverage 100%"

# ---- waits still open at the end --------------------------------------------------
# A shell waits for its second sleep, which sleeps past the recording's end:
# both waits began during the recording and were not over at its end. Their
# kernel stacks are taken from the sleeping threads once the programs stop.
sh -c 'sleep 0.3; sleep 5; :' >/dev/null 2>&1 & # (its "Terminated" when the sleep is killed: not TAP)
shp=$!
sleep 0.1
ok "records a shell and its sleep for 1 s" wp-record -q -d 1 -p "$shp" -o "$TMPD/e.wpd"
pkill -P "$shp" sleep
wait "$shp" 2>/dev/null
E=$TMPD/e.wpd
# ns of the file's sleep stacks that have FRAME
open_ns() {
	jval "$1" 'my $n = 0; for my $b (@{$j->{blocking_stacks}}) {
		$n += $b->{total_ns} if $b->{reason} eq "sleep" && grep { $_ eq "'"$2"'" } @{$b->{stack}} } $n'
}
cmp_ok "$(open_ns "$E" do_wait)" ">" 500000000 "the shell's open wait has its kernel stack (do_wait)"
cmp_ok "$(open_ns "$E" hrtimer_nanosleep)" ">" 500000000 \
	"the sleep's open nanosleep has its kernel stack (hrtimer_nanosleep)"
cmp_ok "$(jval "$E" '$j->{offcpu_kernel_not_walked_ns}')" "<" 100000000 \
	"no long wait is left without its kernel stack"

# ---- usage errors ------------------------------------------------------------
for bad in "--min-block abc" "--min-block -1" "--min-block 3600000001" \
	"--off-cpu-kernel-stacks some" "--off-cpu-kernel-stacks" "--off-cpu-kernel-sample x" \
	"--off-cpu-kernel-sample -5"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	wp-record -q $bad -o "$TMPD/u.wpd" -- true >/dev/null 2>"$TMPD/err"
	is "$?" 2 "refused, exit status 2: $bad"
done
like "$(wp-record --min-block x -- true 2>&1)" "invalid --min-block 'x'" "the message names the value"
[ -e "$TMPD/u.wpd" ]
is "$?" 1 "no file written on a usage error"

# ---- --no-off-cpu: on-CPU samples only --------------------------------------
ok "records with --no-off-cpu" wp-record -q --no-off-cpu -o "$TMPD/x.wpd" -- "$WL/wallclock" -s 1
is "$(jval "$TMPD/x.wpd" '$j->{scheduler}')" false "no scheduler data"
is "$(jval "$TMPD/x.wpd" 'defined $j->{offcpu_ns} ? 1 : 0')" 0 "no off-CPU time"
is "$(jval "$TMPD/x.wpd" '$j->{offcpu_intervals}')" 0 "no off-CPU intervals"
cmp_ok "$(jval "$TMPD/x.wpd" '$j->{samples}')" ">" 0 "samples still"
done_testing
