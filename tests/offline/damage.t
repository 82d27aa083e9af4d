#!/bin/bash
# Bad input never crashes the offline tools: a clear error and exit 1 for
# a file that is not a readable .wpd; a partial report, a warning on
# stderr and the damage in the header for a damaged or truncated one.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$WP_SRC/tests/offline/fixture.sh"

full="$FX/full.wpd"
size=$(wc -c <"$full")

# ---- not a readable .wpd: exit 1 with a reason ---------------------------
bad() { # NAME FILE REGEX
	local t
	for t in "wp-report" "wp-convert -f folded"; do
		$t -i "$2" >"$TMPD/out" 2>"$TMPD/err"
		is "$?" 1 "$1: ${t%% *} exits 1"
		like "$(cat "$TMPD/err")" "$3" "$1: ${t%% *} says why"
		is "$(cat "$TMPD/out")" "" "$1: ${t%% *} prints no report"
	done
}
bad "missing file" "$TMPD/nonexistent.wpd" "cannot open .*nonexistent.wpd.*No such file"
: >"$TMPD/empty.wpd"
bad "empty file" "$TMPD/empty.wpd" "not a .wpd file \\(empty\\)"
printf 'hello, this is not a profile\n' >"$TMPD/text.wpd"
bad "text file" "$TMPD/text.wpd" "not a .wpd file"
head -c 4096 /dev/urandom >"$TMPD/random.wpd"
bad "random bytes" "$TMPD/random.wpd" "not a .wpd file"
bad "a directory" "$TMPD" "error: "
cp "$full" "$TMPD/major.wpd"
printf '\002' | dd of="$TMPD/major.wpd" bs=1 seek=8 conv=notrunc 2>/dev/null
bad "newer major version" "$TMPD/major.wpd" "version 2"
if [ "$(id -u)" != 0 ]; then
	cp "$full" "$TMPD/noread.wpd"
	chmod 000 "$TMPD/noread.wpd"
	bad "unreadable file" "$TMPD/noread.wpd" "Permission denied"
fi

# ---- cut anywhere: never a crash, a report whenever the header is whole ----
crashes=0 wrong=0 partial=0
for off in 0 1 7 8 9 32 63 64 65 $(seq 80 97 "$size") $((size - 1)); do
	head -c "$off" "$full" >"$TMPD/cut.wpd"
	for t in "wp-report" "wp-report --json" "wp-convert -f folded"; do
		$t "$TMPD/cut.wpd" >"$TMPD/out" 2>"$TMPD/err"
		rc=$?
		if [ "$rc" -ge 2 ]; then
			crashes=$((crashes + 1))
			diag "$t on a file cut at $off bytes: exit $rc"
		elif [ "$off" -ge 64 ] && [ "$rc" != 0 ]; then
			wrong=$((wrong + 1))
			diag "$t on a file cut at $off bytes: exit $rc: $(head -1 "$TMPD/err")"
		elif [ "$off" -lt 64 ] && [ "$rc" != 1 ]; then
			wrong=$((wrong + 1))
			diag "$t on a file cut inside its header ($off bytes): exit $rc"
		fi
		if [ "$off" -ge 64 ] && [ "$t" = wp-report ] && [ "$rc" = 0 ]; then
			grep -q 'did not finish cleanly' "$TMPD/err" &&
				grep -q '^# finished: *no' "$TMPD/out" && partial=$((partial + 1))
		fi
	done
done
is "$crashes" 0 "a cut file never crashes a tool (exit status < 2)"
is "$wrong" 0 "exit 1 for a cut header, 0 (a partial report) after it"
cmp_ok "$partial" ">" 20 "partial reports say the recording did not finish ($partial)"

# a cut in the middle: the samples of the complete blocks are there
head -c $((size / 2)) "$full" >"$TMPD/half.wpd"
ok "half a file reports" wp-report --json "$TMPD/half.wpd"
n=$(jget "$TMPD/out" '$d->{samples}')
cmp_ok "$n" ">" 0 "half a file: some samples ($n)"
cmp_ok "$n" "<" 469 "half a file: not all of them"
is "$(jget "$TMPD/out" '$d->{read}{finished}')" false "half a file: not finished"
is "$(jget "$TMPD/out" '$d->{read}{truncated}')" true "half a file: truncated"
like "$(cat "$TMPD/err")" "file is truncated" "half a file: truncation warned"
ok "half a file converts" wp-convert -f folded "$TMPD/half.wpd"
is "$(grep -cvE '^(.*) ([0-9]+)$' "$TMPD/out")" 0 "half a file: folded lines well formed"

# ---- flipped bytes: the damaged block is skipped, the rest reported --------
flips=0 flip_crashes=0
for off in $(seq 100 211 $((size - 2))); do
	cp "$full" "$TMPD/flip.wpd"
	b=$(od -An -tu1 -j "$off" -N1 "$full" | tr -d ' ')
	printf "\\$(printf '%03o' $(((b + 1) % 256)))" |
		dd of="$TMPD/flip.wpd" bs=1 seek="$off" conv=notrunc 2>/dev/null
	for t in "wp-report --json" "wp-convert -f folded"; do
		$t "$TMPD/flip.wpd" >"$TMPD/out" 2>"$TMPD/err"
		rc=$?
		[ "$rc" -ge 2 ] && { flip_crashes=$((flip_crashes + 1)); diag "$t, byte $off flipped: exit $rc"; }
	done
	wp-report --json "$TMPD/flip.wpd" >"$TMPD/out" 2>"$TMPD/err"
	d=$(jget "$TMPD/out" '$d->{read}{blocks_damaged}')
	[ "$d" -ge 1 ] 2>/dev/null && grep -q 'damaged block' "$TMPD/err" && flips=$((flips + 1))
done
is "$flip_crashes" 0 "a flipped byte never crashes a tool"
cmp_ok "$flips" ">" 5 "damaged blocks are counted in the JSON and warned about ($flips)"

cp "$full" "$TMPD/flip.wpd"
printf '\377\377\377\377' | dd of="$TMPD/flip.wpd" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
ok "a damaged middle block" wp-report "$TMPD/flip.wpd"
like "$(sed -n 's/^# read: *//p' "$TMPD/out")" "[1-9][0-9]* damaged, [1-9][0-9]* bytes skipped" \
	"the header shows the damage"
like "$(sed -n 's/^# damage: *//p' "$TMPD/out")" "." "and what it was"

# ---- the fuzz corpus of the reader, through the whole tools ---------------
corpus="$WP_SRC/tests/fuzz/corpus/wpd_read"
if [ -d "$corpus" ]; then
	n=0 c=0
	for f in "$corpus"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		wp-report "$f" >/dev/null 2>&1
		[ $? -ge 2 ] && { c=$((c + 1)); diag "wp-report crashes on $f"; }
		wp-convert -f folded "$f" >/dev/null 2>&1
		[ $? -ge 2 ] && { c=$((c + 1)); diag "wp-convert crashes on $f"; }
	done
	is "$c" 0 "the reader's fuzz corpus ($n files) never crashes the tools"
fi

done_testing
