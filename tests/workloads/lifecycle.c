/* SPDX-License-Identifier: MIT */
/*
 * lifecycle: short-lived processes and threads, for the tests that check
 * they are attributed and named.
 *
 *   lifecycle [-n CHILDREN] [-t THREADS] [-w MS] -x PROGRAM [ARGS...]
 *
 * After MS milliseconds (-w, default 200: well after a recorder attached),
 * the main thread
 *
 *   - forks CHILDREN (default 3) processes one after the other, each of
 *     which execs PROGRAM ARGS, and waits for each;
 *   - creates THREADS (default 3) threads, one after the other, each of
 *     which names itself "lc-thread-I" (prctl PR_SET_NAME), spins 30 ms of
 *     its CPU time in thread_spin(), sleeps 30 ms and exits.
 *
 * It prints "child PID" for each child and "thread TID lc-thread-I" for
 * each thread, so a test knows whom to look for.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static uint64_t ns_of(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void __attribute__((noinline)) thread_spin(void)
{
	uint64_t end = ns_of(CLOCK_THREAD_CPUTIME_ID) + 30000000;
	unsigned long x = sink;
	int i;

	while (ns_of(CLOCK_THREAD_CPUTIME_ID) < end)
		for (i = 0; i < 20000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

static void *thread_main(void *arg)
{
	char name[16];
	struct timespec ts = { 0, 30000000 };

	snprintf(name, sizeof(name), "lc-thread-%d", (int)(intptr_t)arg);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	printf("thread %ld %s\n", (long)syscall(SYS_gettid), name);
	fflush(stdout);
	thread_spin();
	nanosleep(&ts, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	long children = 3, threads = 3, wait_ms = 200, i;
	char **prog = NULL;
	struct timespec ts;
	int c;

	while ((c = getopt(argc, argv, "+n:t:w:x")) != -1) {
		switch (c) {
		case 'n':
			children = atol(optarg);
			break;
		case 't':
			threads = atol(optarg);
			break;
		case 'w':
			wait_ms = atol(optarg);
			break;
		case 'x':
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	prog = argv + optind;
	ts.tv_sec = wait_ms / 1000;
	ts.tv_nsec = wait_ms % 1000 * 1000000;
	nanosleep(&ts, NULL);

	for (i = 0; i < children; i++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("lifecycle: fork");
			return 1;
		}
		if (pid == 0) {
			execvp(prog[0], prog);
			perror("lifecycle: exec");
			_exit(127);
		}
		printf("child %d\n", (int)pid);
		fflush(stdout);
		waitpid(pid, NULL, 0);
	}
	for (i = 0; i < threads; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_main, (void *)(intptr_t)i)) {
			fprintf(stderr, "lifecycle: cannot create a thread\n");
			return 1;
		}
		pthread_join(t, NULL);
	}
	return 0;
usage:
	fprintf(stderr, "usage: lifecycle [-n CHILDREN] [-t THREADS] [-w MS] -x PROGRAM [ARGS...]\n");
	return 2;
}
