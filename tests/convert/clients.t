#!/bin/bash
# shellcheck disable=SC2016 # perl expressions for jget are single-quoted on purpose
# wp-convert's formats loaded into the real clients: speedscope (npm
# package, release build) and the SVG flame graph in headless Chromium
# (Debian's chromium, driven by playwright-core: tests/js/client.mjs), and
# pprof in `go tool pprof` (Debian's golang-go). Fixtures with known
# shares; real recordings are in tests/convert/record.t.
. "${WP_SRC:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$WP_SRC/tests/offline/fixture.sh"

JS=$WP_SRC/tests/js
for c in node /usr/bin/chromium go xmllint; do
	command -v "$c" >/dev/null || skip_all "$c is missing (make deps)"
done
[ -d "$JS/node_modules/speedscope" ] && [ -d "$JS/node_modules/playwright-core" ] ||
	skip_all "tests/js/node_modules is missing (make deps: npm ci --prefix tests/js)"
WP_FIXTURE_DIR="$FX" "$WP_BUILD/tests/unit/convert_fixture.t" >/dev/null 2>&1 ||
	skip_all "cannot write hostile.wpd"
export HOME="$TMPD/home" GOCACHE="$TMPD/gocache" GOFLAGS= GOTOOLCHAIN=local
mkdir -p "$HOME"

client() { # ARGS...: the client's JSON report in $TMPD/c.json
	timeout 120 node "$JS/client.mjs" "$@" >"$TMPD/c.json" 2>"$TMPD/c.err"
}
rows() { jget "$TMPD/c.json" 'join "\n", map { join " | ", @$_ } @{$d->{sandwich}}'; }

# ---- speedscope ----------------------------------------------------------------
wp-convert -f speedscope -o "$TMPD/simple.json" "$FX/simple.wpd" 2>/dev/null
ok "speedscope loads simple.wpd's profile" client speedscope "$TMPD/simple.json" "$TMPD/ss.png"
is "$(jget "$TMPD/c.json" '$d->{imported}')" "speedscope json file" "imported as speedscope's own format"
is "$(jget "$TMPD/c.json" 'scalar @{$d->{errors}}')" 0 "no page error"
is "$(jget "$TMPD/c.json" '$d->{title}')" "fx-main (pid 100, tid 100)" "the thread's profile is shown"
is "$(rows)" "2.02s (67%) | 2.02s (67%) | fx_b
1.01s (33%) | 1.01s (33%) | fx_c
2.02s (67%) | 0.00ns (<0.01%) | fx_a
3.03s (100%) | 0.00ns (<0.01%) | fx_main" "Sandwich view: the expected frames, shares and times"
cmp_ok "$(jget "$TMPD/c.json" '$d->{png}{colours}')" ">" 20 "the flame chart is drawn (screenshot)"
# Source files and lines: each FX_FUNC of report_fixture.c is on its own
# line, so every address of fx_b is at fx_b's line (its DWARF says so).
fx_line() { grep -n "^FX_FUNC($1," "$WP_SRC/tests/unit/report_fixture.c" | cut -d: -f1; }
FXC=tests/unit/report_fixture.c
stack() { jget "$TMPD/c.json" 'join "\n", @{$d->{stack}}'; }
is "$(stack)" "fx_b ($FXC)
fx_a ($FXC)
fx_main ($FXC)" "speedscope shows each frame's source file"
wp-convert -f speedscope --lines -o "$TMPD/lines.json" "$FX/simple.wpd" 2>/dev/null
ok "speedscope loads a --lines profile" client speedscope "$TMPD/lines.json"
is "$(stack)" "fx_b ($FXC:$(fx_line fx_b))
fx_a ($FXC:$(fx_line fx_a))
fx_main ($FXC:$(fx_line fx_main))" "--lines: and its line (file:line of each frame as speedscope shows it)"
is "$(rows)" "2.02s (67%) | 2.02s (67%) | fx_b
1.01s (33%) | 1.01s (33%) | fx_c
2.02s (67%) | 0.00ns (<0.01%) | fx_a
3.03s (100%) | 0.00ns (<0.01%) | fx_main" "--lines: the same shares (one line per function here)"

wp-convert -f speedscope -o "$TMPD/full.json" "$FX/full.wpd" 2>/dev/null
ok "speedscope loads full.wpd's profiles" client speedscope "$TMPD/full.json"
is "$(jget "$TMPD/c.json" 'join ",", map { "$_->{name}=$_->{total}" } @{$d->{profiles}}')" \
	"fx-main (pid 100, tid 100)=3.03s,fx;worker
x (pid 100, tid 101)=505.05ms,after (pid 100, tid 102)=303.03ms,fx-mismatch (pid 200, tid 200)=404.04ms,fx-kthread (pid 300, tid 300)=303.03ms,fx-exec (pid 400, tid 400)=101.01ms,fx-nostack (pid 500, tid 500)=90.91ms" \
	"one profile per thread, with its time"
is "$(jget "$TMPD/c.json" '$d->{title}')" "fx-main (pid 100, tid 100) (1/7)" "the heaviest first"

wp-convert -f speedscope -o "$TMPD/sched.json" "$FX/sched.wpd" 2>/dev/null
ok "speedscope loads off-CPU data" client speedscope "$TMPD/sched.json"
times() { rows | sed 's/ ([^)]*)//g'; } # "total | self | name"
is "$(times | grep -F '[off-cpu:' | sort)" "20.00ms | 20.00ms | [off-cpu:unknown]
200.00ms | 200.00ms | [off-cpu:sleep]
30.00ms | 30.00ms | [off-cpu:other]
300.00ms | 300.00ms | [off-cpu:blocked]
50.00ms | 50.00ms | [off-cpu:preempted]" \
	"off-CPU time is there, by reason, next to on-CPU time"
like "$(times)" "110.00ms \| 60.00ms \| fx_b" "on-CPU frames too (calibrated: 10 ms a sample)"

wp-convert -f speedscope --merge -o "$TMPD/merged.json" "$FX/full.wpd" 2>/dev/null
ok "speedscope loads a --merge profile" client speedscope "$TMPD/merged.json"
is "$(jget "$TMPD/c.json" '$d->{title}')" "all threads" "--merge: one profile"
like "$(rows)" "3.03s \(64%\) \| 0.00ns \(<0.01%\) \| fx-main" "--merge: thread names as roots"

wp-convert -f speedscope -o "$TMPD/hostile.json" "$FX/hostile.wpd" 2>/dev/null
ok "speedscope loads hostile names" client speedscope "$TMPD/hostile.json"
is "$(jget "$TMPD/c.json" 'scalar @{$d->{errors}}')" 0 "hostile: no page error"
is "$(jget "$TMPD/c.json" '$d->{pwned} ? "pwned" : "safe"')" safe "hostile: no injected script ran"
like "$(rows)" '500.00ms \(50%\) \| 500.00ms \(50%\) \| <script>window.wpPwned=1</script>' \
	"hostile: names shown as text"

wp-convert -f folded -o "$TMPD/simple.folded" "$FX/simple.wpd" 2>/dev/null
ok "speedscope imports the folded output" client speedscope "$TMPD/simple.folded"
is "$(jget "$TMPD/c.json" '$d->{imported}')" "collapsed stack format" "folded: speedscope's import"
like "$(rows)" "200 \(67%\) \| 200 \(67%\) \| fx_b" "folded: fx_b 2/3"

# ---- the SVG flame graph -----------------------------------------------------------
wp-convert -f svg -o "$TMPD/full.svg" "$FX/full.wpd" 2>/dev/null
ok "Chromium renders the flame graph" client svg "$TMPD/full.svg" "$TMPD/svg.png" '^fx_b$' fx_a
is "$(jget "$TMPD/c.json" 'scalar @{$d->{errors}}')" 0 "no script error"
is "$(jget "$TMPD/c.json" '$d->{frames}')" "$(grep -c '<g data-v' "$TMPD/full.svg")" "every frame is in the DOM"
cmp_ok "$(jget "$TMPD/c.json" '$d->{png}{differ}')" ">" 50000 "the screenshot is not blank"
cmp_ok "$(jget "$TMPD/c.json" '$d->{png}{colours}')" ">" 20 "and has the frames' colours"
within "$(jget "$TMPD/c.json" '$d->{search}')" 42.64 0.01 "search: fx_b matches 42.64% (200 of 469)"
is "$(jget "$TMPD/c.json" '$d->{matched}')" "Matched: 42.6%" "search: the matched share is shown"
is "$(jget "$TMPD/c.json" '$d->{highlighted}')" 1 "search: the match is highlighted"
is "$(jget "$TMPD/c.json" '$d->{clicked}')" true "a frame can be clicked"
is "$(jget "$TMPD/c.json" '$d->{after_click}')" 1180 "click: the frame zooms to the full width"
cmp_ok "$(jget "$TMPD/c.json" '$d->{hidden_after_click}')" ">" 0 "click: frames outside it are hidden"
is "$(jget "$TMPD/c.json" '$d->{unzoom_visible}')" true "click: Reset Zoom appears"
is "$(jget "$TMPD/c.json" '$d->{after_reset} == $d->{before_click} ? "same" : "moved"')" same \
	"Reset Zoom: back to the original width"
is "$(jget "$TMPD/c.json" '$d->{hidden_after_reset}')" 0 "Reset Zoom: everything visible again"

wp-convert -f svg -o "$TMPD/hostile.svg" "$FX/hostile.wpd" 2>/dev/null
ok "Chromium opens the hostile flame graph" client svg "$TMPD/hostile.svg" "$TMPD/h.png" 'wpPwned' \
	'<script>window.wpPwned=1</script>'
is "$(jget "$TMPD/c.json" '$d->{pwned} ? "pwned" : "safe"')" safe "hostile: no injected script ran"
is "$(jget "$TMPD/c.json" '$d->{scripts}')" 1 "hostile: one script element in the DOM"
is "$(jget "$TMPD/c.json" 'scalar grep { $_ eq q(]]><script>window.wpPwned=2</script><![CDATA[) } @{$d->{names}}')" 1 \
	"hostile: names survive as text"
within "$(jget "$TMPD/c.json" '$d->{search}')" 100 0.01 "hostile: searching them works (the thread matches)"
is "$(jget "$TMPD/c.json" '$d->{after_click}')" 1180 "hostile: clicking works"

wp-convert -f svg --inverted -o "$TMPD/sched.svg" "$FX/sched.wpd" 2>/dev/null
ok "Chromium renders an off-CPU icicle graph" client svg "$TMPD/sched.svg" "$TMPD/sched.png" 'off-cpu'
within "$(jget "$TMPD/c.json" '$d->{search}')" "$(awk 'BEGIN { printf "%.4f", 100 * 970 / 1120.505 }')" 0.1 \
	"search 'off-cpu': the off-CPU share (970 of 1120.5 ms)"
diag "screenshots: $TMPD/svg.png (kept with WP_KEEP_SHOTS=DIR)"
if [ -n "${WP_KEEP_SHOTS:-}" ]; then
	mkdir -p "$WP_KEEP_SHOTS" && cp "$TMPD"/*.png "$WP_KEEP_SHOTS/"
fi

# ---- Chrome trace events: Chrome DevTools' trace engine ---------------------------------
[ -d "$JS/node_modules/@paulirish/trace_engine" ] || skip_all "tests/js/node_modules is stale (make deps)"
threads() { jget "$TMPD/c.json" 'join "\n", map { "$_->{pid}/$_->{tid} $_->{name}" } @{$d->{threads}}'; }
slices() { jget "$TMPD/c.json" 'my ($t) = grep { $_->{tid} == '"$1"' } @{$d->{threads}}; join " ", @{$t->{slices}}'; }
wp-convert -f chrome -o "$TMPD/sched.trace.json" "$FX/sched.wpd" 2>/dev/null
ok "DevTools' trace engine parses the off-CPU trace" client chrome "$TMPD/sched.trace.json"
is "$(threads)" "600/600 fx-sched-a
600/601 fx-sched-b2" "the threads, named (tid 700 has only aggregated intervals: no times)"
like "$(slices 600)" "\[off-cpu:sleep\]@120000\+150000 .*\[off-cpu:blocked\]@400000\+300000" \
	"tid 600: off-CPU intervals as slices with their times and durations (us)"
like "$(slices 600)" " fx_main@20000\+23000 fx_a@20000\+10000 fx_b@20000\+10000 fx_c@30000\+13000 " \
	"on-CPU stacks as nested slices (fx_main stays open from fx_b to fx_c), from the recording's start"
is "$(jget "$TMPD/c.json" '$d->{bounds}{min} . " " . $d->{bounds}{max}')" "20000 780000" \
	"the trace's bounds: the events' span"
wp-convert -f chrome -o "$TMPD/hostile.trace.json" "$FX/hostile.wpd" 2>/dev/null
ok "the trace engine parses hostile names" client chrome "$TMPD/hostile.trace.json"
like "$(slices 700)" '<script>window.wpPwned=1</script>@' "names kept exactly"

# ---- go tool pprof ------------------------------------------------------------------
top() { # FILE [pprof options]: "flat% name" lines of -top
	local f=$1
	shift
	go tool pprof -top -symbolize=none "$@" "$f" 2>"$TMPD/pprof.err" |
		awk '/flat%/ { on = 1; next } on { print $2, $6 }'
}
wp-convert -f pprof -o "$TMPD/full.pb.gz" "$FX/full.wpd" 2>/dev/null
ok "go tool pprof reads it (-raw)" go tool pprof -raw -symbolize=none "$TMPD/full.pb.gz"
cp "$TMPD/out" "$TMPD/raw"
like "$(cat "$TMPD/raw")" "samples/count cpu/nanoseconds off-cpu/nanoseconds wall/nanoseconds\[dflt\]" \
	"sample types, wall by default"
like "$(cat "$TMPD/raw")" "PeriodType: cpu nanoseconds
Period: 10101010" "period type and period"
like "$(cat "$TMPD/raw")" "Duration: 2s" "duration"
like "$(cat "$TMPD/raw")" "Time: 2023-11-14 22:13:20.123456789 \+0000 UTC" "time (the recording's start)"
like "$(cat "$TMPD/raw")" "kind:\[on-cpu\] thread:\[fx-main\]" "labels: kind, thread"
like "$(cat "$TMPD/raw")" "pid:\[100\] tid:\[101\]" "labels: pid, tid"
like "$(cat "$TMPD/raw")" "Mappings
1: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ [^ ]*/report_fixture.t [0-9a-f]{40} \[FN\]" \
	"mapping 1 is the main binary, with range, offset, path and build-id"
like "$(cat "$TMPD/raw")" "M=1 fx_b $FXC:$(fx_line fx_b) s=0" \
	"locations map to the binary's mapping, with the function's source file and the line"
like "$(cat "$TMPD/raw")" "M=1 fx_main $FXC:$(fx_line fx_main) s=0" "every user frame has its line"
is "$(go tool pprof -top -lines -symbolize=none "$TMPD/full.pb.gz" 2>/dev/null |
	awk '/flat%/ { on = 1; next } on { print $2, $6, $7 }' | head -2)" \
	"42.64% fx_b $FXC:$(fx_line fx_b)
22.81% fx_c $FXC:$(fx_line fx_c)" "-top -lines: shares by source line"
like "$(cat "$TMPD/raw")" "fx_kinner \[kernel.kallsyms\]" "kernel frames map to the kernel"
is "$(top "$TMPD/full.pb.gz" | head -4)" "42.64% fx_b
22.81% fx_c
10.66% fx_kinner
8.53% report_fixture.t+0x$(top "$TMPD/full.pb.gz" | sed -n 's/^8.53% report_fixture.t+0x//p')" \
	"-top: the shares (fx_b 200, fx_c 107, fx_kinner 50 of 469)"
is "$(top "$TMPD/full.pb.gz" -sample_index=samples | head -1)" "42.64% fx_b" "-sample_index=samples"
is "$(top "$TMPD/full.pb.gz" -tagfocus=tid=101 | awk '$1 != "0%"')" "10.66% fx_kinner" \
	"-tagfocus on the tid label: only that thread's samples"

wp-convert -f pprof -o "$TMPD/sched.pb.gz" "$FX/sched.wpd" 2>/dev/null
is "$(top "$TMPD/sched.pb.gz" | head -3)" "50.69% [off-cpu:blocked]
26.77% [off-cpu:sleep]
8.08% fx_c" "off-CPU: wall time by default, blocked first"
is "$(top "$TMPD/sched.pb.gz" -sample_index=off-cpu | head -1)" "58.56% [off-cpu:blocked]" \
	"-sample_index=off-cpu: off-CPU time only"
is "$(top "$TMPD/sched.pb.gz" -sample_index=cpu | head -1)" "60.13% fx_c" \
	"-sample_index=cpu: on-CPU time only (calibrated)"
is "$(top "$TMPD/sched.pb.gz" -tagfocus=thread=fx-sched-c | head -1)" "23.92% [off-cpu:blocked]" \
	"-tagfocus on the thread label"

wp-convert -f pprof -o "$TMPD/hostile.pb.gz" "$FX/hostile.wpd" 2>/dev/null
is "$(top "$TMPD/hostile.pb.gz" | head -1)" "50.00% <script>window.wpPwned=1</script>" \
	"hostile names: read back exactly"

done_testing
