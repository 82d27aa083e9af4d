#!/bin/bash
# shellcheck disable=SC2016 # perl expressions for jget are single-quoted on purpose
# wp-report --sandwich FUNC: callers and callees of a function, merged over
# every call site, with self and total shares, in text and JSON.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$WP_SRC/tests/offline/fixture.sh"

rows() { sed -n '/^# sandwich/,$p' "$TMPD/out" | grep -v '^#'; }

ok "--sandwich fx_a" wp-report --sandwich fx_a "$FX/full.wpd"
like "$(cat "$TMPD/out")" '# sandwich: fx_a \(1 frame of that name\)' "names the function"
like "$(cat "$TMPD/out")" 'self 0.00%, total 53.30% of the selection \(250 of 469 samples\)' \
	"its self and total share"
is "$(rows | sed 's/  *(.*)$//' | tr -s ' ')" " 0.00 53.30 0 250 fx_a
 53.30 53.30 250 250 fx_main
 0.00 53.30 0 250 fx_a
 42.64 42.64 200 200 fx_b
 0.00 10.66 0 50 [k] fx_kentry
 10.66 10.66 50 50 [k] fx_kinner" "callers (fx_main, both call sites merged) and callees by total"
like "$(cat "$TMPD/out")" 'fx_b  \(report_fixture.t\)' "callees name their binary"
like "$(head -3 "$TMPD/out")" '# host: +fixture-host' "the header comes first"

ok "--sandwich on a recursive function" wp-report --sandwich fx_rec "$FX/full.wpd"
is "$(rows | sed 's/  *(.*)$//' | tr -s ' ')" " 6.40 6.40 30 30 fx_rec
 6.40 6.40 30 30 fx_main
 6.40 6.40 30 30 fx_rec
 0.00 6.40 0 30 fx_rec
 6.40 6.40 30 30 fx_rec" \
	"recursion: counted once, from the outermost call; self where it is the leaf"
ok "--sandwich fx_main" wp-report --sandwich fx_main "$FX/full.wpd"
is "$(rows | awk 'NR == 1 || NR == 2')" "    0.00   82.52         0       387  fx_main
    0.00   82.52         0       387  fx_main" "a root function: no callers below it"
ok "--sandwich with a filter" wp-report --sandwich fx_a --tid 101 "$FX/full.wpd"
like "$(cat "$TMPD/out")" 'total 100.00% of the selection \(50 of 50 samples\)' "filters apply"
ok "--sandwich -n 1" wp-report --sandwich fx_a -n 1 "$FX/full.wpd"
is "$(rows | grep -c kentry)" 0 "--limit: children per node"

ok "--sandwich --json" wp-report --json --sandwich fx_a "$FX/full.wpd"
J=$TMPD/out
is "$(jget "$J" '$d->{sandwich}{function} . " " . $d->{sandwich}{frames_matched}')" "fx_a 1" \
	"json: function, frames matched"
is "$(jget "$J" 'join " ", map { $d->{sandwich}{$_} } qw(selected_total self total self_pct total_pct)')" \
	"469 0 250 0 53.3049" "json: totals and shares"
is "$(jget "$J" 'join ",", map { "$_->{name}:$_->{total}" } @{$d->{sandwich}{callees}{children}}')" \
	"fx_b:200,fx_kentry:50" "json: callees"
is "$(jget "$J" '$d->{sandwich}{callees}{children}[1]{children}[0]{name} . " " . ($d->{sandwich}{callees}{children}[1]{kernel} ? "k" : "u")')" \
	"fx_kinner k" "json: the callees tree nests"
is "$(jget "$J" 'join ",", map { "$_->{name}:$_->{self}" } @{$d->{sandwich}{callers}{children}}')" \
	"fx_main:250" "json: callers"
is "$(jget "$J" '$d->{samples}')" 469 "json: the report's header is there too"

# Off-CPU: a blocking function's callees end in the reasons.
ok "--sandwich on off-CPU data" wp-report --sandwich fx_kinner "$FX/sched.wpd"
like "$(cat "$TMPD/out")" 'self ms +total ms' "wall-clock time in ms"
is "$(rows | sed -n '/\[off-cpu/p' | sed 's/  *(.*)$//' | tr -s ' ')" " 50.69 50.69 568.000 568.000 [off-cpu:blocked]
 26.77 26.77 300.000 300.000 [off-cpu:sleep]" "callees: the off-CPU reasons with their time"
ok "--sandwich --on-cpu" wp-report --sandwich fx_c --on-cpu "$FX/sched.wpd"
unlike "$(cat "$TMPD/out")" 'off-cpu:' "--on-cpu: no off-CPU time"

# Errors
wp-report --sandwich fx "$FX/full.wpd" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 1 "an unknown function: exit status 1"
like "$(cat "$TMPD/err")" "no function named 'fx' in" "says so"
like "$(cat "$TMPD/err")" "did you mean 'fx_" "and suggests names"
is "$(cat "$TMPD/err" | LC_ALL=C grep -c $'[\x01-\x09]')" 0 "suggestions are printable"
wp-report --sandwich >"$TMPD/out" 2>"$TMPD/err"
is "$?" 2 "--sandwich without a name: usage"
ok "--help mentions --sandwich" wp-report --help
like "$(cat "$TMPD/out")" "--sandwich FUNC" "--help"

done_testing
