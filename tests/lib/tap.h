/* SPDX-License-Identifier: MIT */
/*
 * A small TAP producer for C tests (in the spirit of git's
 * t/unit-tests/test-lib.h). prove runs the binaries; each check prints
 * "ok N - name" or "not ok N - name" with a diagnostic.
 *
 *   int main(void) {
 *           ok(1 + 1 == 2, "arithmetic");
 *           is_int(f(), 3, "f returns 3");
 *           return done_testing();
 *   }
 */
#ifndef WP_TESTS_TAP_H
#define WP_TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...) do {                                          \
	long long g_ = (long long)(got), w_ = (long long)(want);             \
	if (!ok(g_ == w_, __VA_ARGS__))                                      \
		tap_diag("  got %lld, want %lld", g_, w_);                   \
} while (0)

#define is_str(got, want, ...) do {                                          \
	const char *g_ = (got), *w_ = (want);                                \
	if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))               \
		tap_diag("  got '%s', want '%s'", g_ ? g_ : "(null)",         \
			 w_ ? w_ : "(null)");                                \
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
