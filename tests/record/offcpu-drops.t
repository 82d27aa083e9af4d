#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# Off-CPU losses are counted, never silent. wallclock -c 0 -z 0 -b 0 is a
# pipe ping-pong: tens of thousands of switches a second. With a 4 KiB
# ring buffer and every interval meant to go out one by one (--min-block
# 0), the ring buffer overflows: the intervals then go to the kernel's
# aggregation map, so the totals stay complete. With that map too small
# as well, intervals are lost: lost.offcpu_interval counts them, wp-report
# shows it, and the threads' accounting shows the time as unaccounted.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

PINGPONG=("$WL/wallclock" -s 1 -c 0 -z 0 -b 0 -p)
lost() { jval "$1" '$j->{lost}{'"$2"'}'; }
mincov() { jval "$1" 'my $m = 1; for (@{$j->{threads}}) { $m = $_->{coverage} if $_->{coverage} < $m } $m'; }

# ---- ring buffer full: the aggregation map takes the intervals ------------
ok "records a ping-pong with a 4 KiB ring buffer" \
	wp-record -F 999 --ringbuf-size 4 --min-block 0 -o "$TMPD/r.wpd" -- "${PINGPONG[@]}"
cp "$TMPD/out" "$TMPD/r.out"
rounds=$(sed -n 's/^rounds //p' "$TMPD/r.out")
cmp_ok "$rounds" ">" 1000 "switch-heavy: $rounds round trips"
cmp_ok "$(lost "$TMPD/r.wpd" ringbuf_full)" ">" 0 "samples were lost (lost.ringbuf_full)"
is "$(lost "$TMPD/r.wpd" offcpu_interval)" 0 "no off-CPU interval lost: they were aggregated"
is "$(jval "$TMPD/r.wpd" '$j->{read}{finished}')" true "the file is complete"
within "$(mincov "$TMPD/r.wpd")" 1 0.001 "every thread's time is accounted (coverage 100%)"
cmp_ok "$(jval "$TMPD/r.wpd" '$j->{offcpu_intervals}')" ">" "$rounds" \
	"the intervals are all there, one by one or summed"

# ---- ring buffer and aggregation map full: losses, counted ----------------
ok "records a ping-pong with a 4 KiB ring buffer and a 1-entry aggregation map" \
	wp-record -F 999 --ringbuf-size 4 --min-block 0 --off-cpu-aggregation-entries 1 \
	-o "$TMPD/x.wpd" -- "${PINGPONG[@]}"
X=$TMPD/x.wpd
like "$(cat "$TMPD/err")" "samples or events lost" "wp-record warns about the losses"
lostn=$(lost "$X" offcpu_interval)
cmp_ok "$lostn" ">" 0 "lost.offcpu_interval > 0 ($lostn)"
is "$(jval "$X" '$j->{read}{finished}')" true "the file is complete"
ok "wp-report shows the losses" wp-report -n 0 "$X"
like "$(grep '^# lost:' "$TMPD/out")" "offcpu_interval [1-9]" "... in its header: offcpu_interval $lostn"
cmp_ok "$(mincov "$X")" "<" 0.99 "the lost time is unaccounted, not made up"
cmp_ok "$(jval "$X" 'my $n = 0; $n += $_->{unaccounted_ns} for @{$j->{threads}}; $n')" ">" 0 \
	"threads show unaccounted time"
done_testing
