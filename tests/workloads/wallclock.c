/* SPDX-License-Identifier: MIT */
/*
 * wallclock: where a thread's wall-clock time goes, known by construction,
 * for the off-CPU recording tests.
 *
 *   wallclock [-s SECONDS] [-c MS] [-z MS] [-b MS] [-p]
 *
 * Thread "worker" repeats, until SECONDS of wall time have passed:
 *
 *   spin_cpu()   MS (-c, default 10) of its own CPU time
 *   nap()        nanosleep for MS (-z, default 20): off-CPU, reason sleep,
 *                woken by a timer (no waker thread)
 *   wait_pipe()  read() of a pipe that thread "feeder" fills MS (-b,
 *                default 30) after the worker asked for it: off-CPU, reason
 *                sleep (a pipe read sleeps interruptibly), woken by the
 *                feeder in feed_pipe()
 *
 * so the waits of its off-CPU time (up to the wakeup) split 2:3 between
 * the nanosleep stack and the read stack whatever the machine's load: both
 * have a fixed length (the feeder writes at an absolute deadline, as a
 * real-time thread when allowed); what a busy machine adds is the
 * run-queue time after the wakeups, which wp-record measures apart. Its
 * on-CPU time is what clock_gettime(CLOCK_THREAD_CPUTIME_ID) says.
 *
 *   -p   print "worker TID", "feeder TID" at start and, at exit,
 *        "worker_cpu SECONDS" (the worker's own CPU time), "rounds N"
 *
 * Built with -O1 -fno-omit-frame-pointer -fno-inline (GNUmakefile): the
 * frame-pointer stacks are main-less thread stacks start_thread ->
 * worker_main -> spin_cpu / nap / wait_pipe.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double seconds = 2.0;
static long cpu_ms = 10, nap_ms = 20, block_ms = 30;
static int print;
static int req[2], data[2]; /* worker -> feeder, feeder -> worker */
static volatile unsigned long sink;
static uint64_t worker_cpu_ns;
static long nrounds;

static uint64_t ns_of(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void __attribute__((noinline)) sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void __attribute__((noinline)) spin_cpu(void)
{
	uint64_t end = ns_of(CLOCK_THREAD_CPUTIME_ID) + (uint64_t)cpu_ms * 1000000;
	unsigned long x = sink;
	int i;

	while (ns_of(CLOCK_THREAD_CPUTIME_ID) < end)
		for (i = 0; i < 20000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

/*
 * libc's system call wrappers keep no frame of their own, so a
 * frame-pointer unwind from inside one skips its caller: every wait goes
 * through one more function (sleep_ns, xread, xwrite), so that the named
 * ones below stay in the stacks.
 */
static ssize_t __attribute__((noinline)) xread(int fd, char *c)
{
	return read(fd, c, 1);
}

static ssize_t __attribute__((noinline)) xwrite(int fd, char c)
{
	return write(fd, &c, 1);
}

void __attribute__((noinline)) nap(void)
{
	sleep_ns((uint64_t)nap_ms * 1000000);
}

/* Ask the feeder to write at now + block_ms, and wait for it in read().
 * Returns 0 when the feeder said stop. */
int __attribute__((noinline)) wait_pipe(void)
{
	uint64_t deadline = ns_of(CLOCK_MONOTONIC) + (uint64_t)block_ms * 1000000;
	char c;

	if (write(req[1], &deadline, sizeof(deadline)) != sizeof(deadline))
		return 0;
	if (xread(data[0], &c) != 1)
		return 0;
	return c == 'd';
}

void __attribute__((noinline)) feed_pipe(char c)
{
	if (xwrite(data[1], c) != 1)
		exit(1);
}

/* The absolute deadline: the wait's length does not depend on how soon
 * the feeder got the request. */
static void __attribute__((noinline)) sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ull, .tv_nsec = t % 1000000000ull };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *feeder_main(void *arg)
{
	uint64_t deadline;

	(void)arg;
	pthread_setname_np(pthread_self(), "feeder");
	/* Real-time if allowed, so that it writes at the deadline even on a
	 * busy machine: the pipe wait is block_ms, not block_ms plus the
	 * feeder's own wait for a CPU. */
	{
		struct sched_param sp = { .sched_priority = 1 };

		pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	}
	if (print) {
		printf("feeder %ld\n", (long)syscall(SYS_gettid));
		fflush(stdout);
	}
	while (read(req[0], &deadline, sizeof(deadline)) == sizeof(deadline)) {
		if (!deadline) {
			feed_pipe('q');
			break;
		}
		sleep_until(deadline);
		feed_pipe('d');
	}
	return NULL;
}

static void *worker_main(void *arg)
{
	uint64_t end = ns_of(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);

	(void)arg;
	pthread_setname_np(pthread_self(), "worker");
	if (print) {
		printf("worker %ld\n", (long)syscall(SYS_gettid));
		fflush(stdout);
	}
	while (ns_of(CLOCK_MONOTONIC) < end) {
		spin_cpu();
		nap();
		if (!wait_pipe())
			break;
		nrounds++;
	}
	worker_cpu_ns = ns_of(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static long num(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "wallclock: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	pthread_t w, f;
	uint64_t q = 0;
	int c;

	while ((c = getopt(argc, argv, "s:c:z:b:p")) != -1) {
		switch (c) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'c':
			cpu_ms = num(optarg, "-c");
			break;
		case 'z':
			nap_ms = num(optarg, "-z");
			break;
		case 'b':
			block_ms = num(optarg, "-b");
			break;
		case 'p':
			print = 1;
			break;
		default:
			fprintf(stderr, "usage: wallclock [-s SECONDS] [-c MS] [-z MS] [-b MS] [-p]\n");
			return 2;
		}
	}
	if (pipe(req) || pipe(data)) {
		perror("wallclock: pipe");
		return 1;
	}
	if (pthread_create(&f, NULL, feeder_main, NULL) ||
	    pthread_create(&w, NULL, worker_main, NULL)) {
		fprintf(stderr, "wallclock: cannot create threads\n");
		return 1;
	}
	pthread_join(w, NULL);
	if (write(req[1], &q, sizeof(q)) != sizeof(q))
		return 1;
	pthread_join(f, NULL);
	if (print)
		printf("worker_cpu %.6f\nrounds %ld\n", worker_cpu_ns / 1e9, nrounds);
	return 0;
}
