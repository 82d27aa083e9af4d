// SPDX-License-Identifier: MIT
/*
 * wp-symbolize: wp's symbolizer (the analysis library's, as wp-report and
 * wp-record use it) over a list of addresses, timed. For
 * tests/bench/symbolize-vs-addr2line.sh.
 *
 *   wp-symbolize [-f] [-p] [-n PASSES] BINARY < ADDRESSES
 *
 * ADDRESSES: one ELF virtual address per line, hex (what addr2line -e
 * takes). They are turned into file offsets (what a recording holds)
 * through BINARY's PT_LOAD headers before the clock starts.
 *
 *   -f  full lookups: inline chain and file:line (wp_dso__lookup_frames),
 *       what addr2line -f -i does; default: function names only
 *   -p  print the results, addr2line -a -f -i style (for comparisons)
 *   -n  passes over the list (default 2): the first is cold (a fresh
 *       symbolizer: tables built, DWARF units read), the others warm
 *
 *   wp-symbolize -x RECORDING.wpd BINARY
 *
 * prints the addresses (ELF virtual, hex; repeated) at which RECORDING's
 * stacks are in BINARY (the leaf as is, callers minus one, as reports
 * look them up), for the same comparison on a real recording.
 *
 * Prints "addresses N cold_ns T warm_ns T resolved N frames N lines N"
 * on stderr (warm_ns: the average of the passes after the first).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/wpd.h"
#include "report/symbols.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct seg {
	uint64_t vaddr, off, filesz;
};

static int load_segs(const char *path, struct seg *segs, size_t max, size_t *n)
{
	int fd = open(path, O_RDONLY);
	Elf *e;
	size_t i, phnum;

	*n = 0;
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_getphdrnum(e, &phnum)) {
		close(fd);
		return -ENOEXEC;
	}
	for (i = 0; i < phnum && *n < max; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			segs[(*n)++] = (struct seg){ ph.p_vaddr, ph.p_offset, ph.p_filesz };
	}
	elf_end(e);
	close(fd);
	return 0;
}

struct rmap {
	uint64_t start, end, pgoff;
	uint32_t path_str;
};

/* -x: addresses of BINARY in a recording's stacks. */
static int extract(const char *wpd, const char *bin, const struct seg *segs, size_t nseg)
{
	static struct wpd_stack st;
	struct wpd_reader *r;
	struct wpd_record rec;
	struct rmap maps[4096];
	uint32_t want[64];
	size_t nmaps = 0, nwant = 0, i, k, m;
	uint64_t *seen = NULL;
	size_t nseen = 0, cap = 0;
	char err[256];

	if (wpd_reader__open(wpd, &r, err, sizeof(err))) {
		fprintf(stderr, "wp-symbolize: %s\n", err);
		return 1;
	}
	while (wpd_reader__next(r, &rec) == 1) {
		struct wpd_string s;
		struct wpd_mmap mm;

		if (rec.type == WPD_REC_STRING && wpd_decode_string(&rec, &s) == 0 &&
		    s.len == strlen(bin) && memcmp(s.str, bin, s.len) == 0 && nwant < 64)
			want[nwant++] = s.id;
		if (rec.type == WPD_REC_MMAP && wpd_decode_mmap(&rec, &mm) == 0 && nmaps < 4096)
			maps[nmaps++] = (struct rmap){ mm.start, mm.end, mm.pgoff, mm.path_str };
		if (rec.type != WPD_REC_STACK || wpd_decode_stack(&rec, &st))
			continue;
		for (i = 0; i < st.nuser; i++) {
			uint64_t a = st.user[i] - (i > 0 && st.user[i]);

			for (m = 0; m < nmaps; m++) {
				for (k = 0; k < nwant && maps[m].path_str != want[k]; k++)
					;
				if (k < nwant && a >= maps[m].start && a < maps[m].end)
					break;
			}
			if (m == nmaps)
				continue;
			a = a - maps[m].start + maps[m].pgoff; /* file offset */
			for (k = 0; k < nseg; k++)
				if (a >= segs[k].off && a - segs[k].off < segs[k].filesz)
					break;
			if (k == nseg)
				continue;
			a = a - segs[k].off + segs[k].vaddr;
			if (nseen == cap) {
				cap = cap ? cap * 2 : 1024;
				seen = realloc(seen, cap * sizeof(*seen));
				if (!seen)
					return 1;
			}
			seen[nseen++] = a;
		}
	}
	wpd_reader__free(r);
	for (i = 0; i < nseen; i++) /* with repeats: sort -u them */
		printf("%" PRIx64 "\n", seen[i]);
	free(seen);
	return 0;
}

int main(int argc, char **argv)
{
	struct wp_srcframe fr[WP_INLINE_MAX];
	struct seg segs[16];
	uint8_t bid[WPD_BUILD_ID_MAX];
	uint64_t *va = NULL, *off = NULL, t0, cold = 0, warm = 0;
	uint64_t resolved = 0, frames = 0, lines = 0;
	size_t n = 0, cap = 0, nseg, i, k;
	int c, passes = 2, full = 0, print = 0, bl, pass;
	char line[256];
	const char *bin;

	const char *wpd = NULL;

	while ((c = getopt(argc, argv, "fpn:x:")) != -1) {
		switch (c) {
		case 'x':
			wpd = optarg;
			break;
		case 'f':
			full = 1;
			break;
		case 'p':
			print = 1;
			break;
		case 'n':
			passes = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: wp-symbolize [-f] [-p] [-n PASSES] BINARY < ADDRESSES\n");
			return 2;
		}
	}
	if (optind + 1 != argc || passes < 1)
		return 2;
	bin = realpath(argv[optind], NULL); /* the symbolizer wants absolute paths */
	if (!bin)
		bin = argv[optind];
	if (load_segs(bin, segs, 16, &nseg)) {
		fprintf(stderr, "wp-symbolize: cannot read %s\n", bin);
		return 1;
	}
	if (wpd)
		return extract(wpd, bin, segs, nseg);
	while (fgets(line, sizeof(line), stdin)) {
		uint64_t a = strtoull(line, NULL, 16);

		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			va = realloc(va, cap * sizeof(*va));
			off = realloc(off, cap * sizeof(*off));
			if (!va || !off)
				return 1;
		}
		for (k = 0; k < nseg; k++)
			if (a >= segs[k].vaddr && a - segs[k].vaddr < segs[k].filesz)
				break;
		if (k == nseg)
			continue; /* not in the file */
		va[n] = a;
		off[n++] = a - segs[k].vaddr + segs[k].off;
	}
	bl = wp_elf_path_build_id(bin, bid, sizeof(bid));

	t0 = now_ns();
	{
		struct wp_symbolizer *s = wp_symbolizer__new(NULL);
		struct wp_dso *d = wp_symbolizer__dso(s, bin, bid, bl > 0 ? (size_t)bl : 0);

		for (pass = 0; pass < passes; pass++) {
			uint64_t p0 = now_ns();

			for (i = 0; i < n; i++) {
				struct wp_sym sym;
				size_t nf;

				if (!full) {
					if (wp_dso__lookup(d, off[i], &sym) == 1) {
						resolved += pass == 0;
						if (print && pass == 0)
							printf("0x%016" PRIx64 "\n%s\n??:0\n", va[i], sym.name);
					} else if (print && pass == 0) {
						printf("0x%016" PRIx64 "\n??\n??:0\n", va[i]);
					}
					continue;
				}
				nf = wp_dso__lookup_frames(d, off[i], fr, WP_INLINE_MAX);
				if (pass == 0) {
					resolved += nf > 0 && fr[nf - 1].name;
					frames += nf;
					lines += nf && fr[0].line;
				}
				if (!print || pass)
					continue;
				printf("0x%016" PRIx64 "\n", va[i]);
				if (!nf)
					printf("??\n??:0\n");
				for (k = 0; k < nf; k++)
					printf("%s\n%s:%" PRIu32 "\n", fr[k].name ? fr[k].name : "??",
					       fr[k].file ? fr[k].file : "??", fr[k].line);
			}
			if (pass == 0)
				cold = now_ns() - t0; /* symbolizer setup included */
			else
				warm += now_ns() - p0;
		}
		wp_symbolizer__free(s);
	}
	fprintf(stderr, "addresses %zu cold_ns %" PRIu64 " warm_ns %" PRIu64
		" resolved %" PRIu64 " frames %" PRIu64 " lines %" PRIu64 "\n",
		n, cold, passes > 1 ? warm / (uint64_t)(passes - 1) : 0, resolved, frames, lines);
	free(va);
	free(off);
	return 0;
}
