#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# Children are followed in the kernel: fork, fork+exec, with -- and -p.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

F=499
# burn -c: the parent only waits; a forked child burns.
ok "records a command whose child does the work" \
	wp-record -F $F -o "$TMPD/c.wpd" -- "$WL/burn" -c -s 1.5 -p -u
cp "$TMPD/out" "$TMPD/burn.out"
child=$(pid_of "$TMPD/burn.out")
cpu=$(cpu_of "$TMPD/burn.out")
like "$child" '^[0-9]+$' "the child's pid is known"
expect_samples "$(jval "$TMPD/c.wpd" '$j->{samples_selected}' -p "$child")" $F "$cpu" \
	"the forked child's samples = freq x its CPU time (+/-10%)"
within "$(fn_pct "$TMPD/c.wpd" hot_a -p "$child")" 66.7 6 "the child's stacks are symbolised"

# burn -e: the child execs burn again: MMAP_RESET and fresh mappings.
ok "records a child that execs" \
	wp-record -F $F -o "$TMPD/e.wpd" -- "$WL/burn" -e -s 1.5 -p -u
cp "$TMPD/out" "$TMPD/burn.out"
child=$(pid_of "$TMPD/burn.out")
cpu=$(cpu_of "$TMPD/burn.out")
expect_samples "$(jval "$TMPD/e.wpd" '$j->{samples_selected}' -p "$child")" $F "$cpu" \
	"the exec'ed child's samples = freq x its CPU time (+/-10%)"
within "$(fn_pct "$TMPD/e.wpd" hot_a -p "$child")" 66.7 6 \
	"the exec'ed child is symbolised (mappings re-read at exec)"

# -p: children forked after attaching are followed too.
"$WL/burn" -s 0 -c -p >"$TMPD/p.out" &
parent=$!
trap 'kill $parent 2>/dev/null; wait; rm -rf "$TMPD"' EXIT
wait_for "$TMPD/p.out" "^pid "
old=$(pid_of "$TMPD/p.out")
ok "attaches to a parent" wp-record -q -F $F -d 1 -p "$parent" -o "$TMPD/p.wpd"
is "$(jval "$TMPD/p.wpd" '$j->{samples_selected}' -p "$old")" 0 \
	"a child that existed before attaching is not recorded (not named)"

# a shell that forks a burner (and another that execs one) after attaching
(sleep 0.5; "$WL/burn" -s 1 -p -u; true) >"$TMPD/late.out" &
late=$!
ok "a process that forks after attaching" \
	wp-record -q -F $F -p "$late" -o "$TMPD/late.wpd"
lpid=$(pid_of "$TMPD/late.out")
expect_samples "$(jval "$TMPD/late.wpd" '$j->{samples_selected}' -p "$lpid")" $F \
	"$(cpu_of "$TMPD/late.out")" "its new child is recorded: freq x CPU time (+/-10%)"
within "$(fn_pct "$TMPD/late.wpd" hot_a -p "$lpid")" 66.7 6 "and symbolised after its exec"

(sleep 0.5; exec "$WL/burn" -s 1 -p -u) >"$TMPD/late2.out" &
late=$!
ok "a process that execs after attaching" \
	wp-record -q -F $F -p "$late" -o "$TMPD/late2.wpd"
expect_samples "$(jval "$TMPD/late2.wpd" '$j->{samples_selected}' -p "$late")" $F \
	"$(cpu_of "$TMPD/late2.out")" "it is recorded after its exec: freq x CPU time (+/-10%)"
within "$(fn_pct "$TMPD/late2.wpd" hot_a -p "$late")" 66.7 6 "with the new program's mappings"
done_testing
