# shellcheck shell=bash
# Helpers for the offline tools' tests (sourced after tap.sh): the .wpd
# fixtures of tests/unit/report_fixture.c, written into $FX, and a JSON
# reader built on Perl's core JSON::PP (perl is a test dependency).

# Under SANITIZE=1 a sanitizer report exits 134, not 1: a tool that
# failed cleanly and a tool that hit undefined behaviour stay apart.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=134:print_stacktrace=1"

FX="$TMPD/fx"
fx_gen="$WP_BUILD/tests/unit/report_fixture.t"
[ -x "$fx_gen" ] || skip_all "$fx_gen is not built (make tests)"
for t in wp-report wp-convert; do
	[ -x "$WP_BIN/$t" ] || skip_all "$WP_BIN/$t is not built (make offline)"
done
if ! WP_FIXTURE_DIR="$FX" "$fx_gen" >"$TMPD/fx.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 - writing the fixtures failed"
	sed 's/^/# /' "$TMPD/fx.log"
	exit 1
fi

# jget FILE PERL-EXPR: print a value of the JSON document in FILE ($d is
# the root): strings and numbers as they are, booleans true/false, null.
jget() {
	perl -MJSON::PP -0777 -e '
		my $d = eval { decode_json(<STDIN>) } or do { print "INVALID-JSON"; exit 0 };
		my $v = eval $ARGV[0]; die $@ if $@;
		if (!defined $v) { print "null" }
		elsif (JSON::PP::is_bool($v)) { print $v ? "true" : "false" }
		elsif (ref $v) { print JSON::PP->new->canonical->encode($v) }
		else { print $v }' "$2" <"$1"
}

# The folded lines with binary offsets replaced by +0xOFF.
norm_offsets() {
	sed -E 's/\+0x[0-9a-f]+/+0xOFF/g' "$@"
}
