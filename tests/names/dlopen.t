#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# A library dlopened after the recording started is named: when the
# recorder launched the program, and when it attached to it; and still
# named from the recording once the library file is deleted.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
. "$WP_SRC/tests/names/lib.sh"
need_root

ok "the library builds" gcc -shared -fPIC -O1 -g -fno-omit-frame-pointer \
	-o "$TMPD/libwphot.so" "$SRC/libhot.c"
ok "the program builds" gcc -O1 -g -fno-omit-frame-pointer -o "$TMPD/dlmain" "$SRC/dlmain.c" -ldl

# Launched: the dlopen comes 0.3 s into the recording.
ok "records a program that dlopens after 0.3 s" \
	wp-record -F 499 -o "$TMPD/l.wpd" -- "$TMPD/dlmain" "$TMPD/libwphot.so" 0.3 1.2
is "$(fn_get "$TMPD/l.wpd" hot_in_lib module)" libwphot.so "hot_in_lib is named, in libwphot.so"
cmp_ok "$(fn_pct "$TMPD/l.wpd" hot_in_lib)" '>' 85 "with the samples (> 85%)"
cmp_ok "$(fn_pct "$TMPD/l.wpd" main)" '>' 85 "under main (complete stacks through the library)"

# Attached: the program runs first, the library comes later.
"$TMPD/dlmain" "$TMPD/libwphot.so" 1.0 1.5 >"$TMPD/a.out" &
prog=$!
trap 'kill $prog 2>/dev/null; wait; rm -rf "$TMPD"' EXIT
wait_for "$TMPD/a.out" "^pid " || diag "the program did not start"
ok "attaches before the dlopen" wp-record -F 499 -p "$prog" -o "$TMPD/a.wpd"
wait $prog
is "$(fn_get "$TMPD/a.wpd" hot_in_lib module)" libwphot.so "attached: the late library is named"
cmp_ok "$(fn_pct "$TMPD/a.wpd" hot_in_lib)" '>' 85 "attached: with the samples"

# The library deleted: its names are in the recordings.
rm "$TMPD/libwphot.so"
is "$(fn_get "$TMPD/l.wpd" hot_in_lib module)" libwphot.so "library deleted: still named (launched)"
is "$(fn_get "$TMPD/a.wpd" hot_in_lib module)" libwphot.so "library deleted: still named (attached)"
unlike "$(names "$TMPD/l.wpd")" 'libwphot\.so\+0x' "no unresolved frame in the library"
done_testing
