/* SPDX-License-Identifier: MIT */
/*
 * BPF lifecycle: open -> configure -> load -> attach -> poll -> detach.
 *
 * Polling: on this class of machine a cpu-clock perf event stops firing
 * while the consumer blocks in a long epoll wait, and samples are
 * submitted with BPF_RB_NO_WAKEUP (no irq_work per sample), which never
 * wakes an epoll waiter. So the consumer sleeps at most a few milliseconds
 * in epoll (exec events do wake it) and then drains the buffer whether or
 * not epoll reported anything.
 */
#include "record/session.h"
#include "common/log.h"

#include "wp.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define BTF_PATH "/sys/kernel/btf/vmlinux"

struct wp_session {
	struct wp_session_opts opts;
	struct wp_bpf *skel;
	int ncpus;            /* CPUs with a perf event */
	int *cpus;            /* online CPU numbers */
	int ncpus_online;
	int *pe_fds;
	struct bpf_link **pe_links;
	struct ring_buffer *rb;
	int nposs;            /* possible CPUs (per-CPU map values) */
	unsigned int max_frames;
	struct wp_counters *percpu;
	bool ksym_ok;         /* wp_ksym_resolve is loaded */
};

/* ---- libbpf messages -------------------------------------------------- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf = NULL, *line, *next;

	/* libbpf's warnings are details of a failure wp-record reports
	 * itself: show them with -vv, its debug output with -vvv. */
	if (level == LIBBPF_DEBUG ? wp_log_verbosity <= WP_LOG_DEBUG
				  : wp_log_verbosity < WP_LOG_DEBUG)
		return 0;
	/* whole, not truncated: a verifier log is many lines long */
	if (vasprintf(&buf, fmt, ap) < 0)
		return 0;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		pr_debug("%s", line);
	}
	free(buf);
	return 0;
}

void wp_session__setup_libbpf_log(void)
{
	libbpf_set_print(libbpf_print);
}

/* ---- checks ------------------------------------------------------------ */

static const char need_caps[] = "need CAP_BPF and CAP_PERFMON (or root)";

static int check_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data))
		return 0; /* cannot tell: let bpf() decide */
	eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	if (eff & (1ull << CAP_SYS_ADMIN))
		return 0;
	if ((eff & (1ull << CAP_BPF)) && (eff & (1ull << CAP_PERFMON)))
		return 0;
	pr_err("%s: this process has neither CAP_SYS_ADMIN nor both of "
	       "CAP_BPF and CAP_PERFMON", need_caps);
	return -EPERM;
}

static long read_sysctl(const char *path, long dflt)
{
	FILE *f = fopen(path, "re");
	long v;

	if (!f)
		return dflt;
	if (fscanf(f, "%ld", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* "0-3,5,7-8" */
static int parse_cpu_list(const char *path, int **out, int *n)
{
	char buf[4096], *p;
	FILE *f = fopen(path, "re");
	int *v = NULL, cap = 0, cnt = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0)
			goto bad;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				goto bad;
			p = end;
		}
		for (; a <= b; a++) {
			if (cnt == cap) {
				int *t;

				cap = cap ? cap * 2 : 64;
				t = realloc(v, cap * sizeof(*t));
				if (!t) {
					free(v);
					return -ENOMEM;
				}
				v = t;
			}
			v[cnt++] = (int)a;
		}
		if (*p == ',')
			p++;
	}
	*out = v;
	*n = cnt;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

/* ---- open / load ------------------------------------------------------- */

bool wp_session__dwarf_supported(void)
{
#if defined(__x86_64__)
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_task_pt_regs,
				       NULL) == 1;
#else
	return false;
#endif
}

static int session_load(struct wp_session *s, const struct wp_session_opts *opts, bool ksym)
{
	int err;

	s->skel = wp_bpf__open();
	if (!s->skel) {
		err = -errno;
		pr_err("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	s->skel->rodata->wp_mode = opts->mode;
	s->skel->rodata->wp_self_tgid = opts->self_tgid;
	s->skel->rodata->wp_force_inline = opts->inline_stacks;
	s->skel->rodata->wp_dump_size = opts->dump_size;

	/* A stack map's values cannot be deeper than the sysctl allows. */
	if (s->max_frames < WP_MAX_FRAMES) {
		bpf_map__set_value_size(s->skel->maps.kstacks, s->max_frames * sizeof(__u64));
		bpf_map__set_value_size(s->skel->maps.ustacks, s->max_frames * sizeof(__u64));
	}
	err = bpf_map__set_max_entries(s->skel->maps.events, (__u32)opts->ringbuf_bytes);
	if (err) {
		pr_err("cannot size the ring buffer: %s", strerror(-err));
		return err;
	}
	if (opts->mode != WP_TARGET_FOLLOW) {
		/* system mode has nothing to follow */
		bpf_program__set_autoload(s->skel->progs.wp_fork, false);
		bpf_program__set_autoload(s->skel->progs.wp_exit, false);
	}
	if (!ksym)
		bpf_program__set_autoload(s->skel->progs.wp_ksym_resolve, false);
	if (!opts->dump_size || !opts->offcpu_dumps)
		bpf_program__set_autoload(s->skel->progs.wp_sys_exit, false);
	s->ksym_ok = ksym;
	return wp_bpf__load(s->skel);
}

int wp_session__open(const struct wp_session_opts *opts, struct wp_session **out)
{
	struct wp_session *s;
	long max_stack;
	int err;

	*out = NULL;
	err = check_caps();
	if (err)
		return err;
	if (access(BTF_PATH, R_OK)) {
		pr_err("kernel BTF is missing (%s: %s): wp-record needs a kernel "
		       "built with CONFIG_DEBUG_INFO_BTF=y", BTF_PATH, strerror(errno));
		return -ENOTSUP;
	}

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opts = *opts;
	s->nposs = libbpf_num_possible_cpus();
	if (s->nposs <= 0) {
		err = s->nposs < 0 ? s->nposs : -EINVAL;
		pr_err("cannot count the possible CPUs: %s", strerror(-err));
		goto fail;
	}
	s->percpu = calloc(s->nposs, sizeof(*s->percpu));
	if (!s->percpu) {
		err = -ENOMEM;
		goto fail;
	}
	err = parse_cpu_list("/sys/devices/system/cpu/online", &s->cpus, &s->ncpus_online);
	if (err) {
		pr_err("cannot read /sys/devices/system/cpu/online: %s", strerror(-err));
		goto fail;
	}
	max_stack = read_sysctl("/proc/sys/kernel/perf_event_max_stack", WP_MAX_FRAMES);
	s->max_frames = max_stack > 0 && max_stack < WP_MAX_FRAMES ? (unsigned int)max_stack
								   : WP_MAX_FRAMES;

	err = session_load(s, opts, true);
	if (err) {
		/* Kernels before 5.14 have no syscall programs (and 5.13 no
		 * bpf_snprintf): do without, kallsyms names the frames. */
		wp_bpf__destroy(s->skel);
		s->skel = NULL;
		pr_debug("loading without the kernel symbol resolver");
		if (!session_load(s, opts, false))
			err = 0;
	}
	if (err) {
		/* The capabilities were checked: EACCES is most likely the
		 * verifier (or a security module) saying no. */
		if (err == -EPERM)
			pr_err("cannot load the BPF programs: %s: %s (-vv shows libbpf's log)",
			       strerror(-err), need_caps);
		else
			pr_err("cannot load the BPF programs: %s (the kernel refused them; "
			       "-vv shows libbpf's log and the verifier's)", strerror(-err));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	wp_session__close(s);
	return err;
}

int wp_session__follow(struct wp_session *s, uint32_t tgid)
{
	__u8 one = 1;

	if (bpf_map__update_elem(s->skel->maps.followed, &tgid, sizeof(tgid), &one,
				 sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}

/* ---- attach -------------------------------------------------------------- */

static int perf_event_open(struct perf_event_attr *attr, int cpu)
{
	return (int)syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int attach_tp(struct bpf_program *prog, struct bpf_link **link, const char *what)
{
	if (!bpf_program__autoload(prog))
		return 0;
	*link = bpf_program__attach(prog);
	if (!*link) {
		int err = -errno;

		pr_err("cannot attach to the %s tracepoint: %s", what, strerror(-err));
		return err;
	}
	return 0;
}

int wp_session__attach(struct wp_session *s)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_freq = s->opts.freq,
		.freq = 1,
	};
	int i, err;

	/* Tracepoints first: a child forked while the perf events are being
	 * attached is followed. */
	err = attach_tp(s->skel->progs.wp_fork, &s->skel->links.wp_fork, "sched_process_fork");
	if (!err)
		err = attach_tp(s->skel->progs.wp_exec, &s->skel->links.wp_exec,
				"sched_process_exec");
	if (!err)
		err = attach_tp(s->skel->progs.wp_exit, &s->skel->links.wp_exit,
				"sched_process_exit");
	if (!err)
		err = attach_tp(s->skel->progs.wp_sys_exit, &s->skel->links.wp_sys_exit,
				"sys_exit");
	if (err)
		return err;

	s->pe_fds = malloc(s->ncpus_online * sizeof(*s->pe_fds));
	s->pe_links = calloc(s->ncpus_online, sizeof(*s->pe_links));
	if (!s->pe_fds || !s->pe_links)
		return -ENOMEM;
	for (i = 0; i < s->ncpus_online; i++)
		s->pe_fds[i] = -1;
	for (i = 0; i < s->ncpus_online; i++) {
		int fd = perf_event_open(&attr, s->cpus[i]);

		if (fd < 0) {
			err = -errno;
			if (err == -ENODEV || err == -ENXIO) {
				pr_debug("cpu %d: no cpu-clock event (%s), skipped",
					 s->cpus[i], strerror(-err));
				continue; /* went offline meanwhile */
			}
			if (err == -EACCES || err == -EPERM)
				pr_err("cannot open a cpu-clock event on cpu %d: %s: %s "
				       "(kernel.perf_event_paranoid is %ld; with CAP_PERFMON it "
				       "does not matter)", s->cpus[i], strerror(-err), need_caps,
				       read_sysctl("/proc/sys/kernel/perf_event_paranoid", 2));
			else if (err == -EINVAL)
				pr_err("cannot open a cpu-clock event on cpu %d at %llu Hz: %s "
				       "(kernel.perf_event_max_sample_rate is %ld)", s->cpus[i],
				       (unsigned long long)s->opts.freq, strerror(-err),
				       read_sysctl("/proc/sys/kernel/perf_event_max_sample_rate", 0));
			else
				pr_err("cannot open a cpu-clock event on cpu %d: %s", s->cpus[i],
				       strerror(-err));
			return err;
		}
		s->pe_fds[i] = fd;
		s->pe_links[i] = bpf_program__attach_perf_event(s->skel->progs.wp_sample, fd);
		if (!s->pe_links[i]) {
			err = -errno;
			pr_err("cannot attach the sampling program on cpu %d: %s", s->cpus[i],
			       strerror(-err));
			return err;
		}
		s->ncpus++;
	}
	if (!s->ncpus) {
		pr_err("no CPU accepted a cpu-clock event");
		return -ENODEV;
	}
	return 0;
}

int wp_session__ncpus(const struct wp_session *s)
{
	return s->ncpus ? s->ncpus : s->ncpus_online;
}

int wp_session__kstacks_fd(const struct wp_session *s)
{
	return bpf_map__fd(s->skel->maps.kstacks);
}

int wp_session__ustacks_fd(const struct wp_session *s)
{
	return bpf_map__fd(s->skel->maps.ustacks);
}

int wp_session__events_fd(const struct wp_session *s)
{
	return bpf_map__fd(s->skel->maps.events);
}

int wp_session__dump_want_fd(const struct wp_session *s)
{
	return bpf_map__fd(s->skel->maps.dump_want);
}

int wp_session__followed_fd(const struct wp_session *s)
{
	return bpf_map__fd(s->skel->maps.followed);
}

unsigned int wp_session__max_frames(const struct wp_session *s)
{
	return s->max_frames;
}

/* ---- ring buffer ---------------------------------------------------------- */

int wp_session__ringbuf(struct wp_session *s,
			int (*cb)(void *ctx, void *data, size_t size), void *ctx)
{
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), cb, ctx, NULL);
	if (!s->rb) {
		int err = -errno;

		pr_err("cannot map the ring buffer: %s", strerror(-err));
		return err;
	}
	return 0;
}

int wp_session__poll(struct wp_session *s, int timeout_ms)
{
	int n = ring_buffer__poll(s->rb, timeout_ms), m;

	if (n < 0 && n != -EINTR)
		return n;
	/* poll only drains rings epoll reported; samples do not wake it */
	m = ring_buffer__consume(s->rb);
	if (m < 0)
		return m;
	return (n > 0 ? n : 0) + m;
}

int wp_session__drain(struct wp_session *s)
{
	int total = 0, n;

	while ((n = ring_buffer__consume(s->rb)) > 0)
		total += n;
	return n < 0 ? n : total;
}

/* ---- kernel symbols ------------------------------------------------------- */

int wp_session__ksym_resolve(void *ctx, const uint64_t *addrs, size_t n,
			     char (*names)[WP_KSYM_LEN])
{
	struct wp_session *s = ctx;
	size_t done, i;

	if (!s->ksym_ok)
		return -EOPNOTSUPP;
	for (done = 0; done < n; done += i) {
		LIBBPF_OPTS(bpf_test_run_opts, topts);
		size_t batch = n - done < WP_KSYM_BATCH ? n - done : WP_KSYM_BATCH;

		for (i = 0; i < batch; i++)
			s->skel->bss->wp_ksym_addr[i] = addrs[done + i];
		s->skel->bss->wp_ksym_n = (__u32)batch;
		if (bpf_prog_test_run_opts(bpf_program__fd(s->skel->progs.wp_ksym_resolve), &topts))
			return -errno;
		for (i = 0; i < batch; i++) {
			memcpy(names[done + i], s->skel->bss->wp_ksym_out[i], WP_KSYM_LEN);
			names[done + i][WP_KSYM_LEN - 1] = '\0';
		}
	}
	return 0;
}

/* ---- counters, teardown --------------------------------------------------- */

int wp_session__counters(struct wp_session *s, struct wp_counters *out)
{
	__u32 zero = 0;
	int i, j;

	memset(out, 0, sizeof(*out));
	if (bpf_map__lookup_elem(s->skel->maps.counters, &zero, sizeof(zero), s->percpu,
				 s->nposs * sizeof(*s->percpu), 0))
		return -errno;
	for (i = 0; i < s->nposs; i++)
		for (j = 0; j < WP_CNT_MAX; j++)
			out->c[j] += s->percpu[i].c[j];
	return 0;
}

void wp_session__detach(struct wp_session *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; s->pe_links && i < s->ncpus_online; i++) {
		bpf_link__destroy(s->pe_links[i]);
		s->pe_links[i] = NULL;
		if (s->pe_fds[i] >= 0)
			close(s->pe_fds[i]);
		s->pe_fds[i] = -1;
	}
	if (s->skel)
		wp_bpf__detach(s->skel);
}

void wp_session__close(struct wp_session *s)
{
	if (!s)
		return;
	wp_session__detach(s);
	ring_buffer__free(s->rb);
	wp_bpf__destroy(s->skel);
	free(s->pe_fds);
	free(s->pe_links);
	free(s->cpus);
	free(s->percpu);
	free(s);
}
