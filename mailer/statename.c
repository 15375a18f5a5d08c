/* SPDX-License-Identifier: ISC */
/*
 * statename.c - per-user state file names; see statename.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "statename.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sha256.h"

void
statename(const char *prefix, const char *hprefix, const char *user,
    char *name, size_t cap)
{
	unsigned char d[SHA256_LEN];
	const char *p;
	size_t o = strlen(prefix), h = strlen(hprefix), i;

	memcpy(name, prefix, o + 1);
	for (p = user; *p && o + 4 <= cap && o + 3 <= NAME_MAX; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isalnum(ch) || strchr(".-_@", ch) != NULL)
			name[o++] = (char)ch;
		else
			o += (size_t)snprintf(name + o, cap - o, "%%%02X", ch);
	}
	name[o] = '\0';
	if (*p == '\0')
		return;
	sha256(user, strlen(user), d);
	memcpy(name, hprefix, h + 1);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(name + h + 2 * i, cap - h - 2 * i, "%02x", d[i]);
}
