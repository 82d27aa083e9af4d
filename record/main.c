/* SPDX-License-Identifier: MIT */
/*
 * wp-record: options -> validation -> record__run().
 *
 * Setup order matters for correctness and for time to first sample:
 * output file created (refusing to clobber) -> command forked, held on a
 * pipe -> BPF loaded, targets put in the followed map -> programs attached
 * -> META written -> command released -> -p targets' mappings read, while
 * samples already queue in the ring buffer.
 */
#include "record/record.h"
#include "record/output.h"
#include "record/sched.h"
#include "record/session.h"
#include "record/status.h"
#include "record/symcap.h"
#include "record/target.h"
#include "common/log.h"
#include "common/parse.h"
#include "format/wpd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef WP_VERSION
#define WP_VERSION "unknown"
#endif

#define DEFAULT_FREQ 99
#define DEFAULT_OUTPUT "wp.wpd"
/* --call-graph dwarf without a size: user stack bytes per sample (perf's
 * default; python3's deepest stacks lose 0.5 % to it, docs/unwinding.md) */
#define DEFAULT_DUMP_SIZE 8192
/* --min-block default: off-CPU intervals at least this long are stored
 * one by one (a timeline), shorter ones summed in the kernel */
#define DEFAULT_MIN_BLOCK_US 1000
#define DEFAULT_KSTACK_SAMPLE_US 10000
/* --off-cpu-dwarf-rate default: 0, off-CPU user stacks by frame pointers.
 * Any other rate hooks sys_exit, where the dumps are taken: every system
 * call of every task on the machine then takes the kernel's slow exit path
 * (~230 ns each measured, dd 1.8x slower) for as long as wp-record runs. */
#define DEFAULT_OFFCPU_DWARF_RATE 0
#define MAX_OFFCPU_DWARF_RATE 1000000
#define POLL_MS 10
#define FLUSH_NS (1000ull * 1000 * 1000)
#define NSEC 1000000000ull

struct record_opts {
	uint64_t freq;
	uint64_t duration_ns;    /* 0: until the target ends or a signal */
	const char *output;
	bool force;
	bool quiet;
	bool system_wide;
	int pids[WP_MAX_PIDS];
	size_t npids;
	char **argv;             /* command after "--", NULL-terminated */
	int argc;
	uint64_t ringbuf_bytes;  /* 0: automatic */
	bool inline_stacks;
	uint32_t dump_size;      /* --call-graph dwarf,SIZE; 0: fp */
	bool call_graph_set;     /* --call-graph given: else dwarf where supported */
	bool no_embed_symbols;   /* no SYMBOL/SRCLINE records */
	bool keep_dumps;         /* dwarf: USTACK_DUMP records, unwound when read */
	bool no_offcpu;          /* on-CPU samples only */
	uint64_t min_block_ns;   /* --min-block */
	bool kstacks_all;        /* --off-cpu-kernel-stacks all */
	uint64_t kstack_sample_ns; /* --off-cpu-kernel-sample */
	uint32_t offcpu_dwarf_rate; /* --off-cpu-dwarf-rate */
	bool no_offcpu_agg;      /* tests: every interval individually */
	uint32_t offcpu_agg_entries; /* tests: aggregation map size */
};

struct record {
	struct record_opts opts;
	uint64_t start_mono, start_real;
	uint64_t attached_mono;  /* sampling started: -d counts from here */
	char *cmdline;           /* wp-record's own argv, joined */
	char *command;           /* the launched command, joined */
	struct wp_target target;
	struct wp_session *session;
	struct wp_sched *sched;  /* scheduler programs, NULL with --no-off-cpu */
	struct wp_sched_counters sched_counters;
	uint64_t sched_end;      /* the scheduler programs stopped (0: running) */
	struct wp_out *out;
	struct wp_status status;
	struct wp_counters counters;
	sigset_t stop_signals;   /* SIGINT, SIGTERM */
	sigset_t orig_mask;      /* the caller's, for the command */
};

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t sig_count;    /* SIGINT/SIGTERM received */
static volatile sig_atomic_t sig_last;
static volatile sig_atomic_t sig_forward;  /* sent by a process: pass it on */

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	sig_count++;
	sig_last = sig;
	/* A terminal's ^C already went to the whole foreground process group,
	 * command included (si_code SI_KERNEL); kill(1) reached only us. */
	if (info && (info->si_code == SI_USER || info->si_code == SI_QUEUE ||
		     info->si_code == SI_TKILL))
		sig_forward = sig;
}

/* Installed after the command is forked, so it inherits the caller's
 * dispositions (an ignored SIGINT or SIGPIPE stays ignored), not ours;
 * SIGINT and SIGTERM are blocked from start until then. */
static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: wake the poll */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- helpers -------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s, *p;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s;
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i)
			*p++ = ' ';
		memcpy(p, argv[i], n);
		p += n;
	}
	*p = '\0';
	return s;
}

static long max_sample_rate(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void say(const struct record *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct record *r, const char *fmt, ...)
{
	va_list ap;

	if (r->opts.quiet)
		return;
	fprintf(stderr, "%s: ", wp_log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: wp-record [options] [-a] [-- COMMAND [ARGS...]]\n"
"       wp-record [options] -p PID[,PID...]\n"
"\n"
"Record where the time went, on and off the CPUs, into a .wpd file: on-CPU\n"
"samples with their user and kernel stacks, and every off-CPU interval of\n"
"the recorded threads (why, for how long, the stack, who woke it).\n"
"\n"
"Targets:\n"
"  -- COMMAND ARGS   run COMMAND and record it, its threads and its children\n"
"                    until it exits\n"
"  -p, --pid PIDS    record running processes (comma-separated), all their\n"
"                    threads and new children, until they exit\n"
"  -a, --system-wide record every process (the default without a target);\n"
"                    with -- COMMAND, for as long as COMMAND runs\n"
"\n"
"Options:\n"
"  -F, --freq HZ     samples per second per CPU (default %d; at most\n"
"                    kernel.perf_event_max_sample_rate)\n"
"  -d, --duration S  stop after S seconds of sampling (decimals allowed)\n"
"  -o, --output FILE write to FILE (default %s)\n"
"  -f, --force       overwrite FILE if it exists\n"
"  -q, --quiet       no status line and no summary\n"
"  -v, --verbose     more messages (-vv: libbpf's too)\n"
"      --ringbuf-size KB\n"
"                    BPF ring buffer size in KiB, a power of two >= 4\n"
"                    (default: 512 per CPU with fp, room for a quarter\n"
"                    second of dumps per CPU with dwarf; at least 4096)\n"
"      --call-graph MODE\n"
"                    how user stacks are captured: dwarf[,SIZE] (the\n"
"                    default on x86_64: the registers and the top SIZE bytes\n"
"                    of the stack, unwound with the binaries' CFI as the\n"
"                    recording goes; SIZE %u..%u, default %u) or fp (frame\n"
"                    pointers: the default elsewhere; cheaper, but stacks\n"
"                    stop at code built without them)\n"
"      --keep-dumps  dwarf: store the registers and stack bytes instead, for\n"
"                    the reader to unwind (the file then needs the binaries)\n"
"      --inline-stacks\n"
"                    copy every stack into the ring buffer instead of using\n"
"                    the stack maps (for measurements)\n"
"      --no-embed-symbols\n"
"                    do not store the names of the user functions hit (the\n"
"                    file then needs the binaries to be named elsewhere)\n"
"      --no-off-cpu  on-CPU samples only: no scheduler events\n"
"      --min-block US\n"
"                    off-CPU intervals of at least US microseconds are stored\n"
"                    one by one, with their times; shorter ones are summed in\n"
"                    the kernel per thread, stack, reason and waker (default\n"
"                    %u; 0: all one by one)\n"
"      --off-cpu-kernel-stacks long|all\n"
"                    kernel stacks of the off-CPU intervals of at least\n"
"                    --min-block, taken when the thread wakes, and of sampled\n"
"                    shorter ones (long, the default), or of every interval,\n"
"                    taken at every switch-out (all: costs more per switch)\n"
"      --off-cpu-kernel-sample US\n"
"                    with long: the kernel stack of one short wait per US\n"
"                    microseconds of a thread's short-wait time (default %u;\n"
"                    0: none); the other short waits are marked as not walked\n"
"      --off-cpu-dwarf-rate N\n"
"                    with dwarf: at most N off-CPU intervals per second per CPU\n"
"                    get a stack dump (default %u); the others keep their\n"
"                    frame-pointer stack, counted (0: none get one)\n"
"  -h, --help        show this help\n"
"  -V, --version     show the version\n"
"\n"
"SIGINT and SIGTERM end the recording cleanly. With -- COMMAND, a signal\n"
"sent to wp-record with kill(1) is passed on to the command and recording\n"
"goes on until it exits; a second signal stops at once.\n"
"\n"
"Exit status: 0 recorded, 1 failure, 2 usage error.\n"
"Needs CAP_BPF and CAP_PERFMON (or root) and a kernel with BTF.\n",
		DEFAULT_FREQ, DEFAULT_OUTPUT, WP_DUMP_MIN, WP_DUMP_MAX, DEFAULT_DUMP_SIZE,
		DEFAULT_MIN_BLOCK_US, DEFAULT_KSTACK_SAMPLE_US, DEFAULT_OFFCPU_DWARF_RATE);
}

/* ---- options -------------------------------------------------------------- */

enum { OPT_RINGBUF = 256, OPT_INLINE, OPT_NO_EMBED = 300, OPT_CALL_GRAPH = 320,
       OPT_KEEP_DUMPS,
       OPT_NO_OFFCPU = 340, OPT_MIN_BLOCK, OPT_OFFCPU_KSTACKS, OPT_NO_OFFCPU_AGG,
       OPT_OFFCPU_AGG_ENTRIES, OPT_OFFCPU_KSAMPLE, OPT_OFFCPU_DWARF_RATE };

/* "fp", "dwarf" or "dwarf,SIZE" (bytes, rounded up to 8). 0 or -EINVAL. */
static int parse_call_graph(const char *s, uint32_t *dump_size)
{
	uint64_t v;

	if (!strcmp(s, "fp")) {
		*dump_size = 0;
		return 0;
	}
	if (!strcmp(s, "dwarf")) {
		*dump_size = DEFAULT_DUMP_SIZE;
		return 0;
	}
	if (strncmp(s, "dwarf,", 6) || wp_parse_u64(s + 6, WP_DUMP_MIN, WP_DUMP_MAX, &v))
		return -EINVAL;
	*dump_size = (uint32_t)((v + 7) & ~7ull);
	return 0;
}

/* 0 ok, 2 usage error, -1 done (help/version printed) */
static int parse_options(struct record *r, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "freq", required_argument, NULL, 'F' },
		{ "pid", required_argument, NULL, 'p' },
		{ "system-wide", no_argument, NULL, 'a' },
		{ "all-cpus", no_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "inline-stacks", no_argument, NULL, OPT_INLINE },
		{ "call-graph", required_argument, NULL, OPT_CALL_GRAPH },
		{ "no-embed-symbols", no_argument, NULL, OPT_NO_EMBED },
		{ "keep-dumps", no_argument, NULL, OPT_KEEP_DUMPS },
		{ "no-off-cpu", no_argument, NULL, OPT_NO_OFFCPU },
		{ "min-block", required_argument, NULL, OPT_MIN_BLOCK },
		{ "off-cpu-kernel-sample", required_argument, NULL, OPT_OFFCPU_KSAMPLE },
		{ "off-cpu-dwarf-rate", required_argument, NULL, OPT_OFFCPU_DWARF_RATE },
		{ "off-cpu-kernel-stacks", required_argument, NULL, OPT_OFFCPU_KSTACKS },
		/* undocumented, for the tests: prove the aggregation exact, fill it */
		{ "no-off-cpu-aggregation", no_argument, NULL, OPT_NO_OFFCPU_AGG },
		{ "off-cpu-aggregation-entries", required_argument, NULL, OPT_OFFCPU_AGG_ENTRIES },
		{ NULL, 0, NULL, 0 },
	};
	struct record_opts *o = &r->opts;
	const char *freq_arg = NULL;
	int c, err, verbose = 0;
	uint64_t v;

	o->freq = DEFAULT_FREQ;
	o->output = DEFAULT_OUTPUT;
	o->min_block_ns = DEFAULT_MIN_BLOCK_US * 1000ull;
	o->kstack_sample_ns = DEFAULT_KSTACK_SAMPLE_US * 1000ull;
	o->offcpu_dwarf_rate = DEFAULT_OFFCPU_DWARF_RATE;
	/* "+": stop at the first non-option, so the command's options stay its own */
	while ((c = getopt_long(argc, argv, "+F:p:ad:o:fqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			freq_arg = optarg;
			break;
		case 'p':
			err = wp_parse_pid_list(optarg, o->pids, WP_MAX_PIDS, &o->npids);
			if (err) {
				pr_err(err == -E2BIG ? "too many pids in '%s' (at most 256)"
						     : "invalid pid list '%s'", optarg);
				return 2;
			}
			break;
		case 'a':
			o->system_wide = true;
			break;
		case 'd':
			if (wp_parse_seconds_ns(optarg, &o->duration_ns) || !o->duration_ns) {
				pr_err("invalid duration '%s': want a positive number of seconds",
				       optarg);
				return 2;
			}
			break;
		case 'o':
			if (!*optarg) {
				pr_err("empty output file name");
				return 2;
			}
			o->output = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("wp-record %s\n", WP_VERSION);
			return -1;
		case OPT_RINGBUF:
			if (wp_parse_u64(optarg, 4, 1u << 20, &v) || (v & (v - 1))) {
				pr_err("invalid ring buffer size '%s': want a power of two "
				       "from 4 to 1048576 (KiB)", optarg);
				return 2;
			}
			if (v * 1024 < (uint64_t)sysconf(_SC_PAGESIZE)) {
				pr_err("invalid ring buffer size '%s': less than a page", optarg);
				return 2;
			}
			o->ringbuf_bytes = v * 1024;
			break;
		case OPT_INLINE:
			o->inline_stacks = true;
			break;
		case OPT_CALL_GRAPH:
			if (parse_call_graph(optarg, &o->dump_size)) {
				pr_err("invalid call graph '%s': want fp, dwarf or dwarf,SIZE "
				       "(SIZE: bytes of user stack per sample, %u to %u)",
				       optarg, WP_DUMP_MIN, WP_DUMP_MAX);
				return 2;
			}
			o->call_graph_set = true;
			break;
		case OPT_NO_EMBED:
			o->no_embed_symbols = true;
			break;
		case OPT_KEEP_DUMPS:
			o->keep_dumps = true;
			break;
		case OPT_NO_OFFCPU:
			o->no_offcpu = true;
			break;
		case OPT_MIN_BLOCK:
			if (wp_parse_u64(optarg, 0, 3600ull * 1000 * 1000, &v)) {
				pr_err("invalid --min-block '%s': want microseconds, 0 to 3600000000",
				       optarg);
				return 2;
			}
			o->min_block_ns = v * 1000;
			break;
		case OPT_OFFCPU_KSTACKS:
			if (!strcmp(optarg, "all") || !strcmp(optarg, "long")) {
				o->kstacks_all = !strcmp(optarg, "all");
				break;
			}
			pr_err("invalid --off-cpu-kernel-stacks '%s': want long or all", optarg);
			return 2;
		case OPT_OFFCPU_KSAMPLE:
			if (wp_parse_u64(optarg, 0, 3600ull * 1000 * 1000, &v)) {
				pr_err("invalid --off-cpu-kernel-sample '%s': want microseconds, "
				       "0 to 3600000000", optarg);
				return 2;
			}
			o->kstack_sample_ns = v * 1000;
			break;
		case OPT_OFFCPU_DWARF_RATE:
			if (wp_parse_u64(optarg, 0, MAX_OFFCPU_DWARF_RATE, &v)) {
				pr_err("invalid --off-cpu-dwarf-rate '%s': want dumps per second "
				       "per CPU, 0 to %u", optarg, MAX_OFFCPU_DWARF_RATE);
				return 2;
			}
			o->offcpu_dwarf_rate = (uint32_t)v;
			break;
		case OPT_NO_OFFCPU_AGG:
			o->no_offcpu_agg = true;
			break;
		case OPT_OFFCPU_AGG_ENTRIES:
			if (wp_parse_u64(optarg, 1, 1u << 24, &v)) {
				pr_err("invalid --off-cpu-aggregation-entries '%s'", optarg);
				return 2;
			}
			o->offcpu_agg_entries = (uint32_t)v;
			break;
		default:
			fprintf(stderr, "Try 'wp-record --help'.\n");
			return 2;
		}
	}
	if (o->quiet)
		wp_log_verbosity = WP_LOG_ERR;
	else
		wp_log_verbosity = WP_LOG_WARN + verbose;

	if (optind < argc) {
		o->argv = argv + optind;
		o->argc = argc - optind;
	}
	if (o->npids && o->argv) {
		pr_err("-p and a command are exclusive");
		return 2;
	}
	if (o->npids && o->system_wide) {
		pr_err("-p and -a are exclusive");
		return 2;
	}
	if (!o->npids && !o->argv)
		o->system_wide = true;
	/* dwarf by default: complete stacks through code without frame
	 * pointers (most distributions' libraries); fp where dwarf cannot be
	 * recorded, since it would record no user stack at all */
	if (!o->call_graph_set) {
		o->dump_size = wp_session__dwarf_supported() ? DEFAULT_DUMP_SIZE : 0;
		if (!o->dump_size)
			pr_info("--call-graph dwarf is not supported here (x86_64 and "
				"bpf_task_pt_regs() needed): frame pointers");
	}

	if (freq_arg) {
		long max = max_sample_rate();
		uint64_t lim = max > 0 ? (uint64_t)max : 100000;

		if (wp_parse_u64(freq_arg, 1, lim, &o->freq)) {
			if (max > 0)
				pr_err("invalid frequency '%s': must be 1..%ld "
				       "(kernel.perf_event_max_sample_rate is %ld)",
				       freq_arg, max, max);
			else
				pr_err("invalid frequency '%s': must be 1..%llu", freq_arg,
				       (unsigned long long)lim);
			return 2;
		}
	}
	return 0;
}

/* ---- the recording -------------------------------------------------------- */

static void put_meta(struct record *r, struct wpd_buf *b)
{
	struct utsname u;
	char host[256] = "", target[512];
	size_t i, n;

	if (gethostname(host, sizeof(host) - 1))
		host[0] = '\0';
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	if (r->opts.npids) {
		n = (size_t)snprintf(target, sizeof(target), "pid ");
		for (i = 0; i < r->target.npids && n < sizeof(target); i++)
			n += (size_t)snprintf(target + n, sizeof(target) - n, "%s%d", i ? "," : "",
					      r->target.pids[i]);
	} else if (r->opts.argv && r->opts.system_wide) {
		snprintf(target, sizeof(target), "system, command %s", r->command);
	} else if (r->opts.argv) {
		snprintf(target, sizeof(target), "command %s", r->command);
	} else {
		snprintf(target, sizeof(target), "system");
	}
	wpd_kv__put_str(b, WPD_META_HOSTNAME, host);
	wpd_kv__put_str(b, WPD_META_KERNEL, u.release);
	wpd_kv__put_str(b, WPD_META_ARCH, u.machine);
	wpd_kv__put_u64(b, WPD_META_START_REALTIME, r->start_real);
	wpd_kv__put_u64(b, WPD_META_START_MONO, r->start_mono);
	wpd_kv__put_str(b, WPD_META_CMDLINE, r->cmdline);
	wpd_kv__put_str(b, WPD_META_TARGET, target);
	wpd_kv__put_u64(b, WPD_META_FREQ, r->opts.freq);
	wpd_kv__put_u64(b, WPD_META_NCPUS, (uint64_t)wp_session__ncpus(r->session));
	wpd_kv__put_str(b, WPD_META_WP_VERSION, WP_VERSION);
	if (r->opts.dump_size) {
		char cg[32];

		snprintf(cg, sizeof(cg), "dwarf,%u", r->opts.dump_size);
		wpd_kv__put_str(b, WPD_META_CALL_GRAPH, cg);
	} else {
		wpd_kv__put_str(b, WPD_META_CALL_GRAPH, "fp");
	}
	wpd_kv__put_u64(b, WPD_META_OFF_CPU, r->sched ? 1 : 0);
	if (r->sched) {
		wpd_kv__put_u64(b, WPD_META_MIN_BLOCK, r->opts.no_offcpu_agg ? 0 :
				r->opts.min_block_ns);
		wpd_kv__put_str(b, "off_cpu_kernel_stacks", r->opts.kstacks_all ? "all" : "long");
		if (!r->opts.kstacks_all)
			wpd_kv__put_u64(b, "off_cpu_kernel_sample_ns", r->opts.kstack_sample_ns);
		if (r->opts.dump_size)
			wpd_kv__put_u64(b, "off_cpu_dwarf_rate", r->opts.offcpu_dwarf_rate);
		wpd_kv__put_u64(b, "off_cpu_start_ns", wp_sched__t0(r->sched));
	}
}

/* ---- scheduler data ------------------------------------------------------- */

static void sched_prog_stat(void *ctx, const char *name, uint64_t runs, uint64_t ns)
{
	(void)ctx;
	pr_info("%s: %llu runs, %.0f ns per run (kernel.bpf_stats_enabled)", name,
		(unsigned long long)runs, (double)ns / (double)runs);
}

static int sched_agg(void *ctx, const struct wp_agg_key *k, const struct wp_agg_val *v)
{
	return wp_out__offcpu_agg(ctx, k, v);
}

struct sched_pass {
	struct wp_out *out;
	uint64_t now;
	bool final;
};

static int sched_thread(void *ctx, uint32_t tid, const struct wp_thread_state *ts,
			const struct wp_spill *sp)
{
	struct sched_pass *sp_ = ctx;

	return wp_out__thread_state(sp_->out, tid, ts, sp, sp_->now, sp_->final);
}

/*
 * Every flush: the aggregates of the intervals that ended since the last
 * one, THREAD_TIME snapshots of the threads that switched, the counters.
 * final (the programs are detached): also the intervals still open and
 * every thread's final accounting, at the time the programs stopped.
 */
static int record__sched_flush(struct record *r, bool final)
{
	struct sched_pass pass = { .out = r->out, .final = final };
	uint64_t from, to;
	int err;

	if (!r->sched)
		return 0;
	err = wp_sched__drain(r->sched, sched_agg, r->out, &from, &to);
	if (err)
		return err;
	pass.now = final ? r->sched_end : clock_ns(CLOCK_MONOTONIC);
	err = wp_sched__threads(r->sched, sched_thread, &pass);
	if (!err)
		err = wp_out__offcpu_agg_end(r->out, from, final && r->sched_end > to ?
					     r->sched_end : to);
	if (!err && !wp_sched__counters(r->sched, &r->sched_counters))
		wp_out__set_sched_counters(r->out, &r->sched_counters);
	return err;
}

/*
 * fp: 512 KiB per CPU. dwarf: room on every CPU at once for a quarter of a
 * second of samples, 48 to 256 dumps: the consumer unwinds each one (12 to
 * 30 us) and may stall on a new binary's CFI or a flush; a dump that finds
 * no room falls back to a frame-pointer stack, counted. At the default
 * 99 Hz and 8 KiB that is 48 dumps, 441 KiB per CPU: no more than fp,
 * whatever the number of CPUs. At least 4 MiB, at most 256 MiB.
 */
static uint64_t default_ringbuf(uint32_t dump_size, uint64_t freq)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t want = (uint64_t)(n > 0 ? n : 1) * (512u << 10), sz = 4u << 20;
	uint64_t dumps = freq / 4;

	if (dump_size) {
		dumps = dumps < 48 ? 48 : dumps > 256 ? 256 : dumps;
		/* + 8: the ring buffer's own header per record */
		want = (uint64_t)(n > 0 ? n : 1) * dumps *
		       (sizeof(struct wp_ustack_event) + dump_size + 8);
	}

	while (sz < want && sz < (256u << 20))
		sz <<= 1;
	return sz;
}

static void report_command(struct record *r)
{
	int st = r->target.child_status;

	if (!r->target.child_exited)
		say(r, "command still running (pid %d)", (int)r->target.child);
	else if (WIFEXITED(st))
		say(r, "command exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		say(r, "command terminated by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
}

static int record__loop(struct record *r)
{
	uint64_t now, next_flush, deadline = 0;
	bool forwarded = false, killed = false;
	int n, err = 0;

	now = clock_ns(CLOCK_MONOTONIC);
	next_flush = now + FLUSH_NS;
	if (r->opts.duration_ns)
		deadline = r->attached_mono + r->opts.duration_ns;

	for (;;) {
		n = wp_session__poll(r->session, POLL_MS);
		if (n < 0) {
			err = n;
			pr_err("writing '%s' failed: %s", r->opts.output, strerror(-err));
			return err;
		}
		err = wp_out__end_drain(r->out);
		if (!err)
			err = wp_out__offcpu_poll(r->out);
		if (err) {
			pr_err("writing '%s' failed: %s", r->opts.output, strerror(-err));
			return err;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= next_flush) {
			wp_session__counters(r->session, &r->counters);
			err = record__sched_flush(r, false);
			if (!err)
				err = wp_out__flush(r->out, &r->counters);
			if (err) {
				pr_err("writing '%s' failed: %s", r->opts.output, strerror(-err));
				return err;
			}
			next_flush = now + FLUSH_NS;
		}
		wp_status__update(&r->status, now, now - r->start_mono,
				  wp_out__stats(r->out)->samples,
				  wp_out__lost_total(r->out, &r->counters),
				  wp_out__bytes(r->out), false);

		if (wp_target__done(&r->target))
			break;
		if (sig_count) {
			if (!r->target.child || sig_count > 1 || r->target.child_exited)
				break;
			/* first signal with a command: let the command end */
			if (sig_forward && !forwarded) {
				wp_target__signal(&r->target, sig_forward);
				forwarded = true;
			}
		}
		if (deadline && now >= deadline) {
			if (r->target.child && !killed) {
				/* like perf: a command outliving the recording is ended */
				wp_target__signal(&r->target, SIGTERM);
				killed = true;
			}
			break;
		}
	}
	return 0;
}

static int record__run(struct record *r)
{
	struct wp_session_opts so = { 0 };
	struct wp_out_opts oo = { 0 };
	struct wpd_buf meta, extra;
	uint64_t end_mono;
	size_t i;
	int err = 0;
	bool recorded = false;

	wpd_buf__init(&meta);
	wpd_buf__init(&extra);

	if (r->opts.npids) {
		err = wp_target__attach_pids(&r->target, r->opts.pids, r->opts.npids);
		if (err)
			goto cleanup;
	}

	oo.path = r->opts.output;
	oo.force = r->opts.force;
	err = wp_out__create(&oo, &r->out);
	if (err) {
		if (err == -EEXIST)
			pr_err("output file '%s' exists: use -f to overwrite it", r->opts.output);
		else
			pr_err("cannot create '%s': %s", r->opts.output, strerror(-err));
		goto cleanup;
	}

	if (r->opts.argv) {
		err = wp_target__launch(&r->target, r->opts.argv, &r->orig_mask);
		if (err) {
			pr_err("cannot fork: %s", strerror(-err));
			goto cleanup;
		}
	}
	install_signals();
	sigprocmask(SIG_UNBLOCK, &r->stop_signals, NULL);

	so.mode = r->opts.system_wide ? WP_TARGET_SYSTEM : WP_TARGET_FOLLOW;
	so.self_tgid = (uint32_t)getpid();
	so.freq = r->opts.freq;
	so.ringbuf_bytes = r->opts.ringbuf_bytes ? r->opts.ringbuf_bytes
						  : default_ringbuf(r->opts.dump_size,
								    r->opts.freq);
	so.dump_size = r->opts.dump_size;
	/* the sys_exit hook only when dumps can be asked for */
	so.offcpu_dumps = !r->opts.no_offcpu && r->opts.offcpu_dwarf_rate > 0;
	so.inline_stacks = r->opts.inline_stacks;
	err = wp_session__open(&so, &r->session);
	if (err)
		goto cleanup;
	if (!r->opts.no_offcpu) {
		struct wp_sched_opts sco = {
			.mode = so.mode,
			.self_tgid = so.self_tgid,
			.min_block_ns = r->opts.min_block_ns,
			.waker_min_ns = r->opts.min_block_ns,
			.kstacks_all = r->opts.kstacks_all,
			.kstack_sample_ns = r->opts.kstack_sample_ns,
			.no_agg = r->opts.no_offcpu_agg,
			.agg_entries = r->opts.offcpu_agg_entries,
			.dwarf = so.dump_size != 0,
			.offcpu_dump_rate = r->opts.offcpu_dwarf_rate,
		};
		struct wp_sched_maps sm = {
			.events = wp_session__events_fd(r->session),
			.kstacks = wp_session__kstacks_fd(r->session),
			.ustacks = wp_session__ustacks_fd(r->session),
			.followed = wp_session__followed_fd(r->session),
			.dump_want = wp_session__dump_want_fd(r->session),
		};

		if (r->opts.no_offcpu_agg)
			sco.min_block_ns = 0;
		err = wp_sched__open(&sco, &sm, &r->sched);
		if (err)
			goto cleanup;
		err = wp_out__set_offcpu(r->out, sco.min_block_ns);
		if (err)
			goto cleanup;
	}
	pr_debug("BPF object loaded at +%.1f ms",
		 (clock_ns(CLOCK_MONOTONIC) - r->start_mono) / 1e6);
	if (so.mode == WP_TARGET_FOLLOW) {
		for (i = 0; i < r->target.npids && !err; i++)
			err = wp_session__follow(r->session, (uint32_t)r->target.pids[i]);
		if (!err && r->target.child)
			err = wp_session__follow(r->session, (uint32_t)r->target.child);
		if (err) {
			pr_err("cannot fill the followed-process map: %s", strerror(-err));
			goto cleanup;
		}
	}
	err = wp_session__attach(r->session);
	if (err)
		goto cleanup;
	if (r->sched) {
		err = wp_sched__attach(r->sched);
		if (err)
			goto cleanup;
	}
	r->attached_mono = clock_ns(CLOCK_MONOTONIC);
	pr_debug("attached at +%.1f ms", (r->attached_mono - r->start_mono) / 1e6);

	put_meta(r, &meta);
	if (r->opts.no_embed_symbols)
		wp_out__set_embed_symbols(r->out, false);
	wp_out__set_keep_dumps(r->out, r->opts.keep_dumps);
	err = wp_out__start(r->out, WPD_FEAT_ONCPU | WPD_FEAT_KSYMS |
			    (r->opts.no_embed_symbols ? 0 : WPD_FEAT_SYMBOLS) |
			    (r->sched ? WPD_FEAT_OFFCPU : 0), &meta);
	if (err) {
		pr_err("cannot write '%s': %s", r->opts.output, strerror(-err));
		goto cleanup;
	}
	wp_out__set_stack_maps(r->out, wp_session__kstacks_fd(r->session),
			       wp_session__ustacks_fd(r->session),
			       wp_session__max_frames(r->session));
	wp_out__set_eager_maps(r->out, so.mode == WP_TARGET_FOLLOW);
	wp_out__set_start(r->out, r->start_mono);
	wp_out__set_ksym_resolver(r->out, wp_session__ksym_resolve, r->session);
	err = wp_session__ringbuf(r->session, wp_out__event, r->out);
	if (err)
		goto cleanup;

	if (r->target.child) {
		err = wp_target__start(&r->target, r->opts.argv[0]);
		if (err)
			goto cleanup;
	}
	recorded = true;
	pr_debug("command released at +%.1f ms", (clock_ns(CLOCK_MONOTONIC) - r->start_mono) / 1e6);
	pr_info("recording %s at %llu Hz on %d CPUs", r->opts.npids ? "processes" :
		r->opts.system_wide ? "the system" : "the command",
		(unsigned long long)r->opts.freq, wp_session__ncpus(r->session));

	/* Samples queue in the ring buffer meanwhile. Kernel frames are
	 * named as they come (wp_session__ksym_resolve; /proc/kallsyms, about
	 * 100 ms of CPU, only on kernels that cannot). */
	for (i = 0; !err && i < r->target.npids; i++)
		err = wp_out__snapshot_pid(r->out, (uint32_t)r->target.pids[i], r->start_mono);
	if (err) {
		pr_err("writing '%s' failed: %s", r->opts.output, strerror(-err));
		goto cleanup;
	}
	wp_status__init(&r->status, r->opts.quiet);

	err = record__loop(r);
	if (err)
		goto cleanup;

	/* Stop sampling, then drain what is left: nothing is lost at the end. */
	wp_session__detach(r->session);
	if (r->sched) {
		wp_sched__prog_stats(r->sched, sched_prog_stat, NULL);
		r->sched_end = wp_sched__detach(r->sched);
		wp_sched__final_stacks(r->sched);
	}
	end_mono = clock_ns(CLOCK_MONOTONIC);
	err = wp_session__drain(r->session);
	if (err < 0) {
		pr_err("writing '%s' failed: %s", r->opts.output, strerror(-err));
		goto cleanup;
	}
	err = record__sched_flush(r, true);
	if (err) {
		pr_err("writing '%s' failed: %s", r->opts.output, strerror(-err));
		goto cleanup;
	}
	wp_session__counters(r->session, &r->counters);
	if (r->target.child) {
		if (!r->target.child_exited)
			wp_target__wait(&r->target, 1000);
		if (r->target.child_exited) {
			int st = r->target.child_status;

			wpd_kv__put_i64(&extra, WPD_STAT_EXIT_STATUS,
					WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
	}
	wp_status__clear(&r->status);
	err = wp_out__finish(r->out, &r->counters, end_mono - r->start_mono, end_mono, &extra);
	if (err) {
		pr_err("writing '%s' failed: %s", r->opts.output, strerror(-err));
		goto cleanup;
	}
	{
		const struct wp_out_stats *st = wp_out__stats(r->out);
		uint64_t lost = wp_out__lost_total(r->out, &r->counters);
		struct stat sb;

		say(r, "%llu samples in %.2f s, %llu stacks, %llu bytes written to %s",
		    (unsigned long long)st->samples, (end_mono - r->start_mono) / 1e9,
		    (unsigned long long)st->stacks,
		    (unsigned long long)(stat(r->opts.output, &sb) ? 0 : sb.st_size),
		    r->opts.output);
		if (st->unwind_stacks)
			pr_info("user stacks unwound while recording: %llu, %llu complete, "
				"%.1f us per stack, %.2f s in all",
				(unsigned long long)st->unwind_stacks,
				(unsigned long long)st->unwind_complete,
				st->unwind_ns / 1e3 / (double)st->unwind_stacks, st->unwind_ns / 1e9);
		if (lost)
			pr_warn("%llu samples or events lost (see lost.* in the file's stats; "
				"a bigger --ringbuf-size, a lower -F or a higher --min-block helps)",
				(unsigned long long)lost);
	}
	{
		const struct wp_symcap_stats *ys = wp_out__symbols_stats(r->out);

		pr_info("names stored: %llu functions and %llu inline/line entries of %llu "
			"binaries (%llu unnamed), %llu JIT symbols of %llu processes: %llu bytes "
			"in the file (%llu before compression, names excluded), %.1f ms",
			(unsigned long long)ys->symbols, (unsigned long long)ys->srclines,
			(unsigned long long)ys->binaries, (unsigned long long)ys->unnamed,
			(unsigned long long)ys->jit_symbols, (unsigned long long)ys->jit_procs,
			(unsigned long long)ys->file_bytes, (unsigned long long)ys->raw_bytes,
			ys->ns / 1e6);
	}
	if (r->target.child)
		report_command(r);

cleanup:
	wp_status__clear(&r->status);
	if (err && r->out && !recorded)
		wp_out__discard(r->out);
	wp_out__free(r->out);
	r->out = NULL;
	wp_sched__close(r->sched);
	r->sched = NULL;
	wp_session__close(r->session);
	r->session = NULL;
	if (err && r->target.child && !r->target.child_exited && r->target.go_fd < 0)
		wp_target__signal(&r->target, SIGTERM);
	wp_target__release(&r->target);
	wpd_buf__release(&meta);
	wpd_buf__release(&extra);
	return err;
}

int cmd_record(int argc, char **argv)
{
	struct record r;
	uint64_t m1, m2;
	int ret;

	memset(&r, 0, sizeof(r));
	/* CLOCK_REALTIME between two CLOCK_MONOTONIC reads: the pair
	 * converts sample times to wall-clock time. */
	m1 = clock_ns(CLOCK_MONOTONIC);
	r.start_real = clock_ns(CLOCK_REALTIME);
	m2 = clock_ns(CLOCK_MONOTONIC);
	r.start_mono = m1 + (m2 - m1) / 2;
	wp_target__init(&r.target);
	sigemptyset(&r.stop_signals);
	sigaddset(&r.stop_signals, SIGINT);
	sigaddset(&r.stop_signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &r.stop_signals, &r.orig_mask);

	ret = parse_options(&r, argc, argv);
	if (ret)
		return ret < 0 ? 0 : ret;
	r.cmdline = join_args(argc, argv);
	r.command = r.opts.argv ? join_args(r.opts.argc, r.opts.argv) : NULL;
	if (!r.cmdline || (r.opts.argv && !r.command)) {
		pr_err("out of memory");
		ret = 1;
		goto out;
	}
	wp_session__setup_libbpf_log();
	ret = record__run(&r) ? 1 : 0;
out:
	free(r.cmdline);
	free(r.command);
	return ret;
}

int main(int argc, char **argv)
{
	wp_log_prog = "wp-record";
	return cmd_record(argc, argv);
}
