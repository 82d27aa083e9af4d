/* SPDX-License-Identifier: MIT */
#include "report/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "report/util.h"

void wp_json__init(struct wp_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

static void indent(struct wp_json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator and indentation before a value or a key. */
static void before_value(struct wp_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		indent(j);
	}
	j->first[j->depth] = false;
}

static void open_(struct wp_json *j, char c)
{
	before_value(j);
	fputc(c, j->f);
	if (j->depth < WP_JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct wp_json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->f);
}

void wp_json__begin_object(struct wp_json *j)
{
	open_(j, '{');
}

void wp_json__end_object(struct wp_json *j)
{
	close_(j, '}');
}

void wp_json__begin_array(struct wp_json *j)
{
	open_(j, '[');
}

void wp_json__end_array(struct wp_json *j)
{
	close_(j, ']');
}

void wp_json__key(struct wp_json *j, const char *key)
{
	before_value(j);
	wp_json_write_string(j->f, key, strlen(key));
	fputs(": ", j->f);
	j->after_key = true;
}

void wp_json_write_string(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', f);
	while (i < n) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t len;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			/* runs of plain ASCII in one write */
			size_t k = i + 1;

			while (k < n && p[k] >= 0x20 && p[k] < 0x80 && p[k] != '"' && p[k] != '\\')
				k++;
			fwrite(p + i, 1, k - i, f);
			i = k;
			continue;
		}
		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default:
			if (c < 0x20) {
				fprintf(f, "\\u%04x", c);
				break;
			}
			len = wp_utf8_seq(p + i, n - i, &cp);
			if (len == 0) {
				fputs("\\ufffd", f);
				i++;
				continue;
			}
			fwrite(p + i, 1, len, f);
			i += len;
			continue;
		}
		i++;
	}
	fputc('"', f);
}

void wp_json__strn(struct wp_json *j, const char *s, size_t n)
{
	before_value(j);
	wp_json_write_string(j->f, s, n);
}

void wp_json__str(struct wp_json *j, const char *s)
{
	if (!s) {
		wp_json__null(j);
		return;
	}
	wp_json__strn(j, s, strlen(s));
}

void wp_json__u64(struct wp_json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRIu64, v);
}

void wp_json__i64(struct wp_json *j, int64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRId64, v);
}

void wp_json__double(struct wp_json *j, double v, int decimals)
{
	if (!isfinite(v)) {
		wp_json__null(j);
		return;
	}
	before_value(j);
	fprintf(j->f, "%.*f", decimals, v);
}

void wp_json__bool(struct wp_json *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void wp_json__null(struct wp_json *j)
{
	before_value(j);
	fputs("null", j->f);
}

void wp_json__u64_known(struct wp_json *j, const char *key, bool known, uint64_t v)
{
	wp_json__key(j, key);
	if (known)
		wp_json__u64(j, v);
	else
		wp_json__null(j);
}

int wp_json__finish(struct wp_json *j)
{
	fputc('\n', j->f);
	return ferror(j->f) ? -EIO : 0;
}
