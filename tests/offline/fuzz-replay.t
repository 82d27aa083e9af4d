#!/bin/bash
# Replay the fuzz targets' saved inputs (tests/fuzz/corpus/<target>/) and
# their built-in synthesised ones: the fuzzers are built as replay runners
# by every `make tests`, so they never rot and old crashes stay fixed.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"

fz="$WP_BUILD/tests/fuzz/wpd_read"
[ -x "$fz" ] || skip_all "$fz is not built (make tests)"

ok "wpd_read replays its corpus and synthesised inputs" \
	"$fz" "$WP_SRC/tests/fuzz/corpus/wpd_read"
like "$(cat "$TMPD/out")" '^ok 1 - replayed [0-9]+ inputs' "wpd_read reports TAP"
n=$(sed -n 's/^ok 1 - replayed \([0-9]*\) inputs$/\1/p' "$TMPD/out")
cmp_ok "$n" '>' 1000 "more than a thousand inputs replayed"

mkdir -p "$TMPD/seeds"
ok "wpd_read writes seed inputs" "$fz" --write-seeds "$TMPD/seeds"
is "$(ls "$TMPD/seeds" | tr '\n' ' ')" "flipped.wpd records.bin truncated.wpd valid.wpd " \
	"four seeds written"
ok "the seeds replay" "$fz" "$TMPD/seeds"

done_testing
