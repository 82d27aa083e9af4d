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
