#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# wp-record -- COMMAND: the command runs, its exit status is reported and
# stored, and the samples match its CPU time and its known shape.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

F=499
ok "records a launched command" \
	wp-record -F $F -o "$TMPD/x.wpd" -- "$WL/burn" -s 2 -u
cp "$TMPD/out" "$TMPD/burn.out"
like "$(cat "$TMPD/err")" "command exited with status 0" "the command's exit status is reported"
cpu=$(cpu_of "$TMPD/burn.out")
like "$cpu" '^[0-9.]+$' "the command's stdout passes through untouched"
test -s "$TMPD/x.wpd"
is $? 0 "the output file exists and is not empty"

is "$(jval "$TMPD/x.wpd" '$j->{read}{finished}')" true "the file ends with FINISH"
is "$(jval "$TMPD/x.wpd" '$j->{read}{blocks_damaged}')" 0 "no damaged block"
is "$(jval "$TMPD/x.wpd" '$j->{exit_status}')" 0 "exit_status 0 is stored"
is "$(jval "$TMPD/x.wpd" '$j->{sample_freq_hz}')" $F "the frequency is stored"
like "$(jval "$TMPD/x.wpd" '$j->{target}')" '^command .*burn -s 2 -u$' "the target is described"
like "$(jval "$TMPD/x.wpd" '$j->{cmdline}')" "wp-record -F $F -o" "wp-record's command line is stored"
samples=$(jval "$TMPD/x.wpd" '$j->{samples}')
expect_samples "$samples" $F "$cpu" "samples = freq x the command's CPU time (+/-10%)"
# A long wait's kernel stack is taken at its switch-in; this kernel does not
# trace some switches (docs/offcpu.md), and a wait whose switch-in was not
# seen keeps its time but not its kernel stack: counted in
# lost.offcpu_stack, explained by bpf.switch_in_unseen. Nothing else lost.
lost=$(jval "$TMPD/x.wpd" 'my $n = 0; $n += $j->{lost}{$_} for grep { $_ ne "offcpu_stack" } keys %{$j->{lost}}; $n')
is "$lost" 0 "nothing lost"
lost_kstacks=$(jval "$TMPD/x.wpd" '$j->{lost}{offcpu_stack}')
unseen=$(jval "$TMPD/x.wpd" '$j->{diagnostics}{"bpf.switch_in_unseen"}')
cmp_ok "$lost_kstacks" "<=" "$unseen" "off-CPU kernel stacks lost only to switch-ins the kernel did not trace ($lost_kstacks <= $unseen)"
is "$(jval "$TMPD/x.wpd" '$j->{read}{dangling_stack_samples}')" 0 "every sample's stack is in the file"

# Known by construction: hot_a and hot_b spin 2:1 on CPU.
a=$(fn_pct "$TMPD/x.wpd" hot_a)
b=$(fn_pct "$TMPD/x.wpd" hot_b)
within "$a" 66.7 5 "hot_a has 2/3 of the samples (user stacks symbolised)"
within "$b" 33.3 5 "hot_b has 1/3 of the samples"
within "$(fn_pct "$TMPD/x.wpd" burn_loop)" 100 2 "every sample is under burn_loop (complete stacks)"

# The folded output has the full call chain.
wp-convert -f folded "$TMPD/x.wpd" >"$TMPD/folded" 2>"$TMPD/err"
like "$(cat "$TMPD/folded")" '(^|;)main;burn_loop;hot_a [0-9]+' "folded stacks: main;burn_loop;hot_a"

# Kernel frames are named (by the kernel, through BPF): a syscall-bound
# command spends most samples in the kernel.
ok "records a syscall-bound command" \
	wp-record -q -F $F -o "$TMPD/dd.wpd" -- dd if=/dev/zero of=/dev/null bs=64 count=400000
kres=$(jval "$TMPD/dd.wpd" 'scalar grep { $_->{kernel} && $_->{resolved} } @{$j->{functions}}')
kunres=$(jval "$TMPD/dd.wpd" 'scalar grep { $_->{kernel} && !$_->{resolved} } @{$j->{functions}}')
cmp_ok "$kres" ">=" 3 "kernel functions are named ($kres)"
is "$kunres" 0 "no kernel frame is left unnamed"
like "$(wp-convert -f folded "$TMPD/dd.wpd" 2>/dev/null)" 'do_syscall_64' "the syscall path is in the stacks"

# Threads: all of them are recorded.
ok "records a multi-threaded command" \
	wp-record -q -F $F -o "$TMPD/t.wpd" -- "$WL/burn" -s 1 -t 2 -u
cpu=$(cpu_of "$TMPD/out")
expect_samples "$(jval "$TMPD/t.wpd" '$j->{samples}')" $F "$cpu" "two threads: samples = freq x CPU time (+/-10%)"

# A failing command: wp-record still succeeds and stores the status.
ok "records a command that fails" wp-record -F $F -o "$TMPD/f.wpd" -- sh -c 'exit 3'
like "$(cat "$TMPD/err")" "command exited with status 3" "status 3 is reported"
is "$(jval "$TMPD/f.wpd" '$j->{exit_status}')" 3 "exit_status 3 is stored"

ok "records a command killed by a signal" wp-record -F $F -o "$TMPD/k.wpd" -- sh -c 'kill -TERM $$'
like "$(cat "$TMPD/err")" "terminated by signal 15" "the signal is reported"
is "$(jval "$TMPD/k.wpd" '$j->{exit_status}')" 143 "exit_status 128+15 is stored"

# A command that cannot run: failure, and no file left behind.
fails "a missing command fails" wp-record -o "$TMPD/m.wpd" -- "$TMPD/no-such-command"
like "$(cat "$TMPD/err")" "cannot run '.*no-such-command': No such file or directory" "and says why"
test -e "$TMPD/m.wpd"
is $? 1 "no output file is left behind"

# The command inherits wp-record's caller's signal state, not wp-record's
# (an ignored SIGPIPE would break pipelines; an ignored SIGINT must stay so).
want=$(grep -E '^Sig(Ign|Blk)' /proc/self/status)
ok "records grep" wp-record -q -o "$TMPD/s.wpd" -- grep -E '^Sig(Ign|Blk)' /proc/self/status
is "$(cat "$TMPD/out")" "$want" "the command's ignored and blocked signals are the caller's"
want=$(trap '' INT; grep -E '^SigIgn' /proc/self/status)
got=$(trap '' INT; wp-record -q -f -o "$TMPD/s.wpd" -- grep -E '^SigIgn' /proc/self/status)
is "$got" "$want" "an ignored SIGINT stays ignored"

# Default output name, in the current directory.
(cd "$TMPD" && wp-record -q -- true) >/dev/null 2>&1
test -s "$TMPD/wp.wpd"
is $? 0 "the default output is wp.wpd"

done_testing
