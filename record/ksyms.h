/* SPDX-License-Identifier: MIT */
/*
 * Kernel symbols from /proc/kallsyms, sorted by address, for naming the
 * kernel frames of recorded stacks. Loaded after the BPF programs are
 * attached: the first samples do not wait for it.
 */
#ifndef WP_RECORD_KSYMS_H
#define WP_RECORD_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wp_ksym_ent {
	uint64_t start;
	uint32_t size;      /* to the next symbol; 0 for the last one */
	uint32_t name_off;  /* into the table's copy of the file */
	uint32_t module_off; /* 0: the kernel image */
};

struct wp_ksyms;

/* 0, or -errno reading path. An empty or all-zero table (kptr_restrict)
 * loads fine: see wp_ksyms__hidden(). */
int wp_ksyms__load(const char *path, struct wp_ksyms **out);
void wp_ksyms__free(struct wp_ksyms *ks); /* ks may be NULL */

size_t wp_ksyms__count(const struct wp_ksyms *ks);
/* True when the addresses read as zero (kernel.kptr_restrict). */
bool wp_ksyms__hidden(const struct wp_ksyms *ks);
/* Index of the symbol containing addr, or -1. */
long wp_ksyms__find(const struct wp_ksyms *ks, uint64_t addr);
const struct wp_ksym_ent *wp_ksyms__get(const struct wp_ksyms *ks, size_t idx);
const char *wp_ksyms__name(const struct wp_ksyms *ks, const struct wp_ksym_ent *e);
/* NULL for the kernel image. */
const char *wp_ksyms__module(const struct wp_ksyms *ks, const struct wp_ksym_ent *e);

#endif
