// SPDX-License-Identifier: MIT
/*
 * deep: a known call chain for the unwinding tests (tests/unwind/).
 *
 *   main -> deep_a -> deep_b -> deep_c -> deep_leaf   (the hot loop)
 *   deep_thread -> deep_a -> ...                       (with -t N: N threads)
 *
 * Built by the tests with -O2 -fomit-frame-pointer, where frame-pointer
 * stacks break and CFI (--call-graph dwarf) is needed for the whole
 * chain. Every function is noinline and does work after its call (a
 * volatile sink), so no call becomes a tail call and no frame
 * disappears. The frames use some stack (arrays) to look like real code.
 *
 *   deep [-d SECONDS | -n ROUNDS] [-t THREADS] [-s]
 *        burn the CPU for SECONDS (default 2), or ROUNDS rounds of fixed
 *        work (then print "elapsed SECONDS"), in main or in each of
 *        THREADS threads while main waits; -s: deep_leaf sleeps instead
 *        (2 ms nanosleeps: off-CPU time at a known stack)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;
static long rounds; /* -n: rounds of work per thread, 0: until a time */
static int sleeper; /* -s */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static uint64_t deep_leaf(uint64_t x, double until)
{
	uint64_t h = x;
	long n = 0;

	while (rounds ? n++ < rounds : now() < until) {
		if (sleeper) {
			struct timespec ts = { 0, 2000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		for (int i = 0; i < 200000; i++)
			h = h * 6364136223846793005ull + 1442695040888963407ull;
		sink = h;
	}
	return h;
}

__attribute__((noinline)) static uint64_t deep_c(uint64_t x, double until)
{
	volatile uint64_t buf[16];
	uint64_t r;

	for (int i = 0; i < 16; i++)
		buf[i] = x + i;
	r = deep_leaf(buf[3], until);
	sink = r ^ buf[5];
	return r + 3;
}

__attribute__((noinline)) static uint64_t deep_b(uint64_t x, double until)
{
	volatile uint64_t buf[32];
	uint64_t r;

	for (int i = 0; i < 32; i++)
		buf[i] = x * i;
	r = deep_c(buf[7], until);
	sink = r ^ buf[9];
	return r + 2;
}

__attribute__((noinline)) static uint64_t deep_a(uint64_t x, double until)
{
	volatile uint64_t buf[8];
	uint64_t r;

	for (int i = 0; i < 8; i++)
		buf[i] = x - i;
	r = deep_b(buf[1], until);
	sink = r ^ buf[2];
	return r + 1;
}

static double until;

__attribute__((noinline)) static void *deep_thread(void *arg)
{
	sink = deep_a((uint64_t)(uintptr_t)arg, until);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	double secs = 2, t0 = now();
	int c, nthreads = 0, i;

	while ((c = getopt(argc, argv, "d:n:st:")) != -1) {
		switch (c) {
		case 'd':
			secs = atof(optarg);
			break;
		case 'n':
			rounds = atol(optarg);
			break;
		case 's':
			sleeper = 1;
			break;
		case 't':
			nthreads = atoi(optarg);
			if (nthreads < 0 || nthreads > 64)
				nthreads = 64;
			break;
		default:
			fprintf(stderr, "usage: deep [-d SECONDS | -n ROUNDS] [-t THREADS] [-s]\n");
			return 2;
		}
	}
	until = now() + secs;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, deep_thread, (void *)(uintptr_t)i))
			return 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	if (!nthreads)
		sink = deep_a((uint64_t)argc, until);
	printf("done %llu\n", (unsigned long long)(sink & 0xff));
	if (rounds)
		printf("elapsed %.6f\n", now() - t0);
	return 0;
}
