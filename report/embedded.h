/* SPDX-License-Identifier: MIT */
/*
 * Names stored in the recording: JITSYM, SYMBOL and SRCLINE records
 * (docs/wpd-format.md 6.14), kept while the profile loads and handed to
 * the symbolizer when it resolves. Internal to the analysis library.
 */
#ifndef WP_REPORT_EMBEDDED_H
#define WP_REPORT_EMBEDDED_H

#include <stddef.h>
#include <stdint.h>

#include "format/wpd.h"

struct wp_embedded;
struct wp_profile;
struct wp_symbolizer;

/*
 * Keep one JITSYM / SYMBOL / SRCLINE record (*e is made on first use).
 * 0, -EBADMSG (a malformed record: the entries before the bad one are
 * kept), -ENOMEM.
 */
int wp_embedded__load(struct wp_embedded **e, const struct wpd_record *rec);
void wp_embedded__free(struct wp_embedded *e);

/*
 * Attach the stored SYMBOL and SRCLINE names to the symbolizer's DSOs (by
 * path and build-id) and index the JIT symbols; names are p's strings.
 * Call once the whole file is loaded, before resolving. s NULL: the JIT
 * symbols alone (binaries named from the files found here only).
 * 0 or -ENOMEM.
 */
int wp_embedded__attach(struct wp_embedded *e, const struct wp_profile *p,
			struct wp_symbolizer *s);

/* The name of addr in process pid's JIT code, or NULL. After attach. */
const char *wp_embedded__jit(const struct wp_embedded *e, const struct wp_profile *p,
			     uint32_t pid, uint64_t addr);
/* True when the recording has JIT symbols for pid. */
int wp_embedded__has_jit(const struct wp_embedded *e, uint32_t pid);

/* Counts, for the summary and tests. */
struct wp_embedded_stats {
	uint64_t binaries, symbols, srclines, jit_symbols;
};
void wp_embedded__stats(const struct wp_embedded *e, struct wp_embedded_stats *st);

#endif
