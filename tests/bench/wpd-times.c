/* SPDX-License-Identifier: MIT */
/*
 * wpd-times FILE: prints "samples N first_ns T0 last_ns T1 start_ns S" for
 * a recording (times CLOCK_MONOTONIC; start_ns is META start_monotonic_ns).
 * Built by tests/bench/record-vs-perf.sh against libwpd; wp-report does
 * not expose sample times.
 */
#include "format/wpd.h"

#include <inttypes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	uint64_t n = 0, first = 0, last = 0, start = 0;
	struct wpd_reader *r;
	struct wpd_record rec;
	char err[256];

	if (argc != 2) {
		fprintf(stderr, "usage: wpd-times FILE\n");
		return 2;
	}
	if (wpd_reader__open(argv[1], &r, err, sizeof(err))) {
		fprintf(stderr, "wpd-times: %s: %s\n", argv[1], err);
		return 1;
	}
	while (wpd_reader__next(r, &rec) == 1) {
		if (rec.type == WPD_REC_META) {
			struct wpd_kv_iter it;
			struct wpd_kv kv;

			wpd_kv_iter__init(&it, &rec);
			while (wpd_kv_iter__next(&it, &kv) == 1)
				if (wpd_kv__is(&kv, WPD_META_START_MONO))
					start = kv.u64;
		} else if (rec.type == WPD_REC_SAMPLES) {
			struct wpd_samples_iter it;
			struct wpd_sample s;

			if (wpd_samples_iter__init(&it, &rec))
				continue;
			while (wpd_samples_iter__next(&it, &s) == 1) {
				if (!first || s.time_ns < first)
					first = s.time_ns;
				if (s.time_ns > last)
					last = s.time_ns;
				n++;
			}
		}
	}
	wpd_reader__free(r);
	printf("samples %" PRIu64 " first_ns %" PRIu64 " last_ns %" PRIu64 " start_ns %" PRIu64 "\n",
	       n, first, last, start);
	return 0;
}
