/* SPDX-License-Identifier: ISC */
/*
 * statename.h - the name of a per-user state file in a state directory
 * (refusal notices, quota warnings): one that no user name can turn
 * into another path, and that fits in a file name whatever the name.
 */
#ifndef LMTPIQ_STATENAME_H
#define LMTPIQ_STATENAME_H

#include <stddef.h>

#define STATENAME_MAX 256	/* NAME_MAX and the NUL */

/* prefix and the user with anything but letters, digits, ".", "-", "_"
 * and "@" as %XX; a name that would not fit in a file name (NAME_MAX)
 * is hprefix and the SHA-256 of the user in hex.  cap is at least
 * STATENAME_MAX. */
void statename(const char *prefix, const char *hprefix, const char *user,
    char *name, size_t cap);

#endif
