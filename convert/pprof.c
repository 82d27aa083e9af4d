/* SPDX-License-Identifier: MIT */
/*
 * wp-convert -f pprof: google/pprof's profile.proto, gzip-compressed, as
 * `go tool pprof`, Pyroscope and Parca read it.
 *
 * Encoded by hand (protobuf wire format: varints and length-delimited
 * fields; sub-messages are built in a scratch buffer, then appended with
 * their length). What goes in:
 *
 *   sample_type  samples/count, cpu/nanoseconds, off-cpu/nanoseconds,
 *                wall/nanoseconds (default: wall = cpu + off-cpu)
 *   sample       one per selected group: locations leaf first (an
 *                off-CPU group's leaf is its "[off-cpu:REASON]" frame),
 *                values per type, labels pid, tid (numbers), thread (name)
 *                and kind (on-cpu / off-cpu)
 *   location     one per distinct (inlined frames..., frame) run of a stack
 *                and its source lines: line[] holds their functions,
 *                inlined callee first and the function they are inlined
 *                into last (the resolver's WP_FRAME_INLINED frames), each
 *                with its line (the address's line for the first, the
 *                inlined call's for the next ones) where DWARF or the
 *                recording gave it; no address
 *   function     name, system_name, filename (the source file where known,
 *                else the binary); no start_line (not recorded)
 *   mapping      one per binary the frames name: range, offset, path and
 *                build-id of its first recorded mapping; has_functions set
 *                so pprof does not try to symbolize again; mapping 1 is
 *                the main binary (see main_binary())
 *   time_nanos   recording start (wall clock), duration_nanos its length,
 *                period_type cpu/nanoseconds, period the sampling period
 *
 * Memory: the encoded profile (proportional to the groups), compressed
 * once at the end.
 */
#include "convert/convert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/log.h"
#include "report/events.h"
#include "report/util.h"

/* ---- protobuf wire format ------------------------------------------------ */

enum { WT_VARINT = 0, WT_LEN = 2 };

static void pb_tag(struct wpd_buf *b, uint32_t field, uint32_t wt)
{
	wpd_buf__put_varint(b, ((uint64_t)field << 3) | wt);
}

static void pb_u64(struct wpd_buf *b, uint32_t field, uint64_t v)
{
	if (!v)
		return; /* proto3 default */
	pb_tag(b, field, WT_VARINT);
	wpd_buf__put_varint(b, v);
}

static void pb_bool(struct wpd_buf *b, uint32_t field, bool v)
{
	pb_u64(b, field, v ? 1 : 0);
}

static void pb_bytes(struct wpd_buf *b, uint32_t field, const void *p, size_t n)
{
	pb_tag(b, field, WT_LEN);
	wpd_buf__put_varint(b, n);
	wpd_buf__put(b, p, n);
}

/* Append a finished sub-message. */
static void pb_msg(struct wpd_buf *b, uint32_t field, const struct wpd_buf *m)
{
	if (m->oom) {
		b->oom = true;
		return;
	}
	pb_bytes(b, field, m->data, m->len);
}

/* ---- string table --------------------------------------------------------- */

struct strtab {
	struct wpd_buf *out; /* the profile: strings are written as interned */
	struct wp_arena text;
	uint32_t *offs;
	uint32_t *lens;
	size_t n, offs_cap, lens_cap;
	struct wp_map index;
};

static int64_t str_id(struct strtab *t, const char *s, size_t len)
{
	uint64_t h = wp_hash_bytes(s, len, 0x5eed), idx;

	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&t->index, h, &idx))
			break;
		if (t->lens[idx] == len && memcmp(wp_arena__str(&t->text, t->offs[idx]), s, len) == 0)
			return (int64_t)idx;
	}
	if (WP_GROW(t->offs, t->offs_cap, t->n + 1) || WP_GROW(t->lens, t->lens_cap, t->n + 1) ||
	    wp_arena__add(&t->text, s, len, &t->offs[t->n]) || wp_map__put(&t->index, h, t->n))
		return -1;
	t->lens[t->n] = (uint32_t)len;
	return (int64_t)t->n++;
}

static int64_t str_idz(struct strtab *t, const char *s)
{
	return str_id(t, s, strlen(s));
}

static void strtab_release(struct strtab *t)
{
	wp_arena__release(&t->text);
	free(t->offs);
	free(t->lens);
	wp_map__release(&t->index);
}

/* ---- the conversion ---------------------------------------------------------- */

enum { V_SAMPLES, V_CPU, V_OFFCPU, V_WALL, NVALUES };

struct pprof {
	struct wp_convert_ctx *c;
	const struct wp_profile *p;
	struct strtab st;
	struct wpd_buf prof, msg, sub, packed;
	uint32_t *loc_of;     /* frame id -> function id (0: none yet) */
	uint32_t *mapping_of; /* frame id -> mapping id (0: none) */
	uint64_t *used;       /* frame ids used, in first-use order */
	size_t nused, used_cap;
	/* locations: runs of (frame id, source position) (inlined first), by id - 1 */
	uint32_t *loc_frames, *loc_pos;
	size_t nloc_frames, loc_frames_cap, loc_pos_cap;
	uint32_t *loc_off, *loc_n;
	size_t nlocs, loc_off_cap, loc_n_cap;
	struct wp_map loc_index; /* hash of the run -> location index (probed) */
	/* mappings by module name */
	const char **mod_names;
	size_t nmods, mods_cap;
	struct wp_map mod_index; /* hash(module) -> mapping index (probed) */
	double period_ns;
	bool inline_locs; /* some location has inlined frames */
	bool lines;       /* some location has a line number */
	uint64_t value_cap; /* INT64_MAX / samples */
	bool oom;
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The mapping id of a module name (1-based), made if new; 0: none. */
static uint32_t module_mapping(struct pprof *pp, const char *mod)
{
	uint64_t h = wp_hash_bytes(mod, strlen(mod), 0x3a9), idx;

	if (!mod[0])
		return 0;
	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&pp->mod_index, h, &idx))
			break;
		if (strcmp(pp->mod_names[idx], mod) == 0)
			return (uint32_t)idx + 1;
	}
	if (WP_GROW(pp->mod_names, pp->mods_cap, pp->nmods + 1) ||
	    wp_map__put(&pp->mod_index, h, pp->nmods)) {
		pp->oom = true;
		return 0;
	}
	pp->mod_names[pp->nmods] = mod;
	return (uint32_t)++pp->nmods;
}

/* Function id of a frame (made on first use; 1-based). */
static uint32_t function(struct pprof *pp, uint32_t frame)
{
	if (pp->loc_of[frame])
		return pp->loc_of[frame];
	if (WP_GROW(pp->used, pp->used_cap, pp->nused + 1)) {
		pp->oom = true;
		return 1;
	}
	pp->used[pp->nused++] = frame;
	pp->loc_of[frame] = (uint32_t)pp->nused;
	pp->mapping_of[frame] = module_mapping(pp, wp_profile__frame(pp->p, frame)->module);
	return pp->loc_of[frame];
}

/* Location id of a run of frames (inlined ones first) at source positions
 * pos (NULL: none), made on first use. */
static uint32_t location(struct pprof *pp, const uint32_t *fr, const uint32_t *pos, size_t n)
{
	static const uint32_t nopos[1];
	uint64_t h, idx;
	size_t i;

	if (!pos) /* a tag frame: n is 1 */
		pos = nopos;
	h = wp_hash_bytes(pos, n * sizeof(*pos), wp_hash_bytes(fr, n * sizeof(*fr), 0x10c));
	for (;; h = wp_hash64(h + 1)) {
		if (!wp_map__get(&pp->loc_index, h, &idx))
			break;
		if (pp->loc_n[idx] == n &&
		    memcmp(pp->loc_frames + pp->loc_off[idx], fr, n * sizeof(*fr)) == 0 &&
		    memcmp(pp->loc_pos + pp->loc_off[idx], pos, n * sizeof(*pos)) == 0)
			return (uint32_t)idx + 1;
	}
	if (WP_GROW(pp->loc_frames, pp->loc_frames_cap, pp->nloc_frames + n) ||
	    WP_GROW(pp->loc_pos, pp->loc_pos_cap, pp->nloc_frames + n) ||
	    WP_GROW(pp->loc_off, pp->loc_off_cap, pp->nlocs + 1) ||
	    WP_GROW(pp->loc_n, pp->loc_n_cap, pp->nlocs + 1) ||
	    wp_map__put(&pp->loc_index, h, pp->nlocs)) {
		pp->oom = true;
		return 1;
	}
	for (i = 0; i < n; i++) {
		const struct wp_srcpos *sp = wp_profile__srcpos(pp->p, pos[i]);

		function(pp, fr[i]);
		pp->loc_frames[pp->nloc_frames + i] = fr[i];
		pp->loc_pos[pp->nloc_frames + i] = pos[i];
		if (sp && sp->line)
			pp->lines = true;
	}
	pp->loc_off[pp->nlocs] = (uint32_t)pp->nloc_frames;
	pp->loc_n[pp->nlocs] = (uint32_t)n;
	if (n > 1)
		pp->inline_locs = true;
	pp->nloc_frames += n;
	return (uint32_t)++pp->nlocs;
}

static void value_type(struct pprof *pp, uint32_t field, const char *type, const char *unit)
{
	wpd_buf__reset(&pp->msg);
	pb_u64(&pp->msg, 1, (uint64_t)str_idz(&pp->st, type));
	pb_u64(&pp->msg, 2, (uint64_t)str_idz(&pp->st, unit));
	pb_msg(&pp->prof, field, &pp->msg);
}

static void label(struct pprof *pp, const char *key, const char *str, int64_t num)
{
	wpd_buf__reset(&pp->sub);
	pb_u64(&pp->sub, 1, (uint64_t)str_idz(&pp->st, key));
	if (str)
		pb_u64(&pp->sub, 2, (uint64_t)str_idz(&pp->st, str));
	else
		pb_u64(&pp->sub, 3, (uint64_t)num);
	pb_msg(&pp->msg, 3, &pp->sub);
}

static void write_sample(struct pprof *pp, const struct wp_group *g)
{
	const uint32_t *fr = wp_profile__group_frames(pp->p, g);
	const uint32_t *pos = wp_profile__group_positions(pp->p, g);
	uint32_t tag = wp_conv_tag_frame(pp->c, g), k;
	uint64_t v[NVALUES] = { 0 };

	v[V_SAMPLES] = g->count;
	if (g->kind == WP_EVENT_ONCPU)
		v[V_CPU] = g->weight;
	else
		v[V_OFFCPU] = g->weight;
	v[V_WALL] = g->weight;

	wpd_buf__reset(&pp->msg);
	/* location_id: packed, leaf first */
	wpd_buf__reset(&pp->packed);
	if (tag != UINT32_MAX)
		wpd_buf__put_varint(&pp->packed, location(pp, &tag, NULL, 1));
	for (k = 0; k < g->nframes;) {
		uint32_t start = k;

		/* inlined frames share the location of the frame they are in */
		while (k + 1 < g->nframes &&
		       (wp_profile__frame(pp->p, fr[k])->flags & WP_FRAME_INLINED))
			k++;
		wpd_buf__put_varint(&pp->packed,
				    location(pp, fr + start, pos + start, k - start + 1));
		k++;
	}
	if (pp->packed.len)
		pb_bytes(&pp->msg, 1, pp->packed.data, pp->packed.len);
	wpd_buf__reset(&pp->packed);
	/* int64 on the wire, and readers sum them: a hostile file's values are
	 * capped so that no total can wrap */
	for (k = 0; k < NVALUES; k++)
		wpd_buf__put_varint(&pp->packed, v[k] > pp->value_cap ? pp->value_cap : v[k]);
	pb_bytes(&pp->msg, 2, pp->packed.data, pp->packed.len);
	label(pp, "pid", NULL, g->pid);
	label(pp, "tid", NULL, g->tid);
	label(pp, "thread", g->comm[0] ? g->comm : "[unknown]", 0);
	label(pp, "kind", wp_event_kind__name(g->kind), 0);
	pb_msg(&pp->prof, 2, &pp->msg);
}

/* The first recorded mapping of a module (by file name), if any. */
static bool find_mapping(const struct wp_profile *p, const char *mod,
			 struct wp_mapping_info *out)
{
	size_t i, n = wp_profile__nmappings(p);

	for (i = 0; i < n; i++) {
		wp_profile__mapping(p, i, out);
		if (out->path[0] && strcmp(base_name(out->path), mod) == 0)
			return true;
	}
	return false;
}

/*
 * The main binary (pprof wants it as mapping 1): among the binaries of the
 * heaviest stack's user frames, the one named like the thread (the kernel
 * names a thread after its executable, cut to 15 bytes), else the one
 * mapped lowest (executables load below their libraries).
 */
static uint32_t main_binary(struct pprof *pp, const struct wp_group *g)
{
	const uint32_t *fr;
	uint32_t k, best = 0;
	uint64_t best_start = UINT64_MAX;
	size_t clen;

	if (!g || g->nframes <= g->nkernel)
		return 1;
	fr = wp_profile__group_frames(pp->p, g);
	clen = strlen(g->comm);
	for (k = g->nkernel; k < g->nframes; k++) {
		uint32_t m = pp->mapping_of[fr[k]];
		struct wp_mapping_info mi;

		if (!m)
			continue;
		if (clen && strncmp(pp->mod_names[m - 1], g->comm, clen) == 0)
			return m;
		if (find_mapping(pp->p, pp->mod_names[m - 1], &mi) && mi.start < best_start) {
			best_start = mi.start;
			best = m;
		}
	}
	return best ? best : 1;
}

static void write_mappings(struct pprof *pp, uint32_t main_mapping)
{
	size_t i, k;

	for (k = 0; k < pp->nmods; k++) {
		/* the main binary first: swap ids 1 and main_mapping */
		size_t idx = k == 0 ? main_mapping - 1 : k == main_mapping - 1 ? 0 : k;
		const char *mod = pp->mod_names[idx];
		struct wp_mapping_info mi;
		uint64_t lo, hi;

		wpd_buf__reset(&pp->msg);
		pb_u64(&pp->msg, 1, k + 1);
		if (find_mapping(pp->p, mod, &mi)) {
			char hex[2 * WPD_BUILD_ID_MAX + 1];

			pb_u64(&pp->msg, 2, mi.start);
			pb_u64(&pp->msg, 3, mi.end);
			pb_u64(&pp->msg, 4, mi.pgoff);
			pb_u64(&pp->msg, 5, (uint64_t)str_idz(&pp->st, mi.path));
			if (mi.build_id_len) {
				for (i = 0; i < mi.build_id_len; i++)
					snprintf(hex + 2 * i, 3, "%02x", mi.build_id[i]);
				pb_u64(&pp->msg, 6, (uint64_t)str_idz(&pp->st, hex));
			}
		} else {
			if (strcmp(mod, "[kernel.kallsyms]") == 0 &&
			    wp_profile__kernel_range(pp->p, &lo, &hi)) {
				pb_u64(&pp->msg, 2, lo);
				pb_u64(&pp->msg, 3, hi);
			}
			pb_u64(&pp->msg, 5, (uint64_t)str_idz(&pp->st, mod));
		}
		pb_bool(&pp->msg, 7, true); /* has_functions */
		pb_bool(&pp->msg, 8, pp->lines); /* has_filenames */
		pb_bool(&pp->msg, 9, pp->lines); /* has_line_numbers */
		pb_bool(&pp->msg, 10, pp->inline_locs); /* has_inline_frames */
		pb_msg(&pp->prof, 3, &pp->msg);
	}
}

static void write_locations(struct pprof *pp, uint32_t main_mapping)
{
	size_t i;

	for (i = 0; i < pp->nlocs; i++) {
		const uint32_t *fr = pp->loc_frames + pp->loc_off[i];
		const uint32_t *pos = pp->loc_pos + pp->loc_off[i];
		uint32_t n = pp->loc_n[i], k;
		uint32_t m = pp->mapping_of[fr[n - 1]];

		if (m == main_mapping)
			m = 1;
		else if (m == 1)
			m = main_mapping;
		wpd_buf__reset(&pp->msg);
		pb_u64(&pp->msg, 1, i + 1);
		pb_u64(&pp->msg, 2, m);
		/* Line: inlined callees first, the function they are in last */
		for (k = 0; k < n; k++) {
			const struct wp_srcpos *sp = wp_profile__srcpos(pp->p, pos[k]);

			wpd_buf__reset(&pp->sub);
			pb_u64(&pp->sub, 1, pp->loc_of[fr[k]]);
			if (sp)
				pb_u64(&pp->sub, 2, sp->line);
			pb_msg(&pp->msg, 4, &pp->sub);
		}
		pb_msg(&pp->prof, 4, &pp->msg);
	}
	for (i = 0; i < pp->nused; i++) {
		const struct wp_frame *fr = wp_profile__frame(pp->p, (uint32_t)pp->used[i]);
		const char *name = fr->name[0] ? fr->name : "[unknown]";

		wpd_buf__reset(&pp->msg);
		pb_u64(&pp->msg, 1, i + 1);
		pb_u64(&pp->msg, 2, (uint64_t)str_idz(&pp->st, name));
		pb_u64(&pp->msg, 3, (uint64_t)str_idz(&pp->st, name));
		if (fr->file)
			pb_u64(&pp->msg, 4, (uint64_t)str_idz(&pp->st, fr->file));
		else if (fr->module[0])
			pb_u64(&pp->msg, 4, (uint64_t)str_idz(&pp->st, fr->module));
		pb_msg(&pp->prof, 5, &pp->msg);
	}
}

static int gzip_write(const struct wpd_buf *b, FILE *out)
{
	z_stream zs;
	unsigned char buf[1 << 16];
	int zr;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = b->data;
	zs.avail_in = (uInt)b->len;
	do {
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		zr = deflate(&zs, Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			deflateEnd(&zs);
			return -EIO;
		}
		if (fwrite(buf, 1, sizeof(buf) - zs.avail_out, out) != sizeof(buf) - zs.avail_out) {
			deflateEnd(&zs);
			return -EIO;
		}
	} while (zr != Z_STREAM_END);
	deflateEnd(&zs);
	return fflush(out) || ferror(out) ? -EIO : 0;
}

int wp_convert_pprof(struct wp_convert_ctx *c)
{
	const struct wp_profile *p = c->prof;
	const struct wp_profile_read *rd = wp_profile__read(p);
	size_t ng = wp_profile__ngroups(p), nf = wp_profile__nframes(p), i;
	struct pprof pp = { .c = c, .p = p };
	const struct wp_group *heaviest = NULL;
	uint64_t v, events = 0;
	uint32_t main_mapping = 0;
	int ret = -ENOMEM;

	wpd_buf__init(&pp.prof);
	wpd_buf__init(&pp.msg);
	wpd_buf__init(&pp.sub);
	wpd_buf__init(&pp.packed);
	pp.loc_of = calloc(nf + 1, sizeof(*pp.loc_of));
	pp.mapping_of = calloc(nf + 1, sizeof(*pp.mapping_of));
	if (!pp.loc_of || !pp.mapping_of || str_idz(&pp.st, "") != 0)
		goto out;
	pp.period_ns = wp_profile__period_ns(p, NULL);

	for (i = 0; i < ng; i++)
		if (wp_conv_selected(c, wp_profile__group(p, i)) && wp_profile__group(p, i)->count)
			pp.value_cap++;
	pp.value_cap = INT64_MAX / (pp.value_cap ? pp.value_cap : 1);
	value_type(&pp, 1, "samples", "count");
	value_type(&pp, 1, "cpu", "nanoseconds");
	value_type(&pp, 1, "off-cpu", "nanoseconds");
	value_type(&pp, 1, "wall", "nanoseconds");
	for (i = 0; i < ng; i++) {
		const struct wp_group *g = wp_profile__group(p, i);

		if (!wp_conv_selected(c, g) || !g->count)
			continue;
		write_sample(&pp, g);
		events += g->count;
		if (!heaviest || g->weight > heaviest->weight)
			heaviest = g;
	}
	main_mapping = main_binary(&pp, heaviest);
	write_mappings(&pp, main_mapping);
	write_locations(&pp, main_mapping);
	for (i = 0; i < pp.st.n; i++)
		pb_bytes(&pp.prof, 6, wp_arena__str(&pp.st.text, pp.st.offs[i]), pp.st.lens[i]);
	if (wp_profile__meta_u64(p, WPD_META_START_REALTIME, &v))
		pb_u64(&pp.prof, 9, v);
	if (wp_profile__stat_u64(p, WPD_STAT_DURATION, &v))
		pb_u64(&pp.prof, 10, v);
	else if (rd->last_ns > rd->first_ns)
		pb_u64(&pp.prof, 10, rd->last_ns - rd->first_ns);
	/* period_type and period; strings interned after the table was written
	 * would be lost, so "cpu" and "nanoseconds" are from the sample types */
	wpd_buf__reset(&pp.msg);
	pb_u64(&pp.msg, 1, (uint64_t)str_idz(&pp.st, "cpu"));
	pb_u64(&pp.msg, 2, (uint64_t)str_idz(&pp.st, "nanoseconds"));
	pb_msg(&pp.prof, 11, &pp.msg);
	pb_u64(&pp.prof, 12, (uint64_t)(pp.period_ns + 0.5));
	pb_u64(&pp.prof, 14, (uint64_t)str_idz(&pp.st, "wall"));
	if (pp.oom || pp.prof.oom || pp.msg.oom || pp.sub.oom || pp.packed.oom)
		goto out;
	if (!events)
		pr_warn("%s: no samples selected: the profile is empty", c->input);
	ret = gzip_write(&pp.prof, c->out);
out:
	wpd_buf__release(&pp.prof);
	wpd_buf__release(&pp.msg);
	wpd_buf__release(&pp.sub);
	wpd_buf__release(&pp.packed);
	strtab_release(&pp.st);
	free(pp.loc_of);
	free(pp.mapping_of);
	free(pp.used);
	free(pp.loc_frames);
	free(pp.loc_pos);
	free(pp.loc_off);
	free(pp.loc_n);
	wp_map__release(&pp.loc_index);
	free(pp.mod_names);
	wp_map__release(&pp.mod_index);
	return ret;
}
