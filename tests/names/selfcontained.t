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

# ---- --call-graph dwarf: unwound while recording, self-contained too ----------
# A program without frame pointers (their CFI unwinds it) and Debian's libc:
# recorded, the program deleted, and read with --symfs on an empty root so
# that no binary is found at all (libc included): the whole chain, named,
# comes from the file. The same recording with --keep-dumps (unwound when
# read) loses it: the test discriminates.
CHAIN='main;deep_a;deep_b;deep_c;deep_leaf'
# leaf_full FOLDED: "LEAF FULL": samples whose user leaf is deep_leaf, and
# those of them with the whole chain from _start
leaf_full() {
	awk '{
		n = $NF; sub(/ [0-9]+$/, "")
		k = split($0, f, ";"); leaf = ""
		for (i = k; i >= 1; i--) if (f[i] !~ /_\[k\]$/) { leaf = f[i]; break }
		if (leaf != "deep_leaf") next
		all += n
		if (index($0, "_start;__libc_start_main;__libc_start_call_main;'"$CHAIN"'")) full += n
	} END { printf "%d %d\n", all, full }' "$1"
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }
mkdir -p "$TMPD/empty"
ok "builds deep with -O2 -fomit-frame-pointer" \
	gcc -O2 -g -fomit-frame-pointer -o "$TMPD/deepx" "$WP_SRC/tests/workloads/deep.c" -lpthread
ok "records it with --call-graph dwarf" \
	wp-record -q -F 499 --call-graph dwarf -o "$TMPD/dw.wpd" -- "$TMPD/deepx" -d 2
ok "and with --call-graph dwarf --keep-dumps" \
	wp-record -q -F 499 --call-graph dwarf --keep-dumps -o "$TMPD/dk.wpd" -- "$TMPD/deepx" -d 2
ok "records it sleeping (off-CPU) with --call-graph dwarf" \
	wp-record -q --call-graph dwarf --off-cpu-dwarf-rate 2000 -o "$TMPD/ds.wpd" -- "$TMPD/deepx" -d 1 -s
rm "$TMPD/deepx"
fold_empty() { wp-convert -f folded --unit "$2" --symfs "$TMPD/empty" "${@:3}" "$1" 2>/dev/null; }
fold_empty "$TMPD/dw.wpd" samples --on-cpu >"$TMPD/dw.folded"
read -r leaf full < <(leaf_full "$TMPD/dw.folded")
diag "dwarf, no binary at all: $full of $leaf deep_leaf samples have _start;...;$CHAIN ($(pct "$full" "$leaf")%)"
cmp_ok "$leaf" ">=" 200 "dwarf, no binary: deep_leaf's samples are named ($leaf)"
cmp_ok "$(pct "$full" "$leaf")" ">=" 90 \
	"dwarf, no binary: >= 90% of deep_leaf's samples carry the named chain from _start through libc's __libc_start_call_main"
is "$(jval "$TMPD/dw.wpd" '$j->{unwind}{recorded} == $j->{unwind}{stacks} ? 1 : 0' --symfs "$TMPD/empty")" 1 \
	"the unwinding was done by wp-record (unwind.recorded = unwind.stacks)"
is "$(fn_get "$TMPD/dw.wpd" __libc_start_call_main module --symfs "$TMPD/empty")" "libc.so.6" \
	"a libc frame is named from the file, in module libc.so.6"
fold_empty "$TMPD/ds.wpd" ms --off-cpu >"$TMPD/ds.folded"
read -r sall sfull < <(awk '/\[off-cpu:sleep\]/ && /clock_nanosleep/ { all += $NF
	if (index($0, "'"$CHAIN"';nanosleep;clock_nanosleep;")) full += $NF }
	END { printf "%d %d\n", all, full }' "$TMPD/ds.folded")
diag "dwarf off-CPU, no binary: $sfull of $sall ms asleep with $CHAIN;nanosleep;clock_nanosleep"
cmp_ok "$sall" ">=" 300 "the sleep time is recorded ($sall ms)"
cmp_ok "$(pct "$sfull" "$sall")" ">=" 90 \
	"dwarf off-CPU, no binary: >= 90% of the sleep time carries the chain, through libc's nanosleep"
fold_empty "$TMPD/dk.wpd" samples --on-cpu >"$TMPD/dk.folded"
read -r kleaf kfull < <(leaf_full "$TMPD/dk.folded")
diag "--keep-dumps, no binary: $kfull of $kleaf deep_leaf samples with the chain"
cmp_ok "$(pct "$kfull" "$kleaf")" "<" 10 "--keep-dumps, no binary: the reader cannot unwind (the test discriminates)"
cmp_ok "$(jval "$TMPD/dk.wpd" '$j->{unwind}{reasons}{binary_missing}' --symfs "$TMPD/empty")" ">" 0 \
	"--keep-dumps, no binary: counted as binary_missing"
dw=$(wc -c <"$TMPD/dw.wpd"); dk=$(wc -c <"$TMPD/dk.wpd")
diag "file size: dwarf unwound while recording $dw bytes, --keep-dumps $dk bytes"

done_testing
