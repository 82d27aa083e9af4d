// SPDX-License-Identifier: MIT
// C++ names for tests/names/cxx.t: a namespace, a class method, a function
// template, a nested namespace, all on the hot path.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <unistd.h>

namespace wpt {

template <typename T>
__attribute__((noinline)) T spin_template(T n)
{
	volatile T x = 0;

	for (T i = 0; i < n; i++)
		x = x + i * 3;
	return x;
}

namespace detail {
__attribute__((noinline)) long deep_helper(long n)
{
	volatile long x = 1;

	for (long i = 0; i < n; i++)
		x = x ^ (i << 1);
	return x;
}
} // namespace detail

class Worker {
public:
	explicit Worker(unsigned long n) : n_(n) {}
	__attribute__((noinline)) unsigned long run();

private:
	unsigned long n_;
};

unsigned long Worker::run()
{
	unsigned long s = 0;

	for (int k = 0; k < 3; k++)
		s += spin_template<unsigned long>(n_);
	s += (unsigned long)detail::deep_helper((long)n_);
	return s;
}

} // namespace wpt

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0, t0 = now();
	volatile unsigned long sink = 0;

	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	while (now() - t0 < secs) {
		wpt::Worker w(100000);

		sink = sink + w.run();
	}
	return 0;
}
