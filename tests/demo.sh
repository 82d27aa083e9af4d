#!/bin/sh
# make demo: record the bundled demo workload, print a report, write a
# folded file (and, once wp-convert has it, a flame graph).
set -eu
: "${WP_BIN:=build/bin}" "${WP_BUILD:=build}"
out=${WP_DEMO_DIR:-$WP_BUILD/demo}
mkdir -p "$out"

if [ "$(id -u)" != 0 ]; then
	echo "demo: recording needs root (CAP_BPF and CAP_PERFMON); run 'make demo' as root" >&2
	exit 1
fi

echo "== wp-record -F 199 -o $out/demo.wpd -- demo 3"
"$WP_BIN/wp-record" -q -f -F 199 -o "$out/demo.wpd" -- "$WP_BUILD/tests/workloads/demo" 3
echo
echo "== wp-report -i $out/demo.wpd"
"$WP_BIN/wp-report" -i "$out/demo.wpd" --limit 15
echo
"$WP_BIN/wp-convert" -f folded -i "$out/demo.wpd" -o "$out/demo.folded"
echo "== folded stacks: $out/demo.folded ($(wc -l < "$out/demo.folded") stacks)"
if "$WP_BIN/wp-convert" -f svg -i "$out/demo.wpd" -o "$out/demo.svg" 2>/dev/null; then
	echo "== flame graph: $out/demo.svg"
fi
