#!/bin/bash
# Replay the analysis library's fuzz target (tests/fuzz/report_load.c):
# synthesised files (valid, cut at every offset, a bit flipped at every
# byte, junk), record streams, and any saved inputs in
# tests/fuzz/corpus/report_load/, through load, resolve, top and folded.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"

fz="$WP_BUILD/tests/fuzz/report_load"
[ -x "$fz" ] || skip_all "$fz is not built (make tests)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=134:print_stacktrace=1"

corpus="$WP_SRC/tests/fuzz/corpus/report_load"
args=()
[ -d "$corpus" ] && args+=("$corpus")
ok "report_load replays its inputs" "$fz" "${args[@]}"
like "$(cat "$TMPD/out")" '^ok 1 - replayed [0-9]+ inputs' "report_load reports TAP"
n=$(sed -n 's/^ok 1 - replayed \([0-9]*\) inputs$/\1/p' "$TMPD/out")
cmp_ok "$n" '>' 1000 "more than a thousand inputs replayed"

# the fixtures too: real ELF mappings, kernel symbols, execs, renames
WP_FIXTURE_DIR="$TMPD/fx" "$WP_BUILD/tests/unit/report_fixture.t" >/dev/null 2>&1
ok "report_load replays the report fixtures" "$fz" "$TMPD/fx"

done_testing
