#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# SIGINT/SIGTERM end a recording cleanly (FINISH written, exit 0); with a
# command, a signal sent to wp-record goes on to the command; kill -9
# leaves a file readable up to its last flushed block (flushed every second).
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

F=499

# -a, SIGINT
wp-record -q -F $F -o "$TMPD/a.wpd" 2>"$TMPD/a.err" &
w=$!
sleep 1
kill -INT $w
wait $w
is $? 0 "SIGINT ends a system-wide recording with status 0"
is "$(jval "$TMPD/a.wpd" '$j->{read}{finished}')" true "and the file is complete (FINISH)"
is "$(cat "$TMPD/a.err")" "" "quietly"

# -p, SIGTERM
"$WL/burn" -s 0 >/dev/null &
b=$!
trap 'kill $b 2>/dev/null; wait; rm -rf "$TMPD"' EXIT
wp-record -q -F $F -p $b -o "$TMPD/p.wpd" &
w=$!
sleep 1
kill -TERM $w
wait $w
is $? 0 "SIGTERM ends a -p recording with status 0"
is "$(jval "$TMPD/p.wpd" '$j->{read}{finished}')" true "and the file is complete"
kill -0 $b
is $? 0 "the recorded process keeps running"
cmp_ok "$(jval "$TMPD/p.wpd" '$j->{samples}')" ">" $((F / 5)) "samples up to the signal are there"

# -- COMMAND: the signal is passed on, recording goes on until it exits.
wp-record -F $F -o "$TMPD/c.wpd" -- "$WL/burn" -s 0 -u >"$TMPD/c.out" 2>"$TMPD/c.err" &
w=$!
sleep 1
kill -INT $w
wait $w
is $? 0 "SIGINT to wp-record with a command: status 0"
like "$(cat "$TMPD/c.err")" "command exited with status 0" "the command got the signal and exited"
like "$(cat "$TMPD/c.out")" "^cpu " "(it ran its exit path)"
is "$(jval "$TMPD/c.wpd" '$j->{read}{finished}')" true "the file is complete"
is "$(jval "$TMPD/c.wpd" '$j->{exit_status}')" 0 "with the command's exit status"

# -d with a command that outlives it: the command is terminated (as perf does).
ok "-d ends a longer command" wp-record -q -F $F -d 0.5 -o "$TMPD/d.wpd" -- "$WL/burn" -s 0 -u
like "$(cat "$TMPD/out")" "^cpu " "the command was asked to stop (SIGTERM) and exited"
is "$(jval "$TMPD/d.wpd" '$j->{exit_status}')" 0 "its exit status is stored"

# kill -9: blocks already written stay readable.
wp-record -q -F $F -o "$TMPD/k.wpd" -- "$WL/burn" -s 4 -p >"$TMPD/k.out" &
w=$!
sleep 2.6
exec 3>&2 2>/dev/null # no "Killed" notice from bash
kill -KILL $w
burner=$(pid_of "$TMPD/k.out")
cpu=$(proc_cpu "$burner")
wait $w
exec 2>&3 3>&-
kill "$burner" 2>/dev/null
ok "a file cut by kill -9 reads" wp-report "$TMPD/k.wpd"
is "$(jval "$TMPD/k.wpd" '$j->{read}{finished}')" false "it has no FINISH"
is "$(jval "$TMPD/k.wpd" '$j->{read}{blocks_damaged}')" 0 "and no damaged block"
# flushed at 1 s and 2 s, killed at 2.6 s: at least 60% of the samples
# the command's CPU time was worth are in the file
cmp_ok "$(jval "$TMPD/k.wpd" '$j->{samples}')" ">=" "$(awk -v c="$cpu" -v f=$F 'BEGIN { print int(c * f * 0.6) }')" \
	"it holds the samples up to the last flush (flushed every second)"
within "$(fn_pct "$TMPD/k.wpd" hot_a)" 66.7 8 "and their stacks and mappings"
done_testing
