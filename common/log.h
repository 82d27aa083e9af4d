/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics to stderr. stdout carries only results, so pipelines such as
 * `wp-convert -f folded | flamegraph.pl` stay clean.
 *
 * Messages start lowercase, say what failed first, quote the offending
 * thing and have no final full stop (git's convention).
 */
#ifndef WP_COMMON_LOG_H
#define WP_COMMON_LOG_H

enum wp_log_level {
	WP_LOG_ERR = 0,
	WP_LOG_WARN = 1,
	WP_LOG_INFO = 2,
	WP_LOG_DEBUG = 3,
};

/* Messages above this level are not printed. Default: WP_LOG_WARN. */
extern int wp_log_verbosity;
/* Program name prefixed to every message ("wp-record"). */
extern const char *wp_log_prog;

void wp_log(enum wp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...)   wp_log(WP_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  wp_log(WP_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  wp_log(WP_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) wp_log(WP_LOG_DEBUG, __VA_ARGS__)

#endif
