// SPDX-License-Identifier: MIT
/*
 * Rust demangling (report/demangle.c), legacy and v0, on symbols rustc
 * emitted (checked against llvm-cxxfilt and rustc-demangle's alternate
 * form), and on hostile input: every prefix of every vector, every byte
 * flipped, back-references that point forwards or at themselves, deep
 * nesting. With SANITIZE=1 any over-read or overflow aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "report/symbols.h"
#include "tests/lib/tap.h"

static const struct {
	const char *in, *out;
} vectors[] = {
	/* legacy */
	{ "_ZN1m3gen17hf76b65fbc07c7842E", "m::gen" },
	{ "_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h168e94e611939a97E",
	  "std::rt::lang_start::{{closure}}" },
	{ "_ZN42_$LT$$RF$T$u20$as$u20$core..fmt..Debug$GT$3fmt17h788a370451605e88E",
	  "<&T as core::fmt::Debug>::fmt" },
	{ "_ZN45_$LT$m..Sq$LT$f64$GT$$u20$as$u20$m..Shape$GT$4area17h508f53071609a6ccE",
	  "<m::Sq<f64> as m::Shape>::area" },
	{ "_ZN4core3ops8function6FnOnce40call_once$u7b$$u7b$vtable.shim$u7d$$u7d$17h586cf6476555c1edE",
	  "core::ops::function::FnOnce::call_once{{vtable.shim}}" },
	{ "_ZN4core5array69_$LT$impl$u20$core..fmt..Debug$u20$for$u20$$u5b$T$u3b$$u20$N$u5d$$GT$3fmt17h03b4bdbbe06e400bE",
	  "core::array::<impl core::fmt::Debug for [T; N]>::fmt" },
	{ "_ZN3foo3bar17h05af221e174051e9E.llvm.1234", "foo::bar" },
	/* v0 */
	{ "_RNvC6_123foo3bar", "123foo::bar" },
	{ "_RINvCskK7mfDs1mzF_1m3genhKj3_EB2_", "m::gen::<u8, 3>" },
	{ "_RINvMNtCsgEmfK2I1SDS_4core3stre18trim_start_matchesReECsgY6Mt91CT9J_14rustc_demangle",
	  "<str>::trim_start_matches::<&str>" },
	{ "_RINvMNtCsgEmfK2I1SDS_4core5sliceSh11copy_withinINtNtNtB5_3ops5range14RangeInclusivejEECsfEOYDRpO4Ta_11miniz_oxide",
	  "<[u8]>::copy_within::<core::ops::range::RangeInclusive<usize>>" },
	{ "_RINvMs0_NtNtNtCsjrHSEGnQ3l9_3std12backtrace_rs9symbolize5gimliNtB6_5Cache11with_globalNCNvB6_7resolves_0EBc_",
	  "<std::backtrace_rs::symbolize::gimli::Cache>::with_global::"
	  "<std::backtrace_rs::symbolize::gimli::resolve::{closure#1}>" },
	{ "_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCslNYArtu3iFV_5alloc5boxed3BoxDG0_INtNtNtB4_3ops8function2FnTRL1_INtNtCsjrHSEGnQ3l9_3std5panic13PanicHookInfoL0_EEEp6OutputuNtNtB4_6marker4SyncNtB2N_4SendEL_EEB1T_",
	  "core::ptr::drop_in_place::<alloc::boxed::Box<dyn for<'a, 'b> core::ops::function::Fn<"
	  "(&'a std::panic::PanicHookInfo<'b>,), Output = ()> + core::marker::Sync + "
	  "core::marker::Send>>" },
	{ "_RMC0INtC8arrayvec8ArrayVechKj7b_E", "<arrayvec::ArrayVec<u8, 123>>" },
	{ "_RNvNvMCs4fqI2P2rA04_13const_genericINtB4_3FooKpE3foo3FOO",
	  "<const_generic::Foo<_>>::foo::FOO" },
	{ "_RNvNvMCs4fqI2P2rA04_13const_genericINtB4_3FooKb1_E3foo3FOO",
	  "<const_generic::Foo<true>>::foo::FOO" },
	{ "_RNvNvMCs4fqI2P2rA04_13const_genericINtB4_3FooKc76_E3foo3FOO",
	  "<const_generic::Foo<'v'>>::foo::FOO" },
	{ "_RNCNCNgCs6DXkGYLi8lr_2cc5spawn00B5_", "cc::spawn::{closure#0}::{closure#0}" },
};

#define NV (sizeof(vectors) / sizeof(vectors[0]))

static void test_vectors(void)
{
	size_t i;

	for (i = 0; i < NV; i++) {
		char *got = wp_rust_demangle(vectors[i].in);

		is_str(got, vectors[i].out, "demangles %.40s...", vectors[i].in);
		free(got);
	}
}

static void test_not_rust(void)
{
	static const char *const no[] = {
		"main", "", "_", "_Z", "_ZN", "_ZN3fooE", /* no hash: C++, not Rust */
		"_ZN3foo3barEv",                          /* C++ */
		"_ZN3foo17h0123456789abcdefEx",           /* junk after E */
		"_ZN3foo$ZZ$17h0123456789abcdefE",        /* unknown escape */
		"_R", "_R1", "_RNvC", "_RC3fo", "_RNvC3foo3bar_junk",
	};
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		char *got = wp_rust_demangle(no[i]);

		if (got) {
			tap_diag("  '%s' gave '%s'", no[i], got);
			bad++;
		}
		free(got);
	}
	is_int(bad, 0, "not Rust, or malformed: NULL");
	/* wp_demangle: Rust first, C++ otherwise */
	{
		char *r = wp_demangle("_ZN1m3gen17hf76b65fbc07c7842E");
		char *cxx = wp_demangle("_ZN3foo3barEv");

		is_str(r, "m::gen", "wp_demangle takes Rust legacy before C++");
		ok(!cxx || strcmp(cxx, "foo::bar()") == 0, "wp_demangle still does C++");
		free(r);
		free(cxx);
	}
}

/* Every prefix and every single-byte change of every vector: no crash,
 * and any output is a NUL-terminated string of bounded length. */
static void test_hostile(void)
{
	static const char subst[] = "_0123456789azAZBCDEFGIKLMNOPQRSTUXYpsuvjhm$.";
	size_t i, k, cut, n = 0, maxlen = 0;
	char buf[1024];

	for (i = 0; i < NV; i++) {
		size_t len = strlen(vectors[i].in);

		for (cut = 0; cut <= len; cut++) {
			char *got;

			memcpy(buf, vectors[i].in, cut);
			buf[cut] = 0;
			got = wp_rust_demangle(buf);
			if (got && strlen(got) > maxlen)
				maxlen = strlen(got);
			free(got);
			n++;
		}
		for (cut = 2; cut < len; cut++) {
			for (k = 0; k < sizeof(subst) - 1; k += 3) {
				char *got;

				strcpy(buf, vectors[i].in);
				buf[cut] = subst[k];
				got = wp_rust_demangle(buf);
				if (got && strlen(got) > maxlen)
					maxlen = strlen(got);
				free(got);
				n++;
			}
		}
	}
	ok(n > 10000 && maxlen <= 4096, "%zu mutated symbols, longest output %zu bytes", n, maxlen);
}

static void test_loops_and_depth(void)
{
	static char deep[20000];
	char *got;
	size_t i, n = 0;

	/* back-references to themselves, forwards, and to a position in a loop */
	got = wp_rust_demangle("_RB_");
	ok(!got, "a back-reference to itself is refused");
	free(got);
	got = wp_rust_demangle("_RNvB4_3foo");
	ok(!got, "a forward back-reference is refused");
	free(got);
	got = wp_rust_demangle("_RINvC3foo3barB4_E");
	ok(!got || strlen(got) < 4096, "a back-reference inside its own generic list ends");
	free(got);
	/* deep nesting: N...N */
	deep[n++] = '_';
	deep[n++] = 'R';
	for (i = 0; i < 5000; i++) {
		deep[n++] = 'N';
		deep[n++] = 'v';
	}
	memcpy(deep + n, "C3foo", 5);
	n += 5;
	for (i = 0; i < 5000 && n + 5 < sizeof(deep); i++) {
		memcpy(deep + n, "3bar", 4);
		n += 4;
	}
	deep[n] = 0;
	got = wp_rust_demangle(deep);
	ok(!got, "5000 nested paths: refused (depth bound), no stack overflow");
	free(got);
	/* types nested through references */
	n = 0;
	memcpy(deep, "_RINvC3foo3barE", 0);
	n = (size_t)snprintf(deep, sizeof(deep), "_RINvC3foo3bar");
	for (i = 0; i < 5000; i++)
		deep[n++] = 'R';
	deep[n++] = 'u';
	deep[n++] = 'E';
	deep[n] = 0;
	got = wp_rust_demangle(deep);
	ok(!got, "5000 nested references: refused");
	free(got);
	/* a back-reference chain that doubles the output each step */
	got = wp_rust_demangle("_RINvC3foo3barTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTuEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE");
	ok(!got || strlen(got) <= 4096, "output is bounded");
	free(got);
}

int main(void)
{
	test_vectors();
	test_not_rust();
	test_hostile();
	test_loops_and_depth();
	return done_testing();
}
