/* SPDX-License-Identifier: MIT */
/*
 * burn: a workload known by construction, for recording tests.
 *
 *   burn [-s SECONDS] [-t THREADS] [-r A:B] [-n ROUNDS] [-c | -e] [-p] [-u] [-w]
 *
 * Each thread alternates hot_a() and hot_b(), which spin for A and B
 * milliseconds of the thread's own CPU time (default 2:1 as 20 ms and
 * 10 ms), until SECONDS of wall time have passed. So on-CPU samples split
 * A:B between hot_a and hot_b, and there are THREADS x SECONDS seconds of
 * CPU time in all (on enough CPUs).
 *
 *   -s 0   run until SIGUSR1, SIGINT or SIGTERM (exit 0), for -p tests
 *   -n N   fixed work instead of -s: N rounds per thread, hot_a and hot_b
 *          doing A and B million iterations (about A and B ms); with -u
 *          the wall time is printed too (benchmarks: slowdown = time ratio)
 *   -c     fork a child that burns; the parent only waits for it
 *   -e     like -c, but the child execs burn again (same options)
 *   -p     print "pid N" lines (the burning processes) on stdout
 *   -u     at exit, print "cpu SECONDS" (CPU time used, children included)
 *   -w     wait for SIGUSR2 before burning (and count CPU time from then):
 *          a recorder attached meanwhile (-p) sees the whole burn
 *
 * Built with -O1 -fno-omit-frame-pointer -fno-inline (GNUmakefile), so
 * frame-pointer stacks are complete: main -> burn_loop -> hot_a/hot_b.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds = 1.0;
static long rounds;     /* -n: fixed work */
static long ms_a = 20, ms_b = 10;
static volatile sig_atomic_t stop;
static volatile unsigned long sink;
static uint64_t t_start; /* CLOCK_MONOTONIC at start */
static double cpu_base;  /* CPU seconds used before burning (-w) */
static volatile sig_atomic_t go;

static uint64_t ns_of(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Each spins for ms of the thread's own CPU time; the clock (a syscall)
 * is read every ~20 us, so most samples' leaf is the function itself. */
/* Fixed work: ms million iterations of a 64-bit LCG (~1 ms each). */
static unsigned long __attribute__((noinline)) lcg(unsigned long x, long ms)
{
	long i;

	for (i = 0; i < ms * 1000000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}

void __attribute__((noinline)) hot_a(void)
{
	uint64_t end = ns_of(CLOCK_THREAD_CPUTIME_ID) + (uint64_t)ms_a * 1000000;
	unsigned long x = sink;
	int i;

	if (rounds) {
		sink = lcg(x, ms_a);
		return;
	}
	while (!stop && ns_of(CLOCK_THREAD_CPUTIME_ID) < end)
		for (i = 0; i < 20000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

void __attribute__((noinline)) hot_b(void)
{
	uint64_t end = ns_of(CLOCK_THREAD_CPUTIME_ID) + (uint64_t)ms_b * 1000000;
	unsigned long x = sink;
	int i;

	if (rounds) {
		sink = lcg(x, ms_b);
		return;
	}
	while (!stop && ns_of(CLOCK_THREAD_CPUTIME_ID) < end)
		for (i = 0; i < 20000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

static void *__attribute__((noinline)) burn_loop(void *arg)
{
	uint64_t end = ns_of(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);

	(void)arg;
	if (rounds) {
		long r;

		for (r = 0; r < rounds && !stop; r++) {
			hot_a();
			hot_b();
		}
		return NULL;
	}
	while (!stop && (seconds == 0 || ns_of(CLOCK_MONOTONIC) < end)) {
		hot_a();
		hot_b();
	}
	return NULL;
}

/* CPU time of this process and its waited-for children. */
static void print_cpu_time(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	if (rounds)
		printf("elapsed %.4f\n", (ns_of(CLOCK_MONOTONIC) - t_start) / 1e9);
	printf("cpu %.3f\n",
	       self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 +
	       self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6 +
	       kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6 +
	       kids.ru_stime.tv_sec + kids.ru_stime.tv_usec / 1e6 - cpu_base);
	fflush(stdout);
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_go(int sig)
{
	(void)sig;
	go = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: burn [-s SECONDS] [-t THREADS] [-r A:B] [-n ROUNDS] [-c | -e] [-p] [-u] [-w]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int threads = 1, fork_child = 0, exec_child = 0, print_pid = 0, c, i;
	int print_cpu = 0, wait_go = 0;
	pthread_t *tids;
	char *end;

	while ((c = getopt(argc, argv, "s:t:r:n:cepuw")) != -1) {
		switch (c) {
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || seconds < 0)
				usage();
			break;
		case 't':
			threads = (int)strtol(optarg, &end, 10);
			if (*end || threads < 1 || threads > 1024)
				usage();
			break;
		case 'r':
			if (sscanf(optarg, "%ld:%ld", &ms_a, &ms_b) != 2 || ms_a < 1 || ms_b < 1)
				usage();
			/* keep the ratio, 10 ms minimum slices */
			while (ms_a < 10 || ms_b < 10) {
				ms_a *= 10;
				ms_b *= 10;
			}
			break;
		case 'n':
			rounds = strtol(optarg, &end, 10);
			if (*end || rounds < 1)
				usage();
			break;
		case 'c':
			fork_child = 1;
			break;
		case 'e':
			exec_child = 1;
			break;
		case 'p':
			print_pid = 1;
			break;
		case 'u':
			print_cpu = 1;
			break;
		case 'w':
			wait_go = 1;
			break;
		default:
			usage();
		}
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop; /* no SA_RESTART: interrupt waitpid */
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sa.sa_handler = on_go;
		sigaction(SIGUSR2, &sa, NULL);
	}

	if (wait_go) {
		struct rusage ru;
		sigset_t usr2, old;

		/* blocked until sigsuspend: a SIGUSR2 sent as soon as the pid is
		 * printed is not lost between the test and the wait */
		sigemptyset(&usr2);
		sigaddset(&usr2, SIGUSR2);
		sigprocmask(SIG_BLOCK, &usr2, &old);
		if (print_pid) {
			printf("pid %d\n", (int)getpid());
			fflush(stdout);
			print_pid = 0;
		}
		while (!go && !stop)
			sigsuspend(&old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		getrusage(RUSAGE_SELF, &ru);
		cpu_base = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			   ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	}
	t_start = ns_of(CLOCK_MONOTONIC);
	if (fork_child || exec_child) {
		pid_t pid = fork();
		int st;

		if (pid < 0) {
			perror("burn: fork");
			return 1;
		}
		if (pid == 0) {
			if (exec_child) {
				/* same options minus -c, -e, -u */
				char **nargv = calloc(argc + 1, sizeof(*nargv));
				int n = 0;

				nargv[n++] = argv[0];
				for (i = 1; i < argc; i++)
					if (strcmp(argv[i], "-e") && strcmp(argv[i], "-c") &&
					    strcmp(argv[i], "-u"))
						nargv[n++] = argv[i];
				execv("/proc/self/exe", nargv);
				perror("burn: exec");
				_exit(127);
			}
		} else {
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				if (stop)
					kill(pid, SIGTERM);
			if (print_cpu)
				print_cpu_time();
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		}
	}
	if (print_pid) {
		printf("pid %d\n", (int)getpid());
		fflush(stdout);
	}
	tids = calloc(threads, sizeof(*tids));
	for (i = 1; i < threads; i++)
		pthread_create(&tids[i], NULL, burn_loop, NULL);
	burn_loop(NULL);
	for (i = 1; i < threads; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	if (print_cpu && !fork_child && !exec_child)
		print_cpu_time();
	return 0;
}
