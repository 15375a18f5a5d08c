/* SPDX-License-Identifier: ISC */
/*
 * words.c - space-separated lists, walked one way.
 */
#include "words.h"

#include <string.h>
#include <strings.h>

const char *
words_next(const char *list, const char **word, size_t *len)
{
	list += strspn(list, " ");
	if (*list == '\0')
		return NULL;
	*word = list;
	*len = strcspn(list, " ");
	return list + *len;
}

int
words_has(const char *list, const char *word, size_t n)
{
	const char *w;
	size_t len;

	while ((list = words_next(list, &w, &len)) != NULL)
		if (len == n && strncasecmp(w, word, n) == 0)
			return 1;
	return 0;
}
