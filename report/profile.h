/* SPDX-License-Identifier: MIT */
/*
 * The profile model the offline tools share.
 *
 * wp_profile__load() streams a .wpd file once, block by block, and keeps:
 *   - META and STATS/FINISH key/values (counters: the last record wins),
 *   - the string table, the stack table and the kernel symbols,
 *   - threads (pid, tid, comm over time) and per-process mappings over
 *     time (MMAP, MMAP_RESET at exec),
 *   - the events aggregated into groups: one group per (kind, pid, tid,
 *     stack, address-space generation, comm generation) with a count and
 *     a weight. Individual samples are not kept.
 *
 * wp_profile__resolve() then turns every group's stack into frame ids
 * (function-level, deduplicated) through the symbolizer; every distinct
 * (binary, address) is resolved once, every distinct (stack, address
 * space) once. Consumers (wp-report, wp-convert) iterate the groups.
 *
 * Event kinds: every group carries a kind and a weight so that off-CPU
 * events (weight: nanoseconds blocked) slot in next to on-CPU samples
 * (weight: 1 per sample).
 *
 * Ownership: a wp_profile owns everything reachable from it; pointers it
 * returns stay valid until wp_profile__free().
 */
#ifndef WP_REPORT_PROFILE_H
#define WP_REPORT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/wpd.h"

struct wp_profile;

enum wp_event_kind {
	WP_EVENT_ONCPU = 0, /* cpu-clock sample; weight 1 */
	WP_EVENT_KIND_MAX,
};

/* "on-cpu" */
const char *wp_event_kind__name(unsigned int kind);

/* A META or STATS/FINISH entry. */
struct wp_kv_entry {
	const char *key;      /* NUL-terminated copy */
	uint8_t type;         /* enum wpd_kv_type (unknown types kept raw) */
	uint64_t u64;         /* WPD_KV_U64 / WPD_KV_I64 */
	const char *str;      /* WPD_KV_STRING: NUL-terminated copy, else NULL */
	uint32_t str_len;
};

/* What reading the file found, beyond the reader's own counts. */
struct wp_profile_read {
	struct wpd_read_stats rd;     /* from libwpd */
	struct wpd_file_info info;
	uint64_t records_undecodable; /* known type whose payload did not decode */
	uint64_t last_block_seq;      /* of the last record read */
	uint64_t samples;             /* samples read (all, before filters) */
	uint64_t first_ns, last_ns;   /* sample times seen (CLOCK_MONOTONIC) */
	/* Dangling references: things that name an id never defined. */
	uint64_t dangling_stack_samples; /* samples naming an unknown stack id */
	uint64_t dangling_strings;       /* thread/mmap/ksym naming an unknown string */
};

/* Frames (function level). */
#define WP_FRAME_KERNEL     (1u << 0) /* kernel code */
#define WP_FRAME_UNRESOLVED (1u << 1) /* no symbol: "[unknown]" or "module+0xOFF" */
#define WP_FRAME_PSEUDO     (1u << 2) /* not code: "[no stack]", "[unknown stack]" */

struct wp_frame {
	const char *name;   /* raw bytes, NUL-terminated: escape for output */
	const char *module; /* binary basename, "[kernel.kallsyms]", "[mod]", or "" */
	uint32_t flags;     /* WP_FRAME_* */
};

/* One aggregated group of events. */
struct wp_group {
	uint32_t pid, tid;
	uint32_t stack_id;   /* 0: the event had no stack */
	uint32_t kind;       /* enum wp_event_kind */
	uint64_t mm_epoch;   /* internal: address-space generation (exec time) */
	uint64_t comm_epoch; /* internal: comm generation (rename time) */
	uint64_t count;      /* events */
	uint64_t weight;     /* in the kind's unit (on-CPU: samples) */
	/* Set by wp_profile__resolve(): */
	const char *comm;    /* raw bytes, NUL-terminated ("" if unknown) */
	uint32_t frames_off; /* into wp_profile__frame_ids() */
	uint32_t nframes;    /* leaf first */
	uint32_t nkernel;    /* the first nkernel frames are kernel frames */
};

struct wp_load_opts {
	int reserved;
};

/*
 * Read a whole file ("-": standard input). 0 or a negative errno with a
 * message naming the file in err: -ENOENT/-EACCES/..., -EBADMSG (not a .wpd, damaged
 * header, empty), -ENOTSUP (newer major version), -EIO, -ENOMEM. Damage
 * inside the file is not an error: it is counted in wp_profile__read().
 */
int wp_profile__load(const char *path, const struct wp_load_opts *opts,
		     struct wp_profile **out, char *err, size_t err_len);
void wp_profile__free(struct wp_profile *p);

const struct wp_profile_read *wp_profile__read(const struct wp_profile *p);
/* Description of the first damage the reader saw, or NULL. */
const char *wp_profile__damage(const struct wp_profile *p);

/* META entries, in file order (a repeated key keeps its last value). */
size_t wp_profile__nmeta(const struct wp_profile *p);
const struct wp_kv_entry *wp_profile__meta(const struct wp_profile *p, size_t i);
/* STATS and FINISH entries merged (last value wins), in first-seen order. */
size_t wp_profile__nstats(const struct wp_profile *p);
const struct wp_kv_entry *wp_profile__stat(const struct wp_profile *p, size_t i);

/* Lookups by key: NULL / false when absent or of another type. */
const char *wp_profile__meta_str(const struct wp_profile *p, const char *key);
bool wp_profile__meta_u64(const struct wp_profile *p, const char *key, uint64_t *v);
bool wp_profile__stat_u64(const struct wp_profile *p, const char *key, uint64_t *v);

/* The string with this id (NUL-terminated, *len bytes) or NULL. */
const char *wp_profile__string(const struct wp_profile *p, uint32_t id, uint32_t *len);

/* ---- symbol resolution ---- */

struct wp_resolve_opts {
	const char *symfs; /* look binaries up under this root (NULL: /) */
};

/* Resolve every group's frames and comm. 0 or -ENOMEM. Call once. */
int wp_profile__resolve(struct wp_profile *p, const struct wp_resolve_opts *opts);

size_t wp_profile__ngroups(const struct wp_profile *p);
const struct wp_group *wp_profile__group(const struct wp_profile *p, size_t i);
/* The frame ids of a resolved group, leaf first. */
const uint32_t *wp_profile__group_frames(const struct wp_profile *p,
					 const struct wp_group *g);
size_t wp_profile__nframes(const struct wp_profile *p);
const struct wp_frame *wp_profile__frame(const struct wp_profile *p, uint32_t id);

#endif
