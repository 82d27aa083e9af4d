#!/usr/bin/env bash
# Names stored in the recording and names read from the files here are the
# same names: a recording of an -O2 -g program with an inlined hot helper
# (and libc under every stack, named from libc's separate debug file when
# libc6-dbg is installed) converts to the same bytes from the files alone
# (--no-stored-names), from the recording alone (--symfs to an empty
# directory) and by default, where a stored inline chain is used and the
# DWARF here is never read (its decompression was most of a conversion's
# start-up).
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
. "$WP_SRC/tests/names/lib.sh"
need_root

ok "an -O2 -g program builds" gcc -O2 -g -fno-omit-frame-pointer -o "$TMPD/inl" "$SRC/inline.c"
ok "records it" wp-record -F 999 -o "$TMPD/i.wpd" -- "$TMPD/inl" 1
mkdir "$TMPD/empty"

# names, inline chains, source files and lines (speedscope --lines, pprof)
for f in folded speedscope lines pprof; do
	a=(-f "$f")
	[ "$f" = lines ] && a=(-f speedscope --lines)
	wp-convert "${a[@]}" -o "$TMPD/default.$f" "$TMPD/i.wpd" 2>/dev/null
	wp-convert "${a[@]}" --no-stored-names -o "$TMPD/files.$f" "$TMPD/i.wpd" 2>/dev/null
	wp-convert "${a[@]}" --symfs "$TMPD/empty" -o "$TMPD/stored.$f" "$TMPD/i.wpd" 2>/dev/null
	ok "${a[*]}: the files here and the recording name the same" cmp "$TMPD/files.$f" "$TMPD/stored.$f"
	ok "${a[*]}: and the default is the same" cmp "$TMPD/files.$f" "$TMPD/default.$f"
done
hot_line=$(grep -n 'HOT LINE' "$SRC/inline.c" | cut -d: -f1)
like "$(cat "$TMPD/stored.lines")" "\"name\":\"hot_helper\",\"file\":\"[^\"]*inline\\.c\",\"line\":$hot_line" \
	"the recording alone: the inlined frame's file and hot line"
like "$(cat "$TMPD/stored.lines")" '"name":"__libc_start_call_main","file":"[^"]+","line":[1-9]' \
	"and libc's file:line"
like "$(cat "$TMPD/files.folded")" ';outer_work;hot_helper_\[i\] [0-9]+' \
	"the stacks have the inlined frame"
like "$(cat "$TMPD/files.folded")" '^inl;[^ ]*__libc_start_call_main;([^ ]*;)?outer_work' \
	"and libc's frames"
ok "wp-report: the same from either source" \
	cmp <(wp-report -n 0 --no-stored-names "$TMPD/i.wpd" 2>/dev/null | grep -v '^#') \
	<(wp-report -n 0 --symfs "$TMPD/empty" "$TMPD/i.wpd" 2>/dev/null | grep -v '^#')

# Which DWARF is read (-vv says "reading DWARF from FILE"): the files here
# alone read the program's; by default the stored chains cover every
# address of the recording, so no DWARF is opened at all.
wp-convert -vv -f folded --no-stored-names -o "$TMPD/x" "$TMPD/i.wpd" 2>"$TMPD/files.err"
like "$(cat "$TMPD/files.err")" "inl: reading DWARF from .*inl" "--no-stored-names: the program's DWARF is read"
wp-convert -vv -f folded -o "$TMPD/x" "$TMPD/i.wpd" 2>"$TMPD/default.err"
is "$(grep -c 'reading DWARF' "$TMPD/default.err")" 0 "by default no DWARF is read"
wp-report -vv -n 5 "$TMPD/i.wpd" >/dev/null 2>"$TMPD/report.err"
is "$(grep -c 'reading DWARF' "$TMPD/report.err")" 0 "wp-report likewise"
done_testing
