#!/usr/bin/env bash
# Symbolization throughput: wp's symbolizer (the analysis library, as
# wp-report and wp-record use it) against binutils' addr2line and against
# perf report's addr2line path, on the same addresses.
#
# Address sets (ELF virtual addresses of one binary each):
#   rec    every distinct user address of a real recording: a generated
#          program with full DWARF (BENCH_FUNCS functions, default 3000, over
#          24 units, -O2 -g, each with two inlined helpers) calling all its
#          functions for BENCH_SECS seconds
#   big    BENCH_ADDRS (default 20000) addresses spread over the functions of
#          that program
#   libc   the same number over libc.so.6's functions (names from its debug
#          file when libc6-dbg is installed)
# For each: wp names only (cold: a fresh symbolizer, tables built; warm: a
# second pass), wp full (inline chain + file:line, what addr2line -f -i
# does), addr2line -a -f -i; addresses/s and ratios, and how often the two
# agree on whole inline chains: L every frame's file:line, N every frame's
# function (names may differ by design: for a function with aliases wp
# shows the public one, e.g. glibc's "read" where addr2line says
# "__GI___libc_read"; and binutils 2.40 misnames some DWARF 5 files).
#
# Then perf: perf record -g and wp-record of that same workload; perf report
# --stdio --inline --sort sym,srcline (perf 6.1 without libbfd asks an
# addr2line process per binary) against wp-report on the wp recording
# (which expands inline frames), both from a fresh process: distinct user
# addresses per second of wall time, and the symbolization's share (the
# time over the same report without inline frames and source lines).
#
# Target: wp at least 10x faster than perf's addr2line path. BENCH_STRICT=1:
# exit 1 when it is missed.
set -u
: "${WP_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${WP_BUILD:=$WP_SRC/build}"
: "${WP_BIN:=$WP_BUILD/bin}"
NADDR=${BENCH_ADDRS:-20000}
NFUNCS=${BENCH_FUNCS:-3000}
TARGET=10

die() { echo "symbolize-vs-addr2line: $*" >&2; exit 1; }
command -v addr2line >/dev/null || die "addr2line (binutils) is needed"
[ -x "$WP_BIN/wp-report" ] && [ -x "$WP_BIN/wp-record" ] || die "build first (make all)"

T=$(mktemp -d "${TMPDIR:-/tmp}/wp-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s%N; }

${CC:-cc} -std=gnu11 -O2 -I"$WP_SRC" -o "$T/wp-symbolize" "$WP_SRC/tests/bench/wp-symbolize.c" \
	"$WP_BUILD/lib/libwpanalysis.a" "$WP_BUILD/lib/libwpd.a" "$WP_BUILD/lib/libwpcommon.a" \
	-ldw -lelf -lzstd -lxxhash -lz || die "cannot build wp-symbolize"

# ---- the address sets --------------------------------------------------------

# A program with full DWARF: NFUNCS functions over 24 units, each with two
# inlined helpers (so inline chains are real), built -O2 -g. Run, it calls
# every function for SECS seconds: a workload with thousands of distinct
# addresses.
gen_big() {
	local u f per=$((NFUNCS / 24 + 1))
	mkdir -p "$T/big"
	for ((u = 0; u < 24; u++)); do
		{
			echo '#include <stdint.h>'
			echo "static inline __attribute__((always_inline)) uint64_t mix_$u(uint64_t x) { for (int i = 0; i < 3; i++) x = x * 0x9e3779b97f4a7c15ull + (x >> 7); return x; }"
			echo "static inline __attribute__((always_inline)) uint64_t step_$u(uint64_t x, uint64_t k) { return mix_$u(x ^ k) + (k << 3); }"
			for ((f = 0; f < per; f++)); do
				echo "__attribute__((noinline)) uint64_t fn_${u}_$f(uint64_t x) { for (uint64_t k = 0; k < 64 + (x & 15); k++) x = step_$u(x, k * $f); return x + $f; }"
			done
		} >"$T/big/u$u.c"
	done
	{
		echo '#include <stdint.h>'
		echo '#include <stdlib.h>'
		echo '#include <time.h>'
		for ((u = 0; u < 24; u++)); do
			for ((f = 0; f < per; f++)); do echo "uint64_t fn_${u}_$f(uint64_t);"; done
		done
		echo 'static uint64_t (*const fns[])(uint64_t) = {'
		for ((u = 0; u < 24; u++)); do
			for ((f = 0; f < per; f++)); do echo "fn_${u}_$f,"; done
		done
		echo '};'
		echo 'int main(int c, char **v) { struct timespec a, b; double s = c > 1 ? atof(v[1]) : 0; volatile uint64_t x = 1;'
		echo '  clock_gettime(CLOCK_MONOTONIC, &a); do { for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) x = fns[i](x);'
		echo '  clock_gettime(CLOCK_MONOTONIC, &b); } while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < s); return x == 42; }'
	} >"$T/big/main.c"
	(cd "$T/big" && ls ./*.c | xargs -P "$(nproc)" -I{} ${CC:-cc} -O2 -g -fno-omit-frame-pointer -c {}) &&
		${CC:-cc} -o "$T/big/bigprog" "$T"/big/*.o
}

# NADDR addresses spread over the function symbols of FILE (its symbol
# table: the binary's, or its debug file's), deterministic.
spread() {
	nm -S --defined-only "$1" 2>/dev/null | N="$NADDR" perl -ne '
		my ($a, $s, $t) = split; next unless defined $t && $t =~ /^[tTwWiI]$/ && hex($s);
		push @f, [hex($a), hex($s)];
		END { srand(1); for (1 .. $ENV{N}) { last unless @f; my $f = $f[int(rand(@f))];
			printf "%x\n", $f->[0] + int(rand($f->[1])) } }'
}

debug_file() { # the separate debug file of BINARY by build-id, or BINARY
	local id
	id=$(readelf -n "$1" 2>/dev/null | awk '/Build ID/ { print $3 }')
	if [ -n "$id" ] && [ -e "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" ]; then
		echo "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
	else
		echo "$1"
	fi
}

echo "building the address sets..."
gen_big || die "cannot build the generated program"
spread "$T/big/bigprog" >"$T/big.addrs"
LIBC=$(ldd "$WP_BIN/wp-report" | awk '/libc\.so/ { print $3 }')
spread "$(debug_file "$LIBC")" >"$T/libc.addrs"

# The real recording: the generated program running, recorded.
have_root=0
[ "$(id -u)" = 0 ] && have_root=1
if [ $have_root = 1 ]; then
	"$WP_BIN/wp-record" -q -F 4999 -o "$T/rec.wpd" -- "$T/big/bigprog" "${BENCH_SECS:-3}" ||
		die "wp-record failed"
	"$T/wp-symbolize" -x "$T/rec.wpd" "$T/big/bigprog" | sort -u >"$T/rec.addrs"
fi

# ---- wp against addr2line -------------------------------------------------------

rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.0f", (ns > 0 ? n / (ns / 1e9) : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

# agreement of wp -f -p and addr2line -a -f -i output, whole inline chains:
# "L/N": % of addresses with every frame's file:line the same (file names
# compared without directories), and with every frame's function the same
agree() {
	perl -e '
		sub parse { my ($f) = @_; my (%l, %n, $a); open my $h, "<", $f or die;
			while (<$h>) { chomp; if (/^0x([0-9a-f]+)$/) { $a = hex($1); $l{$a} = $n{$a} = ""; next }
				my $loc = <$h>; chomp $loc; $loc =~ s/ \(discriminator \d+\)//;
				$loc =~ s{.*/}{}; $loc =~ s/:\?$/:0/; $l{$a} .= "$loc;"; $n{$a} .= "$_;" }
			return (\%l, \%n) }
		my ($wl, $wn) = parse($ARGV[0]); my ($bl, $bn) = parse($ARGV[1]);
		my ($n, $sl, $sn) = (0, 0, 0);
		for (keys %$wl) { next unless exists $bl->{$_}; $n++;
			$sl++ if $wl->{$_} eq $bl->{$_}; $sn++ if $wn->{$_} eq $bn->{$_} }
		printf "%.1f/%.1f", $n ? 100 * $sl / $n : 0, $n ? 100 * $sn / $n : 0' "$1" "$2"
}

printf '\n%-6s %8s | %12s %12s | %12s %12s | %12s | %7s %7s | %11s\n' set addrs \
	"wp names" "warm" "wp full" "warm" addr2line "full/a2l" "warm/a2l" "agree L/N%"
printf '%-6s %8s | %12s %12s | %12s %12s | %12s | %7s %7s | %11s\n' "" "" \
	"addr/s" "addr/s" "addr/s" "addr/s" "addr/s" "x" "x" ""
sets="big libc"
[ $have_root = 1 ] && sets="rec big libc"
for set in $sets; do
	case $set in
	rec) bin=$T/big/bigprog ;;
	big) bin=$T/big/bigprog ;;
	libc) bin=$LIBC ;;
	esac
	n=$(wc -l <"$T/$set.addrs")
	[ "$n" -gt 0 ] || continue
	read -r _ _ _ cn _ wn _ _ _ _ _ _ < <("$T/wp-symbolize" -n 3 "$bin" <"$T/$set.addrs" 2>&1 >/dev/null)
	read -r _ _ _ cf _ wf _ _ _ _ _ _ < <("$T/wp-symbolize" -f -n 3 "$bin" <"$T/$set.addrs" 2>&1 >/dev/null)
	s=$(now)
	addr2line -a -f -i -e "$bin" <"$T/$set.addrs" >"$T/$set.a2l"
	a2l=$(($(now) - s))
	"$T/wp-symbolize" -f -p -n 1 "$bin" <"$T/$set.addrs" >"$T/$set.wp" 2>/dev/null
	printf '%-6s %8d | %12s %12s | %12s %12s | %12s | %7s %7s | %11s\n' "$set" "$n" \
		"$(rate "$n" "$cn")" "$(rate "$n" "$wn")" "$(rate "$n" "$cf")" "$(rate "$n" "$wf")" \
		"$(rate "$n" "$a2l")" "$(ratio "$a2l" "$cf")" "$(ratio "$a2l" "$wf")" \
		"$(agree "$T/$set.wp" "$T/$set.a2l")"
	echo "$set warm names lookup: $(awk -v n="$n" -v ns="$wn" 'BEGIN { printf "%.0f", ns / n }') ns," \
		"warm full lookup: $(awk -v n="$n" -v ns="$wf" 'BEGIN { printf "%.0f", ns / n }') ns" >>"$T/ns"
done
cat "$T/ns"

# ---- wp-report against perf report ------------------------------------------------

rc=0
if [ $have_root = 1 ] && command -v perf >/dev/null; then
	perf record -q -F 4999 -g -o "$T/perf.data" -- "$T/big/bigprog" "${BENCH_SECS:-3}" \
		>/dev/null 2>&1 || die "perf record failed"
	naddr=$(wc -l <"$T/rec.addrs")
	best() { # REPS CMD...: best wall time of REPS runs, ns
		local b=0 i s e reps=$1
		shift
		for ((i = 0; i < reps; i++)); do
			s=$(now); "$@" >/dev/null 2>&1; e=$(now)
			if [ "$b" = 0 ] || [ $((e - s)) -lt "$b" ]; then b=$((e - s)); fi
		done
		echo "$b"
	}
	secs() { awk -v t="$1" 'BEGIN { printf "%.3f", t / 1e9 }'; }
	wp_ns=$(best 3 "$WP_BIN/wp-report" -n 0 "$T/rec.wpd")
	wp_ni=$(best 3 "$WP_BIN/wp-report" -n 0 --no-inline "$T/rec.wpd")
	perf_ns=$(best 1 perf report -i "$T/perf.data" --stdio --inline --no-children --sort sym,srcline)
	perf_ni=$(best 3 perf report -i "$T/perf.data" --stdio --no-inline --no-children --sort sym)
	echo
	printf '%-50s %10s %14s\n' "whole report, fresh process" seconds "addr/s"
	printf '%-50s %10s %14s\n' "wp-report (inline frames, best of 3)" "$(secs "$wp_ns")" "$(rate "$naddr" "$wp_ns")"
	printf '%-50s %10s %14s\n' "wp-report --no-inline (best of 3)" "$(secs "$wp_ni")" "$(rate "$naddr" "$wp_ni")"
	printf '%-50s %10s %14s\n' "perf report --inline --sort sym,srcline" "$(secs "$perf_ns")" "$(rate "$naddr" "$perf_ns")"
	printf '%-50s %10s %14s\n' "perf report --no-inline --sort sym (best of 3)" "$(secs "$perf_ni")" "$(rate "$naddr" "$perf_ni")"
	x=$(ratio "$perf_ns" "$wp_ns")
	inc_wp=$((wp_ns > wp_ni ? wp_ns - wp_ni : 1))
	inc_perf=$((perf_ns > perf_ni ? perf_ns - perf_ni : 0))
	echo "$naddr distinct user addresses: wp-report is ${x}x faster than perf report's addr2line path;"
	echo "inline frames and source lines cost wp $(secs "$inc_wp") s and perf $(secs "$inc_perf") s" \
		"($(ratio "$inc_perf" "$inc_wp")x)"
	if awk -v x="$x" -v t="$TARGET" 'BEGIN { exit !(x < t) }'; then
		echo "symbolize-vs-addr2line: below the target of ${TARGET}x" >&2
		[ "${BENCH_STRICT:-0}" = 1 ] && rc=1
	fi
else
	echo "(perf comparison skipped: needs root and perf)"
fi
exit $rc
