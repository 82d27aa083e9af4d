#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# wp-record -a: the whole system, for -d SECONDS or while a command runs.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

F=499
wp-record -a -F $F -o "$TMPD/a.wpd" -- "$WL/burn" -s 1.5 -p -u >"$TMPD/burn.out" 2>"$TMPD/err" &
self=$!
wait $self
is $? 0 "records the system while a command runs"
like "$(cat "$TMPD/err")" "command exited with status 0" "the command's status is reported"
pid=$(pid_of "$TMPD/burn.out")
cpu=$(cpu_of "$TMPD/burn.out")
like "$(jval "$TMPD/a.wpd" '$j->{target}')" '^system' "the target is the system"
is "$(jval "$TMPD/a.wpd" '$j->{exit_status}')" 0 "the command's exit status is stored"
expect_samples "$(jval "$TMPD/a.wpd" '$j->{samples_selected}' -p "$pid")" $F "$cpu" \
	"the command's samples = freq x its CPU time (+/-10%)"
within "$(fn_pct "$TMPD/a.wpd" hot_a -p "$pid")" 66.7 6 \
	"hot_a: 2/3 of the command's samples (lazy mapping snapshot)"
is "$(jval "$TMPD/a.wpd" '$j->{samples_selected}' -p "$self")" 0 "wp-record does not record itself"

# -d alone; a second process is seen without being named.
"$WL/burn" -s 0 >/dev/null &
b=$!
trap 'kill $b 2>/dev/null; wait; rm -rf "$TMPD"' EXIT
sleep 0.1
start=$(date +%s%N)
c0=$(proc_cpu "$b")
ok "records the system for -d 1" wp-record -q -F $F -d 1 -o "$TMPD/d.wpd"
c1=$(proc_cpu "$b")
elapsed=$((($(date +%s%N) - start) / 1000000))
within "$elapsed" 1000 400 "in about a second (${elapsed} ms)"
dur=$(jval "$TMPD/d.wpd" '$j->{duration_ns}')
within "$dur" 1000000000 100000000 "duration_ns is about 1 s"
is "$(jval "$TMPD/d.wpd" '$j->{read}{finished}')" true "the file is complete"
expect_samples "$(jval "$TMPD/d.wpd" '$j->{samples_selected}' -p "$b")" $F \
	"$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" \
	"a running process is recorded: freq x its CPU time meanwhile (+/-15%)" 15
within "$(fn_pct "$TMPD/d.wpd" hot_a -p "$b")" 66.7 8 "and symbolised"
kill "$b"
done_testing
