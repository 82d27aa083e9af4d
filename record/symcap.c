/* SPDX-License-Identifier: MIT */
/*
 * Symbol capture for self-contained recordings. See symcap.h.
 */
#include "record/symcap.h"
#include "common/log.h"
#include "common/openfile.h"
#include "common/u64map.h"
#include "report/symbols.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define FILES_MAX 16384          /* descriptors kept at most */
#define FILES_RESERVE 512        /* left for everything else */
#define JIT_REREAD_NS (1000ull * 1000 * 1000)
#define PAIR_TRIES 8             /* re-walks of a stack with unmapped addresses */
#define RECORD_ENTRIES 4096      /* entries per JITSYM / SYMBOL / SRCLINE record */
#define JIT_SCAN 64
#define PERF_MAP_LINE_MAX 8192

struct bin {
	char *path;
	uint8_t bid[WP_BUILD_ID_MAX];
	uint8_t bid_len;
	int fd;
	struct wp_map offs; /* file offset -> 1 */
	uint64_t *offv;
	size_t noff, offv_cap;
};

struct jit_ent {
	uint64_t start, size, seq;
	char *name;
};

struct jitproc {
	uint32_t pid;
	struct wp_map addrs; /* address -> 1 */
	uint64_t *addrv;
	size_t naddr, addrv_cap;
	char *map_path;         /* resolved at the first read */
	char *local_path;       /* /tmp/perf-NSPID.map in our namespace, if the same */
	long long read_off;
	uint64_t last_read;
	bool tried;
	char *partial;          /* a line cut by the writer, completed next read */
	struct jit_ent *ents;
	size_t nents, ents_cap;
};

struct wp_symcap {
	bool embed;
	struct bin *bins;
	size_t nbins, bins_cap;
	struct wp_map bin_idx;  /* hash(path, build-id) -> index (probed) */
	struct jitproc *jits;
	size_t njits, jits_cap;
	struct wp_map jit_idx;  /* pid -> index */
	struct wp_map pairs;    /* hash(pid, generation, stack) -> tries */
	struct wp_map gens;     /* pid -> exec generation */
	size_t files, files_max;
	uint64_t jit_seq;
	struct wp_symcap_stats st;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct wp_symcap *wp_symcap__new(bool embed)
{
	struct wp_symcap *c = calloc(1, sizeof(*c));
	struct rlimit rl;

	if (!c)
		return NULL;
	c->embed = embed;
	wp_map__init(&c->bin_idx);
	wp_map__init(&c->jit_idx);
	wp_map__init(&c->pairs);
	wp_map__init(&c->gens);
	/* one descriptor per binary: raise the soft limit as far as allowed */
	c->files_max = 0;
	if (embed && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < FILES_MAX + FILES_RESERVE) {
			rl.rlim_cur = rl.rlim_max < FILES_MAX + FILES_RESERVE ? rl.rlim_max
									  : FILES_MAX + FILES_RESERVE;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur > FILES_RESERVE)
			c->files_max = rl.rlim_cur - FILES_RESERVE < FILES_MAX
				       ? (size_t)(rl.rlim_cur - FILES_RESERVE) : FILES_MAX;
	}
	return c;
}

static void jitproc_release(struct jitproc *j)
{
	size_t i;

	wp_map__release(&j->addrs);
	free(j->addrv);
	free(j->map_path);
	free(j->local_path);
	free(j->partial);
	for (i = 0; i < j->nents; i++)
		free(j->ents[i].name);
	free(j->ents);
}

void wp_symcap__free(struct wp_symcap *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nbins; i++) {
		free(c->bins[i].path);
		if (c->bins[i].fd >= 0)
			close(c->bins[i].fd);
		wp_map__release(&c->bins[i].offs);
		free(c->bins[i].offv);
	}
	free(c->bins);
	for (i = 0; i < c->njits; i++)
		jitproc_release(&c->jits[i]);
	free(c->jits);
	wp_map__release(&c->bin_idx);
	wp_map__release(&c->jit_idx);
	wp_map__release(&c->pairs);
	wp_map__release(&c->gens);
	free(c);
}

const struct wp_symcap_stats *wp_symcap__stats(const struct wp_symcap *c)
{
	return &c->st;
}

/* ---- binaries ------------------------------------------------------------ */

static struct bin *bin_get(struct wp_symcap *c, const struct wp_procmap *m, bool *is_new)
{
	uint64_t key = wp_hash_bytes(m->path, strlen(m->path),
				     wp_hash_bytes(m->build_id, m->build_id_len, m->build_id_len));
	uint64_t *v;
	struct bin *b;

	*is_new = false;
	for (;; key++) {
		v = wp_map__ref(&c->bin_idx, key);
		if (!v)
			break;
		b = &c->bins[*v];
		if (b->bid_len == m->build_id_len && !strcmp(b->path, m->path) &&
		    !memcmp(b->bid, m->build_id, m->build_id_len))
			return b;
	}
	if (c->nbins == c->bins_cap) {
		size_t ncap = c->bins_cap ? c->bins_cap * 2 : 64;
		struct bin *n = realloc(c->bins, ncap * sizeof(*n));

		if (!n)
			return NULL;
		c->bins = n;
		c->bins_cap = ncap;
	}
	b = &c->bins[c->nbins];
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->path = strdup(m->path);
	if (!b->path || wp_map__put(&c->bin_idx, key, c->nbins)) {
		free(b->path);
		return NULL;
	}
	memcpy(b->bid, m->build_id, m->build_id_len);
	b->bid_len = m->build_id_len;
	wp_map__init(&b->offs);
	c->nbins++;
	*is_new = true;
	return b;
}

int wp_symcap__open(struct wp_symcap *c, const char *path, const uint8_t *build_id,
		    size_t build_id_len)
{
	uint64_t key, *v;

	if (!c || build_id_len > WP_BUILD_ID_MAX)
		return -1;
	key = wp_hash_bytes(path, strlen(path), wp_hash_bytes(build_id, build_id_len, build_id_len));
	for (;; key++) {
		const struct bin *b;

		v = wp_map__ref(&c->bin_idx, key);
		if (!v)
			return -1;
		b = &c->bins[*v];
		if (b->bid_len == build_id_len && !strcmp(b->path, path) &&
		    !memcmp(b->bid, build_id, build_id_len))
			return b->fd >= 0 ? fcntl(b->fd, F_DUPFD_CLOEXEC, 0) : -1;
	}
}

void wp_symcap__map(struct wp_symcap *c, uint32_t pid, const struct wp_procmap *m)
{
	char p[4200];
	struct bin *b;
	size_t plen;
	bool is_new;

	if (!c || !c->embed || m->anon || m->path[0] != '/' || !m->inode)
		return;
	b = bin_get(c, m, &is_new);
	if (!b || b->fd >= 0 || c->files >= c->files_max)
		return;
	/* the mapped inode itself, even if its path is gone or replaced */
	snprintf(p, sizeof(p), "/proc/%u/map_files/%llx-%llx", pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	b->fd = wp_open_regular(p);
	if (b->fd < 0) {
		plen = wp_mapped_path_len(m->path); /* the file may still be there */
		snprintf(p, sizeof(p), "/proc/%u/root%.*s", pid, (int)plen, m->path);
		b->fd = wp_open_regular(p);
	}
	if (b->fd >= 0) {
		c->files++;
		c->st.files_kept = c->files;
	}
}

static int bin_add_off(struct bin *b, uint64_t off)
{
	if (wp_map__ref(&b->offs, off))
		return 0;
	if (b->noff == b->offv_cap) {
		size_t ncap = b->offv_cap ? b->offv_cap * 2 : 64;
		uint64_t *n = realloc(b->offv, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->offv = n;
		b->offv_cap = ncap;
	}
	if (wp_map__put(&b->offs, off, 1))
		return -ENOMEM;
	b->offv[b->noff++] = off;
	return 0;
}

/* ---- JIT: perf maps -------------------------------------------------------- */

int wp_perf_map_line(const char *line, size_t len, uint64_t *start, uint64_t *size,
		     const char **name, size_t *name_len)
{
	const char *p = line, *end = line + len;
	uint64_t v[2];
	int k;

	for (k = 0; k < 2; k++) {
		uint64_t x = 0;
		int digits = 0;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		while (p < end && isxdigit((unsigned char)*p)) {
			if (++digits > 16)
				return -EINVAL;
			x = x * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0'
						: tolower((unsigned char)*p) - 'a' + 10);
			p++;
		}
		if (!digits || p >= end || (*p != ' ' && *p != '\t'))
			return -EINVAL;
		v[k] = x;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	if (p == end || v[1] == 0 || v[1] > UINT64_MAX - v[0])
		return -EINVAL;
	*start = v[0];
	*size = v[1];
	*name = p;
	*name_len = (size_t)(end - p);
	return 0;
}

static struct jitproc *jit_get(struct wp_symcap *c, uint32_t pid)
{
	uint64_t *v = wp_map__ref(&c->jit_idx, pid);
	struct jitproc *j;

	if (v)
		return &c->jits[*v];
	if (c->njits == c->jits_cap) {
		size_t ncap = c->jits_cap ? c->jits_cap * 2 : 16;
		struct jitproc *n = realloc(c->jits, ncap * sizeof(*n));

		if (!n)
			return NULL;
		c->jits = n;
		c->jits_cap = ncap;
	}
	if (wp_map__put(&c->jit_idx, pid, c->njits))
		return NULL;
	j = &c->jits[c->njits++];
	memset(j, 0, sizeof(*j));
	j->pid = pid;
	wp_map__init(&j->addrs);
	return j;
}

/* The process's pid in its own namespace (NSpid's last field). */
static uint32_t ns_pid(uint32_t pid)
{
	char p[64], line[256];
	uint32_t ns = pid;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%u/status", pid);
	f = wp_fopen_regular(p);
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f)) {
		char *s, *last = NULL;

		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		for (s = strtok(line + 6, " \t\n"); s; s = strtok(NULL, " \t\n"))
			last = s;
		if (last)
			ns = (uint32_t)strtoul(last, NULL, 10);
		break;
	}
	fclose(f);
	return ns ? ns : pid;
}

static int jit_add_ent(struct wp_symcap *c, struct jitproc *j, const char *line, size_t len)
{
	uint64_t start, size;
	const char *name;
	size_t nlen;
	struct jit_ent *e;

	if (wp_perf_map_line(line, len, &start, &size, &name, &nlen))
		return 0; /* not a map line: skipped */
	if (nlen > WPD_STRING_MAX)
		nlen = WPD_STRING_MAX;
	if (j->nents == j->ents_cap) {
		size_t ncap = j->ents_cap ? j->ents_cap * 2 : 256;
		struct jit_ent *n = realloc(j->ents, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		j->ents = n;
		j->ents_cap = ncap;
	}
	e = &j->ents[j->nents];
	e->name = strndup(name, nlen);
	if (!e->name)
		return -ENOMEM;
	e->start = start;
	e->size = size;
	e->seq = c->jit_seq++;
	j->nents++;
	return 0;
}

/* Read what was appended to the process's perf map since the last read. */
static int jit_read(struct wp_symcap *c, struct jitproc *j)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = NULL;
	int err = 0;

	j->last_read = mono_ns();
	if (!j->tried) {
		char p[128];
		uint32_t ns = ns_pid(j->pid);

		j->tried = true;
		snprintf(p, sizeof(p), "/proc/%u/root/tmp/perf-%u.map", j->pid, ns);
		j->map_path = strdup(p);
		snprintf(p, sizeof(p), "/tmp/perf-%u.map", ns);
		/* our own namespace's /tmp names it too when the pids agree */
		if (ns == j->pid)
			j->local_path = strdup(p);
	}
	if (j->map_path)
		f = wp_fopen_regular(j->map_path);
	if (!f && j->local_path)
		f = wp_fopen_regular(j->local_path); /* the process is gone */
	if (!f)
		return 0;
	if (j->read_off && fseeko(f, (off_t)j->read_off, SEEK_SET)) {
		fclose(f);
		return 0;
	}
	while ((n = getline(&buf, &cap, f)) > 0) {
		if (buf[n - 1] != '\n') {
			/* the writer is mid-line: read it again next time */
			break;
		}
		j->read_off += n;
		if (n > PERF_MAP_LINE_MAX)
			continue;
		err = jit_add_ent(c, j, buf, (size_t)n);
		if (err)
			break;
	}
	free(buf);
	fclose(f);
	return err;
}

/* ---- samples --------------------------------------------------------------- */

void wp_symcap__exec(struct wp_symcap *c, uint32_t pid)
{
	uint64_t *g;

	if (!c)
		return;
	g = wp_map__ref(&c->gens, pid);
	wp_map__put(&c->gens, pid, g ? *g + 1 : 1);
}

int wp_symcap__sample(struct wp_symcap *c, uint32_t pid, uint32_t stack_id,
		      const struct wp_map_list *maps, const uint64_t *uf, uint16_t nu)
{
	uint64_t *g, *tries, key;
	uint16_t i;
	bool missing = false;
	int err;

	if (!c || !nu || !uf)
		return 0;
	g = wp_map__ref(&c->gens, pid);
	key = wp_hash64(((uint64_t)pid << 32 | stack_id) ^ wp_hash64(g ? *g : 0));
	tries = wp_map__ref(&c->pairs, key);
	if (tries && (*tries == 0 || *tries >= PAIR_TRIES))
		return 0; /* done, or given up */
	for (i = 0; i < nu; i++) {
		/* as a reader looks it up: return addresses minus one */
		uint64_t a = uf[i] - (i > 0 && uf[i]);
		const struct wp_procmap *m = wp_map_list__find(maps, a);

		if (!m) {
			missing = true;
			continue;
		}
		if (m->anon) {
			struct jitproc *j = jit_get(c, pid);

			if (!j)
				return -ENOMEM;
			if (!wp_map__ref(&j->addrs, a)) {
				if (j->naddr == j->addrv_cap) {
					size_t ncap = j->addrv_cap ? j->addrv_cap * 2 : 64;
					uint64_t *n = realloc(j->addrv, ncap * sizeof(*n));

					if (!n)
						return -ENOMEM;
					j->addrv = n;
					j->addrv_cap = ncap;
				}
				if (wp_map__put(&j->addrs, a, 1))
					return -ENOMEM;
				j->addrv[j->naddr++] = a;
				/* read the map while the process still has it */
				if (!j->tried || mono_ns() - j->last_read >= JIT_REREAD_NS) {
					err = jit_read(c, j);
					if (err)
						return err;
				}
			}
			continue;
		}
		if (!c->embed)
			continue;
		if (m->path[0] == '/' || !strcmp(m->path, "[vdso]")) {
			bool is_new;
			struct bin *b = bin_get(c, m, &is_new);

			if (!b)
				return -ENOMEM;
			err = bin_add_off(b, a - m->start + m->pgoff);
			if (err)
				return err;
		}
	}
	return wp_map__put(&c->pairs, key, missing ? (tries ? *tries + 1 : 1) : 0);
}

/* ---- writing ---------------------------------------------------------------- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int flush_rec(struct wp_symcap *c, struct wpd_writer *w, struct wpd_symbols_builder *sb)
{
	if (!sb->count)
		return 0;
	wpd_symbols_builder__finish(sb);
	if (sb->buf.oom)
		return -ENOMEM;
	c->st.raw_bytes += sb->buf.len + WPD_RECORD_HEADER_SIZE;
	return wpd_writer__add_buf(w, sb->type, &sb->buf);
}

static int jit_ent_cmp(const void *a, const void *b)
{
	const struct jit_ent *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int write_jit(struct wp_symcap *c, struct jitproc *j, struct wpd_writer *w,
		     struct wpd_symbols_builder *sb, wp_symcap_intern_fn intern, void *ctx)
{
	uint8_t *used = NULL;
	uint64_t now = mono_ns();
	size_t i, k, n = 0;
	int err;

	err = jit_read(c, j);
	if (err || !j->nents)
		return err;
	qsort(j->ents, j->nents, sizeof(*j->ents), jit_ent_cmp);
	used = calloc(j->nents, 1);
	if (!used)
		return -ENOMEM;
	/* the entry naming each hit address: of those covering it, the last read */
	for (i = 0; i < j->naddr; i++) {
		uint64_t a = j->addrv[i];
		size_t lo = 0, hi = j->nents, best = SIZE_MAX;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (j->ents[mid].start <= a)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (k = 0; k < JIT_SCAN && lo > 0; k++, lo--) {
			const struct jit_ent *e = &j->ents[lo - 1];

			if (a - e->start < e->size &&
			    (best == SIZE_MAX || e->seq > j->ents[best].seq))
				best = lo - 1;
		}
		if (best != SIZE_MAX)
			used[best] = 1;
	}
	wpd_symbols_builder__begin_jit(sb, now, j->pid);
	for (i = 0; i < j->nents && !err; i++) {
		struct wpd_sym s;

		if (!used[i])
			continue;
		err = intern(ctx, j->ents[i].name, strlen(j->ents[i].name), &s.name_str);
		if (err)
			break;
		s.start = j->ents[i].start;
		s.size = j->ents[i].size;
		if (wpd_symbols_builder__add_sym(sb, &s))
			continue;
		n++;
		if (sb->count >= RECORD_ENTRIES) {
			err = flush_rec(c, w, sb);
			wpd_symbols_builder__begin_jit(sb, now, j->pid);
		}
	}
	if (!err)
		err = flush_rec(c, w, sb);
	free(used);
	if (n) {
		c->st.jit_procs++;
		c->st.jit_symbols += n;
	}
	return err;
}

struct symrow {
	uint64_t start, size;
	const char *name;
};

static int symrow_cmp(const void *a, const void *b)
{
	const struct symrow *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

static int intern_opt(wp_symcap_intern_fn intern, void *ctx, const char *s, uint32_t *id)
{
	*id = 0;
	if (!s || !s[0])
		return 0;
	return intern(ctx, s, strlen(s), id);
}

static int write_bin(struct wp_symcap *c, struct wp_symbolizer *s, struct bin *b,
		     struct wpd_writer *w, struct wpd_symbols_builder *sb,
		     wp_symcap_intern_fn intern, void *ctx)
{
	static struct wpd_srcline line;
	struct wp_srcframe fr[WP_INLINE_MAX];
	struct wpd_binary wb = { 0 };
	struct symrow *rows = NULL;
	struct wp_dso *d;
	size_t i, k, nrows = 0, named = 0;
	bool dwarf;
	int err = 0;

	if (!b->noff)
		return 0;
	d = b->fd >= 0 ? wp_symbolizer__dso_fd(s, b->path, b->bid, b->bid_len, b->fd)
		       : wp_symbolizer__dso(s, b->path, b->bid, b->bid_len);
	b->fd = -1; /* the symbolizer has it */
	if (!d)
		return -ENOMEM;
	qsort(b->offv, b->noff, sizeof(*b->offv), u64_cmp);
	rows = malloc(b->noff * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	err = intern(ctx, b->path, strlen(b->path), &wb.path_str);
	if (err)
		goto out;
	wb.build_id_len = b->bid_len;
	memcpy(wb.build_id, b->bid, b->bid_len);

	/* inline chains and lines first: the functions come with them */
	dwarf = wp_dso__has_dwarf(d);
	wpd_symbols_builder__begin_binary(sb, WPD_REC_SRCLINE, &wb);
	for (i = 0; i < b->noff && !err; i++) {
		struct wp_sym sym = { 0 };
		size_t n;

		if (wp_dso__lookup(d, b->offv[i], &sym) == 1 && sym.size) {
			rows[nrows].start = b->offv[i] - sym.offset;
			rows[nrows].size = sym.size;
			rows[nrows].name = sym.name;
			nrows++;
			named++;
		}
		n = wp_dso__lookup_frames(d, b->offv[i], fr, WP_INLINE_MAX);
		/*
		 * Only what SYMBOL alone would not say; but every address of a
		 * binary with DWARF, even one its DWARF does not describe (a
		 * frame without file, or no name at all): a reader that finds
		 * an entry for each address never opens that DWARF.
		 */
		if (!dwarf && (n == 0 || (n == 1 && !fr[0].file) ||
			       (n == 1 && !fr[0].name && !sym.name)))
			continue;
		if (n == 0) {
			fr[0] = (struct wp_srcframe){ 0 };
			n = 1;
		}
		line.addr = b->offv[i];
		line.nframes = (uint32_t)n;
		for (k = 0; k < n && !err; k++) {
			err = intern_opt(intern, ctx, fr[k].name, &line.frames[k].name_str);
			if (!err)
				err = intern_opt(intern, ctx, fr[k].file, &line.frames[k].file_str);
			line.frames[k].line = fr[k].line;
		}
		if (err || wpd_symbols_builder__add_srcline(sb, &line))
			continue;
		c->st.srclines++;
		if (sb->count >= RECORD_ENTRIES) {
			err = flush_rec(c, w, sb);
			wpd_symbols_builder__begin_binary(sb, WPD_REC_SRCLINE, &wb);
		}
	}
	if (!err)
		err = flush_rec(c, w, sb);
	if (err)
		goto out;

	/* one SYMBOL entry per function */
	if (nrows > 1)
		qsort(rows, nrows, sizeof(*rows), symrow_cmp);
	wpd_symbols_builder__begin_binary(sb, WPD_REC_SYMBOL, &wb);
	for (i = 0; i < nrows && !err; i++) {
		struct wpd_sym ws;

		if (i && rows[i].start == rows[i - 1].start)
			continue;
		err = intern(ctx, rows[i].name, strlen(rows[i].name), &ws.name_str);
		if (err)
			break;
		ws.start = rows[i].start;
		ws.size = rows[i].size;
		if (wpd_symbols_builder__add_sym(sb, &ws))
			continue;
		c->st.symbols++;
		if (sb->count >= RECORD_ENTRIES) {
			err = flush_rec(c, w, sb);
			wpd_symbols_builder__begin_binary(sb, WPD_REC_SYMBOL, &wb);
		}
	}
	if (!err)
		err = flush_rec(c, w, sb);
	c->st.addresses += named;
	if (nrows)
		c->st.binaries++;
	else {
		c->st.unnamed++;
		pr_debug("no names for %s (%s)", b->path, wp_dso_state__name(wp_dso__state(d)));
	}
out:
	free(rows);
	return err;
}

int wp_symcap__write(struct wp_symcap *c, struct wpd_writer *w, wp_symcap_intern_fn intern,
		     void *ctx)
{
	struct wpd_symbols_builder sb;
	struct wp_symbolizer *s = NULL;
	struct wp_symbolizer_opts so = { 0 };
	struct utsname u;
	uint64_t t0 = mono_ns(), bytes;
	size_t i;
	int err = 0, verbosity = wp_log_verbosity;

	if (!c)
		return 0;
	/* whole blocks before and after: what the names cost in the file */
	err = wpd_writer__flush(w);
	if (err)
		return err;
	bytes = wpd_writer__bytes(w);
	wpd_symbols_builder__init(&sb);
	for (i = 0; i < c->njits && !err; i++)
		err = write_jit(c, &c->jits[i], w, &sb, intern, ctx);
	if (!err && c->embed && c->nbins) {
		if (uname(&u) == 0) {
			so.kernel_release = u.release;
			so.arch = u.machine;
		}
		s = wp_symbolizer__new(&so);
		if (!s)
			err = -ENOMEM;
		/* a binary without symbols is expected here; -vv shows why */
		if (wp_log_verbosity < WP_LOG_DEBUG)
			wp_log_verbosity = WP_LOG_ERR;
		for (i = 0; i < c->nbins && !err; i++)
			err = write_bin(c, s, &c->bins[i], w, &sb, intern, ctx);
		wp_log_verbosity = verbosity;
	}
	wp_symbolizer__free(s);
	wpd_symbols_builder__release(&sb);
	if (!err)
		err = wpd_writer__flush(w);
	c->st.file_bytes = wpd_writer__bytes(w) - bytes;
	c->st.ns = mono_ns() - t0;
	return err;
}
