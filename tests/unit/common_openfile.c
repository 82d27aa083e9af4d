// SPDX-License-Identifier: MIT
/*
 * wp_open_regular / wp_fopen_regular: paths chosen by strangers (a
 * recording's paths, a traced process's root) open regular files only and
 * never block: a FIFO without a writer, a device, a directory are refused
 * at once. alarm() turns a hang into a failure instead of a stalled suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/openfile.h"
#include "tests/lib/tap.h"

#define HANG_LIMIT_S 10

int main(void)
{
	char dir[] = "/tmp/wp-openfile-XXXXXX";
	char fifo[64], reg[64], line[16];
	FILE *f;
	int fd, flags;

	alarm(HANG_LIMIT_S);
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(reg, sizeof(reg), "%s/reg", dir);
	ok(mkfifo(fifo, 0600) == 0, "made a FIFO");
	f = fopen(reg, "w");
	ok(f && fputs("hello\n", f) >= 0 && fclose(f) == 0, "made a regular file");

	fd = wp_open_regular(reg);
	ok(fd >= 0, "a regular file opens (%d)", fd);
	flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	ok(flags >= 0 && !(flags & O_NONBLOCK), "its descriptor is blocking again");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "close-on-exec");
	if (fd >= 0)
		close(fd);

	ok(wp_open_regular(fifo) == -ENOEXEC, "a FIFO without a writer: -ENOEXEC, no hang");
	ok(wp_open_regular("/dev/zero") == -ENOEXEC, "a device: -ENOEXEC");
	ok(wp_open_regular(dir) == -ENOEXEC, "a directory: -ENOEXEC");
	ok(wp_open_regular("/nonexistent/wp") == -ENOENT, "a missing file: -ENOENT");

	f = wp_fopen_regular(reg);
	ok(f && fgets(line, sizeof(line), f) && !strcmp(line, "hello\n"), "a stream reads it");
	if (f)
		fclose(f);
	errno = 0;
	ok(!wp_fopen_regular(fifo) && errno == ENOEXEC, "no stream on a FIFO (errno ENOEXEC)");

	ok(wp_mapped_path_len("/usr/bin/x (deleted)") == strlen("/usr/bin/x"), "' (deleted)' is cut");
	ok(wp_mapped_path_len("/usr/bin/x") == strlen("/usr/bin/x"), "a live path is whole");
	ok(wp_mapped_path_len(" (deleted)") == strlen(" (deleted)"), "nothing but the suffix: kept");

	unlink(fifo);
	unlink(reg);
	rmdir(dir);
	return done_testing();
}
