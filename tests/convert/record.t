#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jget are single-quoted on purpose
# Real recordings through the converters and wp-diff: burn's split between
# hot_a and hot_b is set by -r A:B, so two recordings with 2:1 and 1:2 have
# a known difference (hot_b: 1/3 -> 2/3 of the samples), and every client
# must show the known shares.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
. "$WP_SRC/tests/offline/fixture.sh"
need_root

F=499
# on-CPU samples only: the shares are the samples' split (with scheduler
# data they would be of wall-clock time, preemptions on a busy machine
# included)
ok "records burn -r 2:1" wp-record -q --no-off-cpu -F $F -o "$TMPD/before.wpd" -- "$WL/burn" -s 2 -r 2:1
ok "records burn -r 1:2" wp-record -q --no-off-cpu -F $F -o "$TMPD/after.wpd" -- "$WL/burn" -s 2 -r 1:2

# ---- wp-diff: the function that grew comes first, with the expected delta ----
ok "wp-diff before after" wp-diff "$TMPD/before.wpd" "$TMPD/after.wpd"
cp "$TMPD/out" "$TMPD/diff.txt"
first=$(sed -n '/^# self/,/^#$/p' "$TMPD/diff.txt" | grep -v '^#' | head -1)
is "$(echo "$first" | awk '{ print $NF }')" hot_b "hot_b (1/3 -> 2/3) is reported first"
within "$(echo "$first" | awk '{ print $3 }')" 33.3 6 "its self share grew by ~33 points"
within "$(echo "$first" | awk '{ print $1 }')" 33.3 6 "from ~1/3"
within "$(echo "$first" | awk '{ print $2 }')" 66.7 6 "to ~2/3"
last_a=$(sed -n '/^# self/,/^#$/p' "$TMPD/diff.txt" | grep -v '^#' | awk '$NF == "hot_a"')
within "$(echo "$last_a" | awk '{ print $3 }')" -33.3 6 "hot_a shrank by ~33 points"
wp-diff --fail-above 20 "$TMPD/before.wpd" "$TMPD/after.wpd" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 3 "--fail-above 20: exit status 3 (a CI gate)"
like "$(cat "$TMPD/err")" "hot_b: self share grew by" "names hot_b"
wp-diff --fail-above 20 "$TMPD/after.wpd" "$TMPD/before.wpd" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 3 "the other way: hot_a grew"
like "$(cat "$TMPD/err")" "hot_a: self share grew by" "names hot_a"
wp-diff --fail-above 20 "$TMPD/before.wpd" "$TMPD/before.wpd" >"$TMPD/out" 2>"$TMPD/err"
is "$?" 0 "a recording against itself: exit status 0"
ok "wp-diff -f folded" wp-diff -f folded "$TMPD/before.wpd" "$TMPD/after.wpd"
like "$(cat "$TMPD/out")" "main;burn_loop;hot_b [0-9]+ [0-9]+" "difffolded lines: stack before after"
ok "wp-diff -f svg" wp-diff -f svg -o "$TMPD/diff.svg" "$TMPD/before.wpd" "$TMPD/after.wpd"
ok "the differential flame graph is well-formed" xmllint --noout "$TMPD/diff.svg"
like "$(grep -A2 '<title>hot_b$' "$TMPD/diff.svg")" 'fill="rgb\(255,' "hot_b is red (grew)"
like "$(grep -A2 '<title>hot_a$' "$TMPD/diff.svg")" 'fill="rgb\([0-9]+,[0-9]+,255\)' "hot_a is blue (shrank)"

# ---- the real recording in the real clients ------------------------------------------
R=$TMPD/before.wpd
ok "-f pprof" wp-convert -f pprof -o "$TMPD/r.pb.gz" "$R"
export HOME="$TMPD/home" GOCACHE="$TMPD/gocache" GOTOOLCHAIN=local
mkdir -p "$HOME"
top_pct() { # FILE FUNCTION: its flat% in go tool pprof -top
	go tool pprof -top -symbolize=none "$1" 2>/dev/null | awk -v f="$2" '$6 == f { sub("%", "", $2); print $2 }'
}
within "$(top_pct "$TMPD/r.pb.gz" hot_a)" 66.7 6 "go tool pprof: hot_a ~2/3"
within "$(top_pct "$TMPD/r.pb.gz" hot_b)" 33.3 6 "go tool pprof: hot_b ~1/3"
like "$(go tool pprof -raw -symbolize=none "$TMPD/r.pb.gz" 2>/dev/null | sed -n '/^Mappings/,$p')" \
	"1: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ [^ ]*/burn [0-9a-f]{40} \[FN\]" \
	"go tool pprof: burn is the main mapping, with its build-id"

# pprof: inlined functions share their caller's Location, callee first
cat >"$TMPD/inl.c" <<'C'
#include <stdio.h>
static volatile unsigned long sink;
static inline __attribute__((always_inline)) unsigned long inner(unsigned long x)
{ for (int i = 0; i < 1000; i++) x = x * 6364136223846793005ul + 1; return x; }
static inline __attribute__((always_inline)) unsigned long middle(unsigned long x)
{ return inner(x) ^ inner(x + 1); }
__attribute__((noinline)) void outer(void) { sink = middle(sink); }
int main(void) { for (long i = 0; i < 300000; i++) outer(); printf("%lu\n", sink); return 0; }
C
if ${CC:-cc} -O2 -g -fno-omit-frame-pointer -o "$TMPD/inl" "$TMPD/inl.c"; then
	ok "records an -O2 program with inlined functions" \
		wp-record -q --no-off-cpu -F $F -o "$TMPD/inl.wpd" -- "$TMPD/inl"
	ok "-f pprof" wp-convert -f pprof -o "$TMPD/inl.pb.gz" "$TMPD/inl.wpd"
	like "$(go tool pprof -raw -symbolize=none "$TMPD/inl.pb.gz" 2>/dev/null)" \
		"M=1 inner [^ ]*inl\.c:4 s=0
 +middle [^ ]*inl\.c:6 s=0
 +outer [^ ]*inl\.c:7 s=0" \
		"one Location: inner, middle (inlined) then outer, which they are in, each at its line"
	like "$(go tool pprof -top -symbolize=none "$TMPD/inl.pb.gz" 2>/dev/null)" \
		"inner \(inline\)" "go tool pprof: inner is shown as inlined"
	like "$(go tool pprof -top -lines -symbolize=none "$TMPD/inl.pb.gz" 2>/dev/null)" \
		"inner [^ ]*inl\.c:4 \(inline\)" "go tool pprof -lines: inner's line"
	ok "-f speedscope --lines" wp-convert -f speedscope --lines -o "$TMPD/inl.json" "$TMPD/inl.wpd"
	JS=$WP_SRC/tests/js
	if command -v node >/dev/null && [ -d "$JS/node_modules/playwright-core" ]; then
		timeout 120 node "$JS/client.mjs" speedscope "$TMPD/inl.json" >"$TMPD/c.json" 2>"$TMPD/c.err"
		like "$(jget "$TMPD/c.json" 'join "\n", @{$d->{stack}}')" \
			"^inner \([^ ]*inl\.c:4\)
middle \([^ ]*inl\.c:6\)
outer \([^ ]*inl\.c:7\)
main \([^ ]*inl\.c:8\)" "speedscope: the inlined frames and their callers with file:line"
	fi
	like "$(go tool pprof -raw -symbolize=none "$TMPD/inl.pb.gz" 2>/dev/null | sed -n '/^Mappings/,$p')" \
		"1: .*/inl [0-9a-f]{40} \[FN\]" "the program is the main mapping"
else
	ok "a C compiler builds the inline workload" false
fi

ok "-f svg" wp-convert -f svg -o "$TMPD/r.svg" "$R"
ok "-f speedscope" wp-convert -f speedscope -o "$TMPD/r.json" "$R"
JS=$WP_SRC/tests/js
if command -v node >/dev/null && [ -d "$JS/node_modules/playwright-core" ]; then
	timeout 120 node "$JS/client.mjs" speedscope "$TMPD/r.json" >"$TMPD/c.json" 2>"$TMPD/c.err"
	is "$(jget "$TMPD/c.json" '$d->{imported}')" "speedscope json file" "speedscope imports the recording"
	like "$(jget "$TMPD/c.json" '$d->{title}')" "^burn \(pid [0-9]+, tid [0-9]+\)" "shows burn's thread"
	sw() { jget "$TMPD/c.json" 'my ($r) = grep { $_->[2] eq "'"$1"'" } @{$d->{sandwich}}; $r ? ($r->[0] =~ /\(([0-9.]+)%\)/)[0] : ""'; }
	within "$(sw hot_a)" 66.7 7 "speedscope: hot_a ~2/3 of the time"
	within "$(sw hot_b)" 33.3 7 "speedscope: hot_b ~1/3"
	timeout 120 node "$JS/client.mjs" svg "$TMPD/r.svg" "$TMPD/r.png" '^hot_a$' hot_a >"$TMPD/c.json" 2>"$TMPD/c.err"
	within "$(jget "$TMPD/c.json" '$d->{search}')" 66.7 6 "flame graph: searching hot_a matches ~2/3"
	is "$(jget "$TMPD/c.json" '$d->{after_click}')" 1180 "flame graph: hot_a zooms"
	cmp_ok "$(jget "$TMPD/c.json" '$d->{png}{differ}')" ">" 20000 "flame graph: the screenshot is not blank"
	[ -n "${WP_KEEP_SHOTS:-}" ] && mkdir -p "$WP_KEEP_SHOTS" && cp "$TMPD/r.png" "$WP_KEEP_SHOTS/burn.png"
else
	ok "speedscope and Chromium are installed (make deps)" false
fi

# chrome: balanced, per thread
ok "-f chrome" wp-convert -f chrome -o "$TMPD/r.trace.json" "$R"
is "$(jget "$TMPD/r.trace.json" 'my %o; my $bad = 0; for (@{$d->{traceEvents}}) { $o{$_->{tid}}++ if $_->{ph} eq "B"; $o{$_->{tid}}-- if $_->{ph} eq "E"; $bad++ if ($o{$_->{tid}} // 0) < 0 } $bad + grep { $_ } values %o')" 0 \
	"chrome: every slice closed"
like "$(jget "$TMPD/r.trace.json" 'join ",", map { $_->{args}{name} } grep { $_->{name} eq "thread_name" } @{$d->{traceEvents}}')" \
	"burn" "chrome: the thread is named"
if [ -d "$JS/node_modules/@paulirish/trace_engine" ]; then
	timeout 120 node "$JS/client.mjs" chrome "$TMPD/r.trace.json" >"$TMPD/c.json" 2>"$TMPD/c.err"
	like "$(jget "$TMPD/c.json" 'join ",", map { $_->{name} } @{$d->{threads}}')" "burn" \
		"Chrome DevTools' trace engine: burn's thread"
	like "$(jget "$TMPD/c.json" 'join " ", map { @{$_->{slices}} } @{$d->{threads}}')" \
		"burn_loop@[0-9.]+\+[0-9.]+ hot_a@" "its slices: burn_loop, hot_a under it"
else
	ok "Chrome DevTools' trace engine is installed (make deps)" false
fi

done_testing
