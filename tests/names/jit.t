#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# JIT code described by a perf map (/tmp/perf-PID.map) is named from the
# recording after the map is deleted: a small C JIT, and Node's
# --perf-basic-prof when node is installed.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
. "$WP_SRC/tests/names/lib.sh"
need_root

ok "the JIT builds" gcc -O1 -g -fno-omit-frame-pointer -o "$TMPD/jit" "$SRC/jit.c"
ok "records it" wp-record -F 499 -o "$TMPD/j.wpd" -- "$TMPD/jit" 1.2
pid=$(pid_line "$TMPD/out")
like "$pid" '^[0-9]+$' "the JIT's pid"
test -e "/tmp/perf-$pid.map"
is $? 0 "it wrote /tmp/perf-$pid.map"
rm -f "/tmp/perf-$pid.map"

is "$(fn_get "$TMPD/j.wpd" jit_spin_loop jit)" true "map deleted: jit_spin_loop is named, flagged jit"
is "$(fn_get "$TMPD/j.wpd" jit_spin_loop module)" "[jit]" "in module [jit]"
cmp_ok "$(fn_pct "$TMPD/j.wpd" jit_spin_loop)" '>' 85 "with the samples (> 85%)"
is "$(fn_get "$TMPD/j.wpd" jit_cold_stub name)" "" "the map's other entry, never run, is not there"
wp-convert -f folded "$TMPD/j.wpd" >"$TMPD/folded" 2>"$TMPD/err"
like "$(cat "$TMPD/folded")" ';jit_spin_loop_\[j\] [0-9]+' "folded: jit_spin_loop_[j]"
# Only the entries hit are stored.
is "$(jval "$TMPD/j.wpd" 'scalar grep { $_->{jit} } @{$j->{functions}}')" 1 "one JIT symbol stored"
# --no-embed-symbols keeps the JIT symbols: perf maps do not outlive the process.
ok "records with --no-embed-symbols" \
	wp-record -F 499 --no-embed-symbols -o "$TMPD/j2.wpd" -- "$TMPD/jit" 0.5
rm -f "/tmp/perf-$(pid_line "$TMPD/out").map"
is "$(fn_get "$TMPD/j2.wpd" jit_spin_loop jit)" true "--no-embed-symbols: JIT symbols still stored"

if command -v node >/dev/null 2>&1; then
	cat >"$TMPD/hot.js" <<'JS'
function wpHotLoop(n) { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) | 0; return x; }
const t0 = Date.now(); let s = 0;
while (Date.now() - t0 < 1500) s += wpHotLoop(100000);
console.log("pid " + process.pid + " " + s);
JS
	# (in $TMPD: node writes an isolate-*.log into its working directory)
	ok "records node --perf-basic-prof" \
		bash -c 'cd "$1" && wp-record -F 499 -o n.wpd -- node --perf-basic-prof hot.js' _ "$TMPD"
	npid=$(pid_line "$TMPD/out" | cut -d' ' -f1)
	rm -f "/tmp/perf-$npid.map"
	n=$(names "$TMPD/n.wpd")
	like "$n" 'wpHotLoop[^	]*	\[jit\]	j' "node: the JIT-compiled wpHotLoop is named from its perf map"
	cmp_ok "$(jval "$TMPD/n.wpd" 'my $t = 0; for (@{$j->{functions}}) { $t += $_->{self_pct} if $_->{jit} } $t')" \
		'>' 50 "node: most samples are in named JIT code"
else
	_tap_result 0 "node: not installed # SKIP"
fi
done_testing
