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
#include <limits.h>
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

/* Give up with err as it was set, errno kept: fd closed. */
static int
given_up(int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	errno = e != 0 ? e : EPERM;
	return -1;
}

/* System accounts are below this uid (Debian's adduser): made by the
 * system's packages, not given to people.  Debian's /etc/mail belongs
 * to one (smmta, Sendmail's TrustedUser). */
#define FILE_SYSTEM_UID_END 1000

/* How a directory on the way may look: not writable by group or others
 * unless it is sticky and root's (/tmp), as Sendmail's safedirpath()
 * has it; and, since whoever owns a directory may rename in it, owned
 * by root, a system account or the user lmtp-iq runs as - never by a
 * person's account.  0, or -1 with err naming the directory and why. */
static int
safe_dir(const struct stat *st, const char *dir, const char *name,
    char *err, size_t cap)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);

	if (st->st_uid >= FILE_SYSTEM_UID_END && st->st_uid != geteuid())
		return refuse(-1, EPERM, err, cap, "%s: the directory %s on its "
		    "path is owned by uid %u; every directory on the path must "
		    "be owned by root, a system account (uid below %d) or the "
		    "user lmtp-iq runs as (uid %u)", name, dir,
		    (unsigned)st->st_uid, FILE_SYSTEM_UID_END,
		    (unsigned)geteuid());
	if ((mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !((mode & S_ISVTX) && st->st_uid == 0))
		return refuse(-1, EPERM, err, cap, "%s: the directory %s on its "
		    "path has mode %04o; group and others must not be able to "
		    "write it, unless it is sticky and root's (chmod go-w)",
		    name, dir, mode);
	return 0;
}

/* The components still to walk: a stack of path pieces, so that a
 * symlink's target goes in front of what was left. */
struct walk {
	char left[8192];	/* what is left, "a/b/c" */
	char done[4096];	/* the directories walked, for messages */
	int links;		/* symlinks followed so far */
};

/* Put target in front of what is left; an absolute one starts at /
 * again (*dirfd is reopened). */
static int
push_target(struct walk *w, const char *target, int *dirfd)
{
	char rest[sizeof(w->left)];

	if (++w->links > 16)
		return -1;
	snprintf(rest, sizeof(rest), "%s", w->left);
	if (snprintf(w->left, sizeof(w->left), "%s%s%s", target,
	    rest[0] ? "/" : "", rest) >= (int)sizeof(w->left))
		return -1;
	if (target[0] == '/') {
		close(*dirfd);
		w->done[0] = '\0';
		if ((*dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return -1;
	}
	return 0;
}

/* The next component of w->left into part (empty when none is left);
 * 1 when it is the last, -1 when it is longer than a file name can be
 * (never cut to a shorter name that may exist). */
static int
next_part(struct walk *w, char *part, size_t cap)
{
	char *p = w->left, *slash;
	size_t n;

	while (*p == '/')
		p++;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n >= cap)
		return -1;
	memcpy(part, p, n);
	part[n] = '\0';
	p += n;
	while (*p == '/')
		p++;
	memmove(w->left, p, strlen(p) + 1);
	return w->left[0] == '\0';
}

/* A symlink at dirfd/part: followed only when root owns it.  0 and its
 * target pushed, or -1 with err. */
static int
follow(struct walk *w, int *dirfd, const char *part, const char *name,
    char *err, size_t cap)
{
	char target[4096];
	struct stat st;
	ssize_t n;

	if (fstatat(*dirfd, part, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return refuse(-1, errno, err, cap, "%s: %s", name, strerror(errno));
	if (st.st_uid != 0)
		return refuse(-1, EPERM, err, cap, "%s: %s/%s on its path is a "
		    "symlink owned by uid %u; only root's are followed", name,
		    w->done, part, (unsigned)st.st_uid);
	n = readlinkat(*dirfd, part, target, sizeof(target) - 1);
	if (n <= 0)
		return refuse(-1, errno, err, cap, "%s: %s", name, strerror(errno));
	target[n] = '\0';
	if (push_target(w, target, dirfd) < 0)
		return refuse(-1, ELOOP, err, cap, "%s: too many symlinks, or too "
		    "long a path", name);
	return 0;
}

/* Walk path from / (or from the working directory, for a relative one
 * given on the command line), each directory on the way checked by
 * safe_dir on its own descriptor, and open its last component with
 * flags from the last one checked: no name is looked up twice, so none
 * can be swapped between the check and the use. */
static int
walk_open(const char *path, int flags, int follow_last, const char *name,
    char *err, size_t cap)
{
	static struct walk w;
	char part[NAME_MAX + 1];
	struct stat st;
	int dirfd, fd, last;

	if (strlen(path) >= sizeof(w.left) / 2)
		return refuse(-1, ENAMETOOLONG, err, cap, "%s: %s", name,
		    strerror(ENAMETOOLONG));
	snprintf(w.left, sizeof(w.left), "%s", path);
	w.done[0] = '\0';
	w.links = 0;
	dirfd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (dirfd < 0)
		return refuse(-1, errno, err, cap, "%s: %s", name, strerror(errno));
	if (path[0] == '/' && fstat(dirfd, &st) == 0 &&
	    safe_dir(&st, "/", name, err, cap) < 0)
		return given_up(dirfd);
	for (;;) {
		if ((last = next_part(&w, part, sizeof(part))) < 0)
			return refuse(dirfd, ENAMETOOLONG, err, cap, "%s: %s",
			    name, strerror(ENAMETOOLONG));
		if (strcmp(part, "..") == 0)
			return refuse(dirfd, EINVAL, err, cap, "%s: a path with "
			    "\"..\" in it is not taken", name);
		/* Nothing left ("/", a trailing "/"), or a "." in it. */
		if (part[0] == '\0' || strcmp(part, ".") == 0) {
			if (last)
				break;
			continue;
		}
		fd = openat(dirfd, part, (last ? flags : O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC) | O_NOFOLLOW);
		if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) &&
		    (!last || follow_last)) {
			struct stat l;

			if (fstatat(dirfd, part, &l, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(l.st_mode)) {
				if (follow(&w, &dirfd, part, name, err, cap) < 0)
					return given_up(dirfd);
				continue;
			}
		}
		if (fd < 0)
			return refuse(dirfd, errno, err, cap, "%s: %s", name,
			    strerror(errno));
		if (last) {
			close(dirfd);
			return fd;
		}
		snprintf(w.done + strlen(w.done), sizeof(w.done) -
		    strlen(w.done), "/%s", part);
		if (fstat(fd, &st) != 0) {
			close(fd);
			return refuse(dirfd, EIO, err, cap, "%s: %s", name,
			    strerror(errno));
		}
		if (safe_dir(&st, w.done, name, err, cap) < 0) {
			close(fd);
			return given_up(dirfd);
		}
		close(dirfd);
		dirfd = fd;
	}
	/* The path ended at a directory ("/", "d/", "d/."): open it. */
	fd = openat(dirfd, ".", flags);
	close(dirfd);
	if (fd < 0)
		return refuse(-1, errno, err, cap, "%s: %s", name, strerror(errno));
	return fd;
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

	if (kind == FILE_DIR)
		flags |= O_DIRECTORY;
	/* A secret is never read through a symlink; other files through
	 * root's only. */
	if ((fd = walk_open(path, flags, kind != FILE_SECRET, name, err,
	    cap)) < 0)
		return -1;
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
