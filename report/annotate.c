/* SPDX-License-Identifier: MIT */
/*
 * wp-report --annotate. See annotate.h.
 */
#include "report/annotate.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "report/json.h"
#include "report/summary.h"
#include "report/symbols.h"
#include "report/util.h"

struct target {
	struct wp_dso *dso;
	uint64_t start, size;   /* file offsets */
	const char *name;       /* raw */
	uint64_t samples;
	const char *inlined;    /* FUNC, when this function has it inlined */
};

struct ctx {
	const struct wp_annotate_opts *o;
	struct wp_leaf_hit *hits;
	size_t nhits;
	uint64_t total;
	struct target *t;
	size_t nt, t_cap;
	struct wp_dso *find_dso; /* wp_dso__find_functions() callback */
	int err;
};

static bool name_is(const char *raw, const char *want)
{
	char *pretty;
	size_t n;
	bool eq;

	if (!raw)
		return false;
	if (strcmp(raw, want) == 0)
		return true;
	pretty = wp_demangle(raw);
	if (!pretty)
		return false;
	n = strlen(want);
	eq = strcmp(pretty, want) == 0 || (strncmp(pretty, want, n) == 0 && pretty[n] == '(');
	free(pretty);
	return eq;
}

static int add_target(struct ctx *c, struct wp_dso *d, uint64_t start, uint64_t size,
		      const char *name, uint64_t samples, const char *inlined)
{
	size_t i;

	for (i = 0; i < c->nt; i++)
		if (c->t[i].dso == d && c->t[i].start == start) {
			c->t[i].samples += samples;
			return 0;
		}
	if (WP_GROW(c->t, c->t_cap, c->nt + 1))
		return -ENOMEM;
	c->t[c->nt++] = (struct target){ d, start, size, name, samples, inlined };
	return 0;
}

static void found_fn(void *arg, uint64_t file_off)
{
	struct ctx *c = arg;
	struct wp_sym sym;

	if (wp_dso__lookup(c->find_dso, file_off, &sym) == 1 && !c->err)
		c->err = add_target(c, c->find_dso, file_off - sym.offset, sym.size, sym.name, 0,
				    NULL);
}

static int find_targets(struct wp_profile *p, struct ctx *c)
{
	struct wp_srcframe fr[WP_INLINE_MAX];
	struct wp_sym sym;
	size_t i, k, n;

	/* 1. functions of that name where samples were taken */
	for (i = 0; i < c->nhits; i++) {
		const struct wp_leaf_hit *h = &c->hits[i];

		if (wp_dso__lookup(h->dso, h->file_off, &sym) == 1 && name_is(sym.name, c->o->func) &&
		    add_target(c, h->dso, h->file_off - sym.offset, sym.size, sym.name, h->count,
			       NULL))
			return -ENOMEM;
	}
	if (c->nt)
		return 0;
	/* 2. FUNC inlined: the functions it was inlined into */
	for (i = 0; i < c->nhits; i++) {
		const struct wp_leaf_hit *h = &c->hits[i];

		n = wp_dso__lookup_frames(h->dso, h->file_off, fr, WP_INLINE_MAX);
		for (k = 0; k + 1 < n; k++)
			if (name_is(fr[k].name, c->o->func))
				break;
		if (k + 1 >= n || wp_dso__lookup(h->dso, h->file_off, &sym) != 1)
			continue;
		if (add_target(c, h->dso, h->file_off - sym.offset, sym.size, sym.name, h->count,
			       c->o->func))
			return -ENOMEM;
	}
	if (c->nt)
		return 0;
	/* 3. a function without samples, in a binary the recording names */
	for (i = 0; i < wp_profile__ndsos(p) && !c->err; i++) {
		c->find_dso = wp_profile__dso(p, i);
		wp_dso__find_functions(c->find_dso, c->o->func, found_fn, c);
	}
	return c->err;
}

static int target_cmp(const void *a, const void *b)
{
	const struct target *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct wp_leaf_hit *x = a, *y = b;

	if (x->dso != y->dso)
		return wp_dso__index(x->dso) < wp_dso__index(y->dso) ? -1 : 1;
	return x->file_off < y->file_off ? -1 : x->file_off > y->file_off;
}

/* Samples in [off, off + len) of d (hits sorted). */
static uint64_t samples_in(const struct ctx *c, struct wp_dso *d, uint64_t off, uint64_t len)
{
	size_t lo = 0, hi = c->nhits;
	uint64_t n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct wp_leaf_hit *h = &c->hits[mid];

		if (wp_dso__index(h->dso) < wp_dso__index(d) ||
		    (h->dso == d && h->file_off < off))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nhits && c->hits[lo].dso == d && c->hits[lo].file_off - off < len; lo++)
		n += c->hits[lo].count;
	return n;
}

static void cant(const struct target *t, const char *func, int err)
{
	char hex[2 * WPD_BUILD_ID_MAX + 1];
	const char *path = wp_dso__path(t->dso);
	enum wp_dso_state st = wp_dso__state(t->dso);

	wp_dso__build_id_hex(t->dso, hex);
	switch (st) {
	case WP_DSO_MISSING:
	case WP_DSO_UNREADABLE:
		pr_err("cannot annotate '%s': %s is not readable on this machine (%s%s%s); "
		       "the recording names its functions but has no code: copy the binary "
		       "here or point --symfs at a tree that has it", func, path,
		       wp_dso_state__name(st), hex[0] ? ", build-id " : "", hex);
		break;
	case WP_DSO_MISMATCH:
		pr_err("cannot annotate '%s': %s on this machine is another build than the "
		       "recorded one (build-id %s)", func, path, hex);
		break;
	case WP_DSO_NO_FILE:
		pr_err("cannot annotate '%s': its code was in %s, which has no file", func, path);
		break;
	default:
		pr_err("cannot annotate '%s' in %s: %s", func, path,
		       err == -ENOEXEC ? "only its separate debug file is here, without code"
				       : strerror(-err));
	}
}

struct insn_src {
	const char *file, *fn;
	uint32_t line;
	bool inlined;
};

static void insn_source(struct wp_dso *d, uint64_t off, struct insn_src *s)
{
	struct wp_srcframe fr[WP_INLINE_MAX];
	size_t n = wp_dso__lookup_frames(d, off, fr, WP_INLINE_MAX);

	memset(s, 0, sizeof(*s));
	if (!n)
		return;
	s->file = fr[0].file;
	s->line = fr[0].line;
	s->fn = fr[0].name;
	s->inlined = fr[0].inlined;
}

static bool open_capstone(const struct wp_code *code, csh *h)
{
	cs_arch arch;
	cs_mode mode;

	switch (code->machine) {
	case EM_X86_64:
		arch = CS_ARCH_X86;
		mode = CS_MODE_64;
		break;
	case EM_386:
		arch = CS_ARCH_X86;
		mode = CS_MODE_32;
		break;
	case EM_AARCH64:
		arch = CS_ARCH_ARM64;
		mode = CS_MODE_ARM;
		break;
	case EM_ARM:
		arch = CS_ARCH_ARM;
		mode = CS_MODE_ARM;
		break;
	default:
		return false;
	}
	if (cs_open(arch, mode, h) != CS_ERR_OK)
		return false;
	if (arch == CS_ARCH_X86)
		cs_option(*h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT); /* as objdump and perf */
	return true;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void put_name(FILE *f, const char *raw)
{
	char *pretty = raw ? wp_demangle(raw) : NULL;

	wp_text_put(f, pretty ? pretty : raw ? raw : "[unknown]");
	free(pretty);
}

static void json_name(struct wp_json *j, const char *raw)
{
	char *pretty = raw ? wp_demangle(raw) : NULL;

	wp_json__str(j, pretty ? pretty : raw);
	free(pretty);
}

/* Annotate one function. 0, 1 (cannot), -ENOMEM. */
static int annotate_one(struct ctx *c, const struct target *t, FILE *out, struct wp_json *j)
{
	struct wp_code code;
	struct insn_src src, prev = { 0 };
	char hex[2 * WPD_BUILD_ID_MAX + 1];
	const uint8_t *bytes;
	uint64_t addr, fsamples;
	size_t left;
	cs_insn *insn;
	csh h;
	int err;

	err = wp_dso__code(t->dso, t->start, &code);
	if (err == -ENOMEM)
		return err;
	if (err) {
		cant(t, c->o->func, err);
		return 1;
	}
	if (!open_capstone(&code, &h)) {
		pr_err("cannot annotate '%s': no disassembler for ELF machine %u", c->o->func,
		       code.machine);
		wp_code__release(&code);
		return 1;
	}
	insn = cs_malloc(h);
	if (!insn) {
		cs_close(&h);
		wp_code__release(&code);
		return -ENOMEM;
	}
	fsamples = samples_in(c, t->dso, code.file_off, code.size);
	wp_dso__build_id_hex(t->dso, hex);
	if (j) {
		wp_json__begin_object(j);
		wp_json__key(j, "function");
		json_name(j, code.name);
		wp_json__key(j, "symbol");
		wp_json__str(j, code.name);
		wp_json__key(j, "inlined_function");
		wp_json__str(j, t->inlined);
		wp_json__key(j, "module");
		wp_json__str(j, wp_dso__name(t->dso));
		wp_json__key(j, "path");
		wp_json__str(j, wp_dso__path(t->dso));
		wp_json__key(j, "build_id");
		wp_json__str(j, hex);
		wp_json__key(j, "address");
		wp_json__u64(j, code.vaddr);
		wp_json__key(j, "size");
		wp_json__u64(j, code.size);
		wp_json__key(j, "samples");
		wp_json__u64(j, fsamples);
		wp_json__key(j, "instructions");
		wp_json__begin_array(j);
	} else {
		fputs("#\n# function: ", out);
		put_name(out, code.name);
		if (t->inlined) {
			fputs(" (has ", out);
			wp_text_put(out, t->inlined);
			fputs(" inlined)", out);
		}
		fputs("\n# binary:   ", out);
		wp_text_put(out, wp_dso__path(t->dso));
		fprintf(out, "%s%s%s\n", hex[0] ? " (build-id " : "", hex, hex[0] ? ")" : "");
		fprintf(out, "# samples:  %" PRIu64 " of %" PRIu64 " selected on-CPU samples (%.2f%%)\n",
			fsamples, c->total, pct(fsamples, c->total));
		fprintf(out, "#\n#  percent  samples      address  instruction\n");
	}
	bytes = code.bytes;
	left = code.size;
	addr = code.vaddr;
	while (left) {
		uint64_t at = addr, off;
		uint64_t n;
		size_t len;
		char text[256];

		if (cs_disasm_iter(h, &bytes, &left, &addr, insn)) {
			len = insn->size;
			snprintf(text, sizeof(text), "%s%s%s", insn->mnemonic,
				 insn->op_str[0] ? " " : "", insn->op_str);
		} else {
			/* undecodable: one byte, then go on */
			snprintf(text, sizeof(text), "(bad) .byte 0x%02x", bytes[0]);
			len = 1;
			bytes++;
			left--;
			addr++;
		}
		off = code.file_off + (at - code.vaddr);
		n = samples_in(c, t->dso, off, len);
		insn_source(t->dso, off, &src);
		if (j) {
			wp_json__begin_object(j);
			wp_json__key(j, "address");
			wp_json__u64(j, at);
			wp_json__key(j, "offset");
			wp_json__u64(j, off);
			wp_json__key(j, "text");
			wp_json__str(j, text);
			wp_json__key(j, "samples");
			wp_json__u64(j, n);
			wp_json__key(j, "pct");
			wp_json__double(j, pct(n, fsamples), 4);
			wp_json__key(j, "file");
			wp_json__str(j, src.file);
			wp_json__key(j, "line");
			wp_json__u64(j, src.line);
			wp_json__key(j, "source_function");
			json_name(j, src.fn);
			wp_json__key(j, "inlined");
			wp_json__bool(j, src.inlined);
			wp_json__end_object(j);
			continue;
		}
		if (src.file && (src.line != prev.line || src.fn != prev.fn ||
				 !prev.file || strcmp(src.file, prev.file) != 0)) {
			fputs("                                 ", out);
			wp_text_put(out, src.file);
			fprintf(out, ":%" PRIu32 "  ", src.line);
			put_name(out, src.fn);
			if (src.inlined)
				fputs(" (inlined)", out);
			fputc('\n', out);
		}
		prev = src;
		if (n)
			fprintf(out, "%10.2f %8" PRIu64, pct(n, fsamples), n);
		else
			fprintf(out, "%10s %8s", "", "");
		fprintf(out, " %12" PRIx64 ":  ", at);
		wp_text_put(out, text);
		fputc('\n', out);
	}
	if (j) {
		wp_json__end_array(j);
		wp_json__end_object(j);
	}
	cs_free(insn, 1);
	cs_close(&h);
	wp_code__release(&code);
	return 0;
}

int wp_annotate(struct wp_profile *p, const struct wp_annotate_opts *o, FILE *out)
{
	struct ctx c = { .o = o };
	struct wp_json j;
	size_t i, done = 0;
	int ret;

	ret = wp_profile__leaf_hits(p, o->filter, &c.hits, &c.nhits, &c.total);
	if (ret)
		return ret;
	if (c.nhits > 1)
		qsort(c.hits, c.nhits, sizeof(*c.hits), hit_cmp);
	ret = find_targets(p, &c);
	if (ret)
		goto out;
	if (!c.nt) {
		pr_err("cannot annotate '%s': no function of that name in the recorded binaries",
		       o->func);
		ret = 1;
		goto out;
	}
	qsort(c.t, c.nt, sizeof(*c.t), target_cmp);
	if (o->json) {
		wp_json__init(&j, out);
		wp_json__begin_object(&j);
		wp_json__key(&j, "function");
		wp_json__str(&j, o->func);
		wp_json__key(&j, "selected_samples");
		wp_json__u64(&j, c.total);
		wp_json__key(&j, "annotations");
		wp_json__begin_array(&j);
	}
	for (i = 0; i < c.nt; i++) {
		ret = annotate_one(&c, &c.t[i], out, o->json ? &j : NULL);
		if (ret < 0)
			goto out;
		done += ret == 0;
	}
	if (o->json) {
		wp_json__end_array(&j);
		wp_json__end_object(&j);
		if (wp_json__finish(&j)) {
			ret = -EIO;
			goto out;
		}
	} else if (fflush(out) || ferror(out)) {
		ret = -EIO;
		goto out;
	}
	ret = done ? 0 : 1;
out:
	free(c.hits);
	free(c.t);
	return ret;
}
