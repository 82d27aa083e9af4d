/* SPDX-License-Identifier: MIT */
/*
 * Scheduler programs: lifecycle and map access. See sched.h and
 * docs/offcpu.md.
 *
 * Exactness of the aggregation drain. The programs find the aggregation
 * map they write to through a one-slot BPF_MAP_TYPE_ARRAY_OF_MAPS. To
 * drain, wp-record puts the other map in the slot; the kernel returns from
 * that update only after an RCU grace period (maybe_wait_bpf_programs():
 * tracing programs run inside RCU read-side sections), so every program
 * that could still hold the old map has finished and the old map has no
 * writer left. Its entries are then read and deleted at leisure: an
 * interval is in exactly one map, and each map is drained exactly once
 * per period.
 */
#include "record/sched.h"
#include "common/log.h"

#include "sched.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_AGG_ENTRIES 16384
#define DEFAULT_MAX_THREADS 65536
#define BATCH 4096

struct wp_sched {
	struct wp_sched_opts opts;
	struct sched_bpf *skel;
	struct bpf_link *links[5];
	int nlinks;
	int active;              /* aggregation map in the slot: 0 or 1 */
	uint64_t t0;
	uint64_t period_start;   /* of the map in the slot */
	int nposs;
	struct wp_sched_counters *percpu;
	/* drain buffers */
	struct wp_agg_key *akeys;
	struct wp_agg_val *avals;
	uint32_t acap;
	uint32_t *tkeys;
	struct wp_thread_state *tvals;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

const char *wp_sched_counter_name(enum wp_sched_counter c)
{
	static const char *const names[WP_SC_MAX] = {
		[WP_SC_LOST_INTERVAL] = "lost.offcpu_interval",
		[WP_SC_LOST_STACK] = "lost.offcpu_stack",
		[WP_SC_LOST_WAKER_STACK] = "lost.waker_stack",
		[WP_SC_LOST_TASK] = "lost.task_event",
		[WP_SC_LOST_THREAD] = "lost.thread_map_full",
		[WP_SC_LOST_ACCOUNTING] = "lost.thread_accounting",
		[WP_SC_SWITCHES] = "bpf.switches",
		[WP_SC_EVENTS] = "bpf.offcpu_events",
		[WP_SC_AGGREGATED] = "bpf.offcpu_aggregated",
		[WP_SC_AGG_FULL] = "bpf.offcpu_agg_full",
		[WP_SC_RINGBUF_FULL] = "bpf.offcpu_ringbuf_full",
		[WP_SC_WAKEUPS] = "bpf.wakeups",
		[WP_SC_WAKER_STACKS] = "bpf.waker_stacks",
		[WP_SC_EARLY_WAKEUPS] = "bpf.early_wakeups",
		[WP_SC_KSTACK_FROZEN] = "bpf.kernel_stack_at_switch_in",
		[WP_SC_USTACK_SPILL] = "bpf.user_stack_spilled",
		[WP_SC_EXIT_DEFERRED] = "bpf.exit_deferred",
		[WP_SC_IN_UNSEEN] = "bpf.switch_in_unseen",
		[WP_SC_OUT_UNSEEN] = "bpf.switch_out_unseen",
		[WP_SC_KSTACK_SAMPLED] = "bpf.kernel_stack_sampled",
		[WP_SC_KSTACK_FINAL] = "bpf.kernel_stack_at_end",
		[WP_SC_DUMP_RATE_LIMITED] = "bpf.offcpu_dump_rate_limited",
	};

	return (unsigned int)c < WP_SC_MAX && names[c] ? names[c] : "unknown";
}

void wp_sched__dump_bucket(uint32_t rate, uint64_t *gap_ns, uint64_t *burst_ns)
{
	/* a tenth of a second's dumps at once after a quiet spell, at least one */
	uint64_t cap = rate / 10 ? rate / 10 : 1;

	*gap_ns = rate ? 1000000000ull / rate : 0;
	*burst_ns = (cap - 1) * *gap_ns;
}

bool wp_sched_counter_is_lost(enum wp_sched_counter c)
{
	return c < WP_SC_LOST_MAX_;
}

static int reuse(struct bpf_map *m, int fd, const char *what)
{
	int err = bpf_map__reuse_fd(m, fd);

	if (err)
		pr_err("cannot share the %s map with the scheduler programs: %s", what,
		       strerror(-err));
	return err;
}

int wp_sched__open(const struct wp_sched_opts *opts, const struct wp_sched_maps *maps,
		   struct wp_sched **out)
{
	uint32_t agg = opts->agg_entries ? opts->agg_entries : DEFAULT_AGG_ENTRIES;
	uint32_t thr = opts->max_threads ? opts->max_threads : DEFAULT_MAX_THREADS;
	struct wp_sched *s;
	int err;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opts = *opts;
	s->nposs = libbpf_num_possible_cpus();
	s->acap = agg;
	s->percpu = calloc(s->nposs > 0 ? s->nposs : 1, sizeof(*s->percpu));
	s->akeys = calloc(agg, sizeof(*s->akeys));
	s->avals = calloc(agg, sizeof(*s->avals));
	s->tkeys = calloc(BATCH, sizeof(*s->tkeys));
	s->tvals = calloc(BATCH, sizeof(*s->tvals));
	if (s->nposs <= 0 || !s->percpu || !s->akeys || !s->avals || !s->tkeys || !s->tvals) {
		err = s->nposs <= 0 ? -EINVAL : -ENOMEM;
		goto fail;
	}
	s->skel = sched_bpf__open();
	if (!s->skel) {
		err = -errno;
		pr_err("cannot open the scheduler BPF object: %s", strerror(-err));
		goto fail;
	}
	s->skel->rodata->wp_mode = opts->mode;
	s->skel->rodata->wp_self_tgid = opts->self_tgid;
	s->skel->rodata->wp_min_block_ns = opts->min_block_ns;
	s->skel->rodata->wp_waker_min_ns = opts->waker_min_ns;
	s->skel->rodata->wp_kstacks_all = opts->kstacks_all;
	s->skel->rodata->wp_kstack_sample_ns = opts->kstack_sample_ns;
	s->skel->rodata->wp_no_agg = opts->no_agg;
	s->skel->rodata->wp_dwarf = opts->dwarf;
	{
		uint64_t gap, burst;

		wp_sched__dump_bucket(opts->offcpu_dump_rate, &gap, &burst);
		s->skel->rodata->wp_dump_gap_ns = gap;
		s->skel->rodata->wp_dump_burst_ns = burst;
	}
	err = reuse(s->skel->maps.events, maps->events, "ring buffer");
	if (!err)
		err = reuse(s->skel->maps.kstacks, maps->kstacks, "kernel stack");
	if (!err)
		err = reuse(s->skel->maps.ustacks, maps->ustacks, "user stack");
	if (!err)
		err = reuse(s->skel->maps.followed, maps->followed, "followed-process");
	if (!err)
		err = reuse(s->skel->maps.dump_want, maps->dump_want, "user stack request");
	if (!err)
		err = bpf_map__set_max_entries(s->skel->maps.agg0, agg);
	if (!err)
		err = bpf_map__set_max_entries(s->skel->maps.agg1, agg);
	if (!err)
		err = bpf_map__set_max_entries(s->skel->maps.threads, thr);
	if (!err)
		err = bpf_map__set_max_entries(s->skel->maps.spill, thr);
	if (err)
		goto fail;
	/* attached one by one, the iterators run by hand */
	bpf_program__set_autoattach(s->skel->progs.wp_seed, false);
	bpf_program__set_autoattach(s->skel->progs.wp_final, false);
	err = sched_bpf__load(s->skel);
	if (err) {
		pr_err("cannot load the scheduler BPF programs: %s (the kernel refused them; "
		       "-vv shows libbpf's log and the verifier's; --no-off-cpu records without them)",
		       strerror(-err));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	wp_sched__close(s);
	return err;
}

static int attach(struct wp_sched *s, struct bpf_program *p, const char *what)
{
	struct bpf_link *l = bpf_program__attach(p);

	if (!l) {
		int err = -errno;

		pr_err("cannot attach to the %s tracepoint: %s", what, strerror(-err));
		return err;
	}
	s->links[s->nlinks++] = l;
	return 0;
}

/* Run a task iterator over every task once. 0 or -errno. */
static int run_iter(struct bpf_program *p)
{
	struct bpf_link *l = bpf_program__attach_iter(p, NULL);
	char buf[64];
	int fd, err = 0;
	ssize_t n;

	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		err = -errno;
		bpf_link__destroy(l);
		return err;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
	bpf_link__destroy(l);
	return err;
}

/* Run the seed iterator: state for every recorded thread that exists. */
static int seed(struct wp_sched *s)
{
	int err = run_iter(s->skel->progs.wp_seed);

	if (err)
		pr_warn("cannot list the threads that exist (%s): those that never switch "
			"will not be accounted", strerror(-err));
	return 0;
}

void wp_sched__final_stacks(struct wp_sched *s)
{
	int err;

	if (s->opts.kstacks_all)
		return; /* every interval has its stack from its switch-out */
	err = run_iter(s->skel->progs.wp_final);
	if (err)
		pr_warn("cannot take the kernel stacks of the threads still off-CPU (%s): "
			"their last intervals are marked as not walked", strerror(-err));
}

int wp_sched__attach(struct wp_sched *s)
{
	int err;

	/* Exec after wp.bpf.c's exec program (attached before this): its
	 * event, hence the MMAP_RESET, comes first. */
	err = attach(s, s->skel->progs.wp_fork_t, "sched_process_fork");
	if (!err)
		err = attach(s, s->skel->progs.wp_exec_t, "sched_process_exec");
	if (!err)
		err = attach(s, s->skel->progs.wp_rename, "task_rename");
	if (!err)
		err = attach(s, s->skel->progs.wp_waking, "sched_waking");
	if (!err)
		err = attach(s, s->skel->progs.wp_switch, "sched_switch");
	if (err)
		return err;
	/* Start: every event the programs handle from now on is after t0. */
	s->t0 = mono_ns();
	s->period_start = s->t0;
	__atomic_store_n(&s->skel->bss->wp_t0, s->t0, __ATOMIC_RELEASE);
	return seed(s);
}

uint64_t wp_sched__t0(const struct wp_sched *s)
{
	return s->t0;
}

int wp_sched__drain(struct wp_sched *s, wp_sched_agg_fn fn, void *ctx, uint64_t *from,
		    uint64_t *to)
{
	struct bpf_map *maps[2] = { s->skel->maps.agg0, s->skel->maps.agg1 };
	int slot = bpf_map__fd(s->skel->maps.agg_slot), old = s->active, fd, err = 0;
	uint32_t zero = 0, i, count;
	uint64_t start, end;
	void *in = NULL, *outb;
	struct wp_agg_key batch_tok;

	start = mono_ns();
	fd = bpf_map__fd(maps[old ^ 1]);
	if (bpf_map_update_elem(slot, &zero, &fd, BPF_ANY)) {
		err = -errno;
		pr_err("cannot swap the aggregation maps: %s", strerror(-err));
		return err;
	}
	end = mono_ns();
	s->active = old ^ 1;
	*from = s->period_start;
	*to = end;
	s->period_start = start;

	/* No program writes to maps[old] any more. */
	fd = bpf_map__fd(maps[old]);
	outb = &batch_tok;
	for (;;) {
		count = s->acap;
		err = bpf_map_lookup_and_delete_batch(fd, in, outb, s->akeys, s->avals, &count,
						      NULL);
		if (err)
			err = -errno;
		for (i = 0; i < count; i++) {
			int e = fn(ctx, &s->akeys[i], &s->avals[i]);

			if (e)
				return e;
		}
		if (err == -ENOENT)
			return 0;
		if (err) {
			pr_err("cannot read the aggregation map: %s", strerror(-err));
			return err;
		}
		in = outb;
	}
}

int wp_sched__threads(struct wp_sched *s, wp_sched_thread_fn fn, void *ctx)
{
	int fd = bpf_map__fd(s->skel->maps.threads), sfd = bpf_map__fd(s->skel->maps.spill);
	uint32_t tok, count, i;
	void *in = NULL;
	int err;
	struct wp_spill *sp = NULL;

	for (;;) {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, in, &tok, s->tkeys, s->tvals, &count, NULL);
		if (err)
			err = -errno;
		for (i = 0; i < count; i++) {
			const struct wp_thread_state *ts = &s->tvals[i];
			const struct wp_spill *tsp = NULL;
			int e;

			if (ts->flags & (WP_TSF_KSPILL | WP_TSF_USPILL)) {
				if (!sp)
					sp = malloc(sizeof(*sp));
				if (sp && !bpf_map_lookup_elem(sfd, &s->tkeys[i], sp))
					tsp = sp;
			}
			e = fn(ctx, s->tkeys[i], ts, tsp);
			if (e) {
				free(sp);
				return e;
			}
			if (ts->state == WP_TS_DEAD)
				bpf_map_delete_elem(fd, &s->tkeys[i]);
		}
		if (err == -ENOENT)
			break;
		if (err) {
			pr_err("cannot read the thread map: %s", strerror(-err));
			free(sp);
			return err;
		}
		in = &tok;
	}
	free(sp);
	return 0;
}

int wp_sched__counters(struct wp_sched *s, struct wp_sched_counters *out)
{
	uint32_t zero = 0;
	int i, j;

	memset(out, 0, sizeof(*out));
	if (bpf_map__lookup_elem(s->skel->maps.sched_counters, &zero, sizeof(zero), s->percpu,
				 s->nposs * sizeof(*s->percpu), 0))
		return -errno;
	for (i = 0; i < s->nposs; i++)
		for (j = 0; j < WP_SC_MAX; j++)
			out->c[j] += s->percpu[i].c[j];
	return 0;
}

void wp_sched__prog_stats(struct wp_sched *s,
			  void (*fn)(void *ctx, const char *name, uint64_t runs, uint64_t ns),
			  void *ctx)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_program__fd(p) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) || !info.run_cnt)
			continue;
		fn(ctx, bpf_program__name(p), info.run_cnt, info.run_time_ns);
	}
}

uint64_t wp_sched__detach(struct wp_sched *s)
{
	uint64_t end;
	int i;

	/* the switch program first: the accounting ends here */
	for (i = s->nlinks - 1; i >= 0; i--) {
		bpf_link__destroy(s->links[i]);
		s->links[i] = NULL;
	}
	end = mono_ns();
	s->nlinks = 0;
	return end;
}

void wp_sched__close(struct wp_sched *s)
{
	if (!s)
		return;
	wp_sched__detach(s);
	sched_bpf__destroy(s->skel);
	free(s->percpu);
	free(s->akeys);
	free(s->avals);
	free(s->tkeys);
	free(s->tvals);
	free(s);
}
