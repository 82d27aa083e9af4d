/* SPDX-License-Identifier: MIT */
/*
 * Executable mappings of a process (/proc/PID/maps lines with 'x') and the
 * GNU build-id of the files behind them, read by the symbolizer's reader
 * (wp_elf_path_build_id: regular files only, never blocking) through
 * /proc/PID/map_files/ (works for deleted files and other mount
 * namespaces) or /proc/PID/root/PATH.
 */
#ifndef WP_RECORD_PROCMAPS_H
#define WP_RECORD_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WP_BUILD_ID_MAX 20

struct wp_procmap {
	uint64_t start, end, pgoff;
	uint64_t dev;    /* makedev(major, minor) as listed */
	uint64_t inode;
	char *path;      /* "" for anonymous memory; "[vdso]" etc. as listed */
	bool anon;       /* anonymous executable memory (JIT) */
	uint8_t build_id_len; /* 0: none */
	uint8_t build_id[WP_BUILD_ID_MAX];
};

struct wp_map_list {
	struct wp_procmap *v;  /* sorted by start */
	size_t n, cap;
};

void wp_map_list__init(struct wp_map_list *l);
void wp_map_list__release(struct wp_map_list *l);
/* The mapping containing addr, or NULL. */
const struct wp_procmap *wp_map_list__find(const struct wp_map_list *l, uint64_t addr);
/* Same start, end, offset and file. */
bool wp_procmap__same(const struct wp_procmap *a, const struct wp_procmap *b);

/* Build-ids by device:inode, so each file is read once. */
struct wp_buildid_cache;
struct wp_buildid_cache *wp_buildid_cache__new(void);
void wp_buildid_cache__free(struct wp_buildid_cache *c);

/* Read the executable mappings of pid into *out (replacing its content)
 * and fill in build-ids. 0, -ESRCH (process gone), -ENOMEM, -errno. */
int wp_procmaps__read(int pid, struct wp_buildid_cache *c, struct wp_map_list *out);

#endif
