#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# C++ names, demangled: a method, a function template, namespaces; the same
# names from the recording alone once the binary is gone.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
. "$WP_SRC/tests/names/lib.sh"
need_root

ok "a C++ program builds" g++ -std=c++17 -O1 -g -fno-omit-frame-pointer -fno-inline \
	-o "$TMPD/cxx" "$SRC/cxx.cpp"
ok "records it" wp-record -F 499 -o "$TMPD/c.wpd" -- "$TMPD/cxx" 1.5

run="wpt::Worker::run()"
tmpl="unsigned long wpt::spin_template<unsigned long>(unsigned long)"
deep="wpt::detail::deep_helper(long)"
n=$(names "$TMPD/c.wpd")
like "$n" "^wpt::Worker::run\(\)	cxx	" "a method: $run"
like "$n" "^unsigned long wpt::spin_template<unsigned long>\(unsigned long\)	cxx	" \
	"a function template: $tmpl"
like "$n" "^wpt::detail::deep_helper\(long\)	cxx	" "a nested namespace: $deep"
unlike "$n" "_ZN" "no mangled name left"
cmp_ok "$(fn_pct "$TMPD/c.wpd" "$run")" '>' 90 "the method is on the hot path (> 90% total)"
cmp_ok "$(fn_pct "$TMPD/c.wpd" "$tmpl")" '>' 40 "the template has most of the samples"
wp-convert -f folded "$TMPD/c.wpd" >"$TMPD/folded" 2>"$TMPD/err"
like "$(cat "$TMPD/folded")" "(^|;)main;wpt::Worker::run\(\);unsigned long wpt::spin_template<unsigned long>\(unsigned long\) [0-9]+" \
	"folded: main;wpt::Worker::run();...spin_template... (complete, demangled)"

# The binary gone: the recording has the names.
# (dwarf, the default, may truncate a stack or two at the process's start
# or end, with a warning: the same one before and after the move)
before=$(wp-report -n 0 "$TMPD/c.wpd" 2>"$TMPD/err0" | grep -v '^#')
mv "$TMPD/cxx" "$TMPD/cxx.moved"
after=$(wp-report -n 0 "$TMPD/c.wpd" 2>"$TMPD/err" | grep -v '^#')
is "$after" "$before" "the binary moved away: the same report, from the recording's names"
is "$(cat "$TMPD/err")" "$(cat "$TMPD/err0")" "and no warning about the missing binary"
unlike "$(cat "$TMPD/err")" "cxx|cannot read|build-id" "(none naming the binary)"
done_testing
