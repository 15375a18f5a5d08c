/* SPDX-License-Identifier: ISC */
/*
 * quotajson.h - Cyrus's "quota -J" report (3.6 and later): an object of
 * quota roots, each an object of resources, each an object with "used"
 * and, when the root has a limit on it, "limit".  Read strictly: any
 * other shape is an error, never a guess.
 */
#ifndef LMTPIQ_QUOTAJSON_H
#define LMTPIQ_QUOTAJSON_H

#include <stddef.h>

#define QUOTAJSON_NAME_MAX 1024	/* a quota root's name, decoded */

/* One resource of one root.  limit is -1 when the root has none. */
struct quota_entry {
	const char *root;	/* "user/alice", "user/bob@example.org" */
	const char *resource;	/* "STORAGE", "MESSAGE", ... */
	long long used;
	long long limit;
};

/* Call each(e, arg) for every resource of every root in json[0..len),
 * in the report's order; a non-zero return stops the walk and is
 * returned.  0 when the whole report was read, -1 with why set when it
 * is not such a report (where, and what was expected). */
int quotajson_walk(const char *json, size_t len,
    int (*each)(const struct quota_entry *e, void *arg), void *arg,
    char *why, size_t cap);

#endif
