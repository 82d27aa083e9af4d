// SPDX-License-Identifier: MIT
// tests/names/dlopen.t: print the pid, wait DELAY seconds (the recorder
// attaches meanwhile), dlopen LIB, call its hot_in_lib for SECS seconds,
// dlclose it.
//   dlmain LIB DELAY SECS
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long (*hot)(unsigned long);
	volatile unsigned long sink = 0;
	double t0;
	void *h;

	if (argc < 4) {
		fprintf(stderr, "usage: dlmain LIB DELAY SECS\n");
		return 2;
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	usleep((useconds_t)(atof(argv[2]) * 1e6));
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&hot = dlsym(h, "hot_in_lib");
	if (!hot)
		return 1;
	t0 = now();
	while (now() - t0 < atof(argv[3]))
		sink = sink + hot(200000);
	dlclose(h);
	printf("done\n");
	return 0;
}
