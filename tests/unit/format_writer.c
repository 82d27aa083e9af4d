// SPDX-License-Identifier: MIT
/*
 * libwpd writer: block splitting (records whole, big records alone, the
 * maximum record), empty flushes, byte accounting, errors (sticky write
 * errors, -E2BIG, -ENOMEM) and write() returning short or EINTR.
 */
#include "format/wpd.h"
#include "tests/lib/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int new_memfd(void)
{
	int fd = memfd_create("wpd-test", MFD_CLOEXEC);

	if (fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	return fd;
}

static off_t fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : st.st_size;
}

/* Read every record back: their sizes and block seqs into the arrays. */
static int read_back(int fd, uint32_t *sizes, uint32_t *seqs, int max,
		     struct wpd_read_stats *st)
{
	struct wpd_reader *r;
	struct wpd_record rec;
	char err[256];
	int n = 0;

	lseek(fd, 0, SEEK_SET);
	if (wpd_reader__open_fd(fd, &r, err, sizeof(err))) {
		tap_diag("open: %s", err);
		return -1;
	}
	while (wpd_reader__next(r, &rec) == 1) {
		if (n < max) {
			sizes[n] = rec.size;
			seqs[n] = rec.block_seq;
		}
		n++;
	}
	*st = *wpd_reader__stats(r);
	wpd_reader__free(r);
	return n;
}

static void test_splitting(void)
{
	struct wpd_writer_opts opts = { .block_target = 1000 };
	struct wpd_writer *w;
	struct wpd_read_stats st;
	static uint8_t payload[5000];
	uint32_t sizes[64], seqs[64];
	int fd = new_memfd(), i, n, bad = 0;
	uint64_t bytes;

	is_int(wpd_writer__new(fd, &opts, &w), 0, "writer with a 1000-byte target");
	/* 300 + 8 bytes each: three fit in 1000, the fourth opens a block. */
	for (i = 0; i < 9; i++)
		wpd_writer__add(w, WPD_REC_STRING, payload, 300);
	bytes = wpd_writer__bytes(w);
	is_int(fd_size(fd), bytes, "bytes() is what reached the file");
	wpd_writer__flush(w);
	/* A record bigger than the target gets a block of its own. */
	wpd_writer__add(w, WPD_REC_STRING, payload, 100);
	wpd_writer__add(w, WPD_REC_STRING, payload, 5000);
	wpd_writer__add(w, WPD_REC_STRING, payload, 100);
	/* Reaching the target exactly closes the block. */
	wpd_writer__add(w, WPD_REC_STRING, payload, 1000 - 8);
	bytes = wpd_writer__bytes(w);
	is_int(fd_size(fd), bytes, "a block reaching the target is written at once");
	is_int(wpd_writer__close(w), 0, "close");

	n = read_back(fd, sizes, seqs, 64, &st);
	is_int(n, 13, "13 records");
	static const uint32_t want_seq[13] = { 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 5, 6 };
	static const uint32_t want_size[13] = { 300, 300, 300, 300, 300, 300, 300, 300, 300,
						100, 5000, 100, 992 };
	for (i = 0; i < 13 && i < n; i++)
		bad += seqs[i] != want_seq[i] || sizes[i] != want_size[i];
	is_int(bad, 0, "records are whole and in the expected blocks");
	is_int(st.blocks, 7, "7 blocks");
	close(fd);
}

static void test_flush_and_bytes(void)
{
	struct wpd_writer *w;
	struct wpd_read_stats st;
	uint32_t sizes[4], seqs[4];
	int fd = new_memfd();
	uint64_t b0;

	wpd_writer__new(fd, NULL, &w);
	b0 = wpd_writer__bytes(w);
	is_int(wpd_writer__flush(w), 0, "flush of an empty block");
	is_int(wpd_writer__bytes(w), b0, "writes nothing");
	is_int(fd_size(fd), WPD_FILE_HEADER_SIZE, "file is the header only");
	wpd_writer__add(w, WPD_REC_META, NULL, 0);
	is_int(wpd_writer__bytes(w), b0, "a record waits in the open block");
	wpd_writer__flush(w);
	ok(wpd_writer__bytes(w) > b0 && fd_size(fd) == (off_t)wpd_writer__bytes(w),
	   "flush writes the block; bytes() follows");
	b0 = wpd_writer__bytes(w);
	wpd_writer__flush(w);
	wpd_writer__flush(w);
	is_int(fd_size(fd), b0, "repeated flushes write nothing");
	is_int(wpd_writer__close(w), 0, "close");
	is_int(read_back(fd, sizes, seqs, 4, &st), 1, "one empty record");
	ok(sizes[0] == 0 && st.blocks == 1, "empty payload survives");
	close(fd);
	is_int(wpd_writer__close(NULL), 0, "close(NULL) is a no-op");
}

static void test_limits(void)
{
	struct wpd_writer_opts opts = { .block_target = 4096 };
	struct wpd_writer *w;
	struct wpd_read_stats st;
	struct wpd_reader *r;
	struct wpd_record rec;
	struct wpd_buf b;
	uint32_t max = WPD_BLOCK_MAX_RAW - WPD_RECORD_HEADER_SIZE, x = 1;
	uint8_t *big = malloc(max + 1);
	char err[256];
	int fd = new_memfd(), n = 0, same = 0;
	uint64_t b0;

	/* incompressible, so the compressed block is near its own limit too */
	for (uint32_t i = 0; i < max + 1; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = (uint8_t)x;
	}
	wpd_writer__new(fd, &opts, &w);
	wpd_writer__add(w, WPD_REC_STRING, big, 10);
	b0 = wpd_writer__bytes(w);
	is_int(wpd_writer__add(w, WPD_REC_STRING, big, max + 1), -E2BIG,
	       "record over WPD_BLOCK_MAX_RAW: -E2BIG");
	is_int(wpd_writer__bytes(w), b0, "the refused record flushed nothing");
	is_int(wpd_writer__add(w, WPD_REC_STRING, big, UINT32_MAX), -E2BIG, "4 GiB: -E2BIG");
	is_int(wpd_writer__add(w, WPD_REC_STRING, big, max), 0, "the largest record");
	wpd_writer__add(w, WPD_REC_STRING, big, 20);

	wpd_buf__init(&b);
	wpd_buf__put(&b, "x", SIZE_MAX / 2);
	is_int(wpd_writer__add_buf(w, WPD_REC_STRING, &b), -ENOMEM, "add_buf of an oom buffer");
	wpd_buf__release(&b);
	is_int(wpd_writer__close(w), 0, "close");

	lseek(fd, 0, SEEK_SET);
	wpd_reader__open_fd(fd, &r, err, sizeof(err));
	while (wpd_reader__next(r, &rec) == 1) {
		n++;
		if (n == 2)
			same = rec.size == max && !memcmp(rec.data, big, max) &&
			       rec.block_seq == 1;
	}
	st = *wpd_reader__stats(r);
	wpd_reader__free(r);
	is_int(n, 3, "3 records");
	ok(same, "the largest record reads back whole in its own block");
	is_int(st.blocks, 3, "3 blocks");
	close(fd);

	/* A target above the maximum is clamped to it. */
	opts.block_target = SIZE_MAX;
	fd = new_memfd();
	wpd_writer__new(fd, &opts, &w);
	wpd_writer__add(w, WPD_REC_STRING, big, max / 2);
	wpd_writer__add(w, WPD_REC_STRING, big, max / 2);
	is_int(wpd_writer__close(w), 0, "huge target: close");
	uint32_t sizes[4], seqs[4];
	ok(read_back(fd, sizes, seqs, 4, &st) == 2 && st.blocks == 2,
	   "huge target: two half-maximum records need two blocks");
	close(fd);
	free(big);
}

static void test_opts(void)
{
	struct wpd_writer_opts opts = { .zstd_level = 1000 };
	struct wpd_writer *w = (struct wpd_writer *)1;
	int fd = new_memfd(), rofd;

	is_int(wpd_writer__new(fd, &opts, &w), -EINVAL, "zstd level 1000: -EINVAL");
	ok(w == NULL, "*out is NULL on failure");
	is_int(fd_size(fd), 0, "nothing written");
	opts.zstd_level = -5;
	is_int(wpd_writer__new(fd, &opts, &w), 0, "a negative (fast) level is fine");
	wpd_writer__add(w, WPD_REC_META, "abc", 3);
	is_int(wpd_writer__close(w), 0, "and writes");
	close(fd);

	is_int(wpd_writer__new(-1, NULL, &w), -EBADF, "fd -1: -EBADF");
	rofd = open("/dev/null", O_RDONLY);
	is_int(wpd_writer__new(rofd, NULL, &w), -EBADF, "read-only fd: -EBADF");
	close(rofd);
}

static void test_sticky_error(void)
{
	struct wpd_writer *w;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	if (pipe(p))
		exit(1);
	is_int(wpd_writer__new(p[1], NULL, &w), 0, "writer on a pipe");
	close(p[0]);
	is_int(wpd_writer__add(w, WPD_REC_META, "abc", 3), 0, "add buffers");
	is_int(wpd_writer__flush(w), -EPIPE, "flush to a closed pipe: -EPIPE");
	is_int(wpd_writer__add(w, WPD_REC_META, "abc", 3), -EPIPE, "add after: -EPIPE");
	is_int(wpd_writer__flush(w), -EPIPE, "flush after: -EPIPE");
	is_int(wpd_writer__close(w), -EPIPE, "close reports it too");
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

/*
 * A slow reader on a pipe and a 1 ms timer without SA_RESTART: write()
 * returns short counts and EINTR, and the file must still come out whole.
 */
static void test_short_writes(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct wpd_writer *w;
	struct wpd_read_stats st;
	uint32_t sizes[8], seqs[8], x = 3;
	size_t len = 3u << 20;
	uint8_t *data = malloc(len);
	int p[2], out = new_memfd(), status, err;
	pid_t pid;

	for (size_t i = 0; i < len; i++) {
		x = x * 1664525 + 1013904223;
		data[i] = (uint8_t)(x >> 24);
	}
	if (pipe(p))
		exit(1);
	pid = fork();
	if (pid == 0) {
		uint8_t buf[4096];
		ssize_t n;

		close(p[1]);
		while ((n = read(p[0], buf, sizeof(buf))) > 0) {
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
			usleep(20);
		}
		_exit(n < 0);
	}
	close(p[0]);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	err = wpd_writer__new(p[1], NULL, &w);
	err = err ? err : wpd_writer__add(w, WPD_REC_STRING, data, (uint32_t)len);
	err = err ? err : wpd_writer__add(w, WPD_REC_STRING, data, 1000);
	err = err ? err : wpd_writer__close(w);
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	close(p[1]);
	waitpid(pid, &status, 0);
	is_int(err, 0, "writing through a slow pipe under a 1 ms timer succeeds");
	ok(ticks > 0, "the timer interrupted the writer (%d signals)", (int)ticks);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the pipe reader finished");
	ok(read_back(out, sizes, seqs, 8, &st) == 2 && sizes[0] == len && sizes[1] == 1000 &&
	   st.blocks == 2 && !st.truncated && !st.blocks_damaged,
	   "the file came out whole");
	close(out);
	free(data);
}

/* Thousands of records over a hundred-odd blocks, all back in order. */
static void test_many_blocks(void)
{
	struct wpd_writer_opts opts = { .block_target = 4096 };
	struct wpd_writer *w;
	struct wpd_reader *r;
	struct wpd_record rec;
	struct wpd_thread t;
	struct wpd_buf b;
	char err[256];
	uint32_t i, n = 0, last_seq = 0, nseq = 0, order_bad = 0;
	int fd = new_memfd();

	wpd_buf__init(&b);
	wpd_writer__new(fd, &opts, &w);
	for (i = 0; i < 20000; i++) {
		t = (struct wpd_thread){ .time_ns = (uint64_t)i << 32, .pid = i, .tid = ~i,
					 .comm_str = i + 1 };
		wpd_encode_thread(&b, &t);
		if (wpd_writer__add_buf(w, WPD_REC_THREAD, &b))
			break;
	}
	is_int(i, 20000, "20000 records added");
	is_int(wpd_writer__close(w), 0, "close");
	wpd_buf__release(&b);

	lseek(fd, 0, SEEK_SET);
	wpd_reader__open_fd(fd, &r, err, sizeof(err));
	while (wpd_reader__next(r, &rec) == 1) {
		if (wpd_decode_thread(&rec, &t) || t.pid != n || t.tid != ~n ||
		    t.time_ns != (uint64_t)n << 32 || t.comm_str != n + 1)
			order_bad++;
		if (n == 0 || rec.block_seq != last_seq) {
			if (rec.block_seq != (n == 0 ? 0 : last_seq + 1))
				order_bad++;
			nseq++;
		}
		last_seq = rec.block_seq;
		n++;
	}
	is_int(n, 20000, "20000 records read");
	is_int(order_bad, 0, "in order, block seqs 0, 1, 2... without gaps");
	ok(nseq > 100, "spread over %u blocks", nseq);
	is_int(wpd_reader__stats(r)->blocks, nseq, "stats count every block");
	ok(!wpd_reader__damage(r), "no damage");
	wpd_reader__free(r);
	close(fd);
}

int main(void)
{
	test_splitting();
	test_many_blocks();
	test_flush_and_bytes();
	test_limits();
	test_opts();
	test_sticky_error();
	test_short_writes();
	return done_testing();
}
