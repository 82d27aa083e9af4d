/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "convert/outfile.h"

int wp_outfile__open(struct wp_outfile *o, const char *path)
{
	struct stat st;
	mode_t mask;
	int fd;

	*o = (struct wp_outfile){ 0 };
	if (!path || strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	o->path = path;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->f = fopen(path, "w");
		if (!o->f) {
			pr_err("cannot open '%s': %s", path, strerror(errno));
			return 1;
		}
		return 0;
	}
	if (asprintf(&o->tmp, "%s.XXXXXX", path) < 0) {
		o->tmp = NULL;
		pr_err("out of memory");
		return 1;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		pr_err("cannot create '%s': %s", o->tmp, strerror(errno));
		goto fail;
	}
	/* mkstemp makes it 0600; give it what open(..., 0666) would */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		pr_err("cannot open '%s': %s", o->tmp, strerror(errno));
		close(fd);
		unlink(o->tmp);
		goto fail;
	}
	return 0;
fail:
	free(o->tmp);
	o->tmp = NULL;
	return 1;
}

int wp_outfile__close(struct wp_outfile *o, int err)
{
	errno = 0;
	if (!err && fflush(o->f))
		err = errno ? -errno : -EIO;
	/* an earlier write failed without the writer noticing */
	if (!err && ferror(o->f))
		err = -EIO;
	if (o->f != stdout) {
		errno = 0;
		if (fclose(o->f) && !err)
			err = errno ? -errno : -EIO;
	}
	o->f = NULL;
	if (o->tmp) {
		if (!err && rename(o->tmp, o->path))
			err = -errno;
		if (err)
			unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
	if (!err)
		return 0;
	if (o->path)
		pr_err("cannot write '%s': %s", o->path, strerror(-err));
	else
		pr_err("cannot write the output: %s", strerror(-err));
	return 1;
}
