#!/bin/bash
# wp-convert -f folded on fixtures with known stacks: exact lines and
# counts, sorting, filters, escaping, output handling and usage errors.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$WP_SRC/tests/offline/fixture.sh"

# ---- exact output ------------------------------------------------------
ok "simple.wpd converts" wp-convert -f folded -i "$FX/simple.wpd"
is "$(cat "$TMPD/out")" "fx-main;fx_main;fx_a;fx_b 200
fx-main;fx_main;fx_c 100" "simple.wpd: comm;root;...;leaf count, sorted"
is "$(cat "$TMPD/err")" "" "simple.wpd: nothing on stderr"

ok "full.wpd converts" wp-convert -f folded "$FX/full.wpd"
cp "$TMPD/out" "$TMPD/full.folded"
is "$(norm_offsets "$TMPD/full.folded")" "after;fx_main;fx_rec;fx_rec;fx_rec 20
before;fx_main;fx_rec;fx_rec;fx_rec 10
fx-exec;fx-after+0xOFF;fx-after+0xOFF 3
fx-exec;fx_main;fx_c 7
fx-kthread;[unknown]_[k];fx_modfunc_[k];fx:semi?nl_[k] 30
fx-main;fx_main;fx_a;fx_b 200
fx-main;fx_main;fx_c 100
fx-mismatch;[unknown];report_fixture.t+0xOFF;report_fixture.t+0xOFF;report_fixture.t+0xOFF 40
fx-nostack;[no stack] 5
fx-nostack;[unknown stack] 4
fx:worker?x;fx_main;fx_a;fx_kentry_[k];fx_kinner_[k] 50" \
	"full.wpd: every stack, user root first, kernel frames last with _[k]"
is "$(awk '{ s += $NF } END { print s }' "$TMPD/full.folded")" 469 "counts add up to every sample"
is "$(grep -cvE '^(.*) ([0-9]+)$' "$TMPD/full.folded")" 0 \
	"every line matches speedscope's ^(.*) (\\d+)\$"
is "$(grep -cvE ' [1-9][0-9]*$' "$TMPD/full.folded")" 0 "positive integer counts"
is "$(LC_ALL=C sort "$TMPD/full.folded" | cmp - "$TMPD/full.folded" && echo sorted)" sorted \
	"lines are in byte order"
is "$(cut -d' ' -f1 "$TMPD/full.folded" | sort | uniq -d)" "" "no stack twice"
is "$(tr -d '\n' <"$TMPD/full.folded" | LC_ALL=C grep -c $'[\x01-\x1f\r]')" 0 \
	"no control characters: names with newlines did not break lines"
like "$(cat "$TMPD/err")" "build-id mismatch for .*report_fixture.t: recorded abab" \
	"a wrong build-id is warned about"
is "$(grep -c 'build-id mismatch' "$TMPD/err")" 1 "once per binary"

wp-convert -f folded "$FX/full.wpd" >"$TMPD/again" 2>/dev/null
ok "the output is deterministic" cmp "$TMPD/full.folded" "$TMPD/again"
ok "input from stdin" wp-convert -f folded -i - <"$FX/simple.wpd"
is "$(wc -l <"$TMPD/out")" 2 "stdin: the same two lines"

# ---- filters -------------------------------------------------------------
sum() { awk '{ s += $NF } END { print s + 0 }' "$TMPD/out"; }
ok "--pid" wp-convert -f folded --pid 100 "$FX/full.wpd"
is "$(sum)" 380 "--pid 100: 380 samples"
ok "--pid list" wp-convert -f folded --pid 200,300 "$FX/full.wpd"
is "$(sum)" 70 "--pid 200,300: 70 samples"
ok "--tid" wp-convert -f folded --tid 101 "$FX/full.wpd"
is "$(sum)" 50 "--tid 101: 50"
ok "--comm" wp-convert -f folded --comm fx-main "$FX/full.wpd"
is "$(cat "$TMPD/out")" "fx-main;fx_main;fx_a;fx_b 200
fx-main;fx_main;fx_c 100" "--comm fx-main: its two stacks"
ok "--comm after a rename" wp-convert -f folded --comm after "$FX/full.wpd"
is "$(sum)" 20 "--comm after: only the samples after the rename"
ok "--comm with ';' and a newline" wp-convert -f folded --comm $'fx;worker\nx' "$FX/full.wpd"
is "$(sum)" 50 "--comm matches the raw name"
ok "--comm twice" wp-convert -f folded -c before -c after "$FX/full.wpd"
is "$(sum)" 30 "two --comm: either"
ok "--pid and --comm" wp-convert -f folded -p 100 -c fx-exec "$FX/full.wpd"
is "$(sum)" 0 "different options must all match"
like "$(cat "$TMPD/err")" "no samples selected" "an empty selection is warned about"
ok "--on-cpu --unit samples" wp-convert -f folded --on-cpu --unit samples "$FX/simple.wpd"
is "$(sum)" 300 "on-CPU samples: all of them"

# ---- output file -----------------------------------------------------------
ok "-o FILE" wp-convert -f folded -o "$TMPD/o.folded" "$FX/simple.wpd"
is "$(cat "$TMPD/out")" "" "-o: nothing on stdout"
is "$(wc -l <"$TMPD/o.folded")" 2 "-o: written"
is "$(ls "$TMPD" | grep -c 'o.folded.')" 0 "-o: no temporary file left"
echo keep >"$TMPD/keep.folded"
fails "a bad input" wp-convert -f folded -o "$TMPD/keep.folded" "$FX/nonexistent.wpd"
is "$(cat "$TMPD/keep.folded")" keep "a failed conversion leaves -o FILE alone"
fails "-o into a missing directory" wp-convert -f folded -o "$TMPD/no/such/dir" "$FX/simple.wpd"
like "$(cat "$TMPD/err")" "cannot create" "-o error names the problem"
# -o to what is not a regular file (a FIFO here, /dev/null in use) is
# written in place: a rename over it would replace the device or pipe.
mkfifo "$TMPD/fifo"
timeout 20 cat "$TMPD/fifo" >"$TMPD/from-fifo" &
ok "-o FIFO" wp-convert -f folded -o "$TMPD/fifo" "$FX/simple.wpd"
wait
is "$(wc -l <"$TMPD/from-fifo")" 2 "-o FIFO: the output went through the pipe"
ok "-o FIFO: still a FIFO" test -p "$TMPD/fifo"
is "$(ls "$TMPD" | grep -c 'fifo.')" 0 "-o FIFO: no temporary file left"
# A write that fails part way (the file size limit: EFBIG) leaves FILE as
# it was and no temporary, and says why.
fails "-o: a write past the file size limit" bash -c \
	'trap "" XFSZ; ulimit -f 1; exec wp-convert -f svg -o "$1" "$2"' _ "$TMPD/keep.folded" "$FX/full.wpd"
like "$(cat "$TMPD/err")" "cannot write '.*keep.folded': (File too large|Input/output error)" \
	"-o: a failed write names FILE and the error"
is "$(cat "$TMPD/keep.folded")" keep "-o: a failed write leaves FILE alone"
is "$(ls "$TMPD" | grep -c 'keep.folded.')" 0 "-o: a failed write leaves no temporary file"
# A device that refuses the data fails the run, in place (-o) and on
# standard output. (The writers flush themselves and say EIO; a failure
# the output file finds itself is reported with its errno.)
if [ -c /dev/full ]; then
	fails "-o /dev/full" wp-convert -f folded -o /dev/full "$FX/simple.wpd"
	like "$(cat "$TMPD/err")" "cannot write '/dev/full': (No space left on device|Input/output error)" \
		"-o /dev/full: says why"
	fails "stdout to /dev/full" bash -c 'exec wp-convert -f folded "$1" >/dev/full' _ "$FX/simple.wpd"
	like "$(cat "$TMPD/err")" "cannot write the output: (No space left on device|Input/output error)" \
		"stdout to /dev/full: says why"
fi

# ---- usage -----------------------------------------------------------------
usage() { # NAME ARGS...: exit status 2
	local name=$1; shift
	wp-convert "$@" >"$TMPD/out" 2>"$TMPD/err"
	is "$?" 2 "$name: exit status 2"
}
usage "no -f" "$FX/simple.wpd"
like "$(cat "$TMPD/err")" "format is required.*folded" "no -f: says so, lists formats"
usage "unknown format" -f svgz "$FX/simple.wpd"
like "$(cat "$TMPD/err")" "unknown format 'svgz'" "unknown format named"
like "$(cat "$TMPD/err")" "supported formats: folded" "supported formats listed"
usage "unknown unit" -f folded --unit seconds "$FX/simple.wpd"
like "$(cat "$TMPD/err")" "unknown unit 'seconds': supported units: samples, ns, us, ms" \
	"unknown unit named, units listed"
usage "bad --pid" -f folded --pid 12x "$FX/simple.wpd"
usage "--pid 0" -f folded --pid 0 "$FX/simple.wpd"
usage "bad --tid" -f folded --tid '' "$FX/simple.wpd"
usage "two inputs" -f folded "$FX/simple.wpd" "$FX/full.wpd"
usage "unknown option" -f folded --frobnicate "$FX/simple.wpd"
ok "--help" wp-convert --help
like "$(cat "$TMPD/out")" "usage: wp-convert -f FORMAT" "--help on stdout"
like "$(cat "$TMPD/out")" "folded" "--help lists the formats"
ok "--version" wp-convert --version
like "$(cat "$TMPD/out")" "^wp-convert [0-9]" "--version"
(cd "$TMPD" && cp "$FX/simple.wpd" wp.wpd && wp-convert -f folded >out2 2>err2)
is "$?" 0 "default input wp.wpd"
is "$(wc -l <"$TMPD/out2")" 2 "default input read"

done_testing
