// SPDX-License-Identifier: MIT
/*
 * hostile.wpd: a recording whose names try to break every output format
 * (wp-convert's svg, speedscope, chrome, pprof, folded; wp-diff). A JIT
 * map or a kernel module can name a function anything, so names are
 * markup, script, quotes, CDATA ends, entities, control characters,
 * invalid UTF-8, noncharacters, the folded separators and a very long
 * one. The stacks are kernel-only (names come from KSYM records), so the
 * file needs no binary.
 *
 *   pid 700 tid 700, comm "<script>window.wpPwned=0</script>"
 *     stack 1 = H_ROOT <- H_QUOTE <- H_SCRIPT (leaf)      x50
 *     stack 2 = H_ROOT <- H_CDATA <- H_ENT (leaf)         x30
 *     stack 3 = H_ROOT <- H_BYTES <- H_LONG (leaf)        x20
 *
 * Run by prove it writes the file to a temporary directory and checks it
 * loads; with WP_FIXTURE_DIR=DIR it writes DIR/hostile.wpd and keeps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "format/wpd.h"
#include "report/profile.h"
#include "tests/lib/tap.h"

#define T0 2000000000000ull
#define K(n) (0xffffffff81000000ull + (n) * 0x1000ull)

static const char *const names[] = {
	/* 1 */ "hostile_root",
	/* 2 */ "\"onmouseover=\"window.wpPwned=3\" x='1' <g>",
	/* 3 */ "<script>window.wpPwned=1</script>",
	/* 4 */ "]]><script>window.wpPwned=2</script><![CDATA[",
	/* 5 */ "&amp;&lt;&#0; </title></g><svg onload=window.wpPwned=4>",
	/* 6 */ "bytes:\x01\x1b[31m\xff\xfe\xef\xbf\xbe;semi\nnewline\\back\"q",
	/* 7 */ NULL, /* long: made at run time */
	/* 8 */ "<script>window.wpPwned=0</script>",
};

static int add(struct wpd_writer *w, struct wpd_buf *b, uint32_t type, int *err)
{
	int ret = wpd_writer__add_buf(w, type, b);

	if (ret && !*err)
		*err = ret;
	return ret;
}

static int write_hostile(const char *dir)
{
	struct wpd_writer_opts wo = { .compat_flags = WPD_FEAT_ONCPU | WPD_FEAT_KSYMS };
	struct wpd_samples_builder sb;
	struct wpd_writer *w = NULL;
	struct wpd_buf b;
	char path[4096], *longname;
	const uint64_t s1[] = { K(3) + 4, K(2) + 4, K(1) + 4 };
	const uint64_t s2[] = { K(5) + 4, K(4) + 4, K(1) + 4 };
	const uint64_t s3[] = { K(7) + 4, K(6) + 4, K(1) + 4 };
	const struct { uint32_t stack, n; } runs[] = { { 1, 50 }, { 2, 30 }, { 3, 20 } };
	int fd, err = 0, ret;
	uint32_t i, k;
	uint64_t t = T0;

	snprintf(path, sizeof(path), "%s/hostile.wpd", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	longname = malloc(5001);
	if (!longname) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < 5000; i++)
		longname[i] = "<&>\"'x"[i % 6];
	longname[5000] = '\0';
	wpd_buf__init(&b);
	wpd_samples_builder__init(&sb);
	ret = wpd_writer__new(fd, &wo, &w);
	if (ret)
		goto out;
	wpd_kv__put_str(&b, WPD_META_HOSTNAME, "<host>&\"'");
	wpd_kv__put_u64(&b, WPD_META_START_MONO, T0);
	wpd_kv__put_u64(&b, WPD_META_FREQ, 100);
	wpd_kv__put_str(&b, WPD_META_TARGET, "command </text><script>window.wpPwned=5</script>");
	add(w, &b, WPD_REC_META, &err);
	for (i = 1; i <= 8; i++) {
		const char *s = i == 7 ? longname : names[i - 1];

		wpd_encode_string(&b, i, s, (uint32_t)strlen(s));
		add(w, &b, WPD_REC_STRING, &err);
	}
	for (i = 1; i <= 7; i++) {
		struct wpd_ksym ks = { .start = K(i), .size = 0x1000, .name_str = i };

		wpd_encode_ksym(&b, &ks);
		add(w, &b, WPD_REC_KSYM, &err);
	}
	wpd_encode_stack(&b, 1, WPD_STACK_NO_USER, s1, 3, NULL, 0);
	add(w, &b, WPD_REC_STACK, &err);
	wpd_encode_stack(&b, 2, WPD_STACK_NO_USER, s2, 3, NULL, 0);
	add(w, &b, WPD_REC_STACK, &err);
	wpd_encode_stack(&b, 3, WPD_STACK_NO_USER, s3, 3, NULL, 0);
	add(w, &b, WPD_REC_STACK, &err);
	{
		struct wpd_thread th = { .time_ns = T0, .pid = 700, .tid = 700, .comm_str = 8 };

		wpd_encode_thread(&b, &th);
		add(w, &b, WPD_REC_THREAD, &err);
	}
	wpd_samples_builder__reset(&sb);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < runs[k].n; i++) {
			struct wpd_sample s = { .time_ns = t += 10000000ull, .pid = 700, .tid = 700,
						.stack_id = runs[k].stack };

			wpd_samples_builder__add(&sb, &s);
		}
	}
	wpd_samples_builder__finish(&sb);
	if (wpd_writer__add_buf(w, WPD_REC_SAMPLES, &sb.buf) && !err)
		err = -EIO;
	wpd_buf__reset(&b);
	wpd_kv__put_u64(&b, WPD_STAT_SAMPLES, 100);
	wpd_kv__put_u64(&b, WPD_STAT_DURATION, t - T0);
	add(w, &b, WPD_REC_FINISH, &err);
out:
	if (w) {
		int r = wpd_writer__close(w);

		if (!ret)
			ret = r;
	}
	if (close(fd) && !ret)
		ret = -errno;
	wpd_buf__release(&b);
	wpd_samples_builder__release(&sb);
	free(longname);
	return ret ? ret : err;
}

int main(void)
{
	const char *dir = getenv("WP_FIXTURE_DIR");
	char tmp[] = "/tmp/wp-cfixture.XXXXXX", path[4096], err[256];
	bool keep = dir && *dir;
	struct wp_profile *p = NULL;

	wp_log_verbosity = WP_LOG_ERR;
	if (!keep) {
		dir = mkdtemp(tmp);
		if (!ok(dir != NULL, "temporary directory"))
			return done_testing();
	} else if (mkdir(dir, 0755) && errno != EEXIST) {
		ok(0, "cannot create %s: %s", dir, strerror(errno));
		return done_testing();
	}
	is_int(write_hostile(dir), 0, "hostile.wpd written");
	snprintf(path, sizeof(path), "%s/hostile.wpd", dir);
	if (ok(wp_profile__load(path, NULL, &p, err, sizeof(err)) == 0, "hostile.wpd loads")) {
		ok(wp_profile__resolve(p, NULL) == 0, "resolves");
		is_int(wp_profile__read(p)->samples, 100, "100 samples");
		is_int(wp_profile__ngroups(p), 3, "three stacks");
		wp_profile__free(p);
	}
	if (!keep) {
		unlink(path);
		ok(rmdir(dir) == 0, "temporary directory removed");
	}
	return done_testing();
}
