/* SPDX-License-Identifier: MIT */
#include "procmaps.h"
#include "common/u64map.h"
#include "report/symbols.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void wp_map_list__init(struct wp_map_list *l)
{
	l->v = NULL;
	l->n = l->cap = 0;
}

static void map_list_clear(struct wp_map_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	l->n = 0;
}

void wp_map_list__release(struct wp_map_list *l)
{
	map_list_clear(l);
	free(l->v);
	wp_map_list__init(l);
}

const struct wp_procmap *wp_map_list__find(const struct wp_map_list *l, uint64_t addr)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct wp_procmap *m = &l->v[mid];

		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

bool wp_procmap__same(const struct wp_procmap *a, const struct wp_procmap *b)
{
	return a->start == b->start && a->end == b->end && a->pgoff == b->pgoff &&
	       a->dev == b->dev && a->inode == b->inode && !strcmp(a->path, b->path);
}

/* ---- build-ids ---------------------------------------------------- */

struct bid {
	uint8_t len;
	uint8_t id[WP_BUILD_ID_MAX];
};

struct wp_buildid_cache {
	struct wp_map idx; /* hash(dev, inode) -> index + 1 in v */
	uint64_t *keys_dev, *keys_ino;
	struct bid *v;
	size_t n, cap;
};

struct wp_buildid_cache *wp_buildid_cache__new(void)
{
	struct wp_buildid_cache *c = calloc(1, sizeof(*c));

	if (c)
		wp_map__init(&c->idx);
	return c;
}

void wp_buildid_cache__free(struct wp_buildid_cache *c)
{
	if (!c)
		return;
	wp_map__release(&c->idx);
	free(c->keys_dev);
	free(c->keys_ino);
	free(c->v);
	free(c);
}

static uint64_t devino_key(uint64_t dev, uint64_t ino)
{
	/* collisions are resolved by comparing the stored dev and inode */
	return ino * 0x9e3779b97f4a7c15ull ^ dev;
}

static struct bid *cache_find(struct wp_buildid_cache *c, uint64_t dev, uint64_t ino)
{
	uint64_t key = devino_key(dev, ino), *v;

	/* linear probe over keys: key, key+1, ... until a miss */
	for (;; key++) {
		v = wp_map__ref(&c->idx, key);
		if (!v)
			return NULL;
		if (c->keys_dev[*v] == dev && c->keys_ino[*v] == ino)
			return &c->v[*v];
	}
}

static int cache_add(struct wp_buildid_cache *c, uint64_t dev, uint64_t ino,
		     const struct bid *b)
{
	uint64_t key = devino_key(dev, ino);

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		uint64_t *d = realloc(c->keys_dev, ncap * sizeof(*d));
		uint64_t *i;
		struct bid *v;

		if (!d)
			return -ENOMEM;
		c->keys_dev = d;
		i = realloc(c->keys_ino, ncap * sizeof(*i));
		if (!i)
			return -ENOMEM;
		c->keys_ino = i;
		v = realloc(c->v, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = ncap;
	}
	while (wp_map__ref(&c->idx, key))
		key++;
	c->keys_dev[c->n] = dev;
	c->keys_ino[c->n] = ino;
	c->v[c->n] = *b;
	if (wp_map__put(&c->idx, key, c->n))
		return -ENOMEM;
	c->n++;
	return 0;
}

static void lookup_build_id(int pid, struct wp_buildid_cache *c, struct wp_procmap *m)
{
	struct bid b = { 0 }, *hit;
	char p[4200];
	int len;

	if (m->anon || m->path[0] != '/' || !m->inode)
		return;
	hit = cache_find(c, m->dev, m->inode);
	if (!hit) {
		/* the symbolizer's reader: non-blocking, regular files only
		 * (the path may name a FIFO by now); -ENOEXEC: opened, not ELF */
		snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", pid,
			 (unsigned long long)m->start, (unsigned long long)m->end);
		len = wp_elf_path_build_id(p, b.id, sizeof(b.id));
		if (len < 0 && len != -ENOEXEC) {
			snprintf(p, sizeof(p), "/proc/%d/root%s", pid, m->path);
			len = wp_elf_path_build_id(p, b.id, sizeof(b.id));
		}
		if (len == -ENOENT && kill(pid, 0) && errno == ESRCH)
			return; /* process gone: do not cache "no build-id" */
		b.len = len > 0 ? (uint8_t)len : 0;
		if (cache_add(c, m->dev, m->inode, &b))
			return;
		hit = &b;
	}
	m->build_id_len = hit->len;
	memcpy(m->build_id, hit->id, hit->len);
}

/* ---- /proc/PID/maps ------------------------------------------------ */

static int parse_maps_line(char *line, struct wp_procmap *m, bool *exec)
{
	unsigned long long start, end, pgoff, ino;
	unsigned int maj, min;
	char perms[5];
	int n = 0;
	char *path;
	size_t len;
	bool special;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms,
		   &pgoff, &maj, &min, &ino, &n) != 7)
		return -EINVAL;
	*exec = perms[2] == 'x';
	if (!*exec)
		return 0;
	path = line + n;
	len = strlen(path);
	while (len && (path[len - 1] == '\n' || path[len - 1] == ' '))
		path[--len] = '\0';
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	m->dev = makedev(maj, min);
	m->inode = ino;
	/* [vdso] and friends are kernel-provided code, not JIT memory */
	special = !strcmp(path, "[vdso]") || !strcmp(path, "[vsyscall]") ||
		  !strcmp(path, "[uprobes]");
	m->anon = !special && (!ino || !strncmp(path, "/memfd:", 7));
	m->build_id_len = 0;
	m->path = strdup(path);
	return m->path ? 0 : -ENOMEM;
}

int wp_procmaps__read(int pid, struct wp_buildid_cache *c, struct wp_map_list *out)
{
	char p[64], *line = NULL;
	size_t lcap = 0;
	FILE *f;
	int err = 0;

	map_list_clear(out);
	snprintf(p, sizeof(p), "/proc/%d/maps", pid);
	f = fopen(p, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &lcap, f) > 0) {
		struct wp_procmap m;
		bool exec;

		if (parse_maps_line(line, &m, &exec) || !exec)
			continue;
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 32;
			struct wp_procmap *v = realloc(out->v, ncap * sizeof(*v));

			if (!v) {
				free(m.path);
				err = -ENOMEM;
				break;
			}
			out->v = v;
			out->cap = ncap;
		}
		out->v[out->n++] = m;
	}
	free(line);
	fclose(f);
	if (err)
		return err;
	/* An exiting process shows an empty maps file. */
	if (!out->n && kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	/* /proc lists mappings in address order already */
	for (size_t i = 0; i < out->n; i++)
		lookup_build_id(pid, c, &out->v[i]);
	return 0;
}
