// SPDX-License-Identifier: MIT
/*
 * Names from a recording are untrusted bytes: folded escaping must keep
 * every line `frames count`, JSON escaping must keep the document valid,
 * text output must not carry control characters to a terminal. Also the
 * small containers the analysis library is built on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/folded.h"
#include "report/json.h"
#include "report/summary.h"
#include "report/symbols.h"
#include "report/util.h"
#include "tests/lib/tap.h"

static void folded_is(const char *in, const char *want, const char *what)
{
	struct wp_strbuf b = { 0 };

	wp_folded_escape(&b, in);
	is_str(b.s, want, "folded: %s", what);
	wp_strbuf__release(&b);
}

static void test_folded(void)
{
	folded_is("plain_name", "plain_name", "plain names unchanged");
	folded_is("a;b;c", "a:b:c", "';' becomes ':'");
	folded_is("line\nbreak", "line?break", "newline becomes '?'");
	folded_is("cr\r\ttab", "cr??tab", "CR and tab become '?'");
	folded_is("del\x7f", "del?", "DEL becomes '?'");
	folded_is("", "[unknown]", "empty name");
	folded_is("with space 12", "with space 12", "spaces kept (the count follows the last)");
	folded_is("caf\xc3\xa9", "caf\xc3\xa9", "UTF-8 kept");
	folded_is("\xf0\x9f\x94\xa5", "\xf0\x9f\x94\xa5", "4-byte UTF-8 kept");
	folded_is("bad\xff", "bad?", "invalid byte becomes '?'");
	folded_is("cut\xc3", "cut?", "cut sequence becomes '?'");
	folded_is("\xc0\xaf", "??", "overlong encoding refused");
	folded_is("\xed\xa0\x80", "???", "surrogate refused");
	folded_is("std::vector<int>::operator[](unsigned long)",
		  "std::vector<int>::operator[](unsigned long)", "C++ names unchanged");
}

static char *json_of(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	wp_json_write_string(f, s, n);
	fclose(f);
	return buf;
}

static void json_is(const char *in, size_t n, const char *want, const char *what)
{
	char *got = json_of(in, n);

	is_str(got, want, "json: %s", what);
	free(got);
}

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	struct wp_json j;
	FILE *f;

	json_is("abc", 3, "\"abc\"", "plain");
	json_is("a\"b\\c", 5, "\"a\\\"b\\\\c\"", "quote and backslash");
	json_is("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"", "short escapes");
	json_is("\x01\x1f", 2, "\"\\u0001\\u001f\"", "other control characters");
	json_is("nul\0x", 5, "\"nul\\u0000x\"", "NUL inside a name");
	json_is("\x7f", 1, "\"\x7f\"", "DEL needs no escape");
	json_is("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", "UTF-8 kept");
	json_is("\xff" "a", 2, "\"\\ufffda\"", "invalid byte is U+FFFD");
	json_is("\xe2\x82", 2, "\"\\ufffd\\ufffd\"", "cut sequence is U+FFFD per byte");
	json_is("/path", 5, "\"/path\"", "slash not escaped");

	f = open_memstream(&buf, &len);
	wp_json__init(&j, f);
	wp_json__begin_object(&j);
	wp_json__key(&j, "n");
	wp_json__u64(&j, 18446744073709551615ull);
	wp_json__key(&j, "i");
	wp_json__i64(&j, -3);
	wp_json__key(&j, "d");
	wp_json__double(&j, 2.0 / 3.0 * 100, 4);
	wp_json__key(&j, "nan");
	wp_json__double(&j, 0.0 / 0.0, 2);
	wp_json__key(&j, "s");
	wp_json__str(&j, NULL);
	wp_json__key(&j, "a");
	wp_json__begin_array(&j);
	wp_json__bool(&j, true);
	wp_json__begin_object(&j);
	wp_json__end_object(&j);
	wp_json__end_array(&j);
	wp_json__key(&j, "e");
	wp_json__begin_array(&j);
	wp_json__end_array(&j);
	wp_json__end_object(&j);
	is_int(wp_json__finish(&j), 0, "json: finish");
	fclose(f);
	is_str(buf, "{\n  \"n\": 18446744073709551615,\n  \"i\": -3,\n  \"d\": 66.6667,\n"
		    "  \"nan\": null,\n  \"s\": null,\n  \"a\": [\n    true,\n    {}\n  ],\n"
		    "  \"e\": []\n}\n", "json: document layout");
	free(buf);
}

static void test_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	wp_text_put(f, "a\nb\x1b[31m\xc2\x9b" "c\xc3\xa9\xff");
	fclose(f);
	is_str(buf, "a?b?[31m?c\xc3\xa9?", "text: C0/C1 controls and invalid bytes become '?'");
	free(buf);
	is_int(wp_text_width("caf\xc3\xa9"), 4, "text: width counts code points");
}

static void test_containers(void)
{
	struct wp_map m = { 0 };
	struct wp_arena a = { 0 };
	uint64_t v, i, bad = 0;
	uint32_t off1, off2;

	ok(wp_map__get(&m, 0, &v) == 0, "map: empty");
	for (i = 0; i < 100000; i++)
		if (wp_map__put(&m, i * 0x1000, i))
			bad++;
	is_int(bad, 0, "map: 100000 puts");
	for (i = 0; i < 100000; i++)
		if (!wp_map__get(&m, i * 0x1000, &v) || v != i)
			bad++;
	is_int(bad, 0, "map: all found, key 0 included");
	ok(wp_map__get(&m, 0x1001, &v) == 0, "map: absent key");
	wp_map__put(&m, 0x2000, 7);
	ok(wp_map__get(&m, 0x2000, &v) && v == 7 && m.n == 100000, "map: overwrite");
	wp_map__release(&m);

	ok(wp_arena__add(&a, "abc", 3, &off1) == 0 && wp_arena__add(&a, "", 0, &off2) == 0,
	   "arena: adds");
	is_str(wp_arena__str(&a, off1), "abc", "arena: NUL-terminated copy");
	is_str(wp_arena__str(&a, off2), "", "arena: empty string");
	wp_arena__release(&a);
}

static void demangled_is(const char *in, const char *want)
{
	char *got = wp_demangle(in);

	is_str(got, want, "demangle %s", in);
	free(got);
}

static void test_demangle(void)
{
	demangled_is("_ZN3foo3barEv", "foo::bar()");
	demangled_is("_ZNSt6vectorIiSaIiEE9push_backERKi",
		     "std::vector<int, std::allocator<int> >::push_back(int const&)");
	ok(wp_demangle("main") == NULL, "demangle: C names are not mangled");
	ok(wp_demangle("_Zbogus") == NULL, "demangle: invalid mangling stays as is");
	ok(wp_demangle("_") == NULL && wp_demangle("") == NULL, "demangle: short names");
}

int main(void)
{
	test_folded();
	test_json();
	test_text();
	test_containers();
	test_demangle();
	return done_testing();
}
