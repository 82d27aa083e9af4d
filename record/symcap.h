/* SPDX-License-Identifier: MIT */
/*
 * Symbol capture: what wp-record keeps so that a .wpd names its frames on
 * a machine that has none of the recorded files (docs/symbols.md).
 *
 *  - Every file-backed executable mapping written as MMAP gets a file
 *    descriptor, opened right away through /proc/PID/map_files/ (so the
 *    very inode that was mapped: a binary deleted, replaced or dlclosed
 *    later is still read), one per (path, build-id).
 *  - Every (process, stack) sampled contributes its user addresses: file
 *    offsets per binary, or addresses in anonymous executable memory.
 *  - Processes whose anonymous code is hit get their perf map
 *    (/tmp/perf-PID.map, in the process's mount and pid namespace) read
 *    then, again at most once a second while it is hit, and at the end.
 *  - At the end, wp_symcap__write() names every address with the analysis
 *    library's symbolizer (the one wp-report uses) and writes SYMBOL and
 *    SRCLINE records for the binaries (unless embedding is off) and
 *    JITSYM records for the JIT code: only what the addresses hit.
 */
#ifndef WP_RECORD_SYMCAP_H
#define WP_RECORD_SYMCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/wpd.h"
#include "record/procmaps.h"

struct wp_symcap;

struct wp_symcap_stats {
	uint64_t binaries;      /* binaries with SYMBOL records */
	uint64_t unnamed;       /* binaries hit that gave no name at all */
	uint64_t addresses;     /* distinct (binary, offset) named */
	uint64_t symbols;       /* SYMBOL entries */
	uint64_t srclines;      /* SRCLINE entries */
	uint64_t jit_procs;     /* processes with JITSYM records */
	uint64_t jit_symbols;   /* JITSYM entries */
	uint64_t raw_bytes;     /* of those records (uncompressed, strings excluded) */
	uint64_t file_bytes;    /* the file grew by this much for them (compressed,
				 * their strings included; whole blocks) */
	uint64_t files_kept;    /* descriptors held during the recording */
	uint64_t ns;            /* time wp_symcap__write() took */
};

/* embed: write SYMBOL and SRCLINE (JITSYM is always written). NULL on -ENOMEM. */
struct wp_symcap *wp_symcap__new(bool embed);
void wp_symcap__free(struct wp_symcap *c);

/* A mapping of pid was recorded (MMAP): keep its file open. */
void wp_symcap__map(struct wp_symcap *c, uint32_t pid, const struct wp_procmap *m);
/* A new descriptor of the file kept for (path, build-id), as MMAP records
 * name it, or -1 (none kept): for record/dwunwind.c. */
int wp_symcap__open(struct wp_symcap *c, const char *path, const uint8_t *build_id,
		    size_t build_id_len);
/* pid exec'd: its (stack) pairs name other binaries from now on. */
void wp_symcap__exec(struct wp_symcap *c, uint32_t pid);
/*
 * A sample of pid with this stack: user frames leaf first, the process's
 * mappings as known now. 0 or -ENOMEM.
 */
int wp_symcap__sample(struct wp_symcap *c, uint32_t pid, uint32_t stack_id,
		      const struct wp_map_list *maps, const uint64_t *uf, uint16_t nu);

/* The STRING id of s, writing the STRING record if new (output.c's). */
typedef int (*wp_symcap_intern_fn)(void *ctx, const char *s, size_t len, uint32_t *id);

/*
 * Write JITSYM, SYMBOL and SRCLINE records (at the end of the recording,
 * before FINISH). 0, or the writer's error.
 */
int wp_symcap__write(struct wp_symcap *c, struct wpd_writer *w, wp_symcap_intern_fn intern,
		     void *ctx);
const struct wp_symcap_stats *wp_symcap__stats(const struct wp_symcap *c);

/*
 * Parse one perf-map line ("START SIZE name", hex with or without 0x) into
 * *start, *size and the name's position. 0 or -EINVAL.
 */
int wp_perf_map_line(const char *line, size_t len, uint64_t *start, uint64_t *size,
		     const char **name, size_t *name_len);

#endif
