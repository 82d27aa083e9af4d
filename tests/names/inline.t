#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# An always_inline hot helper (-O2 -g) is its own frame, from DWARF; with
# --no-inline it is not; its source line is known; the recording keeps the
# inline chain for when the binary is gone.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
. "$WP_SRC/tests/names/lib.sh"
need_root

ok "an -O2 -g program builds" gcc -O2 -g -fno-omit-frame-pointer -o "$TMPD/inl" "$SRC/inline.c"
nm "$TMPD/inl" >"$TMPD/nm"
unlike "$(cat "$TMPD/nm")" "hot_helper" "hot_helper has no symbol (always inlined)"
ok "records it" wp-record -F 499 -o "$TMPD/i.wpd" -- "$TMPD/inl" 1.5

is "$(fn_get "$TMPD/i.wpd" hot_helper inlined)" true "hot_helper is a frame, flagged inlined"
cmp_ok "$(fn_pct "$TMPD/i.wpd" hot_helper)" '>' 85 "hot_helper has the samples (> 85%)"
cmp_ok "$(fn_get "$TMPD/i.wpd" hot_helper self_pct)" '>' 85 "as self: it is the leaf"
cmp_ok "$(fn_pct "$TMPD/i.wpd" outer_work)" '>' 95 "outer_work, its caller, has them as total"
is "$(fn_get "$TMPD/i.wpd" outer_work inlined)" false "outer_work is not inlined"
wp-convert -f folded "$TMPD/i.wpd" >"$TMPD/folded" 2>"$TMPD/err"
like "$(cat "$TMPD/folded")" ';outer_work;hot_helper_\[i\] [0-9]+' "folded: outer_work;hot_helper_[i]"

# --no-inline: one frame per address.
is "$(fn_get "$TMPD/i.wpd" hot_helper name --no-inline)" "" "--no-inline: no hot_helper"
cmp_ok "$(fn_get "$TMPD/i.wpd" outer_work self_pct --no-inline)" '>' 85 \
	"--no-inline: outer_work is the leaf"
wp-convert -f folded --no-inline "$TMPD/i.wpd" >"$TMPD/folded2" 2>"$TMPD/err"
unlike "$(cat "$TMPD/folded2")" 'hot_helper' "wp-convert --no-inline: no inlined frame"

# Source lines: annotate shows the hot instructions on hot_helper's loop line.
hot_line=$(grep -n 'HOT LINE' "$SRC/inline.c" | cut -d: -f1)
ok "wp-report --annotate outer_work" wp-report --annotate outer_work --json "$TMPD/i.wpd"
cp "$TMPD/out" "$TMPD/ann.json"
ann() { J="$1" perl -MJSON::PP -0777 -ne 'my $j = decode_json($_); print eval $ENV{J}' "$TMPD/ann.json"; }
is "$(ann '$j->{annotations}[0]{function}')" outer_work "the function annotated"
total=$(ann 'my $n = 0; $n += $_->{samples} for @{$j->{annotations}[0]{instructions}}; $n')
is "$total" "$(ann '$j->{annotations}[0]{samples}')" "its instructions' samples add up to the function's"
cmp_ok "$total" '>' 100 "and they are most samples"
on_line=$(ann 'my $n = 0; for (@{$j->{annotations}[0]{instructions}}) {
	$n += $_->{samples} if $_->{source_function} eq "hot_helper" && $_->{inlined} } $n')
cmp_ok "$on_line" '>' "$((total * 8 / 10))" "most samples are on instructions of the inlined hot_helper"
lines=$(ann 'join " ", map { $_->{line} } grep { $_->{source_function} eq "hot_helper" } @{$j->{annotations}[0]{instructions}}')
like " $lines " " ($hot_line|$((hot_line - 1))) " "hot_helper's instructions carry its source lines ($hot_line)"
like "$(ann '$j->{annotations}[0]{instructions}[0]{file}')" 'inline\.c$' "instructions carry the source file"
ok "text annotate" wp-report --annotate outer_work "$TMPD/i.wpd"
like "$(cat "$TMPD/out")" "inline\.c:$hot_line  hot_helper \(inlined\)" "text: the inlined source line is shown"
ok "annotate an inlined function: the functions it is in" wp-report --annotate hot_helper "$TMPD/i.wpd"
like "$(cat "$TMPD/out")" "function: outer_work \(has hot_helper inlined\)" "hot_helper: outer_work is annotated"

# The binary gone: inline frames from the recording; annotate says what it needs.
mv "$TMPD/inl" "$TMPD/inl.moved"
is "$(fn_get "$TMPD/i.wpd" hot_helper inlined)" true "binary gone: hot_helper still an inlined frame"
cmp_ok "$(fn_pct "$TMPD/i.wpd" hot_helper)" '>' 85 "binary gone: with its samples"
fails "binary gone: annotate fails" wp-report --annotate outer_work "$TMPD/i.wpd"
like "$(cat "$TMPD/err")" "inl is not readable on this machine \(missing, build-id [0-9a-f]+\)" \
	"and says which file and build-id it needs"
mv "$TMPD/inl.moved" "$TMPD/inl"
# Another build at the same path: annotate refuses it, names stay right.
sed 's/6364136223846793005ul/6364136223846793007ul/' "$SRC/inline.c" >"$TMPD/other.c"
gcc -O2 -g -fno-omit-frame-pointer -o "$TMPD/inl" "$TMPD/other.c"
fails "another build at the path: annotate refuses it" wp-report --annotate outer_work "$TMPD/i.wpd"
like "$(cat "$TMPD/err")" "another build than the recorded one" "and says so"
is "$(fn_get "$TMPD/i.wpd" hot_helper inlined)" true "names still come from the recording"
done_testing
