/* SPDX-License-Identifier: ISC */
/*
 * file.c - one way to open the files the postmaster names.  A FIFO or a
 * device would block a delivery (and Sendmail's queue entry) until
 * somebody writes to it; a file another user can write decides where the
 * mail and the secret go as surely as the postmaster does.  So every
 * such file is opened non-blocking and checked on the open descriptor
 * (no race between the check and the use).
 */
#define _DEFAULT_SOURCE
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
refuse(int fd, int e, char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(int fd, int e, char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (fd >= 0)
		close(fd);
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

int
file_open(const char *path, const char *what, enum file_kind kind,
    char *err, size_t cap)
{
	int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	char name[1100];
	unsigned mode;
	struct stat st;
	int fd;

	snprintf(name, sizeof(name), "%s%s%s", what, what[0] ? " " : "", path);

	if (kind == FILE_SECRET)
		flags |= O_NOFOLLOW;
	if (kind == FILE_DIR)
		flags |= O_DIRECTORY;
	if ((fd = open(path, flags)) < 0)
		return refuse(-1, errno, err, cap, "%s: %s", name,
		    strerror(errno));
	if (fstat(fd, &st) != 0)
		return refuse(fd, EIO, err, cap, "%s: %s", name,
		    strerror(errno));
	mode = (unsigned)(st.st_mode & 07777);
	if (kind == FILE_DIR ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return refuse(fd, EINVAL, err, cap, "%s is not a %s (a FIFO or "
		    "a device would hang the delivery)", name,
		    kind == FILE_DIR ? "directory" : "regular file");
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return refuse(fd, EPERM, err, cap, "%s is owned by uid %u; only "
		    "root or the user lmtp-iq runs as (uid %u) may own it "
		    "(chown)", name, (unsigned)st.st_uid,
		    (unsigned)geteuid());
	if (kind == FILE_SECRET && (mode & (S_IRWXG | S_IRWXO)) != 0)
		return refuse(fd, EPERM, err, cap, "%s has mode %04o; it must be "
		    "a regular file that group and others cannot read or write "
		    "(chmod 600)", name, mode);
	if ((mode & (S_IWGRP | S_IWOTH)) != 0)
		return refuse(fd, EPERM, err, cap, "%s has mode %04o; group and "
		    "others must not be able to write it (chmod go-w)", name,
		    mode);
	return fd;
}
