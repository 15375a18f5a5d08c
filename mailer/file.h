/* SPDX-License-Identifier: ISC */
/*
 * file.h - every file the postmaster names (the config, the password
 * file, the TLS CA, certificate and key, the notice template and state
 * directory) is opened the same way: without ever blocking, only if it
 * is what it claims to be, and only if nobody but root or the user
 * lmtp-iq runs as could have changed it - or any directory on its path
 * (walked from / with openat: Sendmail's safedirpath() rules, and no
 * person's account owns a directory on the way).
 */
#ifndef LMTPIQ_FILE_H
#define LMTPIQ_FILE_H

#include <stddef.h>

enum file_kind {
	FILE_PLAIN,		/* a regular file group and others cannot write */
	FILE_SECRET,		/* ... nor read; not through a symlink */
	FILE_DIR,		/* a directory group and others cannot write */
};

/* Open path (what, if not "", names it in messages: "tls_key_file")
 * for reading.  Returns the descriptor (close-on-exec; non-blocking, which
 * a regular file never needs), or -1 with err set: why, naming the file,
 * its mode or owner and the fix.  errno is ENOENT when it does not exist. */
int file_open(const char *path, const char *what, enum file_kind kind,
    char *err, size_t cap);

#endif
