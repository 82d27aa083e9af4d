#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# --call-graph dwarf: a workload built with -O2 -fomit-frame-pointer has
# its whole call chain in the samples (main -> deep_a -> deep_b -> deep_c
# -> deep_leaf), where frame pointers lose it; unwinding failures are
# counted by reason and truncated stacks marked "[truncated]".
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root
[ "$(uname -m)" = x86_64 ] || skip_all "--call-graph dwarf needs x86_64"

F=499
CHAIN='deep_a;deep_b;deep_c;deep_leaf'

# leaf_stats FOLDED PATTERN: "LEAF FULL": samples whose user leaf (the last
# frame that is not a kernel one) is deep_leaf, and those of them whose
# stack holds PATTERN
leaf_stats() {
	P="$2" awk '{
		n = $NF; sub(/ [0-9]+$/, "")
		k = split($0, f, ";"); leaf = ""
		for (i = k; i >= 1; i--) if (f[i] !~ /_\[k\]$/) { leaf = f[i]; break }
		if (leaf != "deep_leaf") next
		all += n
		if (index($0, ENVIRON["P"])) full += n
	} END { printf "%d %d\n", all, full }' "$1"
}

# folded on-CPU stacks, counted in samples (whether or not off-CPU time
# was recorded too)
fold() { wp-convert -f folded --on-cpu --unit samples "$1" 2>/dev/null; }

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }

ok "builds the workload without frame pointers" \
	gcc -O2 -g -fomit-frame-pointer -o "$TMPD/deep" "$WP_SRC/tests/workloads/deep.c" -lpthread

# ---- dwarf mode, the default on x86_64: the whole chain ---------------------
ok "records with the default call graph" \
	wp-record -q -F $F -o "$TMPD/d.wpd" -- "$TMPD/deep" -d 3
D="$TMPD/d.wpd"
is "$(jval "$D" '$j->{call_graph}')" "dwarf,8192" "the default on x86_64 is dwarf,8192"
is "$(jval "$D" '$j->{unwind}{fp_fallback}')" 0 "every sample's dump found room in the ring buffer"
samples=$(jval "$D" '$j->{samples}')
stacks=$(jval "$D" '$j->{unwind}{stacks}')
complete=$(jval "$D" '$j->{unwind}{complete}')
diag "dwarf: $samples samples, $stacks unwound, $complete complete"
cmp_ok "$stacks" ">=" "$samples" "every sample of the command has a dump ($stacks of $samples)"
is "$(jval "$D" 'join ",", sort keys %{$j->{unwind}{reasons}}')" \
	"binary_missing,build_id_mismatch,depth_limit,dump_size,foreign_arch,no_cfi,no_mapping,no_regs,other,outside_dump" \
	"the JSON counts unwinding failures by reason"
is "$(jval "$D" 'my $n = $j->{unwind}{complete}; $n += $_ for values %{$j->{unwind}{reasons}}; $n')" \
	"$stacks" "complete + failures = stacks"
like "$(wp-report -n 0 "$D" 2>/dev/null)" '# unwind: +[0-9]+ stacks unwound by wp-record, [0-9]+ complete' \
	"the header has an unwind: line: wp-record unwound them"
is "$(jval "$D" '$j->{unwind}{recorded}')" "$stacks" "every dump was unwound while recording (unwind.recorded)"
is "$(jval "$D" '$j->{unwind}{dump_bytes}')" 0 "and none is left for the reader (no USTACK_DUMP in the file)"

fold "$D" >"$TMPD/d.folded"
read -r leaf full < <(leaf_stats "$TMPD/d.folded" "main;$CHAIN")
dwarf_pct=$(pct "$full" "$leaf")
diag "dwarf: $full of $leaf deep_leaf samples have main;$CHAIN ($dwarf_pct%)"
cmp_ok "$leaf" ">=" 20 "enough deep_leaf samples to judge ($leaf)"
cmp_ok "$dwarf_pct" ">=" 90 "dwarf: >= 90% of deep_leaf's samples carry the chain up to main"
read -r leaf2 full2 < <(leaf_stats "$TMPD/d.folded" "_start;__libc_start_main")
cmp_ok "$(pct "$full2" "$leaf2")" ">=" 90 "... and on to _start, the outermost frame"
truncated=$(grep -c '\[truncated\]' "$TMPD/d.folded")
diag "dwarf: $truncated folded lines end in [truncated]"

# timelines (a second pass over the samples) see the unwound stacks too
ok "speedscope output" wp-convert -f speedscope --on-cpu -o "$TMPD/d.json" "$D"
read -r short nsamp < <(perl -MJSON::PP -0777 -ne 'my $j = decode_json($_); my ($s, $n) = (0, 0);
	for my $p (@{$j->{profiles}}) { next unless $p->{type} eq "sampled";
		for my $x (@{$p->{samples}}) { $n++; $s++ if @$x < 5 } }
	print "$s $n\n"' "$TMPD/d.json")
diag "speedscope: $short of $nsamp samples with fewer than 5 frames"
cmp_ok "$(pct "$short" "$nsamp")" "<" 10 "speedscope: the samples carry their unwound stacks"

# ---- --keep-dumps: the reader unwinds, as before -----------------------------
ok "records with --call-graph dwarf --keep-dumps" \
	wp-record -q -F $F --call-graph dwarf --keep-dumps -o "$TMPD/k.wpd" -- "$TMPD/deep" -d 2
K="$TMPD/k.wpd"
kstacks=$(jval "$K" '$j->{unwind}{stacks}')
is "$(jval "$K" '$j->{unwind}{recorded}')" 0 "--keep-dumps: nothing unwound while recording"
cmp_ok "$(jval "$K" '$j->{unwind}{dump_bytes}')" ">" 0 "--keep-dumps: the dumps are in the file"
like "$(wp-report -n 0 "$K" 2>/dev/null)" '# unwind: +[0-9]+ stacks, [0-9]+ complete' \
	"--keep-dumps: the header's unwind: line counts the stacks unwound when read"
fold "$K" >"$TMPD/k.folded"
read -r kleaf kfull < <(leaf_stats "$TMPD/k.folded" "main;$CHAIN")
diag "--keep-dumps: $kfull of $kleaf deep_leaf samples have main;$CHAIN, $kstacks stacks"
cmp_ok "$(pct "$kfull" "$kleaf")" ">=" 90 "--keep-dumps: >= 90% carry the chain up to main, unwound when read"

# ---- threads: from the thread's start --------------------------------------
ok "records threads with --call-graph dwarf" \
	wp-record -q -F $F --call-graph dwarf -o "$TMPD/t.wpd" -- "$TMPD/deep" -d 2 -t 2
fold "$TMPD/t.wpd" >"$TMPD/t.folded"
read -r tleaf tfull < <(leaf_stats "$TMPD/t.folded" "start_thread;deep_thread;$CHAIN")
diag "threads: $tfull of $tleaf deep_leaf samples have start_thread;deep_thread;$CHAIN"
cmp_ok "$(pct "$tfull" "$tleaf")" ">=" 90 "threads: >= 90% carry the chain up to start_thread"

# ---- fp mode, for comparison: the chain is lost ----------------------------
ok "records with --call-graph fp" \
	wp-record -q -F $F --call-graph fp -o "$TMPD/f.wpd" -- "$TMPD/deep" -d 3
is "$(jval "$TMPD/f.wpd" '$j->{call_graph}')" "fp" "META call_graph is fp"
is "$(jval "$TMPD/f.wpd" 'defined $j->{unwind} ? 1 : 0')" 0 "no unwind counters without dumps"
fold "$TMPD/f.wpd" >"$TMPD/f.folded"
read -r fleaf ffull < <(leaf_stats "$TMPD/f.folded" "main;$CHAIN")
fp_pct=$(pct "$ffull" "$fleaf")
diag "fp: $ffull of $fleaf deep_leaf samples have main;$CHAIN ($fp_pct%), dwarf: $dwarf_pct%"
cmp_ok "$fp_pct" "<" 50 "fp: frame pointers lose the chain (the test discriminates)"
like "$(wp-report -n 0 --on-cpu "$TMPD/f.wpd" 2>/dev/null)" '# hint: .*--call-graph dwarf' \
	"fp: wp-report's header suggests --call-graph dwarf"
unlike "$(wp-report -n 0 --on-cpu "$D" 2>/dev/null)" '# hint:' "dwarf: no such hint"

# ---- off-CPU: the stack a thread blocked with --------------------------------
# sleep_stats FILE: "ALL FULL": ms asleep in deep_leaf's nanosleep, and of
# those with the whole chain from main
sleep_stats() {
	wp-convert -f folded --off-cpu --unit ms "$1" 2>/dev/null | awk '
		/\[off-cpu:sleep\]/ && /clock_nanosleep/ { all += $NF
			if (index($0, "main;deep_a;deep_b;deep_c;deep_leaf;")) full += $NF }
		END { printf "%d %d\n", all, full }'
}
# (off-CPU dumps are off by default, --off-cpu-dwarf-rate 0: the sleeper,
# ~480 sleeps a second, asks for enough; the bound is tested below)
ok "records a sleeper with --call-graph dwarf" \
	wp-record -q --call-graph dwarf --off-cpu-dwarf-rate 2000 -o "$TMPD/ds.wpd" -- "$TMPD/deep" -d 1 -s
ok "records a sleeper with --call-graph fp" \
	wp-record -q --call-graph fp -o "$TMPD/fs.wpd" -- "$TMPD/deep" -d 1 -s
read -r sall sfull < <(sleep_stats "$TMPD/ds.wpd")
read -r fall ffull < <(sleep_stats "$TMPD/fs.wpd")
diag "off-CPU: dwarf $sfull of $sall ms asleep with main;$CHAIN, fp $ffull of $fall ms"
cmp_ok "$sall" ">=" 300 "the sleeper's off-CPU time is recorded ($sall ms)"
cmp_ok "$(pct "$sfull" "$sall")" ">=" 90 "off-CPU, dwarf: >= 90% of the sleep time carries the chain up to main"
cmp_ok "$(pct "$ffull" "$fall")" "<" 50 "off-CPU, fp: the chain is lost"

# ---- --off-cpu-dwarf-rate: off-CPU dumps bounded per CPU ---------------------
# Four threads sleeping 2 ms in a loop, all on CPU 0 (taskset): ~1900 long
# off-CPU intervals a second there, far over the rate. The token bucket
# allows RATE a second on that CPU plus a burst of max(1, RATE / 10): at
# rate 10, 10 x seconds + 1 dumps (tolerance: -3 for the start-up and
# end, where the threads are not all asleep yet, +2). Every other long
# sleep keeps its frame-pointer stack and is counted as rate-limited; the
# off-CPU time is the same whatever the rate.
# dump_stats FILE: "DUMPS LIMITED STALE EVENTS SLEEP_MS DURATION_S"
dump_stats() {
	jval "$1" 'my $d = $j->{diagnostics}; join " ", (map { $d->{$_} // 0 }
		qw(bpf.offcpu_dumps bpf.offcpu_dump_rate_limited bpf.offcpu_dump_stale bpf.offcpu_events)),
		int($j->{offcpu_by_reason}{sleep} / 1e6), $j->{duration_ns} / 1e9'
}
ok "records four sleepers on one CPU with --off-cpu-dwarf-rate 10" \
	wp-record -q --off-cpu-dwarf-rate 10 -o "$TMPD/r10.wpd" -- taskset -c 0 "$TMPD/deep" -d 3 -s -t 4
read -r d10 l10 s10 e10 ms10 dur10 < <(dump_stats "$TMPD/r10.wpd")
diag "rate 10: $d10 dumps, $l10 rate-limited, $s10 stale, $e10 intervals sent, $ms10 ms asleep in $dur10 s"
want=$(awk -v d="$dur10" 'BEGIN { printf "%d", 10 * d + 1 }')
cmp_ok "$d10" ">=" "$((want - 3))" "rate 10: about 10 off-CPU dumps a second on the one CPU ($d10, ~$want)"
cmp_ok "$d10" "<=" "$((want + 2))" "rate 10: no more than the bound ($d10, ~$want)"
cmp_ok "$l10" ">=" "$((20 * d10))" "rate 10: the other long sleeps are counted as rate-limited ($l10)"
cmp_ok "$((d10 + l10 + s10))" "<=" "$e10" "rate 10: dumps + rate-limited + stale <= the intervals sent ($e10)"
cmp_ok "$((100 * (d10 + l10 + s10)))" ">=" "$((97 * e10))" \
	"rate 10: ... and >= 97% of them (the rest: preempted, or no user registers)"
is "$(jval "$TMPD/r10.wpd" '$j->{unwind}{offcpu_rate_limited}')" "$l10" "rate 10: JSON unwind.offcpu_rate_limited"
like "$(wp-report -n 0 "$TMPD/r10.wpd" 2>/dev/null)" "# unwind: .*; $l10 off-CPU intervals with frame-pointer stacks \\(over --off-cpu-dwarf-rate\\)" \
	"rate 10: wp-report's unwind: line counts them"
is "$(jval "$TMPD/r10.wpd" '$j->{unwind}{fp_fallback}')" 0 "rate 10: none fell back for want of room"

ok "records them with --off-cpu-dwarf-rate 0" \
	wp-record -q --off-cpu-dwarf-rate 0 -o "$TMPD/r0.wpd" -- taskset -c 0 "$TMPD/deep" -d 3 -s -t 4
read -r d0 l0 s0 e0 ms0 dur0 < <(dump_stats "$TMPD/r0.wpd")
diag "rate 0: $d0 dumps, $l0 rate-limited, $s0 stale, $e0 intervals sent, $ms0 ms asleep in $dur0 s"
is "$d0" 0 "rate 0: no off-CPU dumps"
cmp_ok "$((100 * l0))" ">=" "$((97 * e0))" "rate 0: >= 97% of the intervals sent counted as rate-limited ($l0 of $e0)"
read -r r0all r0full < <(sleep_stats "$TMPD/r0.wpd")
cmp_ok "$(pct "$r0full" "$r0all")" "<" 50 "rate 0: the sleeps have frame-pointer stacks (the chain is lost)"
cmp_ok "$r0all" ">=" 11000 "rate 0: and the 4 x 3 s of sleep stay under clock_nanosleep ($r0all ms, ~12000)"

# the sleep time: 4 threads x 3 s, and the main thread joining them for 3 s
cmp_ok "$ms10" ">=" 13500 "rate 10: the off-CPU sleep time is all there ($ms10 ms, ~15000)"
cmp_ok "$ms0" ">=" 13500 "rate 0: the off-CPU sleep time is all there ($ms0 ms, ~15000)"
cmp_ok "$(awk -v a="$ms10" -v b="$ms0" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%d", 1000 * d / b }')" "<=" 20 \
	"the rate does not change the off-CPU time (within 2%: $ms10 vs $ms0 ms)"

fails "--off-cpu-dwarf-rate -1 is refused" wp-record -q --off-cpu-dwarf-rate -1 -o "$TMPD/x.wpd" -- true
fails "--off-cpu-dwarf-rate 1000001 is refused" wp-record -q --off-cpu-dwarf-rate 1000001 -o "$TMPD/x.wpd" -- true

# ---- forced fallback: no room in the ring buffer for a dump ----------------
# A 4 KiB ring buffer cannot hold an 8 KiB dump: every sample falls back to
# a frame-pointer stack, counted and shown.
ok "records with --call-graph dwarf and a 4 KiB ring buffer" \
	wp-record -q -F $F --call-graph dwarf --ringbuf-size 4 -o "$TMPD/r.wpd" -- "$TMPD/deep" -d 1
R="$TMPD/r.wpd"
rsamples=$(jval "$R" '$j->{samples}')
cmp_ok "$rsamples" ">" 0 "its samples are recorded ($rsamples)"
is "$(jval "$R" '$j->{unwind}{fp_fallback}')" "$rsamples" "each one counted as an fp fallback"
is "$(jval "$R" '$j->{unwind}{stacks}')" 0 "none unwound"
like "$(wp-report -n 0 "$R" 2>/dev/null)" "# unwind: .*; $rsamples more with frame-pointer stacks \\(ring buffer full\\)" \
	"wp-report's unwind: line counts them"
like "$(wp-report -n 0 "$R" 2>&1 >/dev/null)" "$rsamples samples or off-CPU intervals found no room in the ring buffer" \
	"and wp-report warns"

# ---- forced failure: a stack deeper than the bytes copied ------------------
ok "records with --call-graph dwarf,64" \
	wp-record -q -F $F --call-graph dwarf,64 -o "$TMPD/s.wpd" -- "$TMPD/deep" -d 2
S="$TMPD/s.wpd"
is "$(jval "$S" '$j->{call_graph}')" "dwarf,64" "META call_graph is dwarf,64"
strunc=$(jval "$S" '$j->{unwind}{truncated}')
sstacks=$(jval "$S" '$j->{unwind}{stacks}')
diag "dwarf,64: $strunc of $sstacks stacks truncated: $(jval "$S" 'join " ", map { "$_=$j->{unwind}{reasons}{$_}" } grep { $j->{unwind}{reasons}{$_} } sort keys %{$j->{unwind}{reasons}}')"
cmp_ok "$strunc" ">" 0 "64 bytes of stack: unwinding failures are counted"
cmp_ok "$(jval "$S" '$j->{unwind}{reasons}{dump_size}')" ">" 0 "... as dump_size (the stack goes on above the bytes copied)"
fold "$S" >"$TMPD/s.folded"
marked=$(awk '/(^|;)\[truncated\];/ { n += $NF } END { print n + 0 }' "$TMPD/s.folded")
is "$marked" "$(jval "$S" 'my $n = 0; $n += $_->{total} for grep { $_->{name} eq "[truncated]" } @{$j->{functions}}; $n' --on-cpu)" \
	"the folded stacks marked [truncated] are the report's [truncated] samples"
cmp_ok "$marked" ">=" "$strunc" "every truncated stack is marked at its outermost end ($marked samples)"
like "$(wp-report -n 0 "$S" 2>&1 >/dev/null)" 'larger --call-graph dwarf,SIZE' \
	"wp-report says a larger SIZE helps"

# ---- bad arguments ------------------------------------------------------------
fails "--call-graph lbr is refused" wp-record -q --call-graph lbr -o "$TMPD/x.wpd" -- true
fails "--call-graph dwarf,32 is below the minimum" wp-record -q --call-graph dwarf,32 -o "$TMPD/x.wpd" -- true
fails "--call-graph dwarf,70000 is above the maximum" wp-record -q --call-graph dwarf,70000 -o "$TMPD/x.wpd" -- true

done_testing
