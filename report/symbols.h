/* SPDX-License-Identifier: MIT */
/*
 * ELF symbolizer: function names for addresses inside mapped binaries.
 *
 * A binary (struct wp_dso) is identified by the path it was mapped from
 * and the build-id the recorder stored. On first use it is opened (under
 * the symfs root, if any) and its GNU build-id compared with the recorded
 * one: if they differ, or the file has none while one was recorded, no
 * name from it is ever returned (the caller shows "module+0xOFF") and one
 * warning per binary says why. A binary without .symtab is completed from
 * its separate debug file (/usr/lib/debug/.build-id/xx/yyyy.debug) when
 * that exists with the same build-id; a missing binary is replaced by
 * that debug file likewise. "[vdso]" comes from this process's own vDSO
 * when it is the recorded one (see wp_symbolizer_opts).
 *
 * Each binary gets one sorted table of function symbols (STT_FUNC and
 * STT_GNU_IFUNC, from .symtab, else .dynsym); a lookup is a binary search.
 * Addresses are file offsets (ip - map.start + map.pgoff), translated to
 * ELF virtual addresses through the PT_LOAD program headers, which is
 * right for executables (PIE or not) and shared libraries alike.
 *
 * Later: DWARF line/inline information plugs in behind wp_dso__lookup().
 */
#ifndef WP_REPORT_SYMBOLS_H
#define WP_REPORT_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wp_symbolizer;
struct wp_dso;

struct wp_symbolizer_opts {
	const char *symfs; /* root to find binaries under; NULL or "" for / */
	/*
	 * The recording's kernel (uname -r and -m). "[vdso]" is symbolized
	 * from this machine's own vDSO when its build-id matches the recorded
	 * one or, if none was recorded, when this machine runs that very
	 * kernel release on that architecture. NULL: only by build-id.
	 */
	const char *kernel_release, *arch;
};

/* NULL on -ENOMEM. The symbolizer owns its DSOs. */
struct wp_symbolizer *wp_symbolizer__new(const struct wp_symbolizer_opts *opts);
void wp_symbolizer__free(struct wp_symbolizer *s);

/*
 * The DSO for a path and recorded build-id (len 0: none recorded); the
 * same pair returns the same object. The file is read lazily, on the
 * first lookup. NULL on -ENOMEM.
 */
struct wp_dso *wp_symbolizer__dso(struct wp_symbolizer *s, const char *path,
				  const uint8_t *build_id, size_t build_id_len);

struct wp_sym {
	const char *name;   /* valid while the symbolizer lives */
	uint64_t addr;      /* ELF virtual address of the symbol */
	uint64_t offset;    /* looked-up address - addr */
};

/*
 * Look up the function containing a file offset. 1 found, 0 not found
 * (no symbol, or the binary is missing, unreadable or mismatched).
 */
int wp_dso__lookup(struct wp_dso *d, uint64_t file_off, struct wp_sym *out);
/* Last path component ("libc.so.6"); the path itself for "[vdso]". */
const char *wp_dso__name(const struct wp_dso *d);
const char *wp_dso__path(const struct wp_dso *d);
/* Small stable index of this DSO within its symbolizer (0, 1, ...). */
uint32_t wp_dso__index(const struct wp_dso *d);
/* After a lookup: true if names from this binary can be trusted. */
bool wp_dso__usable(struct wp_dso *d);

/*
 * Read the NT_GNU_BUILD_ID of an ELF file into buf (at most len bytes).
 * Returns the id's length, 0 if the file has none, or a negative errno.
 */
int wp_elf_path_build_id(const char *path, uint8_t *buf, size_t len);

/*
 * The demangled form of a C++ (Itanium ABI) symbol such as "_ZN3foo3barEv"
 * ("foo::bar()"), malloc'd (the caller frees it), or NULL when name is not
 * mangled or cannot be demangled. The demangler is libstdc++'s, loaded on
 * first use; without libstdc++ names stay mangled.
 */
char *wp_demangle(const char *name);

/* Lowercase hex of a build-id into out (2 * len + 1 bytes). */
void wp_build_id_hex(const uint8_t *id, size_t len, char *out);

#endif
