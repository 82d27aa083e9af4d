#!/usr/bin/env bash
# shellcheck disable=SC2016 # perl expressions for jval are single-quoted on purpose
# Usage errors exit 2, failures exit 1, each with a message that says why;
# nothing is attached and no file is left behind.
. "$WP_SRC/tests/lib/tap.sh"
. "$WP_SRC/tests/record/lib.sh"
need_root

# exit_of CMD...: the exit status (output in $TMPD/out, err)
exit_of() { "$@" >"$TMPD/out" 2>"$TMPD/err"; echo $?; }

is "$(exit_of wp-record --help)" 0 "--help exits 0"
for o in -F -p -a -d -o -f -q -v --ringbuf-size; do
	grep -q -- "$o" "$TMPD/out" || break
done
is "$o" --ringbuf-size "--help lists every option"

# An existing output is not overwritten without -f.
echo keep >"$TMPD/exists.wpd"
is "$(exit_of wp-record -d 0.2 -o "$TMPD/exists.wpd")" 1 "an existing output is refused"
like "$(cat "$TMPD/err")" "'.*exists.wpd' exists: use -f" "and -f is suggested"
is "$(cat "$TMPD/exists.wpd")" keep "the existing file is untouched"
is "$(exit_of wp-record -q -f -d 0.2 -o "$TMPD/exists.wpd")" 0 "-f overwrites it"
is "$(jval "$TMPD/exists.wpd" '$j->{read}{finished}')" true "with a complete recording"
is "$(exit_of wp-record -q --force -d 0.2 -o "$TMPD/exists.wpd")" 0 "so does --force"

# Unwritable output: checked before attaching.
is "$(exit_of wp-record -d 0.2 -o "$TMPD/no/such/dir/x.wpd")" 1 "an output in a missing directory fails"
like "$(cat "$TMPD/err")" "cannot create '.*no/such/dir/x.wpd': No such file or directory" "and says why"
mkdir "$TMPD/ro" && chattr +i "$TMPD/ro" 2>/dev/null && {
	is "$(exit_of wp-record -d 0.2 -o "$TMPD/ro/x.wpd")" 1 "an output in an immutable directory fails"
	like "$(cat "$TMPD/err")" "cannot create '.*ro/x.wpd': Operation not permitted" "and says why"
	chattr -i "$TMPD/ro"
}
is "$(exit_of wp-record -d 0.2 -o "$TMPD")" 1 "a directory as output fails"

# Frequency: 1 .. kernel.perf_event_max_sample_rate.
max=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
for f in 0 $((max + 1)) abc 10x -5 ""; do
	is "$(exit_of wp-record -F "$f" -o "$TMPD/f.wpd" -d 0.2)" 2 "-F '$f' is a usage error"
done
like "$(cat "$TMPD/err")" "invalid frequency '': must be 1\.\.$max \(kernel.perf_event_max_sample_rate is $max\)" \
	"the message gives the range and why"
exit_of wp-record -F $((max + 1)) -o "$TMPD/f.wpd" -d 0.2 >/dev/null
like "$(cat "$TMPD/err")" "invalid frequency '$((max + 1))'" "and quotes the value"
test -e "$TMPD/f.wpd"
is $? 1 "no file is created on usage errors"

# Other usage errors.
is "$(exit_of wp-record -d 0 -o "$TMPD/u.wpd")" 2 "-d 0 is a usage error"
is "$(exit_of wp-record -d 1s -o "$TMPD/u.wpd")" 2 "-d 1s is a usage error"
is "$(exit_of wp-record -p 1 -- true)" 2 "-p with a command is a usage error"
is "$(exit_of wp-record -p 1 -a)" 2 "-p with -a is a usage error"
is "$(exit_of wp-record -p 0)" 2 "pid 0 is a usage error"
is "$(exit_of wp-record -p 1,,2)" 2 "a malformed pid list is a usage error"
is "$(exit_of wp-record --ringbuf-size 3)" 2 "a ring buffer size not a power of two is a usage error"
is "$(exit_of wp-record --no-such-option)" 2 "an unknown option is a usage error"
like "$(cat "$TMPD/err")" "wp-record --help" "and points to --help"

# Without privileges: a clear message, exit 1.
if command -v setpriv >/dev/null; then
	chmod 777 "$TMPD"
	is "$(exit_of setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		wp-record -d 0.2 -o "$TMPD/np.wpd")" 1 "an unprivileged user fails"
	like "$(cat "$TMPD/err")" "need CAP_BPF and CAP_PERFMON \(or root\)" "and is told which capabilities"
	test -e "$TMPD/np.wpd"
	is $? 1 "no file is left behind"
	is "$(exit_of setpriv --inh-caps=-all --bounding-set=-all wp-record -d 0.2 -o "$TMPD/nc.wpd")" 1 \
		"root without capabilities fails"
	like "$(cat "$TMPD/err")" "need CAP_BPF and CAP_PERFMON" "with the same message"
	if setpriv --inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon --reuid=65534 --regid=65534 \
		--clear-groups true 2>/dev/null; then
		is "$(exit_of setpriv --inh-caps=+bpf,+perfmon,+sys_ptrace --ambient-caps=+bpf,+perfmon,+sys_ptrace \
			--reuid=65534 --regid=65534 --clear-groups wp-record -q -o "$TMPD/caps.wpd" -- \
			dd if=/dev/zero of=/dev/null bs=64 count=2000000)" 0 \
			"CAP_BPF and CAP_PERFMON suffice"
		cmp_ok "$(jval "$TMPD/caps.wpd" 'scalar grep { $_->{kernel} && $_->{resolved} } @{$j->{functions}}')" \
			">" 0 "kernel frames are named without CAP_SYSLOG"
	fi
fi

done_testing
