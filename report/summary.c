/* SPDX-License-Identifier: MIT */
#include "report/summary.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "report/util.h"

void wp_text_put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len;

		if (p[i] >= 0x20 && p[i] < 0x7f) {
			fputc(p[i++], f);
			continue;
		}
		len = p[i] >= 0x80 ? wp_utf8_seq(p + i, n - i, &cp) : 0;
		if (!len || (cp >= 0x80 && cp < 0xa0)) { /* C1 controls too */
			fputc('?', f);
			i += len ? len : 1;
			continue;
		}
		fwrite(p + i, 1, len, f);
		i += len;
	}
}

size_t wp_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, w = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = p[i] >= 0x80 ? wp_utf8_seq(p + i, n - i, &cp) : 1;

		i += len ? len : 1;
		w++;
	}
	return w;
}

static uint64_t r_samples(const struct wp_profile *p)
{
	return wp_profile__read(p)->samples;
}

static bool has_lost(const struct wp_kv_entry *e)
{
	return strncmp(e->key, WPD_STAT_LOST_PREFIX, strlen(WPD_STAT_LOST_PREFIX)) == 0;
}

/* --call-graph dwarf: stacks whose unwinding stopped early. */
static uint64_t unwind_truncated(const struct wp_unwind_stats *u)
{
	return u->dumps - u->reasons[WP_UNWIND_OK];
}

static void unwind_warn(const struct wp_profile *p, const char *path)
{
	const struct wp_unwind_stats *u = wp_profile__unwind(p);
	uint64_t bad;

	if (u && u->fp_fallback)
		pr_warn("%s: %" PRIu64 " samples or off-CPU intervals found no room in the ring "
			"buffer for their user stack copy and have frame-pointer stacks instead (which stop at code "
			"without frame pointers): a larger --ringbuf-size or a lower -F helps",
			path, u->fp_fallback);
	if (!u || !(bad = unwind_truncated(u)))
		return;
	pr_warn("%s: %" PRIu64 " of %" PRIu64 " user stacks could not be unwound to their "
		"outermost frame: they end in [truncated] (the header's unwind: line says why)",
		path, bad, u->dumps);
	if (u->reasons[WP_UNWIND_FOREIGN_ARCH]) {
		const char *arch = wp_profile__meta_str(p, WPD_META_ARCH);

		pr_warn("%s: %" PRIu64 " user stacks were not unwound: recorded on %s, and wp "
			"unwinds x86_64 registers only (they have no user frames)", path,
			u->reasons[WP_UNWIND_FOREIGN_ARCH],
			arch && strcmp(arch, "x86_64") ? arch : "another machine");
	}
	if (u->reasons[WP_UNWIND_DUMP_LIMIT])
		pr_warn("%s: %" PRIu64 " stacks were deeper than the bytes recorded: record "
			"with a larger --call-graph dwarf,SIZE", path, u->reasons[WP_UNWIND_DUMP_LIMIT]);
	if (u->recorded == u->dumps && (u->reasons[WP_UNWIND_NO_BINARY] ||
					u->reasons[WP_UNWIND_MISMATCH]))
		pr_warn("%s: %" PRIu64 " stacks went through binaries that wp-record could not "
			"read or that were not the ones mapped", path,
			u->reasons[WP_UNWIND_NO_BINARY] + u->reasons[WP_UNWIND_MISMATCH]);
	else if (u->reasons[WP_UNWIND_NO_BINARY] || u->reasons[WP_UNWIND_MISMATCH])
		pr_warn("%s: %" PRIu64 " stacks go through binaries that are missing or not the "
			"recorded ones: unwinding needs them (--symfs)", path,
			u->reasons[WP_UNWIND_NO_BINARY] + u->reasons[WP_UNWIND_MISMATCH]);
}

void wp_summary__warn(const struct wp_profile *p, const char *path)
{
	const struct wp_profile_read *r = wp_profile__read(p);
	const char *damage = wp_profile__damage(p);
	uint64_t bad = r->rd.records_bad + r->records_undecodable;

	if (r->rd.blocks_damaged)
		pr_warn("%s: %" PRIu64 " damaged block%s skipped (%" PRIu64 " bytes)%s%s", path,
			r->rd.blocks_damaged, r->rd.blocks_damaged == 1 ? "" : "s",
			r->rd.bytes_skipped, damage ? ": " : "", damage ? damage : "");
	else if (r->rd.bytes_skipped)
		pr_warn("%s: %" PRIu64 " bytes skipped%s%s", path, r->rd.bytes_skipped,
			damage ? ": " : "", damage ? damage : "");
	if (r->rd.truncated)
		pr_warn("%s: file is truncated: it ends inside a block", path);
	if (!r->rd.finished) {
		if (r->rd.blocks)
			pr_warn("%s: recording did not finish cleanly: file ends after block %" PRIu64,
				path, r->last_block_seq);
		else
			pr_warn("%s: recording did not finish cleanly: file has no complete block",
				path);
	}
	if (bad)
		pr_warn("%s: %" PRIu64 " malformed record%s skipped", path, bad, bad == 1 ? "" : "s");
	if (r->rd.records_unknown)
		pr_info("%s: %" PRIu64 " records of unknown type skipped (written by a newer wp?)",
			path, r->rd.records_unknown);
	if (r->dangling_stack_samples)
		pr_warn("%s: %" PRIu64 " samples name a stack that is not in the file", path,
			r->dangling_stack_samples);
	if (r->dangling_stack_offcpu)
		pr_warn("%s: %" PRIu64 " off-CPU intervals name a stack that is not in the file",
			path, r->dangling_stack_offcpu);
	if (r->dangling_strings)
		pr_warn("%s: %" PRIu64 " references to strings that are not in the file", path,
			r->dangling_strings);
	if (!r->samples && !wp_profile__has_offcpu(p))
		pr_warn("%s: no samples", path);
	unwind_warn(p, path);
}

static const unsigned int reason_order[] = {
	WPD_OFF_SLEEP, WPD_OFF_BLOCKED, WPD_OFF_PREEMPTED, WPD_OFF_OTHER, WPD_OFF_UNKNOWN,
};

/*
 * Frame-pointer stacks that stop short: code built without frame pointers
 * (gcc -O2's default, most distributions' libraries) hides its callers.
 * After resolve: when fewer than half of the user stacks end at main or at
 * a process's or thread's start, say that --call-graph dwarf would help
 * (an fp recording: --call-graph fp, or a machine without dwarf).
 */
static void fp_hint(const struct wp_profile *p, FILE *f)
{
	static const char *const roots[] = {
		"main", "_start", "__libc_start_main", "__libc_start_call_main",
		"start_thread", "clone", "clone3", "__clone", "__clone3", "thread_start",
	};
	const char *cg = wp_profile__meta_str(p, WPD_META_CALL_GRAPH);
	uint64_t user = 0, rooted = 0;
	size_t i, k;

	if (!cg || strcmp(cg, "fp") != 0 || !wp_profile__nframes(p))
		return;
	for (i = 0; i < wp_profile__ngroups(p); i++) {
		const struct wp_group *g = wp_profile__group(p, i);
		const struct wp_frame *fr;

		if (g->nframes <= g->nkernel)
			continue; /* no user frames: a kernel thread */
		fr = wp_profile__frame(p, wp_profile__group_frames(p, g)[g->nframes - 1]);
		user += g->count;
		for (k = 0; k < sizeof(roots) / sizeof(roots[0]); k++)
			if (!strcmp(fr->name, roots[k]))
				rooted += g->count;
	}
	if (user >= 20 && rooted * 2 < user)
		fprintf(f, "# %-13s only %.1f%% of the user stacks reach main or a thread's start: "
			"the code lacks frame pointers? record with --call-graph dwarf (the "
			"default on x86_64), which unwinds without them\n", "hint:",
			100.0 * (double)rooted / (double)user);
}

/* "# unwind:" stacks unwound from USTACK_DUMP records (by wp-record, or
 * here), how each ended */
static void unwind_text(const struct wp_profile *p, FILE *f)
{
	const struct wp_unwind_stats *u = wp_profile__unwind(p);
	uint64_t calls, ns;
	bool any = false;
	unsigned int i;

	if (!u)
		return;
	calls = u->unwinds + u->recorded;
	ns = u->ns + u->recorded_ns;
	fprintf(f, "# %-13s %" PRIu64 " stacks%s, %" PRIu64 " complete, %" PRIu64 " truncated",
		"unwind:", u->dumps,
		u->recorded == u->dumps ? " unwound by wp-record" :
		u->recorded ? " (some unwound by wp-record)" : "",
		u->reasons[WP_UNWIND_OK], unwind_truncated(u));
	for (i = WP_UNWIND_OK + 1; i < WP_UNWIND_NREASONS; i++) {
		if (!u->reasons[i])
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : " (", wp_unwind_reason__name(i),
			u->reasons[i]);
		any = true;
	}
	fprintf(f, "%s; %.1f frames per stack, %.1f us per stack", any ? ")" : "",
		u->dumps ? (double)u->frames / (double)u->dumps : 0.0,
		calls ? (double)ns / (double)calls / 1e3 : 0.0);
	if (u->fp_fallback)
		fprintf(f, "; %" PRIu64 " more with frame-pointer stacks (ring buffer full)",
			u->fp_fallback);
	if (u->offcpu_rate_limited)
		fprintf(f, "; %" PRIu64 " off-CPU intervals with frame-pointer stacks "
			"(over --off-cpu-dwarf-rate)", u->offcpu_rate_limited);
	fputc('\n', f);
}

static void unwind_json(const struct wp_profile *p, struct wp_json *j)
{
	const struct wp_unwind_stats *u = wp_profile__unwind(p);
	unsigned int i;

	if (!u)
		return;
	wp_json__key(j, "unwind");
	wp_json__begin_object(j);
	wp_json__key(j, "stacks");
	wp_json__u64(j, u->dumps);
	wp_json__key(j, "complete");
	wp_json__u64(j, u->reasons[WP_UNWIND_OK]);
	wp_json__key(j, "truncated");
	wp_json__u64(j, unwind_truncated(u));
	wp_json__key(j, "reasons");
	wp_json__begin_object(j);
	for (i = WP_UNWIND_OK + 1; i < WP_UNWIND_NREASONS; i++) {
		wp_json__key(j, wp_unwind_reason__name(i));
		wp_json__u64(j, u->reasons[i]);
	}
	wp_json__end_object(j);
	wp_json__key(j, "frames");
	wp_json__u64(j, u->frames);
	wp_json__key(j, "dump_bytes");
	wp_json__u64(j, u->dump_bytes);
	wp_json__key(j, "ignored");
	wp_json__u64(j, u->redefined);
	wp_json__key(j, "unwind_ns");
	wp_json__u64(j, u->ns);
	wp_json__key(j, "recorded");
	wp_json__u64(j, u->recorded);
	wp_json__key(j, "recorded_ns");
	wp_json__u64(j, u->recorded_ns);
	wp_json__key(j, "fp_fallback");
	wp_json__u64(j, u->fp_fallback);
	wp_json__key(j, "offcpu_rate_limited");
	wp_json__u64(j, u->offcpu_rate_limited);
	wp_json__end_object(j);
}

/* "# on-CPU:" and "# off-CPU:" lines */
static void sched_text(const struct wp_profile *p, FILE *f)
{
	const struct wp_sched_totals *t = wp_profile__totals(p);
	size_t i, n = wp_profile__nthreads(p), exact = 0;

	for (i = 0; i < n; i++)
		exact += wp_profile__thread(p, i)->oncpu_exact;
	fprintf(f, "# %-13s %.3f ms", "on-CPU:", (double)t->oncpu_ns / 1e6);
	if (t->oncpu_exact)
		fprintf(f, " (exact, from the scheduler, %zu thread%s)\n", n, n == 1 ? "" : "s");
	else if (exact)
		fprintf(f, " (%zu thread%s exact, from the scheduler; %zu estimated from samples)\n",
			exact, exact == 1 ? "" : "s", n - exact);
	else
		fprintf(f, " (estimated: %" PRIu64 " samples at %" PRIu64 " Hz)\n", r_samples(p),
			wp_profile__freq_hz(p));
	if (!wp_profile__has_sched(p)) {
		fprintf(f, "# %-13s unknown: no scheduler data in the file\n", "off-CPU:");
		return;
	}
	fprintf(f, "# %-13s %.3f ms:", "off-CPU:", (double)t->offcpu_ns / 1e6);
	for (i = 0; i < sizeof(reason_order) / sizeof(reason_order[0]); i++)
		fprintf(f, "%s %s %.3f ms", i ? "," : "", wp_offcpu_reason__name(reason_order[i]),
			(double)t->offcpu_by_reason_ns[reason_order[i]] / 1e6);
	fprintf(f, "; %" PRIu64 " intervals, %.3f ms waiting for a CPU\n", t->offcpu_intervals,
		(double)t->runq_ns / 1e6);
	if (t->offcpu_kernel_not_walked_ns)
		fprintf(f, "# %-13s %.3f ms of the off-CPU time (%.2f%%) has no kernel frames: "
			"short waits whose kernel stack was not walked (--off-cpu-kernel-stacks), "
			"under [kernel stack not walked]\n", "not walked:",
			(double)t->offcpu_kernel_not_walked_ns / 1e6,
			t->offcpu_ns ? 100.0 * (double)t->offcpu_kernel_not_walked_ns /
					       (double)t->offcpu_ns : 0.0);
}

static void sched_json(const struct wp_profile *p, struct wp_json *j)
{
	const struct wp_sched_totals *t = wp_profile__totals(p);
	bool sched = wp_profile__has_sched(p);
	size_t i;

	wp_json__key(j, "scheduler");
	wp_json__bool(j, sched);
	wp_json__key(j, "oncpu_ns");
	wp_json__u64(j, t->oncpu_ns);
	wp_json__key(j, "oncpu_exact");
	wp_json__bool(j, t->oncpu_exact);
	wp_json__u64_known(j, "offcpu_ns", sched, t->offcpu_ns);
	wp_json__key(j, "offcpu_by_reason");
	if (sched) {
		wp_json__begin_object(j);
		for (i = 0; i < sizeof(reason_order) / sizeof(reason_order[0]); i++) {
			wp_json__key(j, wp_offcpu_reason__name(reason_order[i]));
			wp_json__u64(j, t->offcpu_by_reason_ns[reason_order[i]]);
		}
		wp_json__end_object(j);
	} else {
		wp_json__null(j);
	}
	wp_json__u64_known(j, "runq_ns", sched, t->runq_ns);
	wp_json__key(j, "offcpu_intervals");
	wp_json__u64(j, t->offcpu_intervals);
	wp_json__u64_known(j, "offcpu_kernel_not_walked_ns", sched, t->offcpu_kernel_not_walked_ns);
}

/* The recording's duration: the recorder's, else the samples' span. */
static bool duration_ns(const struct wp_profile *p, uint64_t *ns, bool *estimated)
{
	const struct wp_profile_read *r = wp_profile__read(p);

	*estimated = false;
	if (wp_profile__stat_u64(p, WPD_STAT_DURATION, ns))
		return true;
	if (r->samples < 2)
		return false;
	*ns = r->last_ns - r->first_ns;
	*estimated = true;
	return true;
}

static void line_str(FILE *f, const char *label, const char *v)
{
	fprintf(f, "# %-13s ", label);
	wp_text_put(f, v ? v : "unknown");
	fputc('\n', f);
}

static void line_u64(FILE *f, const struct wp_profile *p, const char *label,
		     const char *key, const char *unit)
{
	uint64_t v;

	if (wp_profile__meta_u64(p, key, &v))
		fprintf(f, "# %-13s %" PRIu64 "%s\n", label, v, unit);
	else
		fprintf(f, "# %-13s unknown\n", label);
}

static void format_time(uint64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000u);
	char date[64], zone[16];
	struct tm tm;

	if (!localtime_r(&secs, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) ||
	    !strftime(zone, sizeof(zone), "%z", &tm)) {
		snprintf(buf, len, "%" PRIu64 " ns since the epoch", ns);
		return;
	}
	snprintf(buf, len, "%s.%03u %s", date, (unsigned)(ns / 1000000u % 1000u), zone);
}

void wp_summary__text(const struct wp_profile *p, const char *path, FILE *f)
{
	const struct wp_profile_read *r = wp_profile__read(p);
	const char *damage = wp_profile__damage(p);
	char buf[128];
	uint64_t v;
	bool est, any_stats = wp_profile__nstats(p) > 0, any_lost = false;
	size_t i;

	line_str(f, "file:", path);
	line_str(f, "host:", wp_profile__meta_str(p, WPD_META_HOSTNAME));
	line_str(f, "kernel:", wp_profile__meta_str(p, WPD_META_KERNEL));
	line_str(f, "arch:", wp_profile__meta_str(p, WPD_META_ARCH));
	line_str(f, "command:", wp_profile__meta_str(p, WPD_META_CMDLINE));
	line_str(f, "target:", wp_profile__meta_str(p, WPD_META_TARGET));
	if (wp_profile__meta_u64(p, WPD_META_START_REALTIME, &v)) {
		format_time(v, buf, sizeof(buf));
		line_str(f, "started:", buf);
	} else {
		line_str(f, "started:", NULL);
	}
	if (duration_ns(p, &v, &est))
		fprintf(f, "# %-13s %.3f s%s\n", "duration:", (double)v / 1e9,
			est ? " (from the samples: the recorder did not store it)" : "");
	else
		line_str(f, "duration:", NULL);
	line_u64(f, p, "frequency:", WPD_META_FREQ, " Hz");
	line_u64(f, p, "cpus:", WPD_META_NCPUS, "");
	line_str(f, "wp version:", wp_profile__meta_str(p, WPD_META_WP_VERSION));
	fprintf(f, "# %-13s %" PRIu64, "samples:", r->samples);
	if (wp_profile__stat_u64(p, WPD_STAT_SAMPLES, &v) && v != r->samples)
		fprintf(f, " (the recorder stored %" PRIu64 ")", v);
	fputc('\n', f);
	sched_text(p, f);
	line_str(f, "call graph:", wp_profile__meta_str(p, WPD_META_CALL_GRAPH));
	unwind_text(p, f);
	fp_hint(p, f);
	if (wp_profile__stat_u64(p, WPD_STAT_EXIT_STATUS, &v))
		fprintf(f, "# %-13s %" PRId64 "\n", "exit status:", (int64_t)v);

	/* every drop counter the recorder stored */
	fprintf(f, "# %-13s", "lost:");
	for (i = 0; i < wp_profile__nstats(p); i++) {
		const struct wp_kv_entry *e = wp_profile__stat(p, i);

		if (!has_lost(e))
			continue;
		fprintf(f, "%s ", any_lost ? "," : "");
		wp_text_put(f, e->key + strlen(WPD_STAT_LOST_PREFIX));
		if (e->type == WPD_KV_U64 || e->type == WPD_KV_I64)
			fprintf(f, " %" PRIu64, e->u64);
		else
			fputs(" ?", f);
		any_lost = true;
	}
	if (!any_lost)
		fputs(any_stats ? " none recorded" : " unknown (no STATS record in the file)", f);
	fputc('\n', f);

	fprintf(f, "# %-13s %" PRIu64 " blocks, %" PRIu64 " damaged, %" PRIu64
		" bytes skipped, %" PRIu64 " unknown records skipped, %" PRIu64
		" malformed records skipped\n", "read:", r->rd.blocks, r->rd.blocks_damaged,
		r->rd.bytes_skipped, r->rd.records_unknown,
		r->rd.records_bad + r->records_undecodable);
	if (damage)
		line_str(f, "damage:", damage);
	if (r->rd.finished)
		line_str(f, "finished:", r->rd.truncated ? "yes, but the file is truncated" : "yes");
	else if (r->rd.blocks)
		fprintf(f, "# %-13s no: recording did not finish cleanly: file ends after block %"
			PRIu64 "%s\n", "finished:", r->last_block_seq,
			r->rd.truncated ? " (truncated inside the next)" : "");
	else
		line_str(f, "finished:", "no: the file has no complete block");
	fprintf(f, "# %-13s %" PRIu64 " samples name an unknown stack, %" PRIu64
		" references to unknown strings", "dangling:", r->dangling_stack_samples,
		r->dangling_strings);
	if (r->dangling_stack_offcpu)
		fprintf(f, ", %" PRIu64 " off-CPU intervals name an unknown stack",
			r->dangling_stack_offcpu);
	fputc('\n', f);
}

static void json_meta_str(struct wp_json *j, const struct wp_profile *p,
			  const char *name, const char *key)
{
	wp_json__key(j, name);
	wp_json__str(j, wp_profile__meta_str(p, key));
}

static void json_meta_u64(struct wp_json *j, const struct wp_profile *p,
			  const char *name, const char *key)
{
	uint64_t v;
	bool known;

	known = wp_profile__meta_u64(p, key, &v); /* sets v: a statement before it is passed */
	wp_json__u64_known(j, name, known, v);
}

void wp_summary__json(const struct wp_profile *p, const char *path, struct wp_json *j)
{
	const struct wp_profile_read *r = wp_profile__read(p);
	char ver[32];
	uint64_t v;
	bool est, known;
	size_t i;

	wp_json__key(j, "file");
	wp_json__str(j, path);
	snprintf(ver, sizeof(ver), "%u.%u", r->info.version_major, r->info.version_minor);
	wp_json__key(j, "format_version");
	wp_json__str(j, ver);
	json_meta_str(j, p, "hostname", WPD_META_HOSTNAME);
	json_meta_str(j, p, "kernel", WPD_META_KERNEL);
	json_meta_str(j, p, "arch", WPD_META_ARCH);
	json_meta_str(j, p, "cmdline", WPD_META_CMDLINE);
	json_meta_str(j, p, "target", WPD_META_TARGET);
	json_meta_u64(j, p, "start_realtime_ns", WPD_META_START_REALTIME);
	known = duration_ns(p, &v, &est);
	wp_json__u64_known(j, "duration_ns", known, v);
	wp_json__key(j, "duration_estimated");
	wp_json__bool(j, est);
	json_meta_u64(j, p, "sample_freq_hz", WPD_META_FREQ);
	wp_json__key(j, "samples");
	wp_json__u64(j, r->samples);
	known = wp_profile__stat_u64(p, WPD_STAT_SAMPLES, &v);
	wp_json__u64_known(j, "samples_recorded", known, v);
	json_meta_u64(j, p, "ncpus", WPD_META_NCPUS);
	json_meta_str(j, p, "wp_version", WPD_META_WP_VERSION);
	json_meta_str(j, p, "call_graph", WPD_META_CALL_GRAPH);
	wp_json__key(j, "exit_status");
	if (wp_profile__stat_u64(p, WPD_STAT_EXIT_STATUS, &v))
		wp_json__i64(j, (int64_t)v);
	else
		wp_json__null(j);
	sched_json(p, j);
	unwind_json(p, j);

	wp_json__key(j, "lost");
	wp_json__begin_object(j);
	for (i = 0; i < wp_profile__nstats(p); i++) {
		const struct wp_kv_entry *e = wp_profile__stat(p, i);

		if (!has_lost(e) || (e->type != WPD_KV_U64 && e->type != WPD_KV_I64))
			continue;
		wp_json__key(j, e->key + strlen(WPD_STAT_LOST_PREFIX));
		wp_json__u64(j, e->u64);
	}
	wp_json__end_object(j);

	/* the recorder's other counters (bpf.*, ...): not losses, but what
	 * explains some (bpf.switch_in_unseen for lost.offcpu_stack) */
	wp_json__key(j, "diagnostics");
	wp_json__begin_object(j);
	for (i = 0; i < wp_profile__nstats(p); i++) {
		const struct wp_kv_entry *e = wp_profile__stat(p, i);

		if (has_lost(e) || e->type != WPD_KV_U64 || !strchr(e->key, '.'))
			continue;
		wp_json__key(j, e->key);
		wp_json__u64(j, e->u64);
	}
	wp_json__end_object(j);

	wp_json__key(j, "read");
	wp_json__begin_object(j);
	wp_json__key(j, "blocks");
	wp_json__u64(j, r->rd.blocks);
	wp_json__key(j, "blocks_damaged");
	wp_json__u64(j, r->rd.blocks_damaged);
	wp_json__key(j, "bytes_skipped");
	wp_json__u64(j, r->rd.bytes_skipped);
	wp_json__key(j, "truncated");
	wp_json__bool(j, r->rd.truncated);
	wp_json__key(j, "finished");
	wp_json__bool(j, r->rd.finished);
	wp_json__key(j, "records");
	wp_json__u64(j, r->rd.records);
	wp_json__key(j, "records_unknown");
	wp_json__u64(j, r->rd.records_unknown);
	wp_json__key(j, "records_bad");
	wp_json__u64(j, r->rd.records_bad + r->records_undecodable);
	wp_json__key(j, "last_block");
	wp_json__u64(j, r->last_block_seq);
	wp_json__key(j, "dangling_stack_samples");
	wp_json__u64(j, r->dangling_stack_samples);
	wp_json__key(j, "dangling_strings");
	wp_json__u64(j, r->dangling_strings);
	wp_json__key(j, "dangling_stack_offcpu");
	wp_json__u64(j, r->dangling_stack_offcpu);
	wp_json__key(j, "damage");
	wp_json__str(j, wp_profile__damage(p));
	wp_json__end_object(j);
}
