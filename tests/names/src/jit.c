// SPDX-License-Identifier: MIT
// tests/names/jit.t: a tiny JIT. Copies a spin loop into fresh executable
// memory, describes it in /tmp/perf-PID.map as perf's JIT interface says
// ("START SIZE name", hex), runs it for SECS seconds.
//   jit SECS
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
/* mov %rdi,%rax; 1: dec %rax; jnz 1b; ret */
static const uint8_t code[] = { 0x48, 0x89, 0xf8, 0x48, 0xff, 0xc8, 0x75, 0xfb, 0xc3 };
#elif defined(__aarch64__)
/* 1: subs x0, x0, #1; b.ne 1b; ret */
static const uint8_t code[] = { 0x00, 0x04, 0x00, 0xf1, 0xe1, 0xff, 0xff, 0x54,
				0xc0, 0x03, 0x5f, 0xd6 };
#else
#error "no JIT code for this architecture"
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0, t0;
	uint64_t (*fn)(uint64_t);
	char path[64];
	uint8_t *mem;
	FILE *f;

	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	/* a few functions in the region, the hot one in the middle */
	memset(mem, 0xcc, 4096);
	memcpy(mem + 0x100, code, sizeof(code));
	if (mprotect(mem, 4096, PROT_READ | PROT_EXEC))
		return 1;
	__builtin___clear_cache((char *)mem, (char *)mem + 4096);
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return 1;
	fprintf(f, "%lx %x jit_cold_stub\n", (unsigned long)(uintptr_t)mem, 0x100);
	fprintf(f, "%lx %zx jit_spin_loop\n", (unsigned long)(uintptr_t)(mem + 0x100),
		sizeof(code));
	fclose(f);
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	*(void **)&fn = mem + 0x100;
	t0 = now();
	while (now() - t0 < secs)
		fn(1000000);
	return 0;
}
