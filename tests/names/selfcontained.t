#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# A recording names its frames on its own: the binary deleted, or replaced
# by another build (whose names must never be used: the build-id is the
# binary's identity); --no-embed-symbols turns that off; --symfs finds a
# copy elsewhere. The size the names cost is printed.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
. "$WP_SRC/tests/names/lib.sh"
need_root

cp "$WL/burn" "$TMPD/burnx"
ok "records a copy of burn" wp-record -F 499 -o "$TMPD/e.wpd" -- "$TMPD/burnx" -s 1.5
ok "records it again without embedded symbols" \
	wp-record -F 499 --no-embed-symbols -o "$TMPD/n.wpd" -- "$TMPD/burnx" -s 1.5
with=$(wc -c <"$TMPD/e.wpd"); without=$(wc -c <"$TMPD/n.wpd")
diag "file size: $with bytes with embedded symbols, $without without ($((with - without)) bytes for the names)"
is "$(jval "$TMPD/e.wpd" '$j->{read}{records_bad} + $j->{read}{records_unknown}')" 0 "the symbol records are known and decode"
within "$(fn_pct "$TMPD/e.wpd" hot_a)" 66.7 6 "binary present: hot_a 2/3"
report_present=$(wp-report -n 0 "$TMPD/e.wpd" 2>/dev/null | grep -v '^#')

# Deleted.
rm "$TMPD/burnx"
within "$(fn_pct "$TMPD/e.wpd" hot_a)" 66.7 6 "binary deleted: hot_a still 2/3, named from the file"
within "$(fn_pct "$TMPD/e.wpd" burn_loop)" 100 2 "binary deleted: burn_loop, every frame named"
is "$(wp-report -n 0 "$TMPD/e.wpd" 2>/dev/null | grep -v '^#')" "$report_present" \
	"binary deleted: the whole report is the same"
n=$(names "$TMPD/n.wpd")
like "$n" 'burnx\+0x[0-9a-f]+	burnx	u' "--no-embed-symbols, binary deleted: module+0xOFF frames"
is "$(fn_get "$TMPD/n.wpd" hot_a name)" "" "--no-embed-symbols, binary deleted: no hot_a"
wp-report "$TMPD/n.wpd" >/dev/null 2>"$TMPD/err"
like "$(cat "$TMPD/err")" "cannot read symbols of .*burnx" "and a warning says the binary is missing"

# Replaced by another build with other names at the same offsets.
cat >"$TMPD/impostor.c" <<'C'
#include <unistd.h>
__attribute__((noinline)) void impostor_a(void) { for (volatile int i = 0; i < 1000; i++); }
__attribute__((noinline)) void impostor_b(void) { for (volatile int i = 0; i < 2000; i++); }
int main(void) { for (int k = 0; k < 100; k++) { impostor_a(); impostor_b(); } return 0; }
C
gcc -O1 -g -fno-omit-frame-pointer -o "$TMPD/burnx" "$TMPD/impostor.c"
within "$(fn_pct "$TMPD/e.wpd" hot_a)" 66.7 6 "another build at the path: hot_a, from the recording"
unlike "$(names "$TMPD/e.wpd")" 'impostor' "no name from the other build"
unlike "$(names "$TMPD/n.wpd")" 'impostor' "no name from it without embedded symbols either"
wp-report "$TMPD/n.wpd" >/dev/null 2>"$TMPD/err"
like "$(cat "$TMPD/err")" "build-id mismatch for .*burnx" "a warning says it is another build"
rm "$TMPD/burnx"

# --symfs: a copy of the binary under another root.
mkdir -p "$TMPD/root$TMPD"
cp "$WL/burn" "$TMPD/root$TMPD/burnx"
within "$(fn_pct "$TMPD/n.wpd" hot_a --symfs "$TMPD/root")" 66.7 6 \
	"--no-embed-symbols: --symfs finds the binary under another root"

done_testing
