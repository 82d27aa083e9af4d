/* SPDX-License-Identifier: MIT */
#include "ksyms.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct wp_ksyms {
	struct wp_ksym_ent *syms;
	size_t n, cap;
	char *names;   /* the file's text, names NUL-terminated in place */
	bool hidden;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "ffffffff81000000 T _stext" or "... t foo\t[module]": names are
 * terminated in place, nothing is copied (120k+ symbols). */
static int parse_line(struct wp_ksyms *ks, char *line, char *end)
{
	struct wp_ksym_ent *e;
	uint64_t addr = 0;
	char *p = line, *name, *name_end, type;
	int v;

	while (p < end && (v = hexval(*p)) >= 0) {
		addr = addr << 4 | (uint64_t)v;
		p++;
	}
	if (p + 3 > end || *p != ' ' || p[2] != ' ')
		return 0;
	type = p[1];
	/* functions only: that is what stacks point into */
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	name = p + 3;
	for (name_end = name; name_end < end && *name_end != '\t' && *name_end != ' '; name_end++)
		;
	if (name_end == name)
		return 0;

	if (ks->n == ks->cap) {
		size_t ncap = ks->cap ? ks->cap * 2 : 65536;
		struct wp_ksym_ent *n = realloc(ks->syms, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ks->syms = n;
		ks->cap = ncap;
	}
	e = &ks->syms[ks->n++];
	e->start = addr;
	e->size = 0;
	e->name_off = (uint32_t)(name - ks->names);
	e->module_off = 0;
	if (name_end + 1 < end && name_end[1] == '[') {
		char *mod = name_end + 2, *mod_end = memchr(mod, ']', end - mod);

		if (mod_end) {
			*mod_end = '\0';
			e->module_off = (uint32_t)(mod - ks->names);
		}
	}
	*name_end = '\0';
	return 0;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct wp_ksym_ent *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* stable enough: keep the first-listed name (global over alias) */
	return x->name_off < y->name_off ? -1 : x->name_off > y->name_off;
}

int wp_ksyms__load(const char *path, struct wp_ksyms **out)
{
	struct wp_ksyms *ks;
	char *buf = NULL, *line;
	size_t blen = 0, bcap = 0, i, j;
	int fd, err = 0;

	*out = NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* Read it whole: procfs hands out a page or so per read otherwise. */
	for (;;) {
		ssize_t r;

		if (bcap - blen < (1u << 16)) {
			size_t ncap = bcap ? bcap * 2 : (8u << 20);
			char *n = realloc(buf, ncap);

			if (!n) {
				err = -ENOMEM;
				close(fd);
				goto out;
			}
			buf = n;
			bcap = ncap;
		}
		r = read(fd, buf + blen, bcap - blen - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			goto out;
		}
		if (r == 0)
			break;
		blen += r;
	}
	close(fd);
	if (blen > UINT32_MAX) {
		err = -E2BIG;
		goto out;
	}
	buf[blen] = '\0';
	ks->names = buf;
	buf = NULL;

	for (line = ks->names; line < ks->names + blen;) {
		char *nl = memchr(line, '\n', ks->names + blen - line);
		char *end = nl ? nl : ks->names + blen;

		err = parse_line(ks, line, end);
		if (err)
			goto out;
		line = end + 1;
	}

	/* /proc/kallsyms is usually in address order already: check before
	 * paying for a sort of 100k+ entries */
	for (i = 1; i < ks->n && ks->syms[i - 1].start <= ks->syms[i].start; i++)
		;
	if (i < ks->n)
		qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_ent);
	/* drop duplicate addresses (aliases), then compute sizes */
	for (i = 0, j = 0; i < ks->n; i++) {
		if (j && ks->syms[j - 1].start == ks->syms[i].start)
			continue;
		ks->syms[j++] = ks->syms[i];
	}
	ks->n = j;
	for (i = 0; i + 1 < ks->n; i++) {
		uint64_t d = ks->syms[i + 1].start - ks->syms[i].start;

		ks->syms[i].size = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
	ks->hidden = ks->n <= 1 && (ks->n == 0 || ks->syms[0].start == 0);
out:
	free(buf);
	if (err) {
		wp_ksyms__free(ks);
		return err;
	}
	*out = ks;
	return 0;
}

void wp_ksyms__free(struct wp_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->names);
	free(ks);
}

size_t wp_ksyms__count(const struct wp_ksyms *ks)
{
	return ks->n;
}

bool wp_ksyms__hidden(const struct wp_ksyms *ks)
{
	return ks->hidden;
}

long wp_ksyms__find(const struct wp_ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	if (ks->hidden || !ks->n || addr < ks->syms[0].start)
		return -1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].start <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* the last symbol has no known end: accept it only within 1 MiB
	 * (in practice a module's last function) */
	if (ks->syms[lo].size ? addr - ks->syms[lo].start >= ks->syms[lo].size
			      : addr - ks->syms[lo].start >= (1u << 20))
		return -1;
	return (long)lo;
}

const struct wp_ksym_ent *wp_ksyms__get(const struct wp_ksyms *ks, size_t idx)
{
	return idx < ks->n ? &ks->syms[idx] : NULL;
}

const char *wp_ksyms__name(const struct wp_ksyms *ks, const struct wp_ksym_ent *e)
{
	return ks->names + e->name_off;
}

const char *wp_ksyms__module(const struct wp_ksyms *ks, const struct wp_ksym_ent *e)
{
	return e->module_off ? ks->names + e->module_off : NULL;
}
