#!/bin/bash
# shellcheck disable=SC2016 # perl expressions for jget are single-quoted on purpose
# wp-convert -f speedscope, chrome, svg, pprof on fixtures with known
# content: exact structure and values, time order, off-CPU intervals,
# hostile names, options and errors. The real clients (speedscope in
# Chromium, go tool pprof) load these files in tests/convert/clients.t.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$WP_SRC/tests/offline/fixture.sh"

WP_FIXTURE_DIR="$FX" "$WP_BUILD/tests/unit/convert_fixture.t" >/dev/null 2>&1 ||
	skip_all "cannot write hostile.wpd ($WP_BUILD/tests/unit/convert_fixture.t)"
command -v xmllint >/dev/null || skip_all "xmllint is missing (apt-get install libxml2-utils)"

conv() { # FORMAT FILE [options]: output in $TMPD/o.FORMAT
	local f=$1 in=$2
	shift 2
	wp-convert -f "$f" "$@" "$in" >"$TMPD/o.$f" 2>"$TMPD/err"
}

# ---- speedscope ---------------------------------------------------------------
ok "speedscope: simple.wpd" conv speedscope "$FX/simple.wpd"
S=$TMPD/o.speedscope
is "$(jget "$S" '$d->{q($schema)}')" "https://www.speedscope.app/file-format-schema.json" '$schema'
is "$(jget "$S" 'scalar @{$d->{profiles}}')" 1 "one thread: one profile"
is "$(jget "$S" '$d->{profiles}[0]{name}')" "fx-main (pid 100, tid 100)" "named after the thread"
is "$(jget "$S" '$d->{profiles}[0]{type} . " " . $d->{profiles}[0]{unit}')" "sampled nanoseconds" \
	"sampled, in nanoseconds"
stacks='my $f = $d->{shared}{frames}; my $p = $d->{profiles}[ARG];
	join(" | ", map { join(";", map { $f->[$_]{name} } @$_) } @{$p->{samples}})'
weights='join(" ", @{$d->{profiles}[ARG]{weights}})'
is "$(jget "$S" "${stacks//ARG/0}")" "fx_main;fx_a;fx_b | fx_main;fx_c" \
	"samples root first, consecutive samples of a stack merged, in time order"
is "$(jget "$S" "${weights//ARG/0}")" "2020202000 1010101000" \
	"weights: samples x the period (1e9 / 99 Hz, rounded per sample)"
is "$(jget "$S" '$d->{profiles}[0]{endValue} - $d->{profiles}[0]{startValue}')" 3030303000 \
	"endValue - startValue = the sum of the weights"
is "$(jget "$S" 'my $f = $d->{shared}{frames}; (grep { $_->{name} eq "fx_b" } @$f)[0]{file}')" \
	tests/unit/report_fixture.c "frames name their source file (DWARF of the fixture program)"
is "$(jget "$S" 'scalar grep { exists $_->{line} } @{$d->{shared}{frames}}')" 0 \
	"and no line: a function has many"
ok "speedscope --lines: simple.wpd" wp-convert -f speedscope --lines -o "$TMPD/l.json" "$FX/simple.wpd"
is "$(jget "$TMPD/l.json" 'join " ", map { "$_->{name}:$_->{line}" } grep { $_->{file} } @{$d->{shared}{frames}}')" \
	"$(for f in fx_main fx_a fx_b fx_c; do printf '%s:%s ' $f "$(grep -n "^FX_FUNC($f," "$WP_SRC/tests/unit/report_fixture.c" | cut -d: -f1)"; done | sed 's/ $//')" \
	"--lines: a frame per function and line, at the line its FX_FUNC is on"
is "$(jget "$TMPD/l.json" "${stacks//ARG/0}")" "fx_main;fx_a;fx_b | fx_main;fx_c" "--lines: the same stacks"
is "$(jget "$S" '$d->{exporter}')" "wp-convert $(wp-convert -V | cut -d" " -f2)" "exporter"

ok "speedscope: full.wpd" conv speedscope "$FX/full.wpd"
is "$(jget "$S" 'my %f = map { $_->{name} => $_->{file} } @{$d->{shared}{frames}};
	join " ", map { $f{$_} } "fx_kinner", (grep { /^report_fixture.t\+0x/ } sort keys %f)[0]')" \
	"[kernel.kallsyms] report_fixture.t" "frames without a source file name their binary"
is "$(jget "$S" 'join ",", map { $_->{name} } @{$d->{profiles}}')" \
	"fx-main (pid 100, tid 100),fx;worker
x (pid 100, tid 101),after (pid 100, tid 102),fx-mismatch (pid 200, tid 200),fx-kthread (pid 300, tid 300),fx-exec (pid 400, tid 400),fx-nostack (pid 500, tid 500)" \
	"one profile per thread, by pid and tid"
is "$(jget "$S" 'my $ok = 1; my $n = @{$d->{shared}{frames}};
	for my $p (@{$d->{profiles}}) { $ok = 0 if @{$p->{samples}} != @{$p->{weights}};
	for my $s (@{$p->{samples}}) { $ok = 0 if grep { $_ < 0 || $_ >= $n } @$s } } $ok')" 1 \
	"weights.length == samples.length, every frame index defined"
is "$(jget "$S" 'my $t = 0; $t += $_ for map { @{$_->{weights}} } @{$d->{profiles}}; $t')" \
	$((469 * 10101010)) "every sample weighs one period"
is "$(jget "$S" '$d->{activeProfileIndex}')" 0 "the heaviest thread is the active profile"
is "$(jget "$S" "${stacks//ARG/6}")" "[no stack] | [unknown stack]" \
	"samples without a (known) stack are still there"
is "$(jget "$S" "${stacks//ARG/2}")" "fx_main;fx_rec;fx_rec;fx_rec | fx_main;fx_rec;fx_rec;fx_rec" \
	"a renamed thread's samples: one profile, two runs (a gap of 1 s between them)"
ok "speedscope --merge" conv speedscope "$FX/full.wpd" --merge
is "$(jget "$S" 'scalar @{$d->{profiles}}')" 1 "--merge: one profile"
is "$(jget "$S" 'my $f = $d->{shared}{frames}; my %r;
	$r{$f->[$_->[0]]{name}}++ for @{$d->{profiles}[0]{samples}}; join ",", sort keys %r')" \
	"after,before,fx-exec,fx-kthread,fx-main,fx-mismatch,fx-nostack,fx;worker
x" "--merge: thread names are the roots"
is "$(jget "$S" 'my $t = 0; $t += $_ for @{$d->{profiles}[0]{weights}}; $t')" $((469 * 10101010)) \
	"--merge: the same total"
ok "speedscope --comm" conv speedscope "$FX/full.wpd" --comm fx-kthread
is "$(jget "$S" "${stacks//ARG/0}")" "[unknown];fx_modfunc;fx;semi
nl" "filters apply; kernel frames from KSYM records; names kept raw (JSON-escaped)"

# Off-CPU: the timeline of tid 600 in sched.wpd, in true time order
# (intervals are stored out of order), calibrated on-CPU weights (100 ms
# of THREAD_TIME over 10 samples), aggregated short intervals at the end
# of their period.
ok "speedscope: sched.wpd (off-CPU)" conv speedscope "$FX/sched.wpd"
is "$(jget "$S" "${stacks//ARG/0}")" "[no stack];[off-cpu:unknown] | fx_main;fx_a;fx_b | fx_main;fx_c | fx_main;fx_rec;fx_kentry;fx_kinner;[off-cpu:sleep] | fx_main;fx_a;fx_kinner;[off-cpu:blocked] | fx_main;fx_a;fx_b;[off-cpu:preempted] | fx_main;fx_c;[off-cpu:other] | fx_main;fx_rec;fx_kentry;fx_kinner;[off-cpu:sleep]" \
	"tid 600: on-CPU and off-CPU in time order, off-CPU ending in [off-cpu:REASON]"
is "$(jget "$S" "${weights//ARG/0}")" \
	"20000000 60000000 40000000 150000000 300000000 50000000 30000000 50000000" \
	"weights: interval durations; samples at 10 ms (calibrated)"
ok "speedscope --on-cpu" conv speedscope "$FX/sched.wpd" --on-cpu
is "$(jget "$S" "${stacks//ARG/0}")" "fx_main;fx_a;fx_b | fx_main;fx_c" "--on-cpu: samples only"
ok "speedscope --off-cpu" conv speedscope "$FX/sched.wpd" --off-cpu
is "$(jget "$S" "scalar grep { !/off-cpu/ } split / \\| /, do { ${stacks//ARG/0} }")" 0 \
	"--off-cpu: intervals only"
ok "speedscope from standard input" wp-convert -f speedscope - <"$FX/simple.wpd"
is "$(jget "$TMPD/out" "${weights//ARG/0}")" "2020202000 1010101000" "stdin is read twice (spooled)"

# ---- chrome ---------------------------------------------------------------------
C=$TMPD/o.chrome
# per thread: B/E balanced, ts never decreasing, slices nested by name
check_trace='my %open; my %last; my $bad = "";
	for my $e (@{$d->{traceEvents}}) {
		next if $e->{ph} eq "M";
		my $k = "$e->{pid}/$e->{tid}";
		$bad .= "ts back at $k; " if defined $last{$k} && $e->{ts} < $last{$k};
		$last{$k} = $e->{ts};
		if ($e->{ph} eq "B") { push @{$open{$k}}, $e->{name} }
		elsif ($e->{ph} eq "E") { defined(pop @{$open{$k}}) or $bad .= "E without B at $k; " }
		else { $bad .= "unexpected ph $e->{ph}; " }
	}
	$bad .= "unclosed at $_; " for grep { @{$open{$_}} } keys %open;
	$bad || "ok"'
ok "chrome: full.wpd" conv chrome "$FX/full.wpd"
is "$(jget "$C" "$check_trace")" ok "every B has its E, per thread, in time order"
is "$(jget "$C" 'join ",", map { "$_->{tid}=$_->{args}{name}" } grep { $_->{name} eq "thread_name" } @{$d->{traceEvents}}')" \
	"100=fx-main,101=fx;worker
x,102=after,200=fx-mismatch,300=fx-kthread,400=fx-exec,500=fx-nostack" "thread_name metadata"
is "$(jget "$C" 'join ",", map { "$_->{pid}=$_->{args}{name}" } grep { $_->{name} eq "process_name" } @{$d->{traceEvents}}')" \
	"100=fx-main,200=fx-mismatch,300=fx-kthread,400=fx-exec,500=fx-nostack" "process_name metadata"
ok "chrome: simple.wpd" conv chrome "$FX/simple.wpd"
is "$(jget "$C" 'join " ", map { "$_->{ph}:$_->{name}\@$_->{ts}" } grep { $_->{ph} eq "B" } @{$d->{traceEvents}}')" \
	"B:fx_main@100000 B:fx_a@100000 B:fx_b@100000 B:fx_main@500000 B:fx_c@500000" \
	"ts in us from the recording's start; a gap (the thread not seen) closes every slice"
is "$(jget "$C" 'join " ", map { "$_->{ts}" } grep { $_->{ph} eq "E" } @{$d->{traceEvents}}')" \
	"309101.01 309101.01 309101.01 609101.01 609101.01" \
	"a run ends one period after its last sample"
is "$(jget "$C" 'join ",", map { $_->{name} } grep { $_->{ph} eq "E" } @{$d->{traceEvents}}')" \
	"fx_b,fx_a,fx_main,fx_c,fx_main" "E events name the slice they end (innermost first)"
ok "chrome: sched.wpd (off-CPU)" conv chrome "$FX/sched.wpd"
is "$(jget "$C" "$check_trace")" ok "off-CPU: still balanced and ordered"
is "$(jget "$C" 'join " ", map { "$_->{name}\@$_->{ts}" } grep { $_->{ph} eq "B" && $_->{tid} == 600 && $_->{cat} eq "off-cpu" } @{$d->{traceEvents}}')" \
	"[off-cpu:unknown]@0 [off-cpu:sleep]@120000 [off-cpu:blocked]@400000 [off-cpu:preempted]@700000 [off-cpu:other]@750000" \
	"tid 600's off-CPU intervals as slices, in time order (aggregates have no time)"
is "$(jget "$C" 'my @e = grep { $_->{tid} == 600 } @{$d->{traceEvents}}; my ($i) = grep { $e[$_]{ph} eq "B" && $e[$_]{name} eq "[off-cpu:blocked]" } 0..$#e; my $b = $e[$i]; "$b->{args}{reason} $b->{args}{waker_tid} " . $e[$i + 1]{ph} . "\@" . $e[$i + 1]{ts}')" \
	"blocked 601 E@700000" "an interval: reason and waker in args, ends after its duration"
ok "chrome from standard input" wp-convert -f chrome - <"$FX/simple.wpd"

# ---- svg -----------------------------------------------------------------------------
V=$TMPD/o.svg
ok "svg: full.wpd" conv svg "$FX/full.wpd"
ok "svg: well-formed XML" xmllint --noout "$V"
is "$(grep -c '<script' "$V")" 1 "one script element"
like "$(cat "$V")" '<title>fx_b
200 samples \(42\.64%\)</title>' "tooltips: name, value and share"
like "$(cat "$V")" '<title>all
469 samples \(100\.00%\)</title>' "the root holds everything"
like "$(cat "$V")" '<title>fx_kinner
50 samples \(10\.66%, kernel\)</title>' "kernel frames say so"
like "$(cat "$V")" '<text id="title" [^>]*>Flame Graph</text>' "default title"
like "$(cat "$V")" 'width="1200"' "default width"
is "$(grep -c 'xlink:href\|http://[^w]\|https://' "$V")" 0 "no external reference (self-contained)"
ok "svg --title --width --inverted" conv svg "$FX/full.wpd" --title 'My <graph> & "co"' \
	--width 800 --inverted
like "$(cat "$V")" '<text id="title" [^>]*>My &lt;graph&gt; &amp; &quot;co&quot;</text>' \
	"--title, escaped"
like "$(cat "$V")" 'width="800"' "--width"
like "$(cat "$V")" 'data-inverted="1"' "--inverted"
top_y() { grep -A1 '<title>all' "$V" | sed -n 's/.*<rect x="[^"]*" y="\([0-9.]*\)".*/\1/p'; }
is "$(top_y)" 56.0 "--inverted: the root is the top row"
ok "svg --min-width" conv svg "$FX/full.wpd" --min-width 200
is "$(grep -c '<g data-v' "$V")" 6 "--min-width 200: only frames >= 200 px (all, fx-main, fx_main, fx_a, fx_b, fx_c)"
ok "svg: sched.wpd (off-CPU)" conv svg "$FX/sched.wpd"
like "$(cat "$V")" '<title>\[off-cpu:blocked\]
' "off-CPU pseudo frames are drawn"
is "$(grep -A1 '<title>\[off-cpu:' "$V" | grep -c 'fill="rgb([0-9]*,[0-9]*,2[0-9][0-9])"')" \
	"$(grep -c '<title>\[off-cpu:' "$V")" "off-CPU frames are blue"
like "$(cat "$V")" 'of it off-CPU' "tooltips give a frame's off-CPU part"
ok "svg: hostile.wpd" conv svg "$FX/hostile.wpd"
ok "hostile: well-formed XML" xmllint --noout "$V"
is "$(grep -c '<script' "$V")" 1 "hostile: still one script element"
xpath() { xmllint --xpath "$1" "$V" 2>/dev/null; }
is "$(xpath 'count(//*[local-name()="svg"])')" 1 "hostile: no injected svg element"
is "$(xpath 'count(//*[local-name()="script"])')" 1 "hostile: no injected script element"
is "$(xpath 'count(//@*[starts-with(local-name(),"on")])')" 1 "hostile: no injected event attribute (the root's onload only)"
is "$(xpath 'count(//*[local-name()="g"]/*[local-name()="title"])')" 9 "hostile: one title per frame, no more"
is "$(grep -c ']]><script' "$V")" 0 "hostile: no CDATA end from a name"
like "$(cat "$V")" '&lt;script&gt;window.wpPwned=1&lt;/script&gt;' "hostile: markup escaped as text"
like "$(cat "$V")" '&quot;onmouseover=&quot;window.wpPwned=3&quot; x=&apos;1&apos;' "hostile: quotes escaped"
is "$(LC_ALL=C grep -c $'[\x01-\x08\x0b\x0c\x0e-\x1f]' "$V")" 0 "hostile: no control characters"
is "$(iconv -f UTF-8 -t UTF-8 "$V" >/dev/null 2>&1 && echo valid)" valid "hostile: valid UTF-8"
like "$(cat "$V")" '<title>bytes:\?\?\[31m\?\?\?;semi\?newline\\back&quot;q' \
	"hostile: invalid bytes, controls and U+FFFE as '?'"
ok "hostile --title" conv svg "$FX/hostile.wpd" --title '</text><script>alert(1)</script>'
is "$(grep -c '<script' "$V")" 1 "hostile --title: escaped"

# ---- pprof (the bytes; go tool pprof reads them in tests/convert) ---------------------
ok "pprof: full.wpd" conv pprof "$FX/full.wpd"
is "$(head -c 2 "$TMPD/o.pprof" | od -An -tx1 | tr -d ' ')" 1f8b "gzip"
ok "pprof: decompresses" sh -c "gzip -dc <'$TMPD/o.pprof' >'$TMPD/prof.pb'"
for s in samples count cpu off-cpu wall nanoseconds pid tid thread fx_b fx_kinner \
	report_fixture.t '[kernel.kallsyms]' '[no stack]'; do
	is "$(grep -caF -- "$s" "$TMPD/prof.pb" | awk '{ print ($1 > 0) }')" 1 "pprof string table: $s"
done
ok "pprof: sched.wpd" conv pprof "$FX/sched.wpd"
ok "pprof: hostile.wpd" conv pprof "$FX/hostile.wpd"
for f in pprof speedscope chrome svg; do
	ok "$f: an empty selection" conv $f "$FX/full.wpd" --pid 999
	like "$(cat "$TMPD/err")" "no samples selected" "$f: an empty selection is warned about"
done
is "$(jget "$TMPD/o.speedscope" 'scalar @{$d->{profiles}}')" 0 "speedscope: no profile"
is "$(jget "$TMPD/o.chrome" 'scalar @{$d->{traceEvents}}')" 0 "chrome: no event"

# ---- hostile names in JSON ------------------------------------------------------------
for f in speedscope chrome; do
	ok "$f: hostile.wpd" conv "$f" "$FX/hostile.wpd"
	isnt_invalid=$(jget "$TMPD/o.$f" '1')
	is "$isnt_invalid" 1 "$f: hostile names give valid JSON"
done
is "$(jget "$TMPD/o.speedscope" 'scalar grep { $_->{name} eq "<script>window.wpPwned=1</script>" } @{$d->{shared}{frames}}')" \
	1 "speedscope: names kept exactly"

# ---- errors ---------------------------------------------------------------------------
for f in speedscope chrome svg pprof; do
	wp-convert -f "$f" "$FX/nonexistent.wpd" >"$TMPD/out" 2>"$TMPD/err"
	is "$?" 1 "$f: a missing file: exit status 1"
	printf 'not a recording' >"$TMPD/bad.wpd"
	fails "$f: not a .wpd" wp-convert -f "$f" "$TMPD/bad.wpd"
	like "$(cat "$TMPD/err")" "error" "$f: says why"
done
cut_at=$(($(wc -c <"$FX/full.wpd") * 2 / 3))
head -c "$cut_at" "$FX/full.wpd" >"$TMPD/cut.wpd"
for f in speedscope chrome svg pprof; do
	ok "$f: a cut file converts what survives" wp-convert -f "$f" -o "$TMPD/cut.$f" "$TMPD/cut.wpd"
done
usage() { # NAME ARGS...: exit status 2
	local name=$1; shift
	wp-convert "$@" >"$TMPD/out" 2>"$TMPD/err"
	is "$?" 2 "$name: exit status 2"
}
usage "--width 5" -f svg --width 5 "$FX/simple.wpd"
usage "--width x" -f svg --width x "$FX/simple.wpd"
usage "--min-width -1" -f svg --min-width -1 "$FX/simple.wpd"
usage "--min-width nan" -f svg --min-width nan "$FX/simple.wpd"
ok "--help lists the formats" wp-convert --help
for f in folded speedscope pprof svg chrome; do
	like "$(cat "$TMPD/out")" "^ +$f " "--help: $f"
done

done_testing
