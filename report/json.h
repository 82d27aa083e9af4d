/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer. Strings are escaped per RFC 8259: '"',
 * '\' and control characters (\n, \t... or \u00XX), and bytes that are not
 * valid UTF-8 become U+FFFD, so any name read from a file yields valid
 * JSON. Output is pretty-printed with two-space indentation.
 *
 *   struct wp_json j;
 *   wp_json__init(&j, stdout);
 *   wp_json__begin_object(&j);
 *   wp_json__key(&j, "samples"); wp_json__u64(&j, 42);
 *   wp_json__end_object(&j);
 *   wp_json__finish(&j);   -> 0, or -EIO if a write failed
 */
#ifndef WP_REPORT_JSON_H
#define WP_REPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WP_JSON_MAX_DEPTH 32

struct wp_json {
	FILE *f;
	int depth;
	bool first[WP_JSON_MAX_DEPTH]; /* nothing written yet at this level */
	bool after_key;
};

void wp_json__init(struct wp_json *j, FILE *f);
void wp_json__begin_object(struct wp_json *j);
void wp_json__end_object(struct wp_json *j);
void wp_json__begin_array(struct wp_json *j);
void wp_json__end_array(struct wp_json *j);
void wp_json__key(struct wp_json *j, const char *key);
void wp_json__str(struct wp_json *j, const char *s);   /* NULL: null */
void wp_json__strn(struct wp_json *j, const char *s, size_t n);
void wp_json__u64(struct wp_json *j, uint64_t v);
void wp_json__i64(struct wp_json *j, int64_t v);
void wp_json__double(struct wp_json *j, double v, int decimals); /* NaN/inf: null */
void wp_json__bool(struct wp_json *j, bool v);
void wp_json__null(struct wp_json *j);
/* "key": v when known, "key": null when not (a value the file cannot tell) */
void wp_json__u64_known(struct wp_json *j, const char *key, bool known, uint64_t v);
/* Final newline; 0 or -EIO if any write failed. */
int wp_json__finish(struct wp_json *j);

/* Write s (n bytes) as a quoted, escaped JSON string. */
void wp_json_write_string(FILE *f, const char *s, size_t n);

#endif
