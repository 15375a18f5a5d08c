/* SPDX-License-Identifier: ISC */
/*
 * words.h - the space-separated lists of the config file and of LMTP
 * parameters (servers, notice senders, SASL mechanisms, MAIL's
 * parameters), walked one way.
 */
#ifndef LMTPIQ_WORDS_H
#define LMTPIQ_WORDS_H

#include <stddef.h>

/* The next word of list, spaces before it skipped: its start in *word
 * and its length in *len.  Returns where the rest of the list starts, or
 * NULL when no word is left:
 *
 *	for (p = list; (p = words_next(p, &w, &n)) != NULL; )
 */
const char *words_next(const char *list, const char **word, size_t *len);

/* Whether list holds the n bytes at word as one of its words, compared
 * without regard to case (addresses and mechanism names). */
int words_has(const char *list, const char *word, size_t n);

#endif
