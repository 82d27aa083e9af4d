#!/bin/bash
# wp-diff on folded files and fixtures with known shares: the table's order
# and deltas, normalisation, appeared/vanished paths, the noise threshold,
# -f folded and -f svg, --fail-above exit status, usage errors.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$WP_SRC/tests/offline/fixture.sh"
[ -x "$WP_BIN/wp-diff" ] || skip_all "$WP_BIN/wp-diff is not built"

B=$TMPD/before.folded A=$TMPD/after.folded
printf '%s\n' 'app;main;work;hot_a 600' 'app;main;work;hot_b 300' 'app;main;idle 100' >"$B"
printf '%s\n' 'app;main;work;hot_a 300' 'app;main;work;hot_b 600' 'app;main;io 100' >"$A"
awk '{ $NF = $NF * 2; print }' "$A" >"$TMPD/after2.folded"

rows() { grep -v '^#' "$TMPD/out" | sed -n '1,/^$/p' | awk 'NF' | head -"${1:-100}"; }

ok "two folded files" wp-diff "$B" "$A"
table() { sed -n '/^# self/,/^#$/p' "$TMPD/out" | grep -v '^#'; }
is "$(table | tr -s ' ')" " 30.00 60.00 +30.00 +100% 30.00 60.00 +30.00 hot_b
 0.00 10.00 +10.00 new 0.00 10.00 +10.00 io
 60.00 30.00 -30.00 -50% 60.00 30.00 -30.00 hot_a
 10.00 0.00 -10.00 gone 10.00 0.00 -10.00 idle" \
	"grew first (most first), then shrank (most first); absolute and relative deltas"
like "$(cat "$TMPD/out")" "2 under the threshold" "unchanged functions (main, work) are left out"
like "$(cat "$TMPD/out")" "# paths that appeared \(after only\): 1
 +10.00%  app;main;io" "paths that appeared"
like "$(cat "$TMPD/out")" "# paths that vanished \(before only\): 1
 +10.00%  app;main;idle" "paths that vanished"
is "$(cat "$TMPD/err")" "" "nothing on stderr"

ok "normalised by each side's total" wp-diff "$B" "$TMPD/after2.folded"
is "$(grep -c '+30.00 .*hot_b' "$TMPD/out")" 1 "twice the samples after: the same shares"
ok "--no-normalize" wp-diff --no-normalize "$B" "$TMPD/after2.folded"
like "$(cat "$TMPD/out")" "300 +1200 +\+900 +\+300%.* hot_b" "absolute values and deltas"
ok "--threshold" wp-diff --threshold 15 "$B" "$A"
is "$(table | awk '{ print $NF }' | paste -sd,)" "hot_b,hot_a" \
	"--threshold 15: only the big changes"
ok "-n 1" wp-diff -n 1 "$B" "$A"
like "$(cat "$TMPD/out")" "# 3 more not shown" "--limit"

# CI gate
wp-diff --fail-above 20 "$B" "$A" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 3 "--fail-above 20: hot_b grew by 30 points: exit status 3"
like "$(cat "$TMPD/err")" "hot_b: self share grew by 30.00 points \(30.00% -> 60.00%\), above 20.00" \
	"names the function"
wp-diff --fail-above 40 "$B" "$A" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 0 "--fail-above 40: exit status 0"
wp-diff --fail-above 5 "$A" "$A" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 0 "no change: exit status 0"
like "$(cat "$TMPD/out")" "0 changed" "no change: nothing listed"

# -f folded (difffolded.pl's output)
ok "-f folded" wp-diff -f folded "$B" "$TMPD/after2.folded"
is "$(cat "$TMPD/out")" "app;main;idle 200 0
app;main;io 0 200
app;main;work;hot_a 1200 600
app;main;work;hot_b 600 1200" "every stack, before scaled to the after total, sorted"
ok "-f folded --no-normalize" wp-diff -f folded --no-normalize "$B" "$TMPD/after2.folded"
is "$(head -1 "$TMPD/out")" "app;main;idle 100 0" "--no-normalize: raw counts"

# -o to a FIFO: written in place, the FIFO stays one (not renamed over)
mkfifo "$TMPD/fifo"
timeout 20 cat "$TMPD/fifo" >"$TMPD/from-fifo" &
ok "-o FIFO" wp-diff -f folded -o "$TMPD/fifo" "$B" "$A"
wait
like "$(cat "$TMPD/from-fifo")" "app;main;work;hot_b " "-o FIFO: the output went through the pipe"
ok "-o FIFO: still a FIFO" test -p "$TMPD/fifo"
is "$(ls "$TMPD" | grep -c 'fifo.')" 0 "-o FIFO: no temporary file left"

# -o FILE: written whole or not at all
ok "-o FILE" wp-diff -f folded -o "$TMPD/d.folded" "$B" "$A"
is "$(cat "$TMPD/out")" "" "-o: nothing on stdout"
is "$(wc -l <"$TMPD/d.folded")" 4 "-o: written"
is "$(ls "$TMPD" | grep -c 'd.folded.')" 0 "-o: no temporary file left"
echo keep >"$TMPD/keep"
fails "-o: a write past the file size limit" bash -c \
	'trap "" XFSZ; ulimit -f 1; exec wp-diff -f svg -o "$1" "$2" "$3"' _ "$TMPD/keep" "$B" "$A"
like "$(cat "$TMPD/err")" "cannot write '.*keep': (File too large|Input/output error)" \
	"-o: a failed write names FILE and the error"
is "$(cat "$TMPD/keep")" keep "-o: a failed write leaves FILE alone"
is "$(ls "$TMPD" | grep -c 'keep.')" 0 "-o: a failed write leaves no temporary file"
fails "-o into a missing directory" wp-diff -o "$TMPD/no/such/dir" "$B" "$A"
like "$(cat "$TMPD/err")" "cannot create '.*no/such/dir\..{6}': No such file or directory" \
	"-o error names the problem"
if [ -c /dev/full ]; then
	fails "-o /dev/full" wp-diff -o /dev/full "$B" "$A"
	like "$(cat "$TMPD/err")" "cannot write '/dev/full': " "-o /dev/full: says so"
	fails "stdout to /dev/full" bash -c 'exec wp-diff "$1" "$2" >/dev/full' _ "$B" "$A"
	like "$(cat "$TMPD/err")" "cannot write the output: " "stdout to /dev/full: says so"
fi

# -f svg
command -v xmllint >/dev/null && {
ok "-f svg" wp-diff -f svg -o "$TMPD/d.svg" "$B" "$A"
ok "-f svg: well-formed XML" xmllint --noout "$TMPD/d.svg"
fill_of() { grep -A2 "<title>$1\$" "$TMPD/d.svg" | sed -n 's/.*fill="rgb(\([0-9,]*\))".*/\1/p'; }
is "$(fill_of hot_b)" "255,85,85" "hot_b grew most: strongest red"
is "$(fill_of hot_a)" "85,85,255" "hot_a shrank most: strongest blue"
is "$(fill_of io | cut -d, -f1)" 255 "io grew: red"
is "$(fill_of work)" "235,235,235" "work: unchanged self share"
like "$(cat "$TMPD/d.svg")" "self 30.00% -> 60.00% \(\+30.00\)" "tooltips give the change"
like "$(cat "$TMPD/d.svg")" ">Differential Flame Graph<" "title"
}

# .wpd inputs: folded exactly as wp-convert -f folded does
wp-convert -f folded "$FX/simple.wpd" >"$TMPD/simple.folded" 2>/dev/null
ok "a recording and its folded file" wp-diff "$FX/simple.wpd" "$TMPD/simple.folded"
like "$(cat "$TMPD/out")" "0 changed" "are the same profile"
ok "two recordings" wp-diff "$FX/simple.wpd" "$FX/full.wpd"
is "$(table | head -1 | tr -s ' ')" " 0.00 10.66 +10.66 new 0.00 10.66 +10.66 [k] fx_kinner" \
	"a new kernel function grew most"
like "$(cat "$TMPD/out")" "66.67 +42.64 +-24.02 +-36% .* fx_b" "fx_b: 2/3 -> 200/469"
ok "filters apply to recordings" wp-diff --pid 100 --comm fx-main "$FX/simple.wpd" "$FX/full.wpd"
like "$(cat "$TMPD/out")" "0 changed" "the same thread in both: no change"
ok "--per-thread" wp-diff --per-thread "$FX/simple.wpd" "$FX/full.wpd"
like "$(cat "$TMPD/out")" "fx_b  \[fx-main-100\]" "--per-thread: functions per thread"
ok "off-CPU recordings" wp-diff "$FX/simple.wpd" "$FX/sched.wpd"
like "$(cat "$TMPD/out")" "\[off-cpu:blocked\]" "off-CPU reasons are rows"
like "$(cat "$TMPD/out")" "before: .*simple.wpd \(3030 ms\)" "both sides in time when one has off-CPU time"
ok "a folded file on standard input" wp-diff - "$A" <"$B"
like "$(cat "$TMPD/out")" "hot_b" "stdin"

# errors and usage
wp-diff "$B" "$TMPD/missing.folded" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 1 "a missing input: exit status 1"
like "$(cat "$TMPD/err")" "cannot open '.*missing.folded'" "names it"
printf 'app;main 10\nno count here\n' >"$TMPD/bad.folded"
wp-diff "$B" "$TMPD/bad.folded" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 1 "a malformed folded file: exit status 1"
like "$(cat "$TMPD/err")" "bad.folded:2: invalid count 'here'" "names the line"
head -c 40 "$FX/full.wpd" >"$TMPD/cut.wpd"
wp-diff "$TMPD/cut.wpd" "$B" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 1 "a .wpd cut in its header: exit status 1"
usage() { # NAME ARGS...: exit status 2
	local name=$1; shift
	wp-diff "$@" >"$TMPD/out" 2>"$TMPD/err"
	is "$?" 2 "$name: exit status 2"
}
usage "one input" "$B"
usage "three inputs" "$B" "$A" "$A"
usage "both on stdin" - -
usage "unknown format" -f html "$B" "$A"
usage "bad --fail-above" --fail-above x "$B" "$A"
usage "bad --threshold" --threshold 101 "$B" "$A"
usage "unknown option" --frobnicate "$B" "$A"
ok "--help" wp-diff --help
like "$(cat "$TMPD/out")" "usage: wp-diff \[options\] BEFORE AFTER" "--help"
like "$(cat "$TMPD/out")" "3 --fail-above exceeded" "--help documents the exit status"
ok "--version" wp-diff --version
like "$(cat "$TMPD/out")" "^wp-diff [0-9]" "--version"

done_testing
