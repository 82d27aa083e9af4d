/* SPDX-License-Identifier: MIT */
#include "record/status.h"

#include <stdio.h>
#include <unistd.h>

#define STATUS_PERIOD_NS (500ull * 1000 * 1000)

void wp_status__init(struct wp_status *st, bool quiet)
{
	*st = (struct wp_status){ 0 };
	st->enabled = !quiet && isatty(STDERR_FILENO);
}

static void human_bytes(char *buf, size_t len, uint64_t b)
{
	if (b < 10 * 1024)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else if (b < 10ull * 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%.1f MiB", b / (1024.0 * 1024));
}

void wp_status__update(struct wp_status *st, uint64_t now_ns, uint64_t elapsed_ns,
		       uint64_t samples, uint64_t drops, uint64_t bytes, bool force)
{
	char b[32];

	if (!st->enabled)
		return;
	if (!force && st->drawn && now_ns - st->last_ns < STATUS_PERIOD_NS)
		return;
	if (st->rate_t0 && now_ns > st->rate_t0)
		st->rate = (samples - st->rate_n0) * 1e9 / (double)(now_ns - st->rate_t0);
	st->rate_t0 = now_ns;
	st->rate_n0 = samples;
	st->last_ns = now_ns;
	human_bytes(b, sizeof(b), bytes);
	/* \r, then the line, then erase what a longer previous line left */
	fprintf(stderr, "\rwp-record: %6.1fs  %llu samples  %.0f/s  %llu dropped  %s written\033[K",
		elapsed_ns / 1e9, (unsigned long long)samples, st->rate,
		(unsigned long long)drops, b);
	fflush(stderr);
	st->drawn = true;
}

void wp_status__clear(struct wp_status *st)
{
	if (!st->enabled || !st->drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	st->drawn = false;
}
