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
 * Separate debug files: /usr/lib/debug/.build-id/xx/yyyy.debug, then the
 * .gnu_debuglink name next to the binary, in its .debug/ directory and
 * under /usr/lib/debug/DIR/ (all under symfs), checked by build-id (or the
 * link's CRC when either has none). They give .symtab when the binary has
 * only .dynsym, and DWARF (inline chains, source lines: report/dwarf.c),
 * opened on the first wp_dso__lookup_frames().
 *
 * Names stored in the recording (SYMBOL and SRCLINE records, added with
 * wp_dso__add_embedded_*) complete a binary that is missing, mismatched,
 * or has only .dynsym here: a binary with .symtab on this machine, with
 * the recorded build-id, is preferred; then the stored names; then
 * .dynsym. With no build-id recorded the stored names come first (they
 * were read from the very file that was mapped). A stored inline chain
 * is used whenever there is one for the address: it was read from the
 * DWARF of this very build, and the DWARF here is then never opened.
 * See docs/symbols.md.
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
	uint64_t addr;      /* ELF virtual address of the symbol (stored names:
			     * its file offset) */
	uint64_t offset;    /* looked-up address - addr */
	uint64_t size;      /* bytes the function covers (>= offset + 1) */
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
/* The DSOs made so far, by index. */
size_t wp_symbolizer__ndsos(const struct wp_symbolizer *s);
struct wp_dso *wp_symbolizer__dso_at(const struct wp_symbolizer *s, size_t i);
/* After a lookup: true if names from this binary can be trusted. */
bool wp_dso__usable(struct wp_dso *d);

/*
 * The same as wp_symbolizer__dso(), for a binary already open on fd (the
 * recorder keeps one per mapped file, so that files deleted or replaced
 * meanwhile are still read): the DSO reads fd instead of the path. The
 * symbolizer takes fd over (closed with the DSO, or at once if the DSO
 * already has one or on error). NULL on -ENOMEM.
 */
struct wp_dso *wp_symbolizer__dso_fd(struct wp_symbolizer *s, const char *path,
				     const uint8_t *build_id, size_t build_id_len, int fd);

/* ---- inline frames and source lines ---- */

#define WP_INLINE_MAX 32 /* frames per address */

struct wp_srcframe {
	const char *name; /* raw (mangled) name; valid while the symbolizer lives */
	const char *file; /* source file path, NULL unknown */
	uint32_t line;    /* 0 unknown */
	bool inlined;     /* inlined into the next frame */
};

/*
 * The frames at a file offset, innermost first: the functions inlined
 * there (inlined true), then the function the code belongs to, named as
 * wp_dso__lookup() names it. frames[0]'s file:line is the address's
 * source line, a later frame's is the call site of the frame before it.
 * Without DWARF (or stored SRCLINE data) for the address: one frame, the
 * symbol, with no file. Returns the number of frames (<= max), 0 when
 * nothing names the address.
 */
size_t wp_dso__lookup_frames(struct wp_dso *d, uint64_t file_off, struct wp_srcframe *out,
			     size_t max);

/* ---- names stored in the recording ---- */

/* A function from a SYMBOL record: file offsets [start, start + size). */
struct wp_esym {
	uint64_t start, size;
	const char *name; /* must outlive the symbolizer */
};

/* Add stored names to d (before its first lookup). 0 or -ENOMEM. */
int wp_dso__add_embedded_sym(struct wp_dso *d, const struct wp_esym *sym);
/* The frames (innermost first, n >= 1) stored for one looked-up file
 * offset; strings must outlive the symbolizer. 0 or -ENOMEM. */
int wp_dso__add_embedded_frames(struct wp_dso *d, uint64_t file_off,
				const struct wp_srcframe *frames, size_t n);

/* ---- what a DSO is, for messages and annotate ---- */

enum wp_dso_state {
	WP_DSO_NOT_LOADED = 0,
	WP_DSO_OK,          /* the binary (or its debug file) is here, build-id checked */
	WP_DSO_UNCHECKED,   /* here, but no build-id was recorded to check it */
	WP_DSO_MISSING,     /* no such file (under symfs) */
	WP_DSO_MISMATCH,    /* a file with another build-id */
	WP_DSO_UNREADABLE,  /* not ELF, no permission... */
	WP_DSO_NO_FILE,     /* anonymous memory, [heap]...: nothing to read */
};

/* After a lookup (loads the DSO if needed). */
enum wp_dso_state wp_dso__state(struct wp_dso *d);
/* "ok", "unchecked", "missing", "build-id mismatch", "unreadable", "no file" */
const char *wp_dso_state__name(enum wp_dso_state st);
/* The recorded build-id as lowercase hex ("" if none); buf: 41 bytes. */
const char *wp_dso__build_id_hex(const struct wp_dso *d, char *buf);
/* True when names stored in the recording are attached. */
bool wp_dso__has_embedded(const struct wp_dso *d);
/* True when this machine has DWARF for the binary (loads the DSO if needed;
 * the DWARF itself is not read). */
bool wp_dso__has_dwarf(struct wp_dso *d);

/* Machine code of a function, read from the binary itself. */
struct wp_code {
	const char *name;   /* raw symbol name (valid while the symbolizer lives) */
	uint64_t vaddr;     /* ELF virtual address of the first byte */
	uint64_t file_off;  /* its file offset */
	uint64_t size;
	uint8_t *bytes;     /* size bytes, malloc'd: wp_code__release() */
	uint16_t machine;   /* e_machine: EM_X86_64, EM_AARCH64, ... */
	uint8_t elf_class;  /* ELFCLASS32 / ELFCLASS64 */
};

/*
 * The code of the function containing file_off, from the binary on this
 * machine with the recorded build-id (stored names carry no code). 0,
 * -ENOENT (no usable binary, or no function there), -ENOEXEC (its bytes
 * are not in the file: .bss, a debug file only), -ENOMEM.
 */
int wp_dso__code(struct wp_dso *d, uint64_t file_off, struct wp_code *out);
void wp_code__release(struct wp_code *c);

/*
 * Functions of d's symbol table (disk or stored) whose raw or demangled
 * name is name; calls fn with each one's file offset. Returns the number
 * found.
 */
size_t wp_dso__find_functions(struct wp_dso *d, const char *name,
			      void (*fn)(void *arg, uint64_t file_off), void *arg);

/*
 * Read the NT_GNU_BUILD_ID of an ELF file into buf (at most len bytes).
 * Returns the id's length, 0 if the file has none, or a negative errno.
 */
/* This process's vDSO image, a complete ELF file in memory (the running
 * kernel's), and its size; NULL if there is none. */
const void *wp_vdso_image(size_t *size);

int wp_elf_path_build_id(const char *path, uint8_t *buf, size_t len);

/*
 * The demangled form of a C++ (Itanium ABI) symbol such as "_ZN3foo3barEv"
 * ("foo::bar()") or a Rust one (legacy "_ZN...17h<hash>E" without its
 * hash, or v0 "_R..."), malloc'd (the caller frees it), or NULL when name
 * is not mangled or cannot be demangled. The C++ demangler is libstdc++'s,
 * loaded on first use (without libstdc++ C++ names stay mangled); Rust's
 * is report/demangle.c.
 */
char *wp_demangle(const char *name);
/* Rust alone: legacy and v0. NULL if name is not a Rust symbol. */
char *wp_rust_demangle(const char *name);

/* Lowercase hex of a build-id into out (2 * len + 1 bytes). */
void wp_build_id_hex(const uint8_t *id, size_t len, char *out);

#endif
