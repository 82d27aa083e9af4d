#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# Losses are counted, never silent: a tiny ring buffer and stacks copied
# inline (2 KiB records) at a high rate overflow it, and lost.ringbuf_full
# says by how much.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

F=4999
ok "records with a 4 KiB ring buffer" \
	wp-record -F $F --ringbuf-size 4 --inline-stacks -o "$TMPD/x.wpd" -- "$WL/burn" -s 1 -t 2 -u
cpu=$(cpu_of "$TMPD/out")
like "$(cat "$TMPD/err")" "samples or events lost" "wp-record warns about the losses"
lost=$(jval "$TMPD/x.wpd" '$j->{lost}{ringbuf_full}')
samples=$(jval "$TMPD/x.wpd" '$j->{samples}')
cmp_ok "$lost" ">" 0 "lost.ringbuf_full > 0 (got $lost)"
cmp_ok "$samples" ">" 0 "samples still arrive ($samples)"
expect_samples $((samples + lost)) $F "$cpu" "stored + lost = freq x CPU time (+/-10%)"
is "$(jval "$TMPD/x.wpd" '$j->{read}{finished}')" true "the file is complete"
is "$(jval "$TMPD/x.wpd" '$j->{read}{dangling_stack_samples}')" 0 "inline stacks are all in the file"
within "$(fn_pct "$TMPD/x.wpd" hot_a)" 66.7 8 "the surviving samples keep the shape"

ok "records with the default ring buffer" \
	wp-record -F $F --inline-stacks -o "$TMPD/y.wpd" -- "$WL/burn" -s 1 -u
is "$(jval "$TMPD/y.wpd" '$j->{lost}{ringbuf_full}')" 0 "nothing lost with the default size"
expect_samples "$(jval "$TMPD/y.wpd" '$j->{samples}')" $F "$(cpu_of "$TMPD/out")" \
	"inline stacks: samples = freq x CPU time (+/-10%)"
within "$(fn_pct "$TMPD/y.wpd" hot_a)" 66.7 6 "inline stacks give the same profile"
done_testing
