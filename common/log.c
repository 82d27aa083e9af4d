/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

int wp_log_verbosity = WP_LOG_WARN;
const char *wp_log_prog = "wp";

static const char *const level_prefix[] = {
	[WP_LOG_ERR] = "error: ",
	[WP_LOG_WARN] = "warning: ",
	[WP_LOG_INFO] = "",
	[WP_LOG_DEBUG] = "debug: ",
};

void wp_log(enum wp_log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > wp_log_verbosity)
		return;
	fprintf(stderr, "%s: %s", wp_log_prog, level_prefix[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
