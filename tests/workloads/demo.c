/* SPDX-License-Identifier: MIT */
/*
 * The demo workload `make demo` records: a small "service" whose time
 * goes to three places a profile should show apart.
 *
 *   worker thread "parser":  parse_records() -> checksum() (CPU)
 *   worker thread "compress": compress_block() (CPU, called half as often)
 *   main thread:             sleeps in nanosleep, then blocks reading a pipe
 *                            that thread "producer" fills 30 ms later (off-CPU)
 *
 * Usage: demo [SECONDS]   (default 3)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;
static volatile uint64_t sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) static uint64_t checksum(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

__attribute__((noinline)) static void parse_records(unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(buf[i] * 31 + 7);
	sink += checksum(buf, n);
}

__attribute__((noinline)) static void compress_block(unsigned char *buf, size_t n)
{
	uint64_t acc = 0;

	for (int round = 0; round < 4; round++)
		for (size_t i = 1; i < n; i++)
			acc += (uint64_t)(buf[i] ^ buf[i - 1]) << (i & 7);
	sink += acc;
}

static void *parser_main(void *arg)
{
	static unsigned char buf[1 << 16];

	prctl(PR_SET_NAME, "parser");
	while (!stop)
		parse_records(buf, sizeof(buf));
	return arg;
}

static void *compress_main(void *arg)
{
	static unsigned char buf[1 << 16];

	prctl(PR_SET_NAME, "compress");
	while (!stop) {
		compress_block(buf, sizeof(buf));
		usleep(2000); /* compresses in bursts */
	}
	return arg;
}

static int pipe_fds[2];

static void *producer_main(void *arg)
{
	prctl(PR_SET_NAME, "producer");
	while (!stop) {
		struct timespec ts = { 0, 30 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		if (write(pipe_fds[1], "x", 1) != 1)
			break;
	}
	return arg;
}

__attribute__((noinline)) static void wait_for_input(int fd)
{
	char c;

	if (read(fd, &c, 1) < 0)
		perror("read");
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0;
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
	pthread_t t1, t2, t3;

	if (pipe(pipe_fds))
		return 1;
	pthread_create(&t1, NULL, parser_main, NULL);
	pthread_create(&t2, NULL, compress_main, NULL);
	pthread_create(&t3, NULL, producer_main, NULL);
	while (now_ns() < end) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		wait_for_input(pipe_fds[0]);
	}
	stop = 1;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);
	printf("demo: done (%.1f s)\n", seconds);
	return 0;
}
