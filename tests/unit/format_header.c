// SPDX-License-Identifier: MIT
/*
 * libwpd file header: files that are not .wpd, or a .wpd this reader must
 * not read, fail wpd_reader__open*() with the right errno and a message;
 * the header's extension rules (minor versions, header_size) are honoured;
 * the reader streams from pipes and owns only the fds it opened.
 */
#include "format/wpd.h"
#include "tests/lib/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

static char dir[] = "/tmp/wpd-header.XXXXXX";

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void reseal(uint8_t *h, uint32_t hsize)
{
	put64(h + hsize - 8, XXH3_64bits(h, hsize - 8));
}

/* A valid file: header + one block holding one STRING record. */
static size_t valid_file(uint8_t *out, size_t cap)
{
	int fd = memfd_create("wpd", MFD_CLOEXEC);
	struct wpd_writer *w;
	struct wpd_buf b;
	ssize_t n;

	wpd_buf__init(&b);
	wpd_writer__new(fd, NULL, &w);
	wpd_encode_string(&b, 1, "payload", 7);
	wpd_writer__add_buf(w, WPD_REC_STRING, &b);
	wpd_writer__close(w);
	wpd_buf__release(&b);
	n = pread(fd, out, cap, 0);
	close(fd);
	if (n <= 0)
		exit(1);
	return (size_t)n;
}

static const char *write_tmp(const char *name, const void *data, size_t len)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
	return path;
}

/* Open data as a file; returns the open result, message in err. */
static int try_open(const char *name, const void *data, size_t len, char *err,
		    size_t err_len, int *nrec)
{
	struct wpd_reader *r = (struct wpd_reader *)1;
	struct wpd_record rec;
	int ret;

	err[0] = 0;
	ret = wpd_reader__open(write_tmp(name, data, len), &r, err, err_len);
	if (ret) {
		if (r != NULL)
			return 1000; /* *out must be NULL on failure */
		return ret;
	}
	*nrec = 0;
	while (wpd_reader__next(r, &rec) == 1)
		(*nrec)++;
	wpd_reader__free(r);
	return 0;
}

#define EXPECT_FAIL(name, data, len, want_errno, want_msg) do {                \
	char e_[256];                                                           \
	int n_ = 0;                                                             \
	int r_ = try_open(name, data, len, e_, sizeof(e_), &n_);               \
	is_int(r_, want_errno, "%s: %s", name, #want_errno);                    \
	if (!ok(strstr(e_, want_msg) != NULL, "%s: message mentions '%s'",     \
		name, want_msg))                                                \
		tap_diag("  message: '%s'", e_);                                \
} while (0)

static void test_not_wpd(void)
{
	uint8_t garbage[4096];
	char text[1000] = "";
	uint32_t x = 7;
	char err[256];
	struct wpd_reader *r = (struct wpd_reader *)1;

	EXPECT_FAIL("empty", "", 0, -EBADMSG, "empty");
	EXPECT_FAIL("one-byte", "\x89", 1, -EBADMSG, "truncated .wpd file header (1 of 64 bytes)");
	EXPECT_FAIL("one-x", "x", 1, -EBADMSG, "bad magic");
	EXPECT_FAIL("magic-only", WPD_MAGIC, 8, -EBADMSG, "(8 of 64 bytes)");
	for (size_t i = 0; i < sizeof(garbage); i++) {
		x = x * 1103515245 + 12345;
		garbage[i] = (uint8_t)(x >> 16);
	}
	EXPECT_FAIL("garbage", garbage, sizeof(garbage), -EBADMSG, "bad magic");
	while (strlen(text) < 900)
		strcat(text, "this is a text file\r\n");
	EXPECT_FAIL("text", text, strlen(text), -EBADMSG, "bad magic");

	is_int(wpd_reader__open("/nonexistent/x.wpd", &r, err, sizeof(err)), -ENOENT,
	       "missing file: -ENOENT");
	ok(r == NULL, "*out is NULL on failure");
	is_str(err, "cannot open '/nonexistent/x.wpd': No such file or directory",
	       "missing file message");
	ok(wpd_reader__open("/nonexistent/x.wpd", &r, NULL, 0) == -ENOENT,
	   "err_buf may be NULL");
	char tiny[8];
	wpd_reader__open("/nonexistent/x.wpd", &r, tiny, sizeof(tiny));
	is_str(tiny, "cannot ", "a short err_buf gets a terminated prefix");
	EXPECT_FAIL("path-in-message", "", 0, -EBADMSG, "'/tmp/wpd-header.");
}

static void test_versions(void)
{
	uint8_t f[4096], g[4096];
	size_t len = valid_file(f, sizeof(f));
	int n = -1;
	char err[256];

	is_int(try_open("valid", f, len, err, sizeof(err), &n), 0, "valid file opens");
	is_int(n, 1, "valid file: one record");

	memcpy(g, f, len);
	put16(g + 8, 2);
	put16(g + 10, 0);
	reseal(g, 64);
	EXPECT_FAIL("major-2", g, len, -ENOTSUP, "unsupported .wpd version 2.0");
	memcpy(g, f, len);
	put16(g + 8, 0);
	put16(g + 10, 0);
	reseal(g, 64);
	EXPECT_FAIL("major-0", g, len, -ENOTSUP, "version 0.0");

	memcpy(g, f, len);
	put16(g + 10, 7);
	reseal(g, 64);
	is_int(try_open("minor-7", g, len, err, sizeof(err), &n), 0, "a newer minor opens");
	is_int(n, 1, "newer minor: its record is read");

	memcpy(g, f, len);
	put64(g + 24, 1ull << 5);
	reseal(g, 64);
	EXPECT_FAIL("incompat", g, len, -ENOTSUP, "unknown incompatible feature flags 0x20");
	memcpy(g, f, len);
	put64(g + 16, ~0ull);
	reseal(g, 64);
	is_int(try_open("compat-all", g, len, err, sizeof(err), &n), 0,
	       "unknown compatible flags are fine");

	memcpy(g, f, len);
	g[40] = 1; /* reserved, not resealed */
	EXPECT_FAIL("checksum", g, len, -EBADMSG, "checksum mismatch");
	memcpy(g, f, len);
	g[40] = 1; /* reserved and resealed: a newer writer's field */
	reseal(g, 64);
	is_int(try_open("reserved", g, len, err, sizeof(err), &n), 0,
	       "non-zero reserved bytes are ignored");

	/* header_size: a larger header (a newer minor's fields) is skipped */
	memcpy(g, f, 56);
	memset(g + 56, 0xab, 64);
	put32(g + 12, 128);
	reseal(g, 128);
	memcpy(g + 128, f + 64, len - 64);
	is_int(try_open("header-128", g, len + 64, err, sizeof(err), &n), 0,
	       "a 128-byte header opens");
	is_int(n, 1, "and its blocks start after it");
	EXPECT_FAIL("header-128-cut", g, 100, -EBADMSG, "(100 of 128 bytes)");

	static const uint32_t bad_sizes[] = { 0, 32, 63, 65, 72 + 1, 8192 };
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		char name[64];

		memcpy(g, f, len);
		put32(g + 12, bad_sizes[i]);
		reseal(g, 64);
		snprintf(name, sizeof(name), "header-size-%u", bad_sizes[i]);
		EXPECT_FAIL(name, g, len, -EBADMSG, "bad .wpd file header size");
	}

	/* Header only: a file with no block yet (recording just started). */
	struct wpd_reader *r;
	struct wpd_record rec;
	is_int(wpd_reader__open(write_tmp("header-only", f, 64), &r, err, sizeof(err)), 0,
	       "header-only file opens");
	ok(wpd_reader__next(r, &rec) == 0 && !wpd_reader__stats(r)->truncated &&
	   wpd_reader__stats(r)->blocks == 0 && !wpd_reader__damage(r),
	   "header-only file: no records, not truncated");
	wpd_reader__free(r);
}

/* The reader streams: it never seeks, so a pipe works. */
static void test_pipe_and_fd_ownership(void)
{
	uint8_t f[4096];
	size_t len = valid_file(f, sizeof(f));
	struct wpd_reader *r;
	struct wpd_record rec;
	char err[256];
	int p[2], n = 0, status;
	pid_t pid;

	if (pipe(p)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		/* dribble it out to make the reader assemble headers */
		for (size_t i = 0; i < len; i += 7) {
			size_t k = len - i < 7 ? len - i : 7;

			if (write(p[1], f + i, k) != (ssize_t)k)
				_exit(1);
			usleep(100);
		}
		_exit(0);
	}
	close(p[1]);
	is_int(wpd_reader__open_fd(p[0], &r, err, sizeof(err)), 0, "open_fd on a pipe");
	while (wpd_reader__next(r, &rec) == 1)
		n++;
	is_int(n, 1, "record read through the pipe");
	ok(!wpd_reader__stats(r)->truncated, "pipe: not truncated");
	wpd_reader__free(r);
	waitpid(pid, &status, 0);
	ok(fcntl(p[0], F_GETFD) >= 0, "open_fd does not close the caller's fd");
	close(p[0]);

	/* open() owns its fd: after free, the lowest free fd is it again. */
	int before = dup(0);

	close(before);
	wpd_reader__open(write_tmp("owned", f, len), &r, err, sizeof(err));
	wpd_reader__free(r);
	int after = dup(0);

	is_int(after, before, "reader__free closes the fd reader__open opened");
	close(after);
	wpd_reader__free(NULL);
	ok(1, "reader__free(NULL) is a no-op");
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_not_wpd();
	test_versions();
	test_pipe_and_fd_ownership();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
	return done_testing();
}
