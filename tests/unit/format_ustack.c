// SPDX-License-Identifier: MIT
/*
 * libwpd USTACK_DUMP records (type 20, --call-graph dwarf): the byte
 * layout the spec shows, round trips (encoder -> decoder, and through a
 * whole file), the encoder's clamps, and hostile payloads: every cut,
 * limits, a dump that would wrap past 2^64, register masks that promise
 * more bytes than there are. Also: the unassigned types 18 and 19 are
 * skipped as unknown.
 */
#include "format/wpd.h"
#include "tests/lib/tap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Copy into an exactly-sized heap block so ASan sees any over-read. */
static struct wpd_record rec_dup(const uint8_t *p, size_t n, uint8_t **mem)
{
	struct wpd_record r = { .type = WPD_REC_USTACK_DUMP, .size = (uint32_t)n };

	*mem = malloc(n ? n : 1);
	if (n)
		memcpy(*mem, p, n);
	r.data = *mem;
	return r;
}

static bool hex_is(const struct wpd_buf *b, const char *hex)
{
	char got[1024];
	size_t i;

	if (b->len * 2 + 1 > sizeof(got))
		return false;
	for (i = 0; i < b->len; i++)
		snprintf(got + 2 * i, 3, "%02x", b->data[i]);
	got[2 * b->len] = 0;
	if (strcmp(got, hex) != 0) {
		tap_diag("  got  %s", got);
		tap_diag("  want %s", hex);
		return false;
	}
	return true;
}

static const uint8_t example_dump[16] = {
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
};

/* The example of docs/wpd-format.md, 6.15. */
static void example(struct wpd_ustack_dump *d)
{
	memset(d, 0, sizeof(*d));
	d->stack_id = 9;
	d->kernel_stack_id = 4;
	d->time_ns = 1000000000;
	d->pid = 42;
	d->tid = 43;
	d->machine = 62;
	d->flags = WPD_USTACK_AT_LIMIT;
	d->regs_mask = 1ull << 6 | 1ull << 7 | 1ull << 16;
	d->regs[6] = 0x7ffc1040;
	d->regs[7] = 0x7ffc1000;
	d->regs[16] = 0x401136;
	d->dump_addr = 0x7ffc1000;
	d->dump_len = sizeof(example_dump);
	d->dump = example_dump;
}

static void test_layout(void)
{
	struct wpd_ustack_dump d, o;
	struct wpd_buf b;
	struct wpd_record r;
	uint8_t *mem;

	wpd_buf__init(&b);
	example(&d);
	wpd_encode_ustack_dump(&b, &d);
	ok(hex_is(&b,
		  "09000000" "04000000" "00ca9a3b00000000" "2a000000" "2b000000"
		  "3e00" "0100" "10000000" "c000010000000000" "0010fc7f00000000"
		  "4010fc7f00000000" "0010fc7f00000000" "3611400000000000"
		  "1112131415161718" "2122232425262728"),
	   "USTACK_DUMP bytes as the spec shows them");
	is_int(b.len, 88, "size 48 + 3 registers + 16 bytes");
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == 0, "decodes");
	ok(o.stack_id == 9 && o.kernel_stack_id == 4 && o.time_ns == 1000000000 &&
	   o.pid == 42 && o.tid == 43 && o.machine == 62 && o.flags == WPD_USTACK_AT_LIMIT &&
	   o.regs_mask == d.regs_mask && o.dump_addr == 0x7ffc1000 && o.dump_len == 16,
	   "the fields come back");
	ok(o.regs[6] == 0x7ffc1040 && o.regs[7] == 0x7ffc1000 && o.regs[16] == 0x401136 &&
	   o.regs[0] == 0 && o.regs[63] == 0, "registers by DWARF number, absent ones 0");
	ok(o.dump == mem + 72 && !memcmp(o.dump, example_dump, 16),
	   "the dump points into the record");
	free(mem);
	wpd_buf__release(&b);
}

static void test_hostile(void)
{
	struct wpd_ustack_dump d, o;
	struct wpd_buf b;
	struct wpd_record r;
	uint8_t *mem, *big;
	size_t i;
	int bad = 0;

	wpd_buf__init(&b);
	example(&d);
	wpd_encode_ustack_dump(&b, &d);
	for (i = 0; i < b.len; i++) {
		r = rec_dup(b.data, i, &mem);
		bad += wpd_decode_ustack_dump(&r, &o) == -EBADMSG;
		free(mem);
	}
	is_int(bad, b.len, "every cut is malformed");

	/* trailing bytes: a later minor's fields */
	wpd_buf__put_u32(&b, 0xdeadbeef);
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == 0 && o.dump_len == 16, "trailing bytes ignored");
	free(mem);

	/* stack id 0 */
	d.stack_id = 0;
	wpd_encode_ustack_dump(&b, &d);
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == -EBADMSG, "stack id 0 is malformed");
	free(mem);

	/* dump_len over the limit (patched: the encoder would clamp it) */
	example(&d);
	wpd_encode_ustack_dump(&b, &d);
	b.data[28] = 0x01; b.data[29] = 0x00; b.data[30] = 0x01; b.data[31] = 0x00;
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == -EBADMSG, "dump_len 65537 is malformed");
	free(mem);

	/* a dump that would wrap past 2^64 */
	example(&d);
	wpd_encode_ustack_dump(&b, &d);
	memset(b.data + 40, 0xff, 8); /* dump_addr 2^64 - 1, 16 bytes */
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == -EBADMSG, "dump past 2^64 is malformed");
	free(mem);

	/* a mask promising 64 registers over a short payload */
	example(&d);
	wpd_encode_ustack_dump(&b, &d);
	memset(b.data + 32, 0xff, 8);
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == -EBADMSG, "64 registers that are not there");
	free(mem);

	/* dump_len promising more than the payload holds */
	example(&d);
	wpd_encode_ustack_dump(&b, &d);
	b.data[28] = 0x00; b.data[29] = 0x10; /* 4096 */
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == -EBADMSG, "dump_len beyond the payload");
	free(mem);

	/* the largest dump, all 64 registers */
	big = calloc(1, WPD_USTACK_DUMP_MAX + 1);
	example(&d);
	d.regs_mask = UINT64_MAX;
	for (i = 0; i < 64; i++)
		d.regs[i] = i * 0x0101010101010101ull;
	d.dump = big;
	d.dump_len = WPD_USTACK_DUMP_MAX + 1;
	wpd_encode_ustack_dump(&b, &d);
	is_int(b.len, 48 + 64 * 8 + WPD_USTACK_DUMP_MAX, "the encoder clamps dump_len to the limit");
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == 0 && o.dump_len == WPD_USTACK_DUMP_MAX &&
	   o.regs[63] == 63 * 0x0101010101010101ull, "64 registers and 64 KiB decode");
	free(mem);
	d.dump_addr = UINT64_MAX - 10;
	d.dump_len = 100;
	wpd_encode_ustack_dump(&b, &d);
	r = rec_dup(b.data, b.len, &mem);
	ok(wpd_decode_ustack_dump(&r, &o) == 0 && o.dump_len == 10,
	   "the encoder clamps a dump at the top of the address space");
	free(mem);
	free(big);
	ok(!b.oom, "no allocation failed");
	wpd_buf__release(&b);
}

/* Through a file; types 18, 19 and 21 are skipped as unknown. */
static void test_file(void)
{
	struct wpd_writer_opts wo = { .compat_flags = WPD_FEAT_ONCPU };
	struct wpd_ustack_dump d, o;
	struct wpd_writer *w;
	struct wpd_reader *r;
	struct wpd_record rec;
	struct wpd_buf b;
	char err[256];
	int fd = memfd_create("ustack", MFD_CLOEXEC), n = 0, other = 0;

	ok(fd >= 0, "memfd");
	ok(wpd_record_type_known(17) && wpd_record_type_known(20) &&
	   !wpd_record_type_known(18) && !wpd_record_type_known(19) &&
	   !wpd_record_type_known(21) && !wpd_record_type_known(0),
	   "known types: 18, 19 unassigned, 20 the highest");
	wpd_buf__init(&b);
	example(&d);
	ok(wpd_writer__new(fd, &wo, &w) == 0, "writer");
	wpd_encode_ustack_dump(&b, &d);
	wpd_writer__add(w, 18, "x", 1);
	wpd_writer__add_buf(w, WPD_REC_USTACK_DUMP, &b);
	wpd_writer__add(w, 19, "y", 1);
	wpd_writer__add(w, 21, "z", 1);
	ok(wpd_writer__close(w) == 0, "written");
	lseek(fd, 0, SEEK_SET);
	ok(wpd_reader__open_fd(fd, &r, err, sizeof(err)) == 0, "reader");
	while (wpd_reader__next(r, &rec) == 1) {
		if (rec.type == WPD_REC_USTACK_DUMP && wpd_decode_ustack_dump(&rec, &o) == 0 &&
		    o.dump_len == 16 && !memcmp(o.dump, example_dump, 16))
			n++;
		else
			other++;
	}
	is_int(n, 1, "the dump comes back");
	is_int(other, 0, "nothing else is returned");
	is_int(wpd_reader__stats(r)->records_unknown, 3, "18, 19 and 21 counted as unknown");
	wpd_reader__free(r);
	close(fd);
	wpd_buf__release(&b);
}

int main(void)
{
	test_layout();
	test_hostile();
	test_file();
	return done_testing();
}
