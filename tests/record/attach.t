#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# wp-record -p PID[,PID]: attach to running processes, all their threads,
# until they exit or -d elapses; unknown pids are refused.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

F=499
"$WL/burn" -s 0 -t 2 >/dev/null &
b1=$!
"$WL/burn" -s 0 -r 1:1 >/dev/null &
b2=$!
cleanup() { kill "$b1" "$b2" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMPD"; }
trap cleanup EXIT
sleep 0.2

# A burner that waits for SIGUSR2 once wp-record is attached, burns 1.5 s
# and exits, ending the recording: the recording sees all of its burning,
# and it reports the CPU time of exactly that.
"$WL/burn" -w -s 1.5 -t 2 -u -p >"$TMPD/w.out" &
wait_for "$TMPD/w.out" "^pid "
bw=$(pid_of "$TMPD/w.out")
wp-record -v -F $F -p "$bw" -o "$TMPD/p.wpd" 2>"$TMPD/p.err" &
w=$!
wait_for "$TMPD/p.err" "recording processes" 100
kill -USR2 "$bw"
wait $w
is $? 0 "attaches to a running process and ends when it exits"
wait_for "$TMPD/w.out" "^cpu " 20
is "$(jval "$TMPD/p.wpd" '$j->{read}{finished}')" true "the file is complete"
is "$(jval "$TMPD/p.wpd" '$j->{target}')" "pid $bw" "the target is described"
is "$(jval "$TMPD/p.wpd" '$j->{exit_status}')" "" "no exit status without a command"
expect_samples "$(jval "$TMPD/p.wpd" '$j->{samples}')" $F "$(cpu_of "$TMPD/w.out")" \
	"samples = freq x the process's CPU time (+/-10%)"
within "$(fn_pct "$TMPD/p.wpd" hot_a)" 66.7 6 "hot_a: 2/3 (mappings read at attach)"

ok "attaches to a running process for -d 1" wp-record -q -F $F -d 1 -p "$b1" -o "$TMPD/p1.wpd"
is "$(jval "$TMPD/p1.wpd" '$j->{read}{finished}')" true "the file is complete"
cmp_ok "$(jval "$TMPD/p1.wpd" '$j->{samples}')" ">" 0 "and has samples"
is "$(jval "$TMPD/p1.wpd" '$j->{samples_selected}' -p "$b2")" 0 "the other process is not recorded"

ok "attaches to two processes" wp-record -q -F $F -d 1 -p "$b1,$b2" -o "$TMPD/pp.wpd"
cmp_ok "$(jval "$TMPD/pp.wpd" '$j->{samples_selected}' -p "$b1")" ">" 0 "the first has samples"
cmp_ok "$(jval "$TMPD/pp.wpd" '$j->{samples_selected}' -p "$b2")" ">" 0 "the second has samples"

# Recording ends when the target exits.
"$WL/burn" -s 1 >/dev/null &
b3=$!
sleep 0.1
start=$(date +%s%N)
ok "stops when the process exits" wp-record -q -F $F -p "$b3" -o "$TMPD/e.wpd"
elapsed=$((($(date +%s%N) - start) / 1000000))
cmp_ok "$elapsed" "<" 3000 "within the process's lifetime (${elapsed} ms)"
is "$(jval "$TMPD/e.wpd" '$j->{read}{finished}')" true "the file is complete"

# A thread id records its whole process.
tid=$(ls /proc/"$b1"/task | sort -n | tail -1)
ok "a thread id is accepted" wp-record -q -F $F -d 0.5 -p "$tid" -o "$TMPD/tid.wpd"
is "$(jval "$TMPD/tid.wpd" '$j->{target}')" "pid $b1" "and resolved to its process"

fails "an unknown pid is refused" wp-record -p 999999999 -o "$TMPD/u.wpd"
like "$(cat "$TMPD/err")" "no such process: 999999999" "with 'no such process'"
test -e "$TMPD/u.wpd"
is $? 1 "and no file is created"
fails "one unknown pid in a list is refused" wp-record -p "$b1,4000000" -o "$TMPD/u.wpd"
like "$(cat "$TMPD/err")" "no such process: 4000000" "naming the culprit"

done_testing
