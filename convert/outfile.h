/* SPDX-License-Identifier: MIT */
/*
 * The -o FILE of wp-convert and wp-diff. FILE is written through a
 * temporary FILE.XXXXXX renamed over it at the end, so a failed run
 * never leaves a truncated FILE behind and leaves an existing one alone.
 * A FILE that exists and is not a regular file (/dev/null, a FIFO) is
 * written in place: renaming over it would replace the device or pipe.
 * No path or "-" is standard output.
 */
#ifndef WP_CONVERT_OUTFILE_H
#define WP_CONVERT_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct wp_outfile {
	FILE *f;          /* write here */
	const char *path; /* NULL: standard output */
	char *tmp;        /* renamed over path on success; NULL: in place */
};

/* 0, or 1 after printing why (o->f is then NULL). */
int wp_outfile__open(struct wp_outfile *o, const char *path);

/*
 * Ends the output. err is the writer's result (0 or a negative errno).
 * Flushes, checks the stream, closes it (not stdout), then renames the
 * temporary over the path if all went well or removes it if not.
 * Returns 0, or 1 after printing the error (the writer's, else the
 * first of flush, close, rename, with its errno).
 */
int wp_outfile__close(struct wp_outfile *o, int err);

#endif
