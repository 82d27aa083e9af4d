// SPDX-License-Identifier: MIT
/*
 * Names stored in a recording (SYMBOL, SRCLINE, JITSYM) through the
 * analysis library, on a synthetic .wpd whose binary exists nowhere:
 * functions and inline chains from SYMBOL/SRCLINE, JIT names from JITSYM,
 * --no-inline, and the build-id rule: the stored names of one build never
 * name another build's frames, even at the same path and address.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/wpd.h"
#include "report/profile.h"
#include "tests/lib/tap.h"

#define APP "/nonexistent/wp-test/app"
#define BASE 0x400000ull
#define JIT 0x7f0000000000ull

enum { S_APP = 1, S_OUTER, S_MAIN, S_HELPER, S_FILE, S_JIT, S_COMM, S_ANON, S_DEEP };

static const uint8_t bid_a[WPD_BUILD_ID_MAX] = { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9,
						 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 };
static const uint8_t bid_b[WPD_BUILD_ID_MAX] = { 0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9,
						 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 };

static struct wpd_writer *w;
static struct wpd_buf b;

static void add(uint32_t type)
{
	if (wpd_writer__add_buf(w, type, &b))
		abort();
}

static void str(uint32_t id, const char *s)
{
	wpd_encode_string(&b, id, s, (uint32_t)strlen(s));
	add(WPD_REC_STRING);
}

static void mmap_rec(uint32_t pid, uint64_t start, uint64_t end, uint32_t path,
		     const uint8_t *bid, uint32_t flags)
{
	struct wpd_mmap m = { .time_ns = 1, .pid = pid, .flags = flags, .start = start,
			      .end = end, .path_str = path };

	if (bid) {
		m.flags |= WPD_MMAP_BUILD_ID;
		m.build_id_len = WPD_BUILD_ID_MAX;
		memcpy(m.build_id, bid, WPD_BUILD_ID_MAX);
	}
	wpd_encode_mmap(&b, &m);
	add(WPD_REC_MMAP);
}

static int write_file(int fd)
{
	struct wpd_writer_opts wo = { .compat_flags = WPD_FEAT_ONCPU | WPD_FEAT_SYMBOLS };
	struct wpd_symbols_builder sb;
	struct wpd_samples_builder sm;
	struct wpd_binary bin = { .path_str = S_APP, .build_id_len = WPD_BUILD_ID_MAX };
	static struct wpd_srcline l;
	uint64_t s1[] = { BASE + 0x1010, BASE + 0x2005 };  /* helper in outer, main */
	uint64_t s2[] = { JIT + 0x110, BASE + 0x2005 };    /* JIT code, main */
	uint64_t s3[] = { BASE + 0x3000, BASE + 0x2005 };  /* no stored symbol */
	uint64_t s4[] = { BASE + 0x1050, BASE + 0x2005 };  /* a 40-deep inline chain */
	struct wpd_thread th = { 1, 10, 10, S_COMM };
	struct wpd_sample s = { .time_ns = 10, .cpu = 0 };
	int i;

	wpd_buf__init(&b);
	if (wpd_writer__new(fd, &wo, &w))
		return -1;
	wpd_buf__reset(&b);
	wpd_kv__put_str(&b, WPD_META_KERNEL, "0.0-test");
	add(WPD_REC_META);
	str(S_APP, APP);
	str(S_OUTER, "_ZN2ns5outerEv"); /* mangled, as symbol tables have it */
	str(S_MAIN, "main");
	str(S_HELPER, "helper");
	str(S_FILE, "/src/x.c");
	str(S_JIT, "LazyCompile:*hot /app.js:1");
	str(S_COMM, "app");
	str(S_ANON, "");
	str(S_DEEP, "deep");
	wpd_encode_thread(&b, &th);
	add(WPD_REC_THREAD);
	th.pid = th.tid = 20;
	wpd_encode_thread(&b, &th);
	add(WPD_REC_THREAD);
	mmap_rec(10, BASE, BASE + 0x100000, S_APP, bid_a, 0);
	mmap_rec(10, JIT, JIT + 0x1000, S_ANON, NULL, WPD_MMAP_ANON_EXEC);
	mmap_rec(20, BASE, BASE + 0x100000, S_APP, bid_b, 0); /* another build */
	wpd_encode_stack(&b, 1, 0, NULL, 0, s1, 2);
	add(WPD_REC_STACK);
	wpd_encode_stack(&b, 2, 0, NULL, 0, s2, 2);
	add(WPD_REC_STACK);
	wpd_encode_stack(&b, 3, 0, NULL, 0, s3, 2);
	add(WPD_REC_STACK);
	wpd_encode_stack(&b, 4, 0, NULL, 0, s4, 2);
	add(WPD_REC_STACK);

	/* names of build A only */
	wpd_symbols_builder__init(&sb);
	memcpy(bin.build_id, bid_a, WPD_BUILD_ID_MAX);
	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SYMBOL, &bin);
	wpd_symbols_builder__add_sym(&sb, &(struct wpd_sym){ 0x1000, 0x100, S_OUTER });
	wpd_symbols_builder__add_sym(&sb, &(struct wpd_sym){ 0x2000, 0x100, S_MAIN });
	wpd_symbols_builder__finish(&sb);
	if (wpd_writer__add_buf(w, sb.type, &sb.buf))
		return -1;
	wpd_symbols_builder__begin_binary(&sb, WPD_REC_SRCLINE, &bin);
	l.addr = 0x1010;
	l.nframes = 2;
	l.frames[0] = (struct wpd_srcframe){ S_HELPER, S_FILE, 7 };
	l.frames[1] = (struct wpd_srcframe){ S_OUTER, S_FILE, 20 };
	wpd_symbols_builder__add_srcline(&sb, &l);
	l.addr = 0x1050;
	l.nframes = 40; /* deeper than a report keeps: cut, the outermost kept */
	for (i = 0; i < 39; i++)
		l.frames[i] = (struct wpd_srcframe){ S_DEEP, S_FILE, (uint32_t)i + 1 };
	l.frames[39] = (struct wpd_srcframe){ S_OUTER, S_FILE, 99 };
	wpd_symbols_builder__add_srcline(&sb, &l);
	wpd_symbols_builder__finish(&sb);
	if (wpd_writer__add_buf(w, sb.type, &sb.buf))
		return -1;
	wpd_symbols_builder__begin_jit(&sb, 5, 10);
	wpd_symbols_builder__add_sym(&sb, &(struct wpd_sym){ JIT + 0x100, 0x40, S_JIT });
	wpd_symbols_builder__finish(&sb);
	if (wpd_writer__add_buf(w, sb.type, &sb.buf))
		return -1;
	wpd_symbols_builder__release(&sb);

	wpd_samples_builder__init(&sm);
	s.pid = s.tid = 10;
	for (i = 0; i < 3; i++) {
		s.stack_id = 1;
		wpd_samples_builder__add(&sm, &s);
	}
	for (i = 0; i < 2; i++) {
		s.stack_id = 2;
		wpd_samples_builder__add(&sm, &s);
	}
	s.stack_id = 3;
	wpd_samples_builder__add(&sm, &s);
	s.stack_id = 4;
	wpd_samples_builder__add(&sm, &s);
	s.pid = s.tid = 20;
	for (i = 0; i < 4; i++) {
		s.stack_id = 1;
		wpd_samples_builder__add(&sm, &s);
	}
	wpd_samples_builder__finish(&sm);
	if (wpd_writer__add_buf(w, WPD_REC_SAMPLES, &sm.buf))
		return -1;
	wpd_samples_builder__release(&sm);
	wpd_buf__release(&b);
	return wpd_writer__close(w);
}

/* "name[flags]|name..." of a group's frames, leaf first */
static void frames_of(const struct wp_profile *p, uint32_t pid, uint32_t stack, char *out,
		      size_t len)
{
	size_t i, k, n = 0;

	out[0] = 0;
	for (i = 0; i < wp_profile__ngroups(p); i++) {
		const struct wp_group *g = wp_profile__group(p, i);
		const uint32_t *fr;

		if (g->pid != pid || g->stack_id != stack)
			continue;
		fr = wp_profile__group_frames(p, g);
		for (k = 0; k < g->nframes && n < len; k++) {
			const struct wp_frame *f = wp_profile__frame(p, fr[k]);

			n += (size_t)snprintf(out + n, len - n, "%s%s%s%s%s%s", k ? "|" : "", f->name,
					      f->flags & WP_FRAME_INLINED ? "[i]" : "",
					      f->flags & WP_FRAME_JIT ? "[j]" : "",
					      f->flags & WP_FRAME_UNRESOLVED ? "[u]" : "",
					      f->module[0] == '[' ? f->module : "");
		}
		return;
	}
}

static struct wp_profile *load(const char *path, bool no_inline)
{
	struct wp_resolve_opts ro = { .no_inline = no_inline };
	struct wp_profile *p = NULL;
	char err[256];

	if (wp_profile__load(path, NULL, &p, err, sizeof(err))) {
		tap_diag("load: %s", err);
		return NULL;
	}
	if (wp_profile__resolve(p, &ro)) {
		wp_profile__free(p);
		return NULL;
	}
	return p;
}

int main(void)
{
	char path[] = "/tmp/wp-embedded-XXXXXX";
	int fd = mkstemp(path);
	struct wp_profile *p;
	char buf[2048];

	if (!ok(fd >= 0 && write_file(fd) == 0, "a synthetic recording with stored names"))
		return done_testing();
	close(fd);

	p = load(path, false);
	if (!ok(p, "loads and resolves"))
		goto out;
	is_int(wp_profile__read(p)->records_undecodable, 0, "every symbol record decodes");
	frames_of(p, 10, 1, buf, sizeof(buf));
	is_str(buf, "helper[i]|ns::outer()|main",
	       "binary absent: the inlined helper, then ns::outer() (demangled), then main");
	frames_of(p, 10, 2, buf, sizeof(buf));
	is_str(buf, "LazyCompile:*hot /app.js:1[j][jit]|main",
	       "anonymous code named from JITSYM, module [jit]");
	frames_of(p, 10, 3, buf, sizeof(buf));
	is_str(buf, "app+0x3000[u]|main", "an address no stored symbol covers: module+0xOFF");
	frames_of(p, 10, 4, buf, sizeof(buf));
	ok(strncmp(buf, "deep[i]|deep[i]|", 16) == 0 && strstr(buf, "|ns::outer()|main") &&
	   strlen(buf) < 400, "a 40-deep stored chain is cut, its outermost function kept");
	frames_of(p, 20, 1, buf, sizeof(buf));
	is_str(buf, "app+0x1010[u]|app+0x2004[u]",
	       "another build at the same path: none of build A's names");
	wp_profile__free(p);

	p = load(path, true);
	if (!ok(p, "loads with no_inline"))
		goto out;
	frames_of(p, 10, 1, buf, sizeof(buf));
	is_str(buf, "ns::outer()|main", "no_inline: one frame per address");
	frames_of(p, 10, 2, buf, sizeof(buf));
	is_str(buf, "LazyCompile:*hot /app.js:1[j][jit]|main", "no_inline: JIT names stay");
	wp_profile__free(p);
out:
	unlink(path);
	return done_testing();
}
