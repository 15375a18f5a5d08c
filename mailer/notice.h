/* SPDX-License-Identifier: ISC */
/*
 * notice.h - a refusal notice's text: the template checked and filled
 * in, the values it may show taken from the refused message's header as
 * its reader sees them.  Nothing here sends, locks or decides: this is
 * the part fuzz_refusal runs on any input.
 */
#ifndef LMTPIQ_NOTICE_H
#define LMTPIQ_NOTICE_H

#include <stddef.h>

/* A template file's size limit. */
#define NOTICE_TEMPLATE_MAX 16384

/* What a notice may say: the refused message's envelope sender, size
 * and Subject, the user, and the server's reply; nothing from the
 * body.  Every value is escaped (log_escape): no control byte. */
#define NOTICE_SHOWN_MAX 1232
struct notice_facts {
	const char *user;
	char sender[NOTICE_SHOWN_MAX];
	char from[NOTICE_SHOWN_MAX];	/* its From:, as its reader sees it */
	char size[32];		/* as a person reads it: "2.3 MB" */
	char bytes[32];		/* the byte count: "2345678" */
	char subject[NOTICE_SHOWN_MAX];
	char reply[NOTICE_SHOWN_MAX];
	char interval[32];	/* refusal_notice_interval: "24 h" */
};

/* An interval in units any language's template can carry: "24 h",
 * "30 min", "90 s" (the largest unit that divides it). */
void notice_interval_text(int seconds, char *out, size_t cap);

/* n bytes as a person reads them: "1 byte", "999 bytes", then "1.0 kB",
 * "2.3 MB", "1.0 GB" (powers of 1000, one decimal, rounded). */
void notice_size_text(long long n, char *out, size_t cap);

/* The Subject in the first len bytes of a message as its reader sees it:
 * unfolded, RFC 2047 words decoded, UTF-8, what cannot be shown safely
 * escaped, cut at 200 characters (mimeword.h); "(none)" without one. */
void notice_subject(const char *head, size_t len, char *out, size_t cap);

/* The From: the same way, its display name out of its quotes; the
 * envelope sender (already shown safely) when there is none. */
void notice_from(const char *head, size_t len, const char *sender,
    char *out, size_t cap);

/* A template: header lines with a Subject, an empty line, a body, and
 * no placeholder but those notice_render fills in.  NULL, or what is
 * wrong with it and its line in *line (1 for the first; 0 when the
 * problem is not on one line). */
const char *notice_template_problem(const char *t, size_t len,
    size_t *line);

/* The template file at path (refusal_notice_template), opened through
 * file.c and checked, into buf (NOTICE_TEMPLATE_MAX).  0, or -1 and
 * why. */
int notice_template_load(const char *path, char *buf, size_t cap,
    size_t *len, char *why, size_t whycap);

/* The template into out with %{user}, %{sender}, %{from}, %{size},
 * %{bytes}, %{subject} and %{reply} filled in (a template that passed
 * notice_template_problem has no other %{...}).  -1 when it does not fit in cap. */
int notice_render(const char *t, size_t len, const struct notice_facts *f,
    char *out, size_t cap, size_t *outlen);

/* A notice's own header fields: who it is from and to (to_domain, when
 * not "", is added to a bare user), and the domain of its Message-ID. */
struct notice_header {
	const char *from;
	const char *to;
	const char *to_domain;
	const char *msgid_domain;
};

/* Those fields, with a Date: of now and a Message-ID: unique to this
 * notice, as the header lines a notice starts with, into out: their
 * length, or -1 when they do not fit. */
int notice_header(const struct notice_header *h, char *out, size_t cap);

#endif
