// SPDX-License-Identifier: MIT
/*
 * The shared number parsers every option goes through: what they accept,
 * and that bad input (empty, trailing junk, nan/inf, out of range, a
 * sign where none is allowed) is refused without touching the result.
 */
#include <errno.h>
#include <float.h>
#include <stdint.h>

#include "common/parse.h"
#include "tests/lib/tap.h"

#define UNTOUCHED 12345.0

static void double_ok(const char *s, double min, double max, double want)
{
	double v = UNTOUCHED;
	int ret = wp_parse_double(s, min, max, &v);

	ok(ret == 0 && v == want, "double '%s' in [%g, %g] is %g (ret %d, got %g)", s, min, max,
	   want, ret, v);
}

static void double_bad(const char *s, double min, double max, int want_err)
{
	double v = UNTOUCHED;
	int ret = wp_parse_double(s, min, max, &v);

	ok(ret == want_err && v == UNTOUCHED, "double '%s' in [%g, %g] refused with %d (ret %d)",
	   s ? s : "(null)", min, max, want_err, ret);
}

static void test_double(void)
{
	double_ok("0", 0, 10000, 0);
	double_ok("0.1", 0, 10000, 0.1);
	double_ok("10000", 0, 10000, 10000);
	double_ok("1e3", 0, 10000, 1000);
	double_ok(".5", 0, 100, 0.5);
	double_ok("-2.5", -10, 10, -2.5);
	double_ok("-0", 0, 100, 0); /* -0.0 == 0: not below the minimum */

	/* empty and junk */
	double_bad(NULL, 0, 100, -EINVAL);
	double_bad("", 0, 100, -EINVAL);
	double_bad(" ", 0, 100, -EINVAL);
	double_bad("x", 0, 100, -EINVAL);
	double_bad("1x", 0, 100, -EINVAL);
	double_bad("1.5 ", 0, 100, -EINVAL);
	double_bad("1,5", 0, 100, -EINVAL);
	/* not a finite number */
	double_bad("nan", 0, 100, -EINVAL);
	double_bad("NaN", -DBL_MAX, DBL_MAX, -EINVAL);
	double_bad("inf", 0, 100, -ERANGE);
	double_bad("infinity", 0, DBL_MAX, -ERANGE);
	double_bad("-inf", -DBL_MAX, DBL_MAX, -ERANGE);
	/* out of range, overflow, underflow */
	double_bad("100.01", 0, 100, -ERANGE);
	double_bad("10001", 0, 10000, -ERANGE);
	double_bad("1e999", 0, DBL_MAX, -ERANGE);
	double_bad("1e-999", 0, DBL_MAX, -ERANGE);
	/* negative where not allowed */
	double_bad("-1", 0, 100, -ERANGE);
	double_bad("-0.001", 0, 100, -ERANGE);
}

static void test_u64(void)
{
	uint64_t v = 7;

	ok(wp_parse_u64("42", 0, 100, &v) == 0 && v == 42, "u64 '42'");
	v = 7;
	ok(wp_parse_u64("", 0, 100, &v) == -EINVAL && v == 7, "u64 '' refused");
	ok(wp_parse_u64("12abc", 0, 100, &v) == -EINVAL && v == 7, "u64 trailing junk refused");
	ok(wp_parse_u64("-1", 0, 100, &v) == -EINVAL && v == 7, "u64 '-1' refused");
	ok(wp_parse_u64("101", 0, 100, &v) == -ERANGE && v == 7, "u64 above max refused");
	ok(wp_parse_u64("99999999999999999999", 0, UINT64_MAX, &v) == -ERANGE && v == 7,
	   "u64 overflow refused");
}

int main(void)
{
	test_double();
	test_u64();
	return done_testing();
}
