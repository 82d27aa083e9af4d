/* SPDX-License-Identifier: MIT */
/*
 * Safe opens of untrusted paths. See openfile.h.
 */
#include "common/openfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int wp_open_regular(const char *path)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOEXEC;
	}
	/* regular files never block; clear the flag for ordinary reads */
	if (fcntl(fd, F_SETFL, 0) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

FILE *wp_fopen_regular(const char *path)
{
	int fd = wp_open_regular(path);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return f;
}

size_t wp_mapped_path_len(const char *path)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(path), dlen = sizeof(deleted) - 1;

	if (len > dlen && strcmp(path + len - dlen, deleted) == 0)
		len -= dlen;
	return len;
}
