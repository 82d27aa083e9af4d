# shellcheck shell=bash
# Helpers for the name tests (sourced after tests/lib/tap.sh and
# tests/record/lib.sh). Sources of the programs they build are in src/.

SRC="$WP_SRC/tests/names/src"

# names FILE [wp-report options...]: every function of the report, one per
# line: "name<TAB>module<TAB>flags" (flags: i inlined, j jit, k kernel, u
# unresolved)
names() {
	local file=$1
	shift
	jval "$file" 'join "", map {
		$_->{name} . "\t" . $_->{module} . "\t" .
		($_->{inlined} ? "i" : "") . ($_->{jit} ? "j" : "") .
		($_->{kernel} ? "k" : "") . ($_->{resolved} ? "" : "u") . "\n"
	} @{$j->{functions}}' "$@"
}

# fn_get FILE NAME FIELD [wp-report options...]: FIELD of function NAME
# (the first one listed), empty if absent
fn_get() {
	local file=$1 fn=$2 field=$3
	shift 3
	FN="$fn" FIELD="$field" jval "$file" 'my ($f) = grep { $_->{name} eq $ENV{FN} }
		@{$j->{functions}}; $f ? $f->{$ENV{FIELD}} : undef' "$@"
}

# pid_line FILE: the pid a test program printed ("pid N")
pid_line() { sed -n 's/^pid //p' "$1" | head -1; }

# The name tests look at on-CPU samples only: recordings may also hold
# off-CPU time (a program sleeping before its dlopen), which would change
# the shares. The same as tests/record/lib.sh's jval, with --on-cpu.
jval() {
	local file=$1 expr=$2
	shift 2
	wp-report --json -n 0 --on-cpu "$@" "$file" 2>/dev/null |
	J="$expr" perl -MJSON::PP -0777 -ne '
		my $j = eval { decode_json($_) } or exit 1;
		my $v = eval $ENV{J};
		$v = $v ? "true" : "false" if ref($v) eq "JSON::PP::Boolean";
		print defined $v ? $v : ""'
}
