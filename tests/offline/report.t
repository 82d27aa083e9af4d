#!/bin/bash
# wp-report on fixtures with known content: the header facts, the drop
# counters, exact self/total shares, --sort/--limit, filters, JSON, usage.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$WP_SRC/tests/offline/fixture.sh"
export TZ=UTC

# row FUNCTION: "self% total% self total module" of the text report in out
row() {
	awk -v f="$1" '!/^#/ && $5 == f { print $1, $2, $3, $4, $6 }' "$TMPD/out"
}
krow() {
	awk -v f="$1" '!/^#/ && $5 == "[k]" && $6 == f { print $1, $2, $3, $4, $7 }' "$TMPD/out"
}
hdr() { sed -n "s/^# $1: *//p" "$TMPD/out"; }

# ---- text -----------------------------------------------------------------
ok "simple.wpd reports" wp-report "$FX/simple.wpd"
is "$(cat "$TMPD/err")" "" "nothing on stderr"
is "$(row fx_b)" "66.67 66.67 200 200 report_fixture.t" "fx_b: 2/3 self"
is "$(row fx_c)" "33.33 33.33 100 100 report_fixture.t" "fx_c: 1/3 self"
is "$(row fx_main)" "0.00 100.00 0 300 report_fixture.t" "fx_main: in every stack"
is "$(row fx_a)" "0.00 66.67 0 200 report_fixture.t" "fx_a: total 2/3"
is "$(awk '!/^#/ && NF { print $5 }' "$TMPD/out" | head -2 | tr '\n' ' ')" "fx_b fx_c " \
	"sorted by self"
is "$(hdr host)" fixture-host "header: host"
is "$(hdr kernel)" 6.1.0-fixture "header: kernel"
is "$(hdr arch)" x86_64 "header: arch"
is "$(hdr command)" "wp-record -o fixture.wpd -- fixture" "header: command"
is "$(hdr target)" "command fixture" "header: target"
is "$(hdr started)" "2023-11-14 22:13:20.123 +0000" "header: wall-clock start"
is "$(hdr duration)" "2.000 s" "header: duration"
is "$(hdr frequency)" "99 Hz" "header: frequency"
is "$(hdr cpus)" 4 "header: cpus"
is "$(hdr 'wp version')" 0.1.0-fixture "header: wp version"
is "$(hdr samples)" 300 "header: samples"
is "$(hdr lost)" "ringbuf_full 0, stack_errors 2" "header: every lost.* counter"
is "$(hdr finished)" yes "header: finished"
like "$(hdr read)" "^[0-9]+ blocks, 0 damaged, 0 bytes skipped, 0 unknown records skipped" \
	"header: read statistics"
is "$(hdr dangling)" "0 samples name an unknown stack, 0 references to unknown strings" \
	"header: dangling references"

ok "full.wpd reports" wp-report -i "$FX/full.wpd" --limit 0
is "$(hdr samples)" 469 "full: 469 samples"
is "$(hdr lost)" "ringbuf_full 7, stack_errors 2" "full: FINISH counters win over STATS"
is "$(hdr dangling)" "4 samples name an unknown stack, 0 references to unknown strings" \
	"full: the undefined stack is counted"
like "$(cat "$TMPD/err")" "4 samples name a stack that is not in the file" \
	"full: and warned about"
is "$(row fx_b)" "42.64 42.64 200 200 report_fixture.t" "full: fx_b 200/469"
is "$(row fx_main)" "0.00 82.52 0 387 report_fixture.t" "full: fx_main total 387/469"
is "$(row fx_rec)" "6.40 6.40 30 30 report_fixture.t" "recursion counted once per sample"
is "$(krow fx_kinner)" "10.66 10.66 50 50 [kernel.kallsyms]" "kernel frame marked [k]"
is "$(krow fx_modfunc)" "0.00 6.40 0 30 [fxmod]" "module symbol"
is "$(krow 'fx;semi?nl')" "6.40 6.40 30 30 [kernel.kallsyms]" \
	"a newline in a name does not break the table"
is "$(row '[no' | cut -d' ' -f1-4)" "1.07 1.07 5 5" "samples without a stack shown"
like "$(awk '!/^#/ && /report_fixture.t\+0x/' "$TMPD/out")" "8.53 +8.53 +40 +40 +report_fixture.t\+0x[0-9a-f]+ +report_fixture.t" \
	"wrong build-id: module+0xOFF, never a name"
is "$(awk '!/^#/ && NF' "$TMPD/out" | wc -l)" 18 "--limit 0: all 18 functions"

ok "--limit 3" wp-report --limit 3 "$FX/full.wpd"
is "$(awk '!/^#/ && NF' "$TMPD/out" | wc -l)" 3 "--limit 3: three rows"
ok "--sort total" wp-report --sort total -n 2 "$FX/full.wpd"
is "$(awk '!/^#/ && NF { print $5 }' "$TMPD/out" | tr '\n' ' ')" "fx_main fx_a " \
	"--sort total: fx_main, then fx_a"

# ---- filters ---------------------------------------------------------------
ok "--tid" wp-report --tid 101 "$FX/full.wpd"
is "$(krow fx_kinner)" "100.00 100.00 50 50 [kernel.kallsyms]" "--tid 101: shares of its samples"
like "$(hdr filter)" "tid 101; 50 of 469 samples selected" "--tid: the header says so"
ok "--pid --comm" wp-report --pid 100 --comm before "$FX/full.wpd"
is "$(row fx_rec)" "100.00 100.00 10 10 report_fixture.t" "--pid 100 --comm before: 10 samples"
ok "--comm matching nothing" wp-report --comm nobody "$FX/full.wpd"
like "$(cat "$TMPD/out")" "no samples selected" "an empty selection says so"

# ---- JSON -------------------------------------------------------------------
ok "--json" wp-report --json "$FX/simple.wpd"
cp "$TMPD/out" "$TMPD/simple.json"
j() { jget "$TMPD/simple.json" "$1"; }
is "$(j '$d->{hostname}')" fixture-host "json: hostname"
is "$(j '$d->{kernel}')" 6.1.0-fixture "json: kernel"
is "$(j '$d->{arch}')" x86_64 "json: arch"
is "$(j '$d->{cmdline}')" "wp-record -o fixture.wpd -- fixture" "json: cmdline"
is "$(j '$d->{target}')" "command fixture" "json: target"
is "$(j '$d->{start_realtime_ns}')" 1700000000123456789 "json: start_realtime_ns exact"
is "$(j '$d->{duration_ns}')" 2000000000 "json: duration_ns"
is "$(j '$d->{sample_freq_hz}')" 99 "json: sample_freq_hz"
is "$(j '$d->{samples}')" 300 "json: samples"
is "$(j '$d->{ncpus}')" 4 "json: ncpus"
is "$(j '$d->{wp_version}')" 0.1.0-fixture "json: wp_version"
is "$(j '$d->{lost}')" '{"ringbuf_full":0,"stack_errors":2}' "json: lost"
is "$(j '$d->{read}{truncated}') $(j '$d->{read}{finished}') $(j '$d->{read}{blocks_damaged}')" \
	"false true 0" "json: read"
is "$(j '$d->{read}{records_unknown}')" 0 "json: records_unknown"
is "$(j 'scalar @{$d->{functions}}')" 4 "json: four functions"
is "$(j '$d->{functions}[0]')" \
	'{"inlined":false,"jit":false,"kernel":false,"module":"report_fixture.t","name":"fx_b","resolved":true,"self":200,"self_pct":66.6667,"total":200,"total_pct":66.6667}' \
	"json: the top function"
is "$(j '$d->{functions}[2]{name} . " " . $d->{functions}[2]{total_pct}')" "fx_main 100" \
	"json: total share"

ok "--json on full.wpd" wp-report --json --limit 0 "$FX/full.wpd"
cp "$TMPD/out" "$TMPD/full.json"
is "$(jget "$TMPD/full.json" '$d->{read}{dangling_stack_samples}')" 4 "json: dangling"
is "$(jget "$TMPD/full.json" '(grep { $_->{name} eq "fx_kinner" } @{$d->{functions}})[0]{kernel}')" \
	true "json: kernel frames flagged"
is "$(jget "$TMPD/full.json" '(grep { $_->{name} eq "fx;semi\nnl" } @{$d->{functions}})[0]{self}')" \
	30 "json: names are kept exactly, escaped"
is "$(jget "$TMPD/full.json" 'scalar grep { !$_->{resolved} } @{$d->{functions}}')" 9 \
	"json: unresolved and pseudo frames flagged"

ok "--json with a filter" wp-report --json --pid 200 --comm fx-mismatch "$FX/full.wpd"
is "$(jget "$TMPD/out" '$d->{samples_selected}')" 40 "json: samples_selected"
is "$(jget "$TMPD/out" '$d->{filter}')" '{"comm":["fx-mismatch"],"pid":[200],"tid":[]}' \
	"json: the filter"

ok "--json on an unfinished file" wp-report --json "$FX/unfinished.wpd"
is "$(jget "$TMPD/out" '$d->{read}{finished}')" false "json: finished false"
is "$(jget "$TMPD/out" '$d->{duration_ns}') $(jget "$TMPD/out" '$d->{duration_estimated}')" \
	"499000000 true" "json: duration from the samples when the recorder did not store it"
like "$(cat "$TMPD/err")" "recording did not finish cleanly: file ends after block [0-9]+" \
	"unfinished: warned"
ok "unknown records" wp-report --json "$FX/unknown.wpd"
is "$(jget "$TMPD/out" '$d->{read}{records_unknown}')" 1 "json: records_unknown"
ok "unknown records, text" wp-report -v "$FX/unknown.wpd"
like "$(hdr read)" " 1 unknown records skipped" "text: unknown records shown"

# ---- usage -------------------------------------------------------------------
usage() { # NAME ARGS...: exit status 2
	local name=$1; shift
	wp-report "$@" >"$TMPD/out" 2>"$TMPD/err"
	is "$?" 2 "$name: exit status 2"
}
usage "bad --sort" --sort fastest "$FX/simple.wpd"
like "$(cat "$TMPD/err")" "unknown sort key 'fastest'" "bad --sort named"
usage "bad --limit" --limit ten "$FX/simple.wpd"
usage "negative --limit" --limit -1 "$FX/simple.wpd"
usage "bad --pid" --pid 1,,2 "$FX/simple.wpd"
usage "two inputs" -i "$FX/simple.wpd" "$FX/full.wpd"
usage "unknown option" --nope
ok "--help" wp-report --help
like "$(cat "$TMPD/out")" "usage: wp-report" "--help on stdout"
ok "--version" wp-report --version
like "$(cat "$TMPD/out")" "^wp-report [0-9]" "--version"
ok "-q" wp-report -q "$FX/full.wpd"
is "$(cat "$TMPD/err")" "" "-q: no warnings"

done_testing
