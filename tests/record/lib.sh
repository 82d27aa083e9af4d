# shellcheck shell=bash
# Helpers for the wp-record tests (sourced after tests/lib/tap.sh).
# Recordings are checked with wp-report --json, parsed with perl's JSON::PP.

# jval FILE EXPR [wp-report options...]: evaluate the perl expression EXPR
# with $j bound to the decoded `wp-report --json -n 0 FILE` object and print
# the result (booleans as true/false, undef as the empty string).
jval() {
	local file=$1 expr=$2
	shift 2
	wp-report --json -n 0 "$@" "$file" 2>/dev/null |
	J="$expr" perl -MJSON::PP -0777 -ne '
		my $j = eval { decode_json($_) } or exit 1;
		my $v = eval $ENV{J};
		$v = $v ? "true" : "false" if ref($v) eq "JSON::PP::Boolean";
		print defined $v ? $v : ""'
}

# fn_pct FILE FUNCTION [wp-report options...]: total% of FUNCTION among the
# on-CPU samples (a recording with scheduler data otherwise shares out
# wall-clock time, off-CPU included)
fn_pct() {
	local file=$1 fn=$2
	shift 2
	jval "$file" 'my ($f) = grep { $_->{name} eq "'"$fn"'" } @{$j->{functions}};
		$f ? $f->{total_pct} : 0' --on-cpu "$@"
}

# cpu_of FILE: the "cpu SECONDS" burn -u printed
cpu_of() { sed -n 's/^cpu //p' "$1" | tail -1; }

# pid_of FILE: the first "pid N" burn -p printed
pid_of() { sed -n 's/^pid //p' "$1" | head -1; }

# expect_samples GOT FREQ CPU_SECONDS NAME [PCT]: GOT within PCT% (default
# 10) of FREQ x CPU, plus 2 samples for the edges
expect_samples() {
	local want
	want=$(awk -v f="$2" -v c="$3" 'BEGIN { printf "%.0f", f * c }')
	within "$1" "$want" "$(awk -v w="$want" -v p="${5:-10}" 'BEGIN { printf "%.0f", w * p / 100 + 2 }')" "$4"
}

# wait_for FILE PATTERN [TENTHS]: wait until FILE contains PATTERN
wait_for() {
	local i
	for ((i = 0; i < ${3:-50}; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# proc_cpu PID: CPU seconds used so far by all threads of PID (schedstat)
proc_cpu() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null |
	awk '{ s += $1 } END { printf "%.4f", s / 1e9 }'
}
