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

# -d alone, while a process started before burns.
"$WL/burn" -s 0 >/dev/null &
b=$!
trap 'kill $b 2>/dev/null; wait; rm -rf "$TMPD"' EXIT
sleep 0.1
start=$(date +%s%N)
ok "records the system for -d 1" wp-record -q -F $F -d 1 -o "$TMPD/d.wpd"
elapsed=$((($(date +%s%N) - start) / 1000000))
cmp_ok "$elapsed" "<" 5000 "and exits (${elapsed} ms)"
dur=$(jval "$TMPD/d.wpd" '$j->{duration_ns}')
cmp_ok "$dur" ">=" 1000000000 "duration_ns covers the 1 s of sampling"
cmp_ok "$dur" "<" 2500000000 "and the setup, not much more"
is "$(jval "$TMPD/d.wpd" '$j->{read}{finished}')" true "the file is complete"
cmp_ok "$(jval "$TMPD/d.wpd" '$j->{samples_selected}' -p "$b")" ">" 0 \
	"a process running before is recorded without being named"
within "$(fn_pct "$TMPD/d.wpd" hot_a -p "$b")" 66.7 8 "and symbolised (lazy mapping snapshot)"
kill "$b"

# Exact accounting for a process not named: it burns only while recorded.
"$WL/burn" -w -s 1 -t 2 -u -p >"$TMPD/w.out" &
wait_for "$TMPD/w.out" "^pid "
bw=$(pid_of "$TMPD/w.out")
wp-record -v -F $F -o "$TMPD/w.wpd" 2>"$TMPD/w.err" &
w=$!
wait_for "$TMPD/w.err" "recording the system" 100
kill -USR2 "$bw"
wait_for "$TMPD/w.out" "^cpu " 100
kill -INT $w
wait $w
is $? 0 "SIGINT ends it"
expect_samples "$(jval "$TMPD/w.wpd" '$j->{samples_selected}' -p "$bw")" $F "$(cpu_of "$TMPD/w.out")" \
	"its samples = freq x its CPU time (+/-10%)"
done_testing
