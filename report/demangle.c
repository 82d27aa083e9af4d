/* SPDX-License-Identifier: MIT */
/*
 * Rust symbol demangling, both manglings rustc emits:
 *
 *  - legacy: an Itanium-looking "_ZN" path "E" whose last element is
 *    "h" + 16 hex digits (the hash, dropped), elements escaped with
 *    "$LT$"-style sequences and ".." for "::";
 *  - v0 (RFC 2603): "_R" followed by a path grammar with generic
 *    arguments, impl paths, types, constants and back-references.
 *
 * Output follows rustc-demangle's alternate form ("{:#}"): no hashes, no
 * crate disambiguators. Input is a stranger's symbol table: every read is
 * bounds-checked, back-references must point backwards, recursion and
 * output are bounded; anything malformed yields NULL.
 */
#include "report/symbols.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/util.h"

#define DEPTH_MAX 200
#define OUT_MAX 4096

/* ---- legacy ------------------------------------------------------------ */

static bool is_hash(const char *s, size_t n)
{
	size_t i;

	if (n != 17 || s[0] != 'h')
		return false;
	for (i = 1; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static const struct {
	const char *esc, *out;
} legacy_escapes[] = {
	{ "$SP$", "@" }, { "$BP$", "*" }, { "$RF$", "&" }, { "$LT$", "<" },
	{ "$GT$", ">" }, { "$LP$", "(" }, { "$RP$", ")" }, { "$C$", "," },
};

/* Append one element, unescaped. false if an escape is unknown. */
static bool legacy_element(struct wp_strbuf *b, const char *s, size_t n)
{
	size_t i = 0, k;

	if (n >= 2 && s[0] == '_' && s[1] == '$')
		i = 1;
	while (i < n) {
		if (s[i] == '.') {
			if (i + 1 < n && s[i + 1] == '.') {
				wp_strbuf__add(b, "::", 2);
				i += 2;
			} else {
				wp_strbuf__addc(b, '.');
				i++;
			}
			continue;
		}
		if (s[i] != '$') {
			wp_strbuf__addc(b, s[i++]);
			continue;
		}
		for (k = 0; k < sizeof(legacy_escapes) / sizeof(legacy_escapes[0]); k++) {
			size_t el = strlen(legacy_escapes[k].esc);

			if (n - i >= el && memcmp(s + i, legacy_escapes[k].esc, el) == 0) {
				wp_strbuf__add(b, legacy_escapes[k].out, strlen(legacy_escapes[k].out));
				i += el;
				break;
			}
		}
		if (k < sizeof(legacy_escapes) / sizeof(legacy_escapes[0]))
			continue;
		/* $uXX$: a code point in hex */
		if (n - i >= 4 && s[i + 1] == 'u') {
			size_t j = i + 2;
			uint32_t cp = 0;

			while (j < n && j - i < 10 && isxdigit((unsigned char)s[j])) {
				cp = cp * 16 + (uint32_t)(isdigit((unsigned char)s[j]) ? s[j] - '0'
						: (tolower((unsigned char)s[j]) - 'a' + 10));
				j++;
			}
			if (j < n && s[j] == '$' && j > i + 2 && cp >= 0x20 && cp < 0x7f) {
				wp_strbuf__addc(b, (char)cp);
				i = j + 1;
				continue;
			}
		}
		return false;
	}
	return true;
}

static char *legacy(const char *sym)
{
	const char *p = sym + 3, *end = sym + strlen(sym);
	const char *elems[256];
	size_t lens[256], n = 0, i;
	struct wp_strbuf b = { 0 };

	while (p < end && *p != 'E') {
		size_t len = 0;

		if (!isdigit((unsigned char)*p) || n == 256)
			return NULL;
		while (p < end && isdigit((unsigned char)*p)) {
			len = len * 10 + (size_t)(*p++ - '0');
			if (len > (size_t)(end - p))
				return NULL;
		}
		if (len == 0 || len > (size_t)(end - p))
			return NULL;
		elems[n] = p;
		lens[n++] = len;
		p += len;
	}
	/* "E", then nothing or a ".suffix" (".llvm.1234") */
	if (p >= end || *p != 'E' || (p[1] && p[1] != '.'))
		return NULL;
	if (n < 2 || !is_hash(elems[n - 1], lens[n - 1]))
		return NULL;
	for (i = 0; i + 1 < n; i++) {
		if (i)
			wp_strbuf__add(&b, "::", 2);
		if (!legacy_element(&b, elems[i], lens[i])) {
			wp_strbuf__release(&b);
			return NULL;
		}
	}
	if (b.oom) {
		wp_strbuf__release(&b);
		return NULL;
	}
	return b.s;
}

/* ---- v0 ------------------------------------------------------------------ */

struct v0 {
	const char *s;   /* after "_R" */
	size_t n, pos;
	unsigned int depth;
	uint64_t bound;  /* lifetimes bound by enclosing binders */
	bool bad;
	struct wp_strbuf out;
};

static bool v0_eat(struct v0 *d, char c)
{
	if (d->pos < d->n && d->s[d->pos] == c) {
		d->pos++;
		return true;
	}
	return false;
}

static char v0_next(struct v0 *d)
{
	if (d->pos >= d->n) {
		d->bad = true;
		return 0;
	}
	return d->s[d->pos++];
}

static void v0_put(struct v0 *d, const char *s)
{
	if (d->out.len + strlen(s) > OUT_MAX)
		d->bad = true;
	else
		wp_strbuf__add(&d->out, s, strlen(s));
}

static void v0_putn(struct v0 *d, const char *s, size_t n)
{
	if (d->out.len + n > OUT_MAX)
		d->bad = true;
	else
		wp_strbuf__add(&d->out, s, n);
}

/* base-62 number ending in '_': "_" is 0, "x_" is x + 1 */
static uint64_t v0_base62(struct v0 *d)
{
	uint64_t v = 0;
	char c;

	if (v0_eat(d, '_'))
		return 0;
	while ((c = v0_next(d)) != '_') {
		unsigned int digit;

		if (d->bad)
			return 0;
		if (c >= '0' && c <= '9')
			digit = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'z')
			digit = 10 + (unsigned int)(c - 'a');
		else if (c >= 'A' && c <= 'Z')
			digit = 36 + (unsigned int)(c - 'A');
		else {
			d->bad = true;
			return 0;
		}
		if (v > (UINT64_MAX - digit) / 62) {
			d->bad = true;
			return 0;
		}
		v = v * 62 + digit;
	}
	if (v == UINT64_MAX) {
		d->bad = true;
		return 0;
	}
	return v + 1;
}

/* [s <base62>]: 0 when absent, base62 + 1 */
static uint64_t v0_disambiguator(struct v0 *d)
{
	uint64_t v;

	if (!v0_eat(d, 's'))
		return 0;
	v = v0_base62(d);
	if (v == UINT64_MAX) {
		d->bad = true;
		return 0;
	}
	return v + 1;
}

/* ["u"] <decimal> ["_"] <bytes>: the bytes' position and length */
static void v0_ident(struct v0 *d, const char **p, size_t *len, bool *puny)
{
	size_t v = 0;

	*puny = v0_eat(d, 'u');
	if (d->pos >= d->n || !isdigit((unsigned char)d->s[d->pos])) {
		d->bad = true;
		return;
	}
	if (d->s[d->pos] == '0') {
		d->pos++;
	} else {
		while (d->pos < d->n && isdigit((unsigned char)d->s[d->pos])) {
			v = v * 10 + (size_t)(d->s[d->pos++] - '0');
			if (v > d->n) {
				d->bad = true;
				return;
			}
		}
	}
	v0_eat(d, '_');
	if (v > d->n - d->pos) {
		d->bad = true;
		return;
	}
	*p = d->s + d->pos;
	*len = v;
	d->pos += v;
}

static void v0_path(struct v0 *d, bool in_value);
static void v0_type(struct v0 *d);

/* Run fn at a back-reference's position, then come back. */
static bool v0_backref(struct v0 *d, void (*fn)(struct v0 *, bool), bool arg,
		       void (*tfn)(struct v0 *))
{
	size_t at = d->pos - 1; /* the 'B' */
	uint64_t target = v0_base62(d);
	size_t save;

	if (d->bad || target >= at) {
		d->bad = true;
		return false;
	}
	save = d->pos;
	d->pos = (size_t)target;
	if (fn)
		fn(d, arg);
	else
		tfn(d);
	d->pos = save;
	return true;
}

static void v0_u64(struct v0 *d, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	v0_put(d, buf);
}

/* 'a, 'b, ... by binder depth (de Bruijn index from the innermost) */
static void v0_lifetime_index(struct v0 *d, uint64_t lt)
{
	char buf[32];

	if (lt == 0) {
		v0_put(d, "'_");
		return;
	}
	if (lt > d->bound) {
		d->bad = true;
		return;
	}
	if (d->bound - lt < 26)
		snprintf(buf, sizeof(buf), "'%c", (char)('a' + (d->bound - lt)));
	else
		snprintf(buf, sizeof(buf), "'_%" PRIu64, d->bound - lt);
	v0_put(d, buf);
}

static void v0_lifetime(struct v0 *d)
{
	v0_lifetime_index(d, v0_base62(d));
}

/* [G <base62>]: "for<'a, 'b> ", the lifetimes it binds; undo with v0_unbind */
static uint64_t v0_binder(struct v0 *d)
{
	uint64_t n, i;

	if (!v0_eat(d, 'G'))
		return 0;
	n = v0_base62(d);
	if (d->bad || n >= 64 || n == UINT64_MAX) {
		d->bad = true;
		return 0;
	}
	n++;
	v0_put(d, "for<");
	for (i = 0; i < n; i++) {
		if (i)
			v0_put(d, ", ");
		d->bound++;
		v0_lifetime_index(d, 1);
	}
	v0_put(d, "> ");
	return n;
}

/* const-data: ["n"] {hex} "_" for a type, printed in decimal when it fits */
static void v0_const(struct v0 *d)
{
	char ty, c;
	bool neg;
	uint64_t v = 0;
	size_t digits = 0, start;

	if (++d->depth > DEPTH_MAX) {
		d->bad = true;
		return;
	}
	if (v0_eat(d, 'B')) {
		v0_backref(d, NULL, false, v0_const);
		d->depth--;
		return;
	}
	ty = v0_next(d);
	if (ty == 'p') {
		v0_put(d, "_");
		d->depth--;
		return;
	}
	neg = v0_eat(d, 'n');
	start = d->pos;
	while ((c = v0_next(d)) != '_' && !d->bad) {
		if (!isxdigit((unsigned char)c) || isupper((unsigned char)c)) {
			d->bad = true;
			break;
		}
		if (digits < 16)
			v = v * 16 + (uint64_t)(isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
		digits++;
	}
	if (d->bad) {
		d->depth--;
		return;
	}
	switch (ty) {
	case 'b':
		v0_put(d, v ? "true" : "false");
		break;
	case 'c':
		if (v >= 0x20 && v < 0x7f) {
			char buf[4] = { '\'', (char)v, '\'', 0 };

			v0_put(d, buf);
		} else {
			v0_put(d, "'?'");
		}
		break;
	default:
		if (neg)
			v0_put(d, "-");
		if (digits <= 16) {
			v0_u64(d, v);
		} else {
			v0_put(d, "0x");
			v0_putn(d, d->s + start, digits);
		}
		if (!strchr("hijklmnostxyc", ty) && ty != 'a' && ty != 'b')
			d->bad = true;
		break;
	}
	d->depth--;
}

static void v0_generic_arg(struct v0 *d)
{
	if (v0_eat(d, 'L'))
		v0_lifetime(d);
	else if (v0_eat(d, 'K'))
		v0_const(d);
	else
		v0_type(d);
}

static const char *basic_type(char c)
{
	switch (c) {
	case 'a': return "i8";
	case 'b': return "bool";
	case 'c': return "char";
	case 'd': return "f64";
	case 'e': return "str";
	case 'f': return "f32";
	case 'h': return "u8";
	case 'i': return "isize";
	case 'j': return "usize";
	case 'l': return "i32";
	case 'm': return "u32";
	case 'n': return "i128";
	case 'o': return "u128";
	case 's': return "i16";
	case 't': return "u16";
	case 'u': return "()";
	case 'v': return "...";
	case 'x': return "i64";
	case 'y': return "u64";
	case 'z': return "!";
	case 'p': return "_";
	default: return NULL;
	}
}

static void v0_fn_sig(struct v0 *d)
{
	bool first = true;
	uint64_t bound = v0_binder(d);

	if (v0_eat(d, 'U'))
		v0_put(d, "unsafe ");
	if (v0_eat(d, 'K')) {
		v0_put(d, "extern \"");
		if (v0_eat(d, 'C')) {
			v0_put(d, "C");
		} else {
			const char *p = NULL;
			size_t len = 0, i;
			bool puny;

			v0_ident(d, &p, &len, &puny);
			for (i = 0; !d->bad && i < len; i++)
				v0_putn(d, p[i] == '_' ? "-" : p + i, 1);
		}
		v0_put(d, "\" ");
	}
	v0_put(d, "fn(");
	while (!d->bad && !v0_eat(d, 'E')) {
		if (!first)
			v0_put(d, ", ");
		first = false;
		v0_type(d);
	}
	v0_put(d, ")");
	if (d->pos < d->n && d->s[d->pos] == 'u') {
		d->pos++; /* "-> ()" is not shown */
	} else {
		v0_put(d, " -> ");
		v0_type(d);
	}
	d->bound -= bound;
}

static void v0_generic_arg(struct v0 *d);

/* A trait path whose generic arguments stay open ("Fn<(A,)" and later
 * ", Output = R>"): true if it left them open. */
static bool v0_path_open(struct v0 *d)
{
	bool open = false, first = true;

	if (d->bad || ++d->depth > DEPTH_MAX) {
		d->bad = true;
		return false;
	}
	if (v0_eat(d, 'B')) {
		size_t at = d->pos - 1, save;
		uint64_t target = v0_base62(d);

		if (!d->bad && target < at) {
			save = d->pos;
			d->pos = (size_t)target;
			open = v0_path_open(d);
			d->pos = save;
		} else {
			d->bad = true;
		}
	} else if (v0_eat(d, 'I')) {
		v0_path(d, false);
		v0_put(d, "<");
		while (!d->bad && !v0_eat(d, 'E')) {
			if (!first)
				v0_put(d, ", ");
			first = false;
			v0_generic_arg(d);
		}
		open = true;
	} else {
		v0_path(d, false);
	}
	d->depth--;
	return open;
}

static void v0_dyn(struct v0 *d)
{
	bool first = true;
	uint64_t bound;

	v0_put(d, "dyn ");
	bound = v0_binder(d);
	while (!d->bad && !v0_eat(d, 'E')) {
		bool open;

		if (!first)
			v0_put(d, " + ");
		first = false;
		open = v0_path_open(d);
		while (!d->bad && v0_eat(d, 'p')) {
			const char *p = NULL;
			size_t len = 0;
			bool puny;

			v0_put(d, open ? ", " : "<");
			open = true;
			v0_ident(d, &p, &len, &puny);
			v0_putn(d, p ? p : "", len);
			v0_put(d, " = ");
			v0_type(d);
		}
		if (open)
			v0_put(d, ">");
	}
	d->bound -= bound;
	if (v0_eat(d, 'L')) {
		uint64_t lt = v0_base62(d);

		if (lt) {
			v0_put(d, " + ");
			v0_lifetime_index(d, lt);
		}
	} else {
		d->bad = true;
	}
}

static void v0_type(struct v0 *d)
{
	const char *basic;
	char c;
	bool first = true;
	unsigned int n = 0;

	if (d->bad || ++d->depth > DEPTH_MAX) {
		d->bad = true;
		return;
	}
	c = v0_next(d);
	if ((basic = basic_type(c))) {
		v0_put(d, basic);
		d->depth--;
		return;
	}
	switch (c) {
	case 'R':
	case 'Q':
		v0_put(d, "&");
		if (v0_eat(d, 'L')) {
			uint64_t lt = v0_base62(d);

			if (lt) {
				v0_lifetime_index(d, lt);
				v0_put(d, " ");
			}
		}
		if (c == 'Q')
			v0_put(d, "mut ");
		v0_type(d);
		break;
	case 'P':
		v0_put(d, "*const ");
		v0_type(d);
		break;
	case 'O':
		v0_put(d, "*mut ");
		v0_type(d);
		break;
	case 'A':
		v0_put(d, "[");
		v0_type(d);
		v0_put(d, "; ");
		v0_const(d);
		v0_put(d, "]");
		break;
	case 'S':
		v0_put(d, "[");
		v0_type(d);
		v0_put(d, "]");
		break;
	case 'T':
		v0_put(d, "(");
		while (!d->bad && !v0_eat(d, 'E')) {
			if (!first)
				v0_put(d, ", ");
			first = false;
			v0_type(d);
			n++;
		}
		v0_put(d, n == 1 ? ",)" : ")");
		break;
	case 'F':
		v0_fn_sig(d);
		break;
	case 'D':
		v0_dyn(d);
		break;
	case 'B':
		v0_backref(d, NULL, false, v0_type);
		break;
	default:
		d->pos--;
		v0_path(d, false);
		break;
	}
	d->depth--;
}

static void v0_path(struct v0 *d, bool in_value)
{
	const char *p = NULL;
	size_t len = 0;
	uint64_t dis;
	bool puny, first = true;
	char c, ns;

	if (d->bad || ++d->depth > DEPTH_MAX) {
		d->bad = true;
		return;
	}
	c = v0_next(d);
	switch (c) {
	case 'C': /* crate root */
		v0_disambiguator(d);
		v0_ident(d, &p, &len, &puny);
		if (!d->bad) {
			if (puny)
				v0_put(d, "punycode{");
			v0_putn(d, p, len);
			if (puny)
				v0_put(d, "}");
		}
		break;
	case 'N': /* nested */
		ns = v0_next(d);
		if (!isalpha((unsigned char)ns)) {
			d->bad = true;
			break;
		}
		v0_path(d, in_value);
		dis = v0_disambiguator(d);
		v0_ident(d, &p, &len, &puny);
		if (d->bad)
			break;
		if (isupper((unsigned char)ns)) {
			v0_put(d, "::{");
			v0_put(d, ns == 'C' ? "closure" : ns == 'S' ? "shim" : "");
			if (ns != 'C' && ns != 'S')
				v0_putn(d, &ns, 1);
			if (len) {
				v0_put(d, ":");
				v0_putn(d, p, len);
			}
			v0_put(d, "#");
			v0_u64(d, dis);
			v0_put(d, "}");
		} else if (len) {
			v0_put(d, "::");
			if (puny)
				v0_put(d, "punycode{");
			v0_putn(d, p, len);
			if (puny)
				v0_put(d, "}");
		}
		break;
	case 'M': /* <T> */
		v0_disambiguator(d);
		{
			/* the impl path is not shown: skip it into a scratch */
			size_t keep = d->out.len;

			v0_path(d, false);
			d->out.len = keep;
			if (d->out.s)
				d->out.s[keep] = '\0';
		}
		v0_put(d, "<");
		v0_type(d);
		v0_put(d, ">");
		break;
	case 'X': /* <T as Trait> */
		v0_disambiguator(d);
		{
			size_t keep = d->out.len;

			v0_path(d, false);
			d->out.len = keep;
			if (d->out.s)
				d->out.s[keep] = '\0';
		}
		/* fall through */
	case 'Y':
		v0_put(d, "<");
		v0_type(d);
		v0_put(d, " as ");
		v0_path(d, false);
		v0_put(d, ">");
		break;
	case 'I': /* generic arguments */
		v0_path(d, in_value);
		v0_put(d, in_value ? "::<" : "<");
		while (!d->bad && !v0_eat(d, 'E')) {
			if (!first)
				v0_put(d, ", ");
			first = false;
			v0_generic_arg(d);
		}
		v0_put(d, ">");
		break;
	case 'B':
		v0_backref(d, v0_path, in_value, NULL);
		break;
	default:
		d->bad = true;
		break;
	}
	d->depth--;
}

static char *v0(const char *sym)
{
	struct v0 d = { .s = sym + 2, .n = strlen(sym + 2) };

	/* an encoding version: only 0 (absent) exists */
	if (d.n && isdigit((unsigned char)d.s[0]))
		return NULL;
	v0_path(&d, true);
	/* an instantiating crate may follow, then a ".suffix"; neither shown */
	if (!d.bad && d.pos < d.n && d.s[d.pos] != '.') {
		struct wp_strbuf keep = d.out;

		d.out = (struct wp_strbuf){ 0 };
		v0_path(&d, false);
		wp_strbuf__release(&d.out);
		d.out = keep;
	}
	if (d.bad || d.out.oom || (d.pos < d.n && d.s[d.pos] != '.') || !d.out.s) {
		wp_strbuf__release(&d.out);
		return NULL;
	}
	return d.out.s;
}

char *wp_rust_demangle(const char *name)
{
	if (name[0] != '_')
		return NULL;
	if (name[1] == 'Z' && name[2] == 'N')
		return legacy(name);
	if (name[1] == 'R' && name[2])
		return v0(name);
	return NULL;
}
