/* SPDX-License-Identifier: MIT */
/*
 * Opening files whose paths a stranger chose: a recorded file's paths, or
 * paths inside a traced process's root (/proc/PID/root/...). A FIFO or a
 * device there must never block or be read: regular files only.
 */
#ifndef WP_COMMON_OPENFILE_H
#define WP_COMMON_OPENFILE_H

#include <stdio.h>

/* Open a regular file read-only, close-on-exec, without ever blocking.
 * A descriptor, or -errno (-ENOEXEC: exists but is not a regular file). */
int wp_open_regular(const char *path);

/* The same as a stdio stream ("re"); NULL with errno set. */
FILE *wp_fopen_regular(const char *path);

/* The length of a path from /proc/PID/maps without the kernel's
 * " (deleted)" suffix: the file may still be there, or under --symfs. */
size_t wp_mapped_path_len(const char *path);

#endif
