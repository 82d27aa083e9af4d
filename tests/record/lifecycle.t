#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# Short-lived processes and threads created while recording are attributed
# and named: lifecycle forks children that exec burn, then creates threads
# that rename themselves (prctl), each of which lives ~60 ms.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

# thr FILE TID FIELD: a field of the thread's row
thr() {
	jval "$1" 'my ($t) = grep { $_->{tid} == '"$2"' } @{$j->{threads}}; $t->{'"$3"'}'
}
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }

check() { # FILE OUT LABEL
	local f=$1 out=$2 what=$3 pid c t name
	pid=$(jval "$f" 'my ($t) = grep { $_->{comm} eq "lifecycle" } @{$j->{threads}}; $t->{pid}')
	like "$pid" '^[0-9]+$' "$what: the parent is there"
	while read -r c; do
		is "$(thr "$f" "$c" comm)" burn "$what: child $c is named after the program it exec'd"
		is "$(thr "$f" "$c" pid)" "$c" "$what: child $c is a process of its own"
		is "$(thr "$f" "$c" exited)" true "$what: child $c exited"
		within "$(thr "$f" "$c" coverage)" 1 0.001 "$what: child $c accounted from its fork to its exit"
		# (burn -s 0.05 burns 50 ms of wall time; a sanitizer's start-up
		# and what a busy hypervisor steals can add to its time on a CPU)
		cmp_ok "$(calc "$(thr "$f" "$c" oncpu_ns) / 1e6")" ">=" 20 "$what: child $c ran (burn -s 0.05)"
		cmp_ok "$(calc "$(thr "$f" "$c" oncpu_ns) / 1e6")" "<" 250 "$what: ... for itself only"
		cmp_ok "$(jval "$f" '$j->{samples_selected}' -p "$c")" ">" 5 "$what: child $c has samples"
		# its off-CPU stacks (mostly short: summed in the kernel) resolve in
		# the address space of their time: burn's after the exec (OFFCPU_AGG
		# records per exec generation), lifecycle's before it and inside
		# execve (the user registers are still the old program's)
		is "$(jval "$f" 'my $n = 0; for my $b (@{$j->{blocking_stacks}}) {
			my @s = @{$b->{stack}};
			$n++ if grep({ $_ eq "main" } @s) && grep { $_ eq "[unknown]" } @s;
			$n++ if grep({ $_ eq "__x64_sys_execve" } @s) && $s[0] eq "[unknown]" } $n' -p "$c")" 0 \
			"$what: child $c: its off-CPU stacks under main and in execve are named"
	done < <(sed -n 's/^child //p' "$out")
	while read -r t name; do
		is "$(thr "$f" "$t" comm)" "$name" "$what: thread $t is named $name (prctl)"
		is "$(thr "$f" "$t" pid)" "$pid" "$what: thread $t belongs to the parent"
		is "$(thr "$f" "$t" exited)" true "$what: thread $t exited"
		within "$(thr "$f" "$t" coverage)" 1 0.001 "$what: thread $t accounted from its creation to its exit"
		# (its time on a CPU includes what the hypervisor stole, if any)
		cmp_ok "$(calc "$(thr "$f" "$t" oncpu_ns) / 1e6")" ">=" 28.5 "$what: thread $t ran its 30 ms"
		cmp_ok "$(calc "$(thr "$f" "$t" oncpu_ns) / 1e6")" "<" 45 "$what: ... and not much more"
		cmp_ok "$(calc "$(thr "$f" "$t" lifetime_ns) / 1e6")" ">=" 59 \
			"$what: thread $t lived its 30 ms of CPU and 30 ms of sleep"
		cmp_ok "$(calc "$(thr "$f" "$t" lifetime_ns) / 1e6")" "<" 1000 \
			"$what: ... and not more than a busy machine adds"
		cmp_ok "$(fn_pct "$f" thread_spin -t "$t")" ">" 80 "$what: thread $t's samples are in thread_spin"
	done < <(sed -n 's/^thread //p' "$out")
}

ok "records lifecycle (follow)" \
	wp-record -q -F 499 -o "$TMPD/l.wpd" -- "$WL/lifecycle" -n 3 -t 3 -x "$WL/burn" -s 0.05
cp "$TMPD/out" "$TMPD/l.out"
is "$(grep -c '^child ' "$TMPD/l.out")/$(grep -c '^thread ' "$TMPD/l.out")" 3/3 "3 children, 3 threads"
check "$TMPD/l.wpd" "$TMPD/l.out" follow

# system-wide: the same, found among every other process
ok "records lifecycle (system-wide)" \
	wp-record -q -a -F 499 -o "$TMPD/a.wpd" -- "$WL/lifecycle" -n 2 -t 2 -x "$WL/burn" -s 0.05
cp "$TMPD/out" "$TMPD/a.out"
check "$TMPD/a.wpd" "$TMPD/a.out" system
done_testing
