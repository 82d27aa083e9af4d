/* SPDX-License-Identifier: MIT */
/*
 * The one number parser every option goes through: it checks the end
 * pointer, the sign and the range, so "12abc", "-1" and "1e99" are refused.
 */
#ifndef WP_COMMON_PARSE_H
#define WP_COMMON_PARSE_H

#include <stdint.h>
#include <stddef.h>

/* Parse a decimal unsigned integer in [min, max]. 0 or -EINVAL/-ERANGE. */
int wp_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Parse a decimal number ("0.5", "1e3") in [min, max]: no empty string,
 * trailing characters, nan, inf, overflow or underflow.
 * 0 or -EINVAL/-ERANGE; *out is only written on success.
 */
int wp_parse_double(const char *s, double min, double max, double *out);

/* Parse a non-negative decimal number of seconds ("2", "0.5") into ns. */
int wp_parse_seconds_ns(const char *s, uint64_t *out_ns);

/*
 * Parse "PID[,PID...]" into out[0..*n). At most max entries.
 * 0, -EINVAL (bad syntax or PID 0), -E2BIG (too many).
 */
int wp_parse_pid_list(const char *s, int *out, size_t max, size_t *n);

#endif
