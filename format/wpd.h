/* SPDX-License-Identifier: MIT */
/*
 * libwpd: reader and writer of .wpd profile files.
 *
 * This header is the programming interface; docs/wpd-format.md is the
 * normative byte-level specification and changes together with this file.
 * libwpd depends on zstd and xxhash only: no BPF, no libbpf, no libelf, so
 * offline tools and third parties can link it on any machine.
 *
 * Layout of a file (all integers little-endian):
 *
 *   file header (64 bytes)
 *   block 0: block header (32 bytes) + zstd frame of records
 *   block 1: ...
 *
 * Every block is independent: it decompresses on its own and holds whole
 * records only, so a file cut at any point (kill -9, power loss, a partial
 * copy) reads up to its last complete block, and a damaged block is
 * reported and skipped.
 *
 * A record is { u32 type; u32 size; u8 payload[size]; }. Readers skip and
 * count types they do not know, so files written by a newer wp still open.
 *
 * Error convention: functions return 0 (or a count) on success and a
 * negative errno on failure; -EBADMSG means the file content is invalid.
 * Nothing here prints or exits; the reader keeps a human-readable reason
 * for the last problem (wpd_reader__error()).
 */
#ifndef WP_FORMAT_WPD_H
#define WP_FORMAT_WPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- *
 * On-disk constants
 * ---------------------------------------------------------------- */

/* "\x89WPD\r\n\x1a\n": the high byte and CR/LF/^Z catch text-mode damage. */
#define WPD_MAGIC            "\x89WPD\r\n\x1a\n"
#define WPD_MAGIC_LEN        8
#define WPD_VERSION_MAJOR    1 /* a reader refuses another major */
#define WPD_VERSION_MINOR    1 /* newer minors only add record types/keys */
#define WPD_FILE_HEADER_SIZE 64

#define WPD_BLOCK_MAGIC       0x4b425057u /* "WPBK" as bytes on disk */
#define WPD_BLOCK_HEADER_SIZE 32
/* Limits a reader enforces before allocating anything. */
#define WPD_BLOCK_MAX_RAW     (8u << 20)  /* decompressed payload */
#define WPD_BLOCK_MAX_COMP    (9u << 20)  /* compressed payload */
/* The writer closes a block when it reaches this many raw bytes. */
#define WPD_BLOCK_TARGET_RAW  (256u << 10)

#define WPD_RECORD_HEADER_SIZE 8

/* Compatible feature flags (file header): what the file contains. */
#define WPD_FEAT_ONCPU   (1ull << 0) /* cpu-clock samples */
#define WPD_FEAT_OFFCPU  (1ull << 1) /* scheduler events (off-CPU) */
#define WPD_FEAT_KSYMS   (1ull << 2) /* kernel symbols stored */
#define WPD_FEAT_SYMBOLS (1ull << 3) /* user symbols of the addresses hit stored */
/* Incompatible flags: a reader refuses a file with bits it does not know. */
#define WPD_INCOMPAT_KNOWN 0ull

/* Record types. Numbers are never reused; new ones are appended. */
enum wpd_record_type {
	WPD_REC_META = 1,    /* key/value list: recording metadata */
	WPD_REC_STRING = 2,  /* interned string */
	WPD_REC_STACK = 3,   /* stack table entry */
	WPD_REC_SAMPLES = 4, /* batch of on-CPU samples */
	WPD_REC_THREAD = 5,  /* thread name (comm) as of a time */
	WPD_REC_MMAP = 6,    /* one executable mapping of a process */
	WPD_REC_MMAP_RESET = 7, /* process replaced its mappings (exec) */
	WPD_REC_KSYM = 8,    /* kernel symbol referenced by a stack */
	WPD_REC_STATS = 9,   /* key/value list: cumulative counters */
	WPD_REC_FINISH = 10, /* key/value list: clean end of recording */
	/* minor 1: off-CPU / scheduler data (WPD_FEAT_OFFCPU) */
	WPD_REC_OFFCPU = 11,      /* batch of individual off-CPU intervals */
	WPD_REC_OFFCPU_AGG = 12,  /* aggregated short off-CPU intervals */
	WPD_REC_TASK = 13,        /* lifecycle: fork, thread, exec, exit, rename */
	WPD_REC_THREAD_TIME = 14, /* per-thread scheduler accounting */
	/* names that travel with the file (WPD_FEAT_SYMBOLS; docs/symbols.md) */
	WPD_REC_JITSYM = 15,  /* symbols of a process's JIT code (its perf map) */
	WPD_REC_SYMBOL = 16,  /* function symbols of a binary, for the addresses hit */
	WPD_REC_SRCLINE = 17, /* inline chains and source lines of addresses hit */
	/* 18, 19: unassigned (the reader skips them as unknown) */
	/* --call-graph dwarf (docs/unwinding.md) */
	WPD_REC_USTACK_DUMP = 20, /* user registers + stack bytes: a stack the reader unwinds */
	/* Highest type this library knows; the reader skips higher ones. */
	WPD_REC_TYPE_MAX = 20,
	WPD_REC_TYPE_MAX_V1 = WPD_REC_TYPE_MAX, /* older name */
};

/* A record type this library knows: 1..WPD_REC_TYPE_MAX but the
 * unassigned ones. The reader skips (and counts) the others. */
bool wpd_record_type_known(uint32_t type);

/* Why a thread was off-CPU: its state at switch-out. Readers treat values
 * they do not know (a newer minor) like WPD_OFF_OTHER. */
enum wpd_offcpu_reason {
	WPD_OFF_UNKNOWN = 0,   /* start not seen: off-CPU when recording began */
	WPD_OFF_SLEEP = 1,     /* TASK_INTERRUPTIBLE (S), and TASK_IDLE */
	WPD_OFF_BLOCKED = 2,   /* TASK_UNINTERRUPTIBLE (D), usually I/O */
	WPD_OFF_PREEMPTED = 3, /* still runnable: preempted or yielded */
	WPD_OFF_OTHER = 4,     /* stopped, traced, other states */
	WPD_OFF_REASON_MAX = 4,
};

/* TASK kinds. Readers ignore TASK records of kinds they do not know. */
enum wpd_task_kind {
	WPD_TASK_FORK = 1,   /* new process pid (tid == pid); parent = forking thread */
	WPD_TASK_THREAD = 2, /* new thread tid in process pid; parent = creating thread */
	WPD_TASK_EXEC = 3,   /* thread tid of pid exec'd; comm_str = new comm */
	WPD_TASK_EXIT = 4,   /* thread tid exited (tid == pid: the leader) */
	WPD_TASK_RENAME = 5, /* comm changed to comm_str */
	WPD_TASK_KIND_MAX = 5,
};

/* THREAD_TIME flags */
#define WPD_THREAD_TIME_EXITED (1u << 0) /* the thread exited at last_ns */

/* Value types inside key/value lists (META, STATS, FINISH). */
enum wpd_kv_type {
	WPD_KV_U64 = 1,    /* 8 bytes */
	WPD_KV_STRING = 2, /* UTF-8 bytes, not NUL-terminated */
	WPD_KV_I64 = 3,    /* 8 bytes, two's complement */
};

/* STACK flags */
#define WPD_STACK_KERNEL_TRUNCATED (1u << 0) /* deeper frames not captured */
#define WPD_STACK_USER_TRUNCATED   (1u << 1)
#define WPD_STACK_KERNEL_MISSING   (1u << 2) /* capture failed */
#define WPD_STACK_USER_MISSING     (1u << 3) /* capture failed (not: kernel thread) */
#define WPD_STACK_NO_USER          (1u << 4) /* task has no user space (kthread) */
#define WPD_STACK_KERNEL_NOT_WALKED (1u << 5) /* off-CPU: kernel stack not taken, by policy */

/* MMAP flags */
#define WPD_MMAP_BUILD_ID    (1u << 0) /* build_id is valid */
#define WPD_MMAP_ANON_EXEC   (1u << 1) /* anonymous executable memory (JIT) */

#define WPD_BUILD_ID_MAX 20
/* Frames per side a reader accepts (the kernel walks at most 127). */
#define WPD_STACK_MAX_FRAMES 1024
#define WPD_STRING_MAX (64u << 10)
#define WPD_COMM_LEN 16
/* Frames of one SRCLINE entry a reader accepts (an inline chain). */
#define WPD_SRCLINE_MAX_FRAMES 64

/* USTACK_DUMP: limits and flags. */
#define WPD_USTACK_DUMP_MAX (64u << 10) /* stack bytes per record */
#define WPD_USTACK_MAX_REGS 64          /* regs_mask bits: DWARF registers 0..63 */
#define WPD_USTACK_AT_LIMIT (1u << 0)   /* the copy stopped at the recorder's size
					 * limit (the stack goes on above it) */

/* Well-known keys. Readers ignore keys they do not know. */
/* META */
#define WPD_META_HOSTNAME        "hostname"         /* string */
#define WPD_META_KERNEL          "kernel_release"   /* string, uname -r */
#define WPD_META_ARCH            "arch"             /* string, uname -m */
#define WPD_META_START_REALTIME  "start_realtime_ns" /* u64, CLOCK_REALTIME */
#define WPD_META_START_MONO      "start_monotonic_ns" /* u64, CLOCK_MONOTONIC */
#define WPD_META_CMDLINE         "cmdline"          /* string, wp-record argv */
#define WPD_META_TARGET          "target"           /* string: "system", "pid 12,13", "command ..." */
#define WPD_META_FREQ            "sample_freq_hz"   /* u64 */
#define WPD_META_NCPUS           "ncpus"            /* u64, CPUs recorded */
#define WPD_META_WP_VERSION      "wp_version"       /* string */
#define WPD_META_CALL_GRAPH      "call_graph"       /* string: "fp" or "dwarf,SIZE" */
#define WPD_META_OFF_CPU         "off_cpu"          /* u64 0/1: scheduler events recorded */
#define WPD_META_MIN_BLOCK       "min_block_ns"     /* u64: OFFCPU vs OFFCPU_AGG threshold */
/* STATS and FINISH (counters are cumulative; the last record wins) */
#define WPD_STAT_SAMPLES         "samples"          /* u64, samples stored */
#define WPD_STAT_DURATION        "duration_ns"      /* u64 */
#define WPD_STAT_END_MONO        "end_monotonic_ns" /* u64 */
#define WPD_STAT_EXIT_STATUS     "exit_status"      /* i64, of the launched command */
#define WPD_STAT_OFFCPU_EVENTS   "offcpu_events"    /* u64, intervals stored in OFFCPU */
#define WPD_STAT_OFFCPU_AGGREGATED "offcpu_aggregated" /* u64, intervals folded into OFFCPU_AGG */
/* Drop counters are keys beginning with this prefix, e.g. "lost.ringbuf_full". */
#define WPD_STAT_LOST_PREFIX     "lost."
/* --call-graph dwarf unwound by the recorder: "unwind.stacks", "unwind.<reason>"
 * (docs/unwinding.md's reasons), "unwind.frames", "unwind.ns" */
#define WPD_STAT_UNWIND_PREFIX   "unwind."

/* ---------------------------------------------------------------- *
 * Decoded records. Pointers point into the record's payload and are
 * valid until the next wpd_reader__next() call.
 * ---------------------------------------------------------------- */

struct wpd_record {
	uint32_t type;
	uint32_t size;
	const uint8_t *data;
	uint32_t block_seq; /* sequence number of the block it came from */
};

struct wpd_kv {
	const char *key; /* not NUL-terminated */
	uint32_t key_len;
	uint8_t type;    /* enum wpd_kv_type; unknown types are still returned */
	uint64_t u64;    /* WPD_KV_U64 / WPD_KV_I64 (cast) */
	const uint8_t *value; /* raw value bytes (all types) */
	uint32_t value_len;
};

struct wpd_kv_iter {
	const uint8_t *p, *end;
};

struct wpd_string {
	uint32_t id;
	const char *str; /* not NUL-terminated */
	uint32_t len;
};

struct wpd_stack {
	uint32_t id;     /* >= 1; 0 means "no stack" in samples */
	uint32_t flags;  /* WPD_STACK_* */
	uint16_t nkernel, nuser;
	/* Leaf first: kernel[0] is the innermost kernel frame, user[0] the
	 * innermost user frame (the IP at the time of the sample). */
	uint64_t kernel[WPD_STACK_MAX_FRAMES];
	uint64_t user[WPD_STACK_MAX_FRAMES];
};

struct wpd_sample {
	uint64_t time_ns; /* CLOCK_MONOTONIC */
	uint32_t pid, tid, cpu;
	uint32_t stack_id; /* 0: no stack */
};

struct wpd_samples_iter {
	const uint8_t *p, *end;
	uint32_t remaining;
	uint64_t time_ns;
};

struct wpd_thread {
	uint64_t time_ns;
	uint32_t pid, tid;
	uint32_t comm_str; /* STRING id */
};

struct wpd_mmap {
	uint64_t time_ns;
	uint32_t pid, flags;
	uint64_t start, end, pgoff;
	uint32_t path_str; /* STRING id */
	uint8_t build_id_len;
	uint8_t build_id[WPD_BUILD_ID_MAX];
};

struct wpd_mmap_reset {
	uint64_t time_ns;
	uint32_t pid;
};

struct wpd_ksym {
	uint64_t start;
	uint32_t size;     /* bytes; 0 if unknown */
	uint32_t name_str; /* STRING id */
	uint32_t module_str; /* STRING id, 0 for the kernel image */
};

/* One off-CPU interval (OFFCPU record): [start_ns, start_ns + duration_ns). */
struct wpd_offcpu {
	uint64_t start_ns;    /* switch-out (CLOCK_MONOTONIC) */
	uint64_t duration_ns; /* until switch-in (or recording end) */
	uint64_t runq_ns;     /* tail of the duration spent runnable after the
			       * wakeup, waiting for a CPU; <= duration_ns; 0 unknown */
	uint32_t pid, tid;
	uint32_t cpu;         /* CPU it switched out on */
	uint32_t stack_id;    /* stack at switch-out, 0 none */
	uint32_t reason;      /* enum wpd_offcpu_reason */
	uint32_t waker_pid, waker_tid; /* 0, 0: unknown or none (timer, IRQ) */
	uint32_t waker_stack_id;       /* 0 none */
};

struct wpd_offcpu_iter {
	const uint8_t *p, *end;
	uint32_t remaining;
	uint64_t time_ns; /* start of the previous interval (base at first) */
};

/* Totals of the intervals shorter than min_block_ns that ended in the
 * record's period, per (pid, tid, stack_id, reason, waker_*). */
struct wpd_offcpu_agg {
	uint64_t intervals; /* >= 1 */
	uint64_t total_ns;  /* sum of durations */
	uint64_t runq_ns;   /* sum of runq parts; <= total_ns */
	uint32_t pid, tid, stack_id, reason;
	uint32_t waker_pid, waker_tid, waker_stack_id;
};

struct wpd_offcpu_agg_iter {
	const uint8_t *p, *end;
	uint32_t remaining;
	uint64_t from_ns, to_ns; /* period covered, from_ns <= to_ns */
};

struct wpd_task {
	uint64_t time_ns;
	uint32_t kind;                   /* enum wpd_task_kind */
	uint32_t pid, tid;
	uint32_t parent_pid, parent_tid; /* 0 when not applicable */
	uint32_t comm_str;               /* STRING id, 0 unknown */
};

/* Cumulative: for a tid, the last THREAD_TIME record in the file wins. */
struct wpd_thread_time {
	uint32_t pid, tid;
	uint64_t oncpu_ns;  /* exact on-CPU time in [first_ns, last_ns] */
	uint64_t first_ns;  /* accounting start: recording start or creation */
	uint64_t last_ns;   /* accounting end: exit, recording end, last update */
	uint64_t switches;  /* switch-outs counted */
	uint32_t flags;     /* WPD_THREAD_TIME_* */
};

/* A symbol of a JITSYM or SYMBOL record: [start, start + size). */
struct wpd_sym {
	uint64_t start;    /* JITSYM: address; SYMBOL: file offset */
	uint64_t size;     /* bytes, start + size <= 2^64 */
	uint32_t name_str; /* STRING id of the name (SYMBOL: as in the symbol table) */
};

/* JITSYM: entries in non-decreasing start order. */
struct wpd_jitsym_iter {
	const uint8_t *p, *end;
	uint32_t remaining;
	uint64_t start;   /* of the previous entry (0 at first) */
	uint64_t time_ns; /* when the map was read */
	uint32_t pid;
};

/* The binary a SYMBOL or SRCLINE record is about: the path and build-id
 * of its MMAP records. */
struct wpd_binary {
	uint32_t path_str; /* STRING id */
	uint8_t build_id_len;
	uint8_t build_id[WPD_BUILD_ID_MAX];
};

/* SYMBOL: entries in non-decreasing start order. */
struct wpd_symbol_iter {
	const uint8_t *p, *end;
	uint32_t remaining;
	uint64_t start;
	struct wpd_binary bin;
};

/* One frame of an inline chain. 0: unknown. */
struct wpd_srcframe {
	uint32_t name_str; /* STRING id of the function */
	uint32_t file_str; /* STRING id of the source file */
	uint32_t line;
};

/* SRCLINE entry: the frames at one address, innermost first; every frame
 * but the last is inlined into the next. */
struct wpd_srcline {
	uint64_t addr;     /* file offset of the looked-up address */
	uint32_t nframes;  /* 1..WPD_SRCLINE_MAX_FRAMES */
	struct wpd_srcframe frames[WPD_SRCLINE_MAX_FRAMES];
};

/* SRCLINE: entries in non-decreasing addr order. */
struct wpd_srcline_iter {
	const uint8_t *p, *end;
	uint32_t remaining;
	uint64_t addr;
	struct wpd_binary bin;
};

/*
 * USTACK_DUMP: a stack whose user part the reader unwinds (--call-graph
 * dwarf). It defines stack id stack_id: its kernel frames and flags are
 * those of STACK kernel_stack_id (0: none), its user frames come from
 * unwinding regs and dump with the CFI of the process's binaries.
 */
struct wpd_ustack_dump {
	uint32_t stack_id;        /* >= 1: the id samples and intervals refer to */
	uint32_t kernel_stack_id; /* STACK with the kernel frames, 0 none */
	uint64_t time_ns;         /* when it was captured (address space, names) */
	uint32_t pid, tid;
	uint16_t machine;         /* ELF e_machine of the registers (62: x86_64) */
	uint16_t flags;           /* WPD_USTACK_* */
	uint64_t regs_mask;       /* bit i: regs[i] holds DWARF register i */
	uint64_t regs[WPD_USTACK_MAX_REGS];
	uint64_t dump_addr;       /* user address of dump[0] (the stack pointer) */
	uint32_t dump_len;        /* <= WPD_USTACK_DUMP_MAX, dump_addr + dump_len <= 2^64 */
	const uint8_t *dump;      /* into the record */
};

/* Decoders: 0 or -EBADMSG (payload too short, counts beyond limits, id 0
 * for STRING/STACK...). Trailing bytes (fields of a newer minor) are ignored. */
int wpd_decode_string(const struct wpd_record *rec, struct wpd_string *out);
int wpd_decode_stack(const struct wpd_record *rec, struct wpd_stack *out);
int wpd_decode_thread(const struct wpd_record *rec, struct wpd_thread *out);
int wpd_decode_mmap(const struct wpd_record *rec, struct wpd_mmap *out);
int wpd_decode_mmap_reset(const struct wpd_record *rec, struct wpd_mmap_reset *out);
int wpd_decode_ksym(const struct wpd_record *rec, struct wpd_ksym *out);
/* TASK: any kind is returned (callers ignore kinds they do not know). */
int wpd_decode_task(const struct wpd_record *rec, struct wpd_task *out);
/* THREAD_TIME: -EBADMSG also if first_ns > last_ns or
 * oncpu_ns > last_ns - first_ns. */
int wpd_decode_thread_time(const struct wpd_record *rec, struct wpd_thread_time *out);
/* USTACK_DUMP: -EBADMSG also for stack_id 0, dump_len over
 * WPD_USTACK_DUMP_MAX or past 2^64 from dump_addr; registers not in
 * regs_mask are returned as 0. */
int wpd_decode_ustack_dump(const struct wpd_record *rec, struct wpd_ustack_dump *out);

/* META / STATS / FINISH: iterate entries. next: 1 entry, 0 end, -EBADMSG. */
void wpd_kv_iter__init(struct wpd_kv_iter *it, const struct wpd_record *rec);
int wpd_kv_iter__next(struct wpd_kv_iter *it, struct wpd_kv *out);
bool wpd_kv__is(const struct wpd_kv *kv, const char *key);

/* SAMPLES: begin 0/-EBADMSG; next 1 sample, 0 end, -EBADMSG. */
int wpd_samples_iter__init(struct wpd_samples_iter *it, const struct wpd_record *rec);
int wpd_samples_iter__next(struct wpd_samples_iter *it, struct wpd_sample *out);

/* OFFCPU: init 0/-EBADMSG; next 1 interval, 0 end, -EBADMSG (also for an
 * interval whose start or end falls outside 0..UINT64_MAX, or with
 * runq_ns > duration_ns). Intervals come in stored order, which need not
 * be time order. */
int wpd_offcpu_iter__init(struct wpd_offcpu_iter *it, const struct wpd_record *rec);
int wpd_offcpu_iter__next(struct wpd_offcpu_iter *it, struct wpd_offcpu *out);

/* OFFCPU_AGG: init 0/-EBADMSG (also from_ns > to_ns); next 1 entry, 0 end,
 * -EBADMSG (also intervals == 0 or runq_ns > total_ns). */
int wpd_offcpu_agg_iter__init(struct wpd_offcpu_agg_iter *it, const struct wpd_record *rec);
int wpd_offcpu_agg_iter__next(struct wpd_offcpu_agg_iter *it, struct wpd_offcpu_agg *out);

/* JITSYM / SYMBOL / SRCLINE: init 0/-EBADMSG (short header, build_id_len
 * over WPD_BUILD_ID_MAX); next 1 entry, 0 end, -EBADMSG (a varint over
 * its limits, a start or address that decreases or overflows, start +
 * size over 2^64, nframes 0 or over WPD_SRCLINE_MAX_FRAMES, bytes
 * running out before count entries). Errors are sticky. */
int wpd_jitsym_iter__init(struct wpd_jitsym_iter *it, const struct wpd_record *rec);
int wpd_jitsym_iter__next(struct wpd_jitsym_iter *it, struct wpd_sym *out);
int wpd_symbol_iter__init(struct wpd_symbol_iter *it, const struct wpd_record *rec);
int wpd_symbol_iter__next(struct wpd_symbol_iter *it, struct wpd_sym *out);
int wpd_srcline_iter__init(struct wpd_srcline_iter *it, const struct wpd_record *rec);
int wpd_srcline_iter__next(struct wpd_srcline_iter *it, struct wpd_srcline *out);

/* ---------------------------------------------------------------- *
 * Reader: streams the file one block at a time (bounded memory).
 * ---------------------------------------------------------------- */

struct wpd_reader;

struct wpd_file_info {
	uint16_t version_major, version_minor;
	uint64_t compat_flags, incompat_flags;
};

/* What reading found; complete after wpd_reader__next() returned 0. */
struct wpd_read_stats {
	uint64_t blocks;          /* blocks read and verified */
	uint64_t blocks_damaged;  /* skipped: bad checksum, bad header, bad zstd */
	uint64_t bytes_skipped;   /* bytes not part of a good block */
	uint64_t records;         /* returned by wpd_reader__next() */
	uint64_t records_unknown; /* skipped: type not known to this reader */
	uint64_t records_bad;     /* skipped: record header overran its block */
	bool truncated;           /* file ended inside a block */
	bool finished;            /* a FINISH record was seen */
};

/* Open and check the file header. -ENOENT/-EACCES..., -EBADMSG (not a
 * .wpd, damaged header), -ENOTSUP (newer major version or unknown
 * incompatible flags). On failure *out is NULL; if err_buf is non-NULL a
 * reason is written there. */
int wpd_reader__open(const char *path, struct wpd_reader **out,
		     char *err_buf, size_t err_len);
/* Same, from an open file descriptor (not closed by the reader). */
int wpd_reader__open_fd(int fd, struct wpd_reader **out,
			char *err_buf, size_t err_len);
const struct wpd_file_info *wpd_reader__info(const struct wpd_reader *r);
/* 1: *rec holds the next record; 0: end of file; <0: I/O error.
 * Damage is never an error here: it is skipped and counted in the stats.
 * Records of unknown type are counted and skipped, not returned. */
int wpd_reader__next(struct wpd_reader *r, struct wpd_record *rec);
const struct wpd_read_stats *wpd_reader__stats(const struct wpd_reader *r);
/* Human-readable description of the first damage seen, or NULL. */
const char *wpd_reader__damage(const struct wpd_reader *r);
void wpd_reader__free(struct wpd_reader *r);

/* ---------------------------------------------------------------- *
 * Encoding: a growable byte buffer and record builders.
 * ---------------------------------------------------------------- */

struct wpd_buf {
	uint8_t *data;
	size_t len, cap;
	bool oom; /* set once an allocation failed (or len would pass
		   * UINT32_MAX); later puts are no-ops */
};

void wpd_buf__init(struct wpd_buf *b);
void wpd_buf__release(struct wpd_buf *b);
void wpd_buf__reset(struct wpd_buf *b); /* len = 0, keeps memory */
void wpd_buf__put(struct wpd_buf *b, const void *p, size_t n);
void wpd_buf__put_u8(struct wpd_buf *b, uint8_t v);
void wpd_buf__put_u16(struct wpd_buf *b, uint16_t v);
void wpd_buf__put_u32(struct wpd_buf *b, uint32_t v);
void wpd_buf__put_u64(struct wpd_buf *b, uint64_t v);
void wpd_buf__put_varint(struct wpd_buf *b, uint64_t v); /* unsigned LEB128 */

/* Key/value list entries (append to a buffer that becomes META/STATS/FINISH). */
void wpd_kv__put_u64(struct wpd_buf *b, const char *key, uint64_t v);
void wpd_kv__put_i64(struct wpd_buf *b, const char *key, int64_t v);
void wpd_kv__put_str(struct wpd_buf *b, const char *key, const char *s);

/* Whole-record payload encoders (b is reset first). Values a reader would
 * refuse are clamped: strings to WPD_STRING_MAX bytes, stacks to
 * WPD_STACK_MAX_FRAMES per side (setting the *_TRUNCATED flag), build ids
 * to WPD_BUILD_ID_MAX. */
void wpd_encode_string(struct wpd_buf *b, uint32_t id, const char *s, uint32_t len);
void wpd_encode_stack(struct wpd_buf *b, uint32_t id, uint32_t flags,
		      const uint64_t *kernel, uint16_t nkernel,
		      const uint64_t *user, uint16_t nuser);
void wpd_encode_thread(struct wpd_buf *b, const struct wpd_thread *t);
void wpd_encode_mmap(struct wpd_buf *b, const struct wpd_mmap *m);
void wpd_encode_mmap_reset(struct wpd_buf *b, const struct wpd_mmap_reset *m);
void wpd_encode_ksym(struct wpd_buf *b, const struct wpd_ksym *k);
void wpd_encode_task(struct wpd_buf *b, const struct wpd_task *t);
/* Clamps what a reader would refuse: last_ns to at least first_ns, then
 * oncpu_ns to at most last_ns - first_ns. */
void wpd_encode_thread_time(struct wpd_buf *b, const struct wpd_thread_time *t);
/* USTACK_DUMP from d (dump_len clamped to WPD_USTACK_DUMP_MAX and to what
 * fits below 2^64 from dump_addr; the registers of regs_mask). */
void wpd_encode_ustack_dump(struct wpd_buf *b, const struct wpd_ustack_dump *d);

/* SAMPLES batch: begin with the batch's first timestamp, add samples in
 * non-decreasing time order, end patches the count. An out-of-order sample
 * is stored with delta 0 (and the builder reports it: return 1). */
struct wpd_samples_builder {
	struct wpd_buf buf;
	uint64_t base_ns, last_ns;
	uint32_t count;
};
void wpd_samples_builder__init(struct wpd_samples_builder *sb);
void wpd_samples_builder__release(struct wpd_samples_builder *sb);
int wpd_samples_builder__add(struct wpd_samples_builder *sb, const struct wpd_sample *s);
/* Finalise into sb->buf (ready for wpd_writer__add) and return the count. */
uint32_t wpd_samples_builder__finish(struct wpd_samples_builder *sb);
void wpd_samples_builder__reset(struct wpd_samples_builder *sb);

/* OFFCPU batch: add intervals in any order (starts are stored as signed
 * deltas), finish patches the count. add returns 0, 1 if it clamped a
 * value a reader would refuse (runq_ns to duration_ns, duration_ns so the
 * end fits in 64 bits), or -ERANGE (nothing added) if the start minus the
 * previous one does not fit in an int64_t. */
struct wpd_offcpu_builder {
	struct wpd_buf buf;
	uint64_t base_ns, last_ns;
	uint32_t count;
};
void wpd_offcpu_builder__init(struct wpd_offcpu_builder *ob);
void wpd_offcpu_builder__release(struct wpd_offcpu_builder *ob);
int wpd_offcpu_builder__add(struct wpd_offcpu_builder *ob, const struct wpd_offcpu *o);
/* Finalise into ob->buf (ready for wpd_writer__add) and return the count. */
uint32_t wpd_offcpu_builder__finish(struct wpd_offcpu_builder *ob);
void wpd_offcpu_builder__reset(struct wpd_offcpu_builder *ob);

/* OFFCPU_AGG record: add entries, then finish with the period they cover
 * (to_ns is raised to from_ns if lower). add returns 0, 1 if it clamped
 * runq_ns to total_ns, or -EINVAL (nothing added) if intervals == 0. */
struct wpd_offcpu_agg_builder {
	struct wpd_buf buf;
	uint32_t count;
};
void wpd_offcpu_agg_builder__init(struct wpd_offcpu_agg_builder *ab);
void wpd_offcpu_agg_builder__release(struct wpd_offcpu_agg_builder *ab);
int wpd_offcpu_agg_builder__add(struct wpd_offcpu_agg_builder *ab,
				const struct wpd_offcpu_agg *a);
/* Finalise into ab->buf and return the count. */
uint32_t wpd_offcpu_agg_builder__finish(struct wpd_offcpu_agg_builder *ab,
					uint64_t from_ns, uint64_t to_ns);
void wpd_offcpu_agg_builder__reset(struct wpd_offcpu_agg_builder *ab);

/* JITSYM, SYMBOL and SRCLINE records: begin with the record's header,
 * add entries in non-decreasing start (address) order, finish patches the
 * count. add returns 0, or -EINVAL (nothing added) for an entry out of
 * order, with start + size over 2^64, or with nframes 0 or over
 * WPD_SRCLINE_MAX_FRAMES (build-ids are clamped to WPD_BUILD_ID_MAX).
 * Callers bound a record's size by finishing it after some entries
 * (buf.len) and beginning another. */
struct wpd_symbols_builder {
	struct wpd_buf buf;
	uint32_t type; /* the record type begun */
	uint32_t count;
	uint64_t last;
};
void wpd_symbols_builder__init(struct wpd_symbols_builder *sb);
void wpd_symbols_builder__release(struct wpd_symbols_builder *sb);
void wpd_symbols_builder__begin_jit(struct wpd_symbols_builder *sb, uint64_t time_ns,
				    uint32_t pid);
/* type: WPD_REC_SYMBOL or WPD_REC_SRCLINE */
void wpd_symbols_builder__begin_binary(struct wpd_symbols_builder *sb, uint32_t type,
				       const struct wpd_binary *bin);
int wpd_symbols_builder__add_sym(struct wpd_symbols_builder *sb, const struct wpd_sym *s);
int wpd_symbols_builder__add_srcline(struct wpd_symbols_builder *sb,
				     const struct wpd_srcline *l);
/* Patch the count into sb->buf (ready for wpd_writer__add_buf with
 * sb->type) and return it. */
uint32_t wpd_symbols_builder__finish(struct wpd_symbols_builder *sb);

/* ---------------------------------------------------------------- *
 * Writer
 * ---------------------------------------------------------------- */

struct wpd_writer;

struct wpd_writer_opts {
	uint64_t compat_flags;
	int zstd_level;        /* 0: default (3) */
	size_t block_target;   /* 0: WPD_BLOCK_TARGET_RAW */
};

/* Writes the file header to fd (which the writer does not close). */
int wpd_writer__new(int fd, const struct wpd_writer_opts *opts,
		    struct wpd_writer **out);
/* Append a record to the current block; a full block is flushed first.
 * -E2BIG if size > WPD_BLOCK_MAX_RAW - header. */
int wpd_writer__add(struct wpd_writer *w, uint32_t type, const void *payload,
		    uint32_t size);
int wpd_writer__add_buf(struct wpd_writer *w, uint32_t type,
			const struct wpd_buf *b); /* -ENOMEM if b->oom */
/* Compress and write the current block, if it holds any record.
 * A write error is sticky: the block may be partly on disk, so every later
 * add/flush/close returns the same error. */
int wpd_writer__flush(struct wpd_writer *w);
/* Bytes written to fd so far (header + complete blocks). */
uint64_t wpd_writer__bytes(const struct wpd_writer *w);
/* Flush and free (w may be NULL). Returns the flush result. */
int wpd_writer__close(struct wpd_writer *w);

#endif
